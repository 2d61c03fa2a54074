"""Priority from the words, the SLA clock and routing, applied to a stored ticket.

The pure decisions live in ``ticketdesk.priority``, ``ticketdesk.sla`` and ``ticketdesk.tickets.routing``;
this module feeds them from the database and writes the outcome (with an event explaining it).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketdesk.accounts.models import Agent, agent_queues
from ticketdesk.admin.models import SlaPolicy as SlaPolicyRow
from ticketdesk.admin.store import cached, get_value
from ticketdesk.sla.clock import SlaClock
from ticketdesk.sla.targets import SlaPolicy, SlaTarget, due_times
from ticketdesk.tickets.history import ActorRef, record
from ticketdesk.tickets.models import PRIORITY_RANK, Message, Ticket
from ticketdesk.tickets.routing import AgentCandidate, choose_agent

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
    ticket.priority, ticket.priority_rank, ticket.priority_source = priority, PRIORITY_RANK[priority], "manual"
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

@lru_cache(maxsize=64)
def _base_policy(stored_json: str) -> SlaPolicy:
    stored = json.loads(stored_json)
    return SlaPolicy.from_dict(stored) if stored else SlaPolicy()


@lru_cache(maxsize=1024)
def _with_rows(stored_json: str, rows: tuple[tuple[str, int, int], ...]) -> SlaPolicy:
    base = _base_policy(stored_json)
    targets = dict(base.targets)
    for priority, first, resolution in rows:
        around = targets[priority].around_the_clock if priority in targets else False
        targets[priority] = SlaTarget(first, resolution, around)
    return SlaPolicy(calendar=base.calendar, targets=targets)


def sla_policy(session: Session, organization_id: int | None) -> SlaPolicy:
    """Stored policy rows (organisation first, then global) over the shipped defaults; built once and
    cached (building a calendar loads public holidays)."""
    stored_json = json.dumps(get_value(session, "sla.policy"), sort_keys=True)
    rows = cached("sla.rows", lambda: [
        (r.organization_id, r.priority, r.first_response_minutes, r.resolution_minutes)
        for r in session.scalars(select(SlaPolicyRow))
    ])
    mine = tuple((p, f, res) for org, p, f, res in sorted(rows, key=lambda r: r[0] is not None)  # org rows win
                 if org is None or org == organization_id)
    return _with_rows(stored_json, mine) if mine else _base_policy(stored_json)


def recompute_sla(session: Session, ticket: Ticket, *, now: datetime) -> None:
    policy = sla_policy(session, ticket.organization_id)
    opened = ticket.created_at or now
    first, resolution = due_times(policy, ticket.priority, opened, paused_minutes=ticket.sla_paused_minutes or 0)
    if ticket.first_responded_at is None:
        ticket.first_response_due = first
    ticket.resolution_due = resolution


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

def route(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """Assign to the agent who knows this client, or the least loaded available one (queue setting)."""
    mode = ticket.queue.routing_mode or "affinity"
    if mode == "none":
        return
    agents = session.scalars(
        select(Agent).join(agent_queues, agent_queues.c.agent_id == Agent.id)
        .where(agent_queues.c.queue_id == ticket.queue_id, Agent.active.is_(True))
    ).all()
    if not agents:
        return
    loads = dict(session.execute(
        select(Ticket.assignee_id, func.count()).where(
            Ticket.assignee_id.in_([a.id for a in agents]), Ticket.status.in_(OPEN)
        ).group_by(Ticket.assignee_id)
    ).all())
    last = session.execute(
        select(Message.author_agent_id, Ticket.number, Message.created_at)
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(Ticket.organization_id == ticket.organization_id, Message.author_agent_id.is_not(None),
               Message.direction == "out", Ticket.id != ticket.id)
        .order_by(Message.created_at.desc()).limit(1)
    ).first()
    candidates = [
        AgentCandidate(id=a.id, name=a.name, online=bool(a.available), in_working_hours=True,
                       open_load=int(loads.get(a.id, 0)), active=a.active, max_load=a.max_load)
        for a in agents
    ]
    choice = choose_agent(
        organization_id=ticket.organization_id, organization_name=ticket.organization.name,
        candidates=candidates, last_handler_id=last[0] if last else None,
        last_ticket_number=last[1] if last else None, last_handled_at=last[2] if last else None,
        now=now, load_cap=ticket.queue.load_cap or 10, mode=mode,
    )
    ticket.assignee_id = choice.agent_id
    session.flush()
    record(session, ticket, ActorRef.system("routing"), "routing.assigned", now=now,
           after={"assignee_id": choice.agent_id}, detail=choice.reason, client_visible=False)


def after_created(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """Hooks that follow the acknowledgement (SMS for urgent tickets, see ``ticketdesk.sms``)."""
    from ticketdesk.sms import triggers

    triggers.on_ticket_created(session, ticket, now=now)


def requires_action_sms(session: Session, ticket: Ticket, msg: Message, *, now: datetime) -> None:
    from ticketdesk.sms import triggers

    triggers.on_requires_action(session, ticket, msg, now=now)
