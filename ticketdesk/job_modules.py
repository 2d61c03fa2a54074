"""Every module that registers job handlers, imported once by the worker."""

from ticketdesk.announcements import jobs as announcement_jobs  # noqa: F401
from ticketdesk.intake import jobs as intake_jobs  # noqa: F401
from ticketdesk.outbound import jobs as outbound_jobs  # noqa: F401
from ticketdesk.portal import jobs as portal_jobs  # noqa: F401
from ticketdesk.sla import jobs as sla_jobs  # noqa: F401
from ticketdesk.sms import jobs as sms_jobs  # noqa: F401
from ticketdesk.tickets import jobs as ticket_jobs  # noqa: F401
