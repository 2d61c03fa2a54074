"""PIN checks with lockout (pure: no Flask, no database).

The attempt log is the source of truth: whether an organisation (or one call) is locked out is
computed from its recorded attempts, so there is no separate counter to drift. The rule:

* ``max_failures`` failed checks (default 5) within ``memory`` (default 1 hour) lock the scope for
  ``lockout`` (default 15 minutes), counted from the failure that tripped it;
* a success clears the failures; so does the end of a lockout (a fresh start, 5 more tries);
* attempts refused while locked are recorded too, but they were never checked: they neither count
  as failures nor extend the lock (so an attacker cannot keep a customer locked out for ever by
  hammering, and a locked agent sees the same end time on every try).

The caller checks two scopes for every attempt, the organisation and the call, and the stricter
one wins: a caller cannot reset the count by redialling, and one noisy call does not lock out the
organisation by itself more than its 5 failures allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

PIN_MIN_LENGTH, PIN_MAX_LENGTH = 4, 12


@dataclass(frozen=True)
class PinPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    memory: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        if self.lockout <= timedelta(0) or self.memory <= timedelta(0):
            raise ValueError("lockout and memory must be positive")


@dataclass(frozen=True)
class Attempt:
    """One checked attempt: when, and whether the secret was right."""

    at: datetime
    success: bool


@dataclass(frozen=True)
class LockState:
    failures: int  # failures that still count
    locked_until: datetime | None
    attempts_left: int

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def lock_state(history: Iterable[Attempt], now: datetime, policy: PinPolicy = PinPolicy()) -> LockState:
    """Where a scope stands at ``now`` given its checked attempts (any order)."""
    failures: list[datetime] = []
    locked_until: datetime | None = None
    for attempt in sorted(history, key=lambda a: a.at):
        if attempt.at > now:
            break
        if locked_until is not None:
            if attempt.at < locked_until:
                continue  # cannot happen for checked attempts; ignore rather than extend the lock
            locked_until = None
        if attempt.success:
            failures = []
            continue
        failures = [f for f in failures if attempt.at - f < policy.memory]
        failures.append(attempt.at)
        if len(failures) >= policy.max_failures:
            locked_until = attempt.at + policy.lockout
            failures = []
    if locked_until is not None and now >= locked_until:
        locked_until = None
    failures = [f for f in failures if now - f < policy.memory]
    left = 0 if locked_until is not None else policy.max_failures - len(failures)
    return LockState(failures=len(failures), locked_until=locked_until, attempts_left=left)


def strictest(*states: LockState | None) -> LockState:
    """Combine the scopes an attempt is checked against: locked if any is, fewest attempts left."""
    present = [s for s in states if s is not None]
    if not present:
        raise ValueError("no lock state given")
    locks = [s.locked_until for s in present if s.locked_until is not None]
    return LockState(
        failures=max(s.failures for s in present),
        locked_until=max(locks) if locks else None,
        attempts_left=min(s.attempts_left for s in present),
    )


def clean_pin(raw: str | None) -> str | None:
    """The digits a caller stated or typed (spaces, dashes and a trailing ``#`` from a keypad are
    dropped); None when nothing usable was given. Wrong-looking input is still a (failed) attempt."""
    if raw is None:
        return None
    text = "".join(ch for ch in str(raw) if not ch.isspace() and ch not in "-#")
    return text or None


def clean_client_number(raw: str | None) -> str | None:
    """A client number as stated: surrounding space dropped, letters upper-cased (``t00012`` = ``T00012``)."""
    if raw is None:
        return None
    text = "".join(str(raw).split()).upper()
    return text or None


STATUS_TEXT = {
    "verified": "caller verified",
    "pin_required": "PIN required",
    "recognised": "number recognised, not verified",
    "ambiguous": "number shared by several organisations: ask for the client number",
    "unknown": "unknown caller: ask for the client number",
}
METHOD_TEXT = {
    "pin": "by PIN",
    "client_number": "by client number",
    "client_number+pin": "by client number and PIN",
}


def describe(
    *, verified: bool, method: str | None, organizations: int, pin_required: bool
) -> tuple[str, str]:
    """The caller's standing as a code and the words the popup shows.

    Caller ID alone never verifies: a matched number is at most "recognised"; "verified" needs the
    PIN (when the organisation has one) or, for an organisation without a PIN, its client number.
    """
    if verified:
        code = "verified"
        return code, f"{STATUS_TEXT[code]} {METHOD_TEXT.get(method or '', '')}".strip()
    if organizations == 0:
        code = "unknown"
    elif organizations > 1:
        code = "ambiguous"
    else:
        code = "pin_required" if pin_required else "recognised"
    return code, STATUS_TEXT[code]
