"""The set of outside-system adapters an app uses; tests pass their own (pointing at local servers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from ticketdesk.ports.mail import MailTransport, transport_from_url
from ticketdesk.settings import Settings


@dataclass
class Ports:
    mail: MailTransport
    mail_fallback: MailTransport | None
    sms: Any = None  # ticketdesk.ports.sms.SmsGateway
    dns: Any = None  # ticketdesk.ports.dns.DnsPort


def default_ports(settings: Settings) -> Ports:
    mbox = settings.instance_path / "outbox.mbox"
    fallback = (
        transport_from_url(settings.smtp_fallback_url, mbox_path=mbox) if settings.smtp_fallback_url else None
    )
    ports = Ports(mail=transport_from_url(settings.smtp_url, mbox_path=mbox), mail_fallback=fallback)
    _attach_optional(ports, settings)
    return ports


def _attach_optional(ports: Ports, settings: Settings) -> None:
    """SMS gateway and DNS resolver adapters (built lazily so import errors name the capability)."""
    from ticketdesk.ports.dns import DnsPort, make_resolver
    from ticketdesk.ports.sms import gateway_from_url

    ports.sms = gateway_from_url(settings.sms_gateway_url, log_path=settings.instance_path / "sms.log")
    ports.dns = DnsPort(
        make_resolver(list(settings.dns_servers) if settings.dns_servers else None, settings.dns_timeout)
    )


def current_ports() -> Ports:
    return current_app.extensions["ticketdesk.ports"]
