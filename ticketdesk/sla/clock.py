"""The pausable SLA clock of one ticket and the breach warning used for escalation (pure).

The resolution clock stops while the ticket waits for the client (``waiting_for_client``): the
business minutes spent paused are added to the resolution due time when the ticket resumes. Paused
minutes are measured in the calendar the priority counts in (``policy.calendar_for(priority)``), so
an urgent (24x7) ticket's pause counts every minute, a normal one's only office minutes.
Pauses are stored as whole minutes (a partial minute is not counted, in the client's favour).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from ticketdesk.sla.hours import BusinessCalendar, business_minutes_between, business_time_between, ensure_utc
from ticketdesk.sla.targets import SlaPolicy, due_times

SlaState = Literal["ok", "near", "breached"]

PAUSING_STATUSES: frozenset[str] = frozenset({"waiting_for_client"})
"""Ticket statuses during which the resolution clock stands still."""


@dataclass(frozen=True)
class SlaClock:
    """``opened_at``, the start of the current pause (``None`` when running) and the minutes paused so far."""

    opened_at: datetime
    paused_since: datetime | None = None
    paused_business_minutes: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "opened_at", ensure_utc(self.opened_at, "opened_at"))
        if self.paused_since is not None:
            paused_since = ensure_utc(self.paused_since, "paused_since")
            if paused_since < self.opened_at:
                raise ValueError("a clock cannot be paused before the ticket was opened")
            object.__setattr__(self, "paused_since", paused_since)
        if self.paused_business_minutes < 0:
            raise ValueError("paused_business_minutes must not be negative")

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    def pause(self, now: datetime) -> SlaClock:
        """Stop the clock at ``now``; pausing a paused clock changes nothing."""
        if self.paused_since is not None:
            return self
        return replace(self, paused_since=max(ensure_utc(now, "now"), self.opened_at))

    def resume(self, now: datetime, cal: BusinessCalendar) -> SlaClock:
        """Restart the clock, adding the business minutes (in ``cal``) spent paused; no-op when running."""
        if self.paused_since is None:
            return self
        now = ensure_utc(now, "now")
        if now < self.paused_since:
            raise ValueError("cannot resume before the clock was paused")
        spent = business_minutes_between(cal, self.paused_since, now)
        return replace(self, paused_since=None, paused_business_minutes=self.paused_business_minutes + spent)

    def on_status(
        self, status: str, now: datetime, cal: BusinessCalendar, pausing: frozenset[str] = PAUSING_STATUSES
    ) -> SlaClock:
        """The clock after the ticket moved to ``status`` at ``now``: paused in a pausing status, else running."""
        return self.pause(now) if status in pausing else self.resume(now, cal)

    def paused_minutes_at(self, now: datetime | None, cal: BusinessCalendar) -> int:
        """Paused business minutes including the pause still running at ``now`` (if given)."""
        if self.paused_since is None or now is None:
            return self.paused_business_minutes
        ongoing = max(0, business_minutes_between(cal, self.paused_since, ensure_utc(now, "now")))
        return self.paused_business_minutes + ongoing

    def first_response_due(self, policy: SlaPolicy, priority: str) -> datetime:
        return due_times(policy, priority, self.opened_at)[0]

    def resolution_due(self, policy: SlaPolicy, priority: str, now: datetime | None = None) -> datetime:
        """Resolution due time shifted by the paused business minutes.

        While the clock is paused the due time keeps moving; pass ``now`` to include the pause so
        far (otherwise the value is the one as of the moment the pause began).
        """
        paused = self.paused_minutes_at(now, policy.calendar_for(priority))
        return due_times(policy, priority, self.opened_at, paused)[1]

    def resolution_breach_near(
        self,
        policy: SlaPolicy,
        priority: str,
        now: datetime,
        *,
        warn_fraction: float = 0.8,
        warn_minutes: int | None = None,
    ) -> bool:
        """:func:`breach_near` for this ticket's resolution target; never while the clock is paused."""
        if self.is_paused:
            return False
        return breach_near(
            self.resolution_due(policy, priority),
            now,
            policy.calendar_for(priority),
            warn_fraction=warn_fraction,
            warn_minutes=warn_minutes,
            target_minutes=policy.target(priority).resolution_minutes,
        )


def breach_near(
    due: datetime,
    now: datetime,
    cal: BusinessCalendar,
    *,
    warn_fraction: float = 0.8,
    warn_minutes: int | None = None,
    target_minutes: int | None = None,
) -> bool:
    """Is the SLA breached or close to it? True once ``now >= due`` (breached counts as near).

    With ``warn_minutes``: near when at most that many business minutes remain before ``due``.
    Otherwise near when ``warn_fraction`` of the ``target_minutes`` have been used, i.e. at most
    ``(1 - warn_fraction) * target_minutes`` business minutes remain (paused time is not "used").
    """
    due, now = ensure_utc(due, "due"), ensure_utc(now, "now")
    if now >= due:
        return True
    remaining = business_time_between(cal, now, due)
    if warn_minutes is not None:
        if warn_minutes < 0:
            raise ValueError("warn_minutes must not be negative")
        return remaining <= timedelta(minutes=warn_minutes)
    if target_minutes is None:
        raise ValueError("breach_near needs warn_minutes, or warn_fraction with target_minutes")
    if not 0.0 <= warn_fraction <= 1.0:
        raise ValueError("warn_fraction must be between 0 and 1")
    return remaining <= timedelta(minutes=target_minutes * (1.0 - warn_fraction))


def sla_state(
    due: datetime,
    now: datetime,
    cal: BusinessCalendar,
    *,
    warn_fraction: float = 0.8,
    warn_minutes: int | None = None,
    target_minutes: int | None = None,
) -> SlaState:
    """``"breached"``, ``"near"`` or ``"ok"`` (keywords as for :func:`breach_near`)."""
    if ensure_utc(now, "now") >= ensure_utc(due, "due"):
        return "breached"
    near = breach_near(
        due, now, cal, warn_fraction=warn_fraction, warn_minutes=warn_minutes, target_minutes=target_minutes
    )
    return "near" if near else "ok"
