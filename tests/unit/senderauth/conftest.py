"""Sender-authentication tests run against a real DNS server on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.fixtures.dnsserver import LocalDNS, local_dns  # noqa: F401 - fixture re-export
from ticketdesk.ports.dns import DnsPort


@pytest.fixture
def port(local_dns: LocalDNS) -> DnsPort:  # noqa: F811
    return DnsPort.from_config(local_dns.servers, timeout=0.4)
