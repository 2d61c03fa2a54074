"""Imports every model so the metadata is complete (migrations, tests, the shell)."""

from ticketdesk.accounts.models import Agent, ApiToken, LoginLink
from ticketdesk.admin.models import Alert, Setting, SlaPolicy
from ticketdesk.announcements.models import (
    Announcement,
    AnnouncementDelivery,
    AnnouncementTemplate,
    AnnouncementUpdate,
    ContactGroup,
)
from ticketdesk.contacts.models import Contact, ContactEmail, ContactPhone, Organization, Service
from ticketdesk.intake.models import AutoReplyLog, Blob, RawMessage, SenderHold
from ticketdesk.jobs.models import Job
from ticketdesk.outbound.models import OutboundMail
from ticketdesk.phone.models import Call, CallEvent, PinAttempt
from ticketdesk.sms.models import SmsAttempt, SmsNotification, SmsReport, SmsStop
from ticketdesk.tickets.models import Attachment, Message, Queue, QueueAddress, Ticket, TicketCC, TicketEvent

__all__ = [
    "Agent",
    "Alert",
    "Announcement",
    "AnnouncementDelivery",
    "AnnouncementTemplate",
    "AnnouncementUpdate",
    "ApiToken",
    "Attachment",
    "AutoReplyLog",
    "Blob",
    "Call",
    "CallEvent",
    "Contact",
    "ContactEmail",
    "ContactGroup",
    "ContactPhone",
    "Job",
    "LoginLink",
    "Message",
    "Organization",
    "OutboundMail",
    "PinAttempt",
    "Queue",
    "QueueAddress",
    "RawMessage",
    "SenderHold",
    "Service",
    "Setting",
    "SlaPolicy",
    "SmsAttempt",
    "SmsNotification",
    "SmsReport",
    "SmsStop",
    "Ticket",
    "TicketCC",
    "TicketEvent",
]
