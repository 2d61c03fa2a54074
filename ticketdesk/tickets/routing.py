"""Which agent a new ticket goes to (pure: the caller loads the candidates and records the choice).

Rules, in order (``mode="affinity"``):

1. **Affinity** — the agent who most recently handled a ticket of the same organisation gets it,
   when that agent is active, online, in working hours and under the load cap.
2. **Least loaded** — otherwise the available agent with the fewest open tickets; ties go to the
   agent idle longest (oldest ``last_assigned_at``, never-assigned first), then the lowest id.
3. **Shared queue** — nobody available: no assignee, the ticket stays in the queue for everyone.

``mode="least_loaded"`` skips rule 1; ``mode="none"`` always leaves the ticket in the shared queue.
Every choice carries a one-sentence ``reason`` for the ticket's event history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from ticketdesk.sla.hours import BusinessCalendar, ensure_utc, is_open

RoutingMode = Literal["affinity", "least_loaded", "none"]
RoutingRule = Literal["affinity", "least_loaded", "shared_queue"]
MODES: tuple[str, ...] = ("affinity", "least_loaded", "none")

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AgentCandidate:
    """An agent who could take the ticket.

    Working hours come from ``in_working_hours`` when given, else from ``calendar`` at ``now``, else
    the agent counts as in working hours. ``max_load`` (the agent's own cap) tightens ``load_cap``.
    """

    id: int
    name: str
    online: bool
    open_load: int
    active: bool = True
    in_working_hours: bool | None = None
    calendar: BusinessCalendar | None = None
    max_load: int | None = None
    last_assigned_at: datetime | None = None

    def cap(self, load_cap: int) -> int:
        return load_cap if self.max_load is None else min(load_cap, self.max_load)

    def unavailable_because(self, now: datetime, load_cap: int) -> str | None:
        """Why this agent cannot take a ticket now (``None`` when they can)."""
        if not self.active:
            return "inactive"
        if not self.online:
            return "offline"
        working = self.in_working_hours
        if working is None:
            working = True if self.calendar is None else is_open(self.calendar, now)
        if not working:
            return "outside working hours"
        if self.open_load >= self.cap(load_cap):
            return f"at load cap {self.open_load}/{self.cap(load_cap)}"
        return None


@dataclass(frozen=True)
class RoutingChoice:
    agent_id: int | None
    reason: str
    rule: RoutingRule


def choose_agent(
    *,
    organization_id: int,
    candidates: Sequence[AgentCandidate],
    last_handler_id: int | None,
    now: datetime,
    load_cap: int,
    mode: RoutingMode = "affinity",
    organization_name: str | None = None,
    last_ticket_number: int | str | None = None,
    last_handled_at: datetime | None = None,
) -> RoutingChoice:
    """Pick the agent for a new ticket of ``organization_id`` (see the module docstring for the rules).

    ``organization_name``, ``last_ticket_number`` and ``last_handled_at`` only enrich the reason,
    e.g. ``"affinity: Jan Novák handled ACME's ticket #1042 on 2026-11-20; available, load 3/8"``.
    """
    if mode not in MODES:
        raise ValueError(f"routing mode must be one of {', '.join(MODES)}, not {mode!r}")
    if isinstance(load_cap, bool) or load_cap < 1:
        raise ValueError("load_cap must be at least 1")
    now = ensure_utc(now, "now")
    if mode == "none":
        return RoutingChoice(None, "shared queue: automatic assignment is off", "shared_queue")

    org = organization_name or f"organisation #{organization_id}"
    why_not = {agent.id: agent.unavailable_because(now, load_cap) for agent in candidates}
    by_id = {agent.id: agent for agent in candidates}
    previous = by_id.get(last_handler_id) if last_handler_id is not None else None

    if mode == "affinity" and previous is not None and why_not[previous.id] is None:
        return RoutingChoice(
            previous.id,
            f"affinity: {previous.name} handled {_handled(org, last_ticket_number, last_handled_at)}; "
            f"available, load {previous.open_load}/{previous.cap(load_cap)}",
            "affinity",
        )

    note = ""
    if mode == "affinity" and last_handler_id is not None:
        if previous is None:
            note = f"; previous handler of {org}'s tickets (agent #{last_handler_id}) is not a candidate"
        else:
            note = f"; previous handler {previous.name} is {why_not[previous.id]}"

    available = [agent for agent in candidates if why_not[agent.id] is None]
    if not available:
        counts = Counter(_reason_kind(why) for why in why_not.values() if why is not None)
        detail = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no agents in this queue"
        return RoutingChoice(None, f"shared queue: no agent available ({detail}){note}", "shared_queue")

    best = min(available, key=lambda a: (a.open_load, a.last_assigned_at or _NEVER, a.id))
    tied = [a for a in available if a.open_load == best.open_load]
    tie = ""
    if len(tied) > 1:
        same_idle = [a for a in tied if a.last_assigned_at == best.last_assigned_at]
        if len(same_idle) == len(tied):
            rule = "lowest id"
        elif len(same_idle) == 1:
            rule = "longest idle"
        else:
            rule = "longest idle, then lowest id"
        tie = f", tie on load with {len(tied) - 1} other(s) broken by {rule}"
    reason = (
        f"least loaded: {best.name}, load {best.open_load}/{best.cap(load_cap)}, "
        f"of {len(available)} available agent(s){tie}{note}"
    )
    return RoutingChoice(best.id, reason, "least_loaded")


def _handled(org: str, ticket_number: int | str | None, handled_at: datetime | None) -> str:
    text = f"{org}'s ticket #{ticket_number}" if ticket_number is not None else f"{org}'s last ticket"
    if handled_at is not None:
        text += f" on {ensure_utc(handled_at, 'last_handled_at').date().isoformat()}"
    return text


def _reason_kind(why: str) -> str:
    return "at load cap" if why.startswith("at load cap") else why
