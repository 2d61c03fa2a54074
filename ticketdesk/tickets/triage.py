"""Priority from the words, the SLA clock and routing, applied to a stored ticket.

The pure decisions live in ``ticketdesk.priority``, ``ticketdesk.sla`` and ``ticketdesk.tickets.routing``;
this module feeds them from the database and writes the outcome (with an event explaining it).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from ticketdesk.accounts.models import Agent, agent_queues
from ticketdesk.admin.store import cached, get_value
from ticketdesk.sla.clock import SlaClock
from ticketdesk.sla.hours import BusinessCalendar, is_open
from ticketdesk.sla.targets import SlaPolicy, due_times
from ticketdesk.tickets.history import ActorRef, record
from ticketdesk.tickets.models import PRIORITY_RANK, Message, Ticket
from ticketdesk.tickets.routing import AgentCandidate, choose_agent

log = logging.getLogger(__name__)
OPEN = ("queued", "in_progress", "waiting_for_client", "scheduled")


# --- priority -----------------------------------------------------------------------------------


def priority_rules(session: Session | None = None) -> list[Any] | None:
    """Admin-edited rules from the settings table, or None for the shipped defaults."""
    from ticketdesk.extensions import db
    from ticketdesk.priority import Rule

    stored = get_value(session or db.session, "priority.rules")
    if not stored:
        return None
    return cached("priority.rules", lambda: [Rule.from_dict(item) for item in stored])


def set_manual_priority(ticket: Ticket, priority: str) -> None:
    ticket.priority, ticket.priority_rank, ticket.priority_source = (
        priority,
        PRIORITY_RANK[priority],
        "manual",
    )
    ticket.priority_reasons = [{"effect": "manual", "detail": "set when the ticket was opened"}]


def apply_auto_priority(ticket: Ticket, subject: str, text: str, *, raise_only: bool) -> bool:
    """Classify the words; never override an agent's manual choice; on new messages only raise."""
    from ticketdesk.priority import classify

    if ticket.priority_source == "manual":
        return False
    decision = classify(subject or "", text or "", rules=priority_rules())
    rank = PRIORITY_RANK[decision.priority]
    if raise_only and rank >= (ticket.priority_rank if ticket.priority_rank is not None else 2):
        return False
    ticket.priority, ticket.priority_rank, ticket.priority_source = decision.priority, rank, "auto"
    ticket.priority_reasons = decision.to_dict()["reasons"]
    return True


# --- SLA ----------------------------------------------------------------------------------------


def sla_policy(session: Session, organization_id: int | None) -> SlaPolicy:
    """The team's policy with the organisation's own targets over it (see ``ticketdesk.sla.service``)."""
    from ticketdesk.sla.service import policy_for

    return policy_for(session, organization_id)


def recompute_sla(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """Due times from the priority, the policy and the time paused; a change is recorded and the client is
    told (debounced, only for a priority change or a real shift, see ``sla.service.send_due_time_update``)."""
    from ticketdesk.sla.service import DueSnapshot, on_due_times_changed

    before = None if ticket.resolution_due is None else DueSnapshot.of(ticket)
    policy = sla_policy(session, ticket.organization_id)
    opened = ticket.created_at or now
    first, resolution = due_times(
        policy, ticket.priority, opened, paused_minutes=ticket.sla_paused_minutes or 0
    )
    if ticket.first_responded_at is None:
        ticket.first_response_due = first
    ticket.resolution_due = resolution
    if ticket.id is not None:
        on_due_times_changed(session, ticket, before, now=now)


def pause_sla(ticket: Ticket, *, now: datetime) -> None:
    if ticket.sla_paused_since is None:
        ticket.sla_paused_since = now


def resume_sla(session: Session, ticket: Ticket, *, now: datetime) -> None:
    if ticket.sla_paused_since is None:
        return
    policy = sla_policy(session, ticket.organization_id)
    clock = SlaClock(ticket.created_at or now, ticket.sla_paused_since, ticket.sla_paused_minutes or 0)
    resumed = clock.resume(now, policy.calendar_for(ticket.priority))
    ticket.sla_paused_since, ticket.sla_paused_minutes = None, resumed.paused_business_minutes
    recompute_sla(session, ticket, now=now)


# --- routing ------------------------------------------------------------------------------------

ONLINE_MINUTES = 10
"""Default of the setting ``routing.online_minutes``: an agent seen (``Agent.last_seen_at``) within this many
minutes is online; 0 makes the agent's own ``available`` switch alone decide."""
SEEN_STEP = timedelta(seconds=30)


def mark_agent_seen(session: Session, agent_id: int, *, now: datetime) -> None:
    """The agent is connected now (the workspace's Socket.IO connection calls this on connect and on its
    heartbeat); written at most every 30 s per agent."""
    session.execute(
        update(Agent)
        .where(Agent.id == agent_id, or_(Agent.last_seen_at.is_(None), Agent.last_seen_at < now - SEEN_STEP))
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )


@lru_cache(maxsize=64)
def _agent_calendars(stored_json: str) -> dict[int, BusinessCalendar]:
    found: dict[int, BusinessCalendar] = {}
    for key, spec in json.loads(stored_json).items():
        try:
            found[int(key)] = BusinessCalendar.from_dict(spec)
        except (ValueError, TypeError):
            log.exception("working hours of agent %s are invalid; the team calendar applies", key)
    return found


def agent_calendars(session: Session) -> dict[int, BusinessCalendar]:
    """Agents with their own working hours (setting ``routing.agent_calendars``: ``{"<agent id>": calendar}``)."""
    return _agent_calendars(json.dumps(get_value(session, "routing.agent_calendars") or {}, sort_keys=True))


def is_online(agent: Agent, *, now: datetime, online_minutes: int) -> bool:
    """The agent's ``available`` switch is on and (unless ``online_minutes`` is 0) they were seen lately."""
    if not agent.available:
        return False
    if online_minutes <= 0:
        return True
    return agent.last_seen_at is not None and now - agent.last_seen_at <= timedelta(minutes=online_minutes)


_QUEUE_AGENTS = (
    select(Agent)
    .join(agent_queues, agent_queues.c.agent_id == Agent.id)
    .where(agent_queues.c.queue_id == bindparam("queue_id"), Agent.active.is_(True))
)


def route(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """Assign to the agent who knows this client, or the least loaded available one (queue setting).

    Available = active, online (see :func:`is_online`), in working hours (the agent's own calendar or the
    team's; on-call agents always) and under the load cap (the queue's, tightened by the agent's own).
    """
    mode = ticket.queue.routing_mode or "affinity"
    if mode == "none":
        return
    agents = session.scalars(_QUEUE_AGENTS, {"queue_id": ticket.queue_id}).all()
    if not agents:
        return
    ids = [a.id for a in agents]
    holder = func.coalesce(Ticket.claimed_by_id, Ticket.assignee_id)
    loads = dict(
        session.execute(
            select(holder, func.count()).where(holder.in_(ids), Ticket.status.in_(OPEN)).group_by(holder)
        ).all()
    )
    last_assigned = dict(
        session.execute(
            select(Ticket.assignee_id, func.max(Ticket.created_at))
            .where(Ticket.assignee_id.in_(ids))
            .group_by(Ticket.assignee_id)
        ).all()
    )
    last = session.execute(
        select(Message.author_agent_id, Ticket.number, Message.created_at)
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(
            Ticket.organization_id == ticket.organization_id,
            Message.author_agent_id.is_not(None),
            Message.direction == "out",
            Ticket.id != ticket.id,
        )
        .order_by(Message.created_at.desc())
        .limit(1)
    ).first()
    online_minutes = int(get_value(session, "routing.online_minutes", ONLINE_MINUTES))
    team = sla_policy(session, None).calendar
    own = agent_calendars(session)
    candidates = [
        AgentCandidate(
            id=a.id,
            name=a.name,
            online=is_online(a, now=now, online_minutes=online_minutes),
            in_working_hours=True if a.on_call else is_open(own.get(a.id, team), now),
            open_load=int(loads.get(a.id, 0)),
            active=a.active,
            max_load=a.max_load,
            last_assigned_at=last_assigned.get(a.id),
        )
        for a in agents
    ]
    choice = choose_agent(
        organization_id=ticket.organization_id,
        organization_name=ticket.organization.name,
        candidates=candidates,
        last_handler_id=last[0] if last else None,
        last_ticket_number=last[1] if last else None,
        last_handled_at=last[2] if last else None,
        now=now,
        load_cap=ticket.queue.load_cap or 10,
        mode=mode,
    )
    ticket.assignee_id = choice.agent_id
    session.flush()
    record(
        session,
        ticket,
        ActorRef.system("routing"),
        "routing.assigned",
        now=now,
        after={"assignee_id": choice.agent_id, "rule": choice.rule},
        detail=choice.reason,
        client_visible=False,
    )


def after_created(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """Hooks that follow the acknowledgement (SMS for urgent tickets, see ``ticketdesk.sms``)."""
    from ticketdesk.sms import triggers

    triggers.on_ticket_created(session, ticket, now=now)


def requires_action_sms(
    session: Session, ticket: Ticket, msg: Message, *, now: datetime, recipients: str | None = None
) -> None:
    from ticketdesk.sms import triggers

    triggers.on_requires_action(session, ticket, msg, now=now, recipients=recipients)
