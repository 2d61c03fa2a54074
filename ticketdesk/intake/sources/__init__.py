"""Intake transports other than SMTP/LMTP (IMAP polling)."""
