"""What to do with an inbound message: one pure decision from the facts the earlier stages found.

``decide`` returns one outcome; ``apply.py`` carries it out. The whole matrix is one table-driven test.
The sender-authentication verdict enters here (``auth_ok``): the one point where a message is either
opened/appended or held for confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Sender(StrEnum):
    CONTACT = "contact"  # an active technical contact
    INACTIVE = "inactive"  # a removed contact: may no longer write anywhere
    NON_TECHNICAL = "non_technical"  # a known person who may not open tickets
    STRANGER = "stranger"  # not a contact of any organisation
    NONE = "none"  # no usable From address (or several)


class Thread(StrEnum):
    TICKET = "ticket"  # refers to one of our tickets and the sender belongs to it
    FOREIGN = "foreign"  # refers to one of our tickets the sender does not belong to
    UNKNOWN_REFERENCE = "unknown_reference"  # refers to something we never stored (an earlier system)
    NONE = "none"


class Outcome(StrEnum):
    BOUNCE = "bounce"  # a delivery report: recorded against the outgoing mail
    IGNORE = "ignore"  # an automatic reply: kept, no ticket, no answer
    QUARANTINE = "quarantine"  # kept for admins; the sender may get one polite answer
    HOLD = "hold"  # kept until the sender confirms through the link
    NEW_TICKET = "new_ticket"
    APPEND = "append"
    CLOSED = "closed"  # a reply to a closed ticket: not appended, "please open a new ticket"


@dataclass(frozen=True)
class Facts:
    sender: Sender
    thread: Thread
    ticket_status: str | None = None
    within_reopen_window: bool = False
    is_dsn: bool = False
    is_auto_reply: bool = False  # out-of-office and similar: never opens, reopens or appends
    may_answer: bool = True  # False for mail we must never answer automatically (loops)
    auth_ok: bool = False  # authenticated, confirmed, or the organisation trusts our relay


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    answer: str | None = None  # the automatic answer to send: not_contact | open_new | confirm
    legacy: bool = False  # a new ticket carrying the context of an unknown earlier reference
    reason: str = ""

    @property
    def disposition(self) -> str:
        return {
            Outcome.BOUNCE: "auto_reply_ignored",
            Outcome.IGNORE: "auto_reply_ignored",
            Outcome.QUARANTINE: "quarantined",
            Outcome.HOLD: "held",
            Outcome.NEW_TICKET: "ticket",
            Outcome.APPEND: "reply",
            Outcome.CLOSED: "quarantined",
        }[self.outcome]


def decide(f: Facts) -> Decision:
    if f.is_dsn:
        return Decision(Outcome.BOUNCE, reason="delivery status report")
    if f.sender is Sender.NONE:
        return Decision(Outcome.QUARANTINE, reason="no single usable From address")
    if f.is_auto_reply:
        return Decision(Outcome.IGNORE, reason="automatic reply")
    answer_if = lambda kind: kind if f.may_answer else None  # noqa: E731
    if f.sender is Sender.INACTIVE:
        return Decision(Outcome.QUARANTINE, answer_if("not_contact"), reason="the contact has been removed")
    if f.thread is Thread.TICKET:
        if not f.auth_ok:
            return Decision(Outcome.HOLD, answer_if("confirm"), reason="sender not authenticated (reply)")
        if f.ticket_status == "closed" or (f.ticket_status == "resolved" and not f.within_reopen_window):
            return Decision(Outcome.CLOSED, answer_if("open_new"), reason="reply to a closed ticket")
        return Decision(Outcome.APPEND, reason="reply from a participant of the ticket")
    if f.sender is not Sender.CONTACT:
        return Decision(
            Outcome.QUARANTINE, answer_if("not_contact"), reason="sender is not a technical contact"
        )
    legacy = f.thread is Thread.UNKNOWN_REFERENCE
    if not f.auth_ok:
        return Decision(Outcome.HOLD, answer_if("confirm"), legacy=legacy, reason="sender not authenticated")
    return Decision(
        Outcome.NEW_TICKET,
        legacy=legacy,
        reason="reply to an unknown earlier ticket" if legacy else "new request from a technical contact",
    )
