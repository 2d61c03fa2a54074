"""Sender-authentication end-to-end tests: local DNS server, DKIM keys made here, the SMTP intake."""

from tests.fixtures.dnsserver import local_dns  # noqa: F401 - fixture re-export
from tests.integration.senderauth.support import intake, jana, zone  # noqa: F401 - fixture re-export
