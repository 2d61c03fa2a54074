"""Durable jobs (outbox): claimed safely by any number of workers, run once."""
