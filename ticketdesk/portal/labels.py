"""The customer's wording for statuses, priorities, history events, sender policies and SMS states
(Czech and English through Flask-Babel; the agent workspace has its own, staff-facing words)."""

from __future__ import annotations

from typing import Any

from ticketdesk.portal.i18n import _, _l
from ticketdesk.tickets.models import TicketEvent

STATUS = {
    "queued": _l("Received, waiting for a technician"),
    "in_progress": _l("In progress"),
    "waiting_for_client": _l("Waiting for your reply"),
    "resolved": _l("Resolved"),
    "scheduled": _l("Scheduled"),
    "closed": _l("Closed"),
}
STATUS_SHORT = {
    "queued": _l("Received"),
    "in_progress": _l("In progress"),
    "waiting_for_client": _l("Waiting for you"),
    "resolved": _l("Resolved"),
    "scheduled": _l("Scheduled"),
    "closed": _l("Closed"),
}
PRIORITY = {"urgent": _l("Urgent"), "high": _l("High"), "normal": _l("Normal"), "low": _l("Low")}
CHANNEL = {
    "email": _l("e-mail"),
    "portal": _l("portal"),
    "phone": _l("phone"),
    "api": _l("API"),
    "web": _l("web"),
}
QUEUE_HINT = {
    "support": _l("general questions and problems"),
    "datacenter": _l("dedicated servers and hosting"),
    "consulting": _l("consulting and projects"),
}
SENDER_POLICY = {
    "default": (
        _l("Standard"),
        _l(
            "Mail that passes DKIM/SPF checks opens tickets directly; anything else is held until the sender "
            "confirms it by a link sent to their registered address."
        ),
    ),
    "always_confirm": (
        _l("Always confirm"),
        _l(
            "Every new e-mail is held until the sender confirms it by a link, even when the checks pass. "
            "Safest, one more click for you."
        ),
    ),
    "trust_relay": (
        _l("No checks (trusted relay)"),
        _l(
            "Mail from your registered addresses is accepted without DKIM/SPF checks. Choose this only when "
            "your mail reaches us through a relay agreed with us; otherwise anyone could write in your name."
        ),
    ),
}
SMS_STATE = {
    "scheduled": _l("scheduled"),
    "awaiting_approval": _l("awaiting approval"),
    "paused": _l("paused"),
    "queued": _l("waiting to be sent"),
    "submitted": _l("sent, awaiting delivery report"),
    "no_coverage": _l("phone unreachable, operator retrying"),
    "delivered": _l("delivered"),
    "failed": _l("failed"),
    "stopped": _l("stopped"),
    "unknown": _l("no delivery report"),
}
SMS_KIND = {
    "requires_action": _l("your action needed"),
    "urgent_ack": _l("urgent ticket received"),
    "escalation": _l("escalation"),
    "announcement": _l("announcement"),
}


def _who(event: TicketEvent) -> str:
    if event.actor_type == "system":
        return _("automatically")
    return event.actor_label or (_("you") if event.actor_type == "client" else _("support"))


def event_text(event: TicketEvent) -> str:
    """One sentence for a client-visible history event."""
    after: dict[str, Any] = event.after or {}
    before: dict[str, Any] = event.before or {}
    who = _who(event)
    kind = event.kind
    if kind.startswith("status."):
        status = str(after.get("status", ""))
        return _(
            "%(who)s changed the status to “%(status)s”.", who=who, status=STATUS_SHORT.get(status, status)
        )
    if kind == "claim.taken":
        name = (after.get("claimed_by") or {}).get("name") or who
        return _("%(name)s handles this ticket personally from start to end.", name=name)
    if kind == "claim.refused":
        return _("Single-agent handling was refused (%(who)s); the whole team handles the ticket.", who=who)
    if kind == "claim.released":
        return _("The ticket is back with the whole support team.")
    if kind == "cc.added":
        return _("%(who)s added %(email)s to the copy.", who=who, email=after.get("email", ""))
    if kind == "cc.removed":
        return _("%(who)s removed %(email)s from the copy.", who=who, email=before.get("email", ""))
    if kind == "priority.changed":
        priority = str(after.get("priority", ""))
        return _("Priority changed to %(priority)s.", priority=PRIORITY.get(priority, priority))
    if kind == "sender.confirmed":
        return _("The sender confirmed the e-mail by the link.")
    if kind == "ticket.legacy_reference":
        return _(
            "This ticket continues %(reference)s from our earlier system.",
            reference=after.get("reference", ""),
        )
    return _("Ticket updated (%(what)s).", what=kind)
