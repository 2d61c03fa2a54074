"""Job kinds and their handlers, and the periodic jobs the worker schedules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask


@dataclass(frozen=True)
class JobContext:
    app: Flask
    now: datetime
    job_id: int
    attempt: int


Handler = Callable[[dict[str, Any], JobContext], None]
HANDLERS: dict[str, Handler] = {}
PERIODIC: dict[str, int] = {}  # kind → interval in seconds


def job(kind: str, *, every: int | None = None) -> Callable[[Handler], Handler]:
    """Register a handler; ``every`` makes the worker schedule it periodically (once across all workers)."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        if every:
            PERIODIC[kind] = every
        return fn

    return register


class RetryLater(Exception):
    """A handler asks to be retried (temporary failure) after ``delay`` seconds."""

    def __init__(self, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


class PermanentFailure(Exception):
    """A handler says retrying will not help; the job is marked failed at once."""
