"""Agents (staff), their API tokens and portal login links."""
