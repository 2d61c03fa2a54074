"""Organisations, their technical contacts, e-mail addresses, phones and PIN."""
