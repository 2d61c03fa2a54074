"""Sender authentication: DKIM, SPF and DMARC-style alignment over the DNS port.

Entry point: :func:`ticketdesk.senderauth.check.check_sender` returning an
:class:`~ticketdesk.senderauth.results.AuthResult`. The checks are pure apart from DNS; holding a
message and the confirmation link live with the intake/service code.
"""

from ticketdesk.senderauth.check import check_sender
from ticketdesk.senderauth.received import TrustedMta
from ticketdesk.senderauth.results import AuthResult

__all__ = ["AuthResult", "TrustedMta", "check_sender"]
