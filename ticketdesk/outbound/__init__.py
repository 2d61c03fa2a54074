"""Outgoing mail: compose, enqueue in the caller's transaction, deliver with a fallback route."""
