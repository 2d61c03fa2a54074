"""Tickets: queues, the lifecycle, messages, CC, attachments and the event history."""
