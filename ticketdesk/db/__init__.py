"""Declarative base, column types and the transaction helper."""
