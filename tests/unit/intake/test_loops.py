"""Why we must not answer automatically, and what counts as machine-sent mail."""

from __future__ import annotations

from typing import Any

import pytest

from ticketdesk.intake.loops import (
    DsnInfo,
    DsnRecipient,
    auto_reply_reason,
    dsn_info,
    is_auto_generated,
    parse_fields,
)
from ticketdesk.intake.parse import ParsedMail

OWN = "td.hostingpro.example"
PERSON = {"from_addrs": [("Jan", "jan@firma.cz")], "subject": "Výpadek", "message_id": "<x@firma.cz>"}


def mail(**fields: Any) -> ParsedMail:
    return ParsedMail(**{**PERSON, **fields})


def test_a_person_may_be_answered() -> None:
    parsed = mail(return_path="jan@firma.cz", auto_submitted="no", precedence="normal")
    assert auto_reply_reason(parsed, envelope_from="jan@firma.cz", own_message_id_domain=OWN) is None
    assert is_auto_generated(parsed) is False


@pytest.mark.parametrize(
    ("fields", "envelope_from", "reason", "automatic"),
    [
        ({"is_dsn": True, "dsn": DsnInfo(None, None, [])}, None, "dsn", True),
        ({"report_type": "disposition-notification"}, None, "report", True),
        ({"auto_submitted": "auto-replied"}, None, "auto_submitted", True),
        ({"auto_submitted": "auto-generated; owner-email=x@y"}, None, "auto_submitted", True),
        ({"auto_submitted": "No"}, None, None, False),
        ({}, "", "null_sender", False),
        ({}, "<>", "null_sender", False),
        ({"return_path": ""}, None, "null_sender", True),
        ({"return_path": ""}, "jan@firma.cz", None, True),  # the envelope wins over the header
        ({"message_id": "<td.1.2.x@td.hostingpro.example>"}, None, "own_message_id", False),
        ({"message_id": "<a@mx.td.hostingpro.example>"}, None, "own_message_id", False),
        ({"message_id": "<a@nottd.hostingpro.example>"}, None, None, False),
        ({"x_auto_response_suppress": "All"}, None, "auto_response_suppressed", False),
        ({"x_auto_response_suppress": "DR, OOF"}, None, "auto_response_suppressed", False),
        ({"x_auto_response_suppress": "AutoReply"}, None, "auto_response_suppressed", False),
        ({"x_auto_response_suppress": "DR, RN, NRN"}, None, None, False),
        ({"precedence": "bulk"}, None, "precedence", True),
        ({"precedence": "Junk"}, None, "precedence", True),
        ({"precedence": "list"}, None, "precedence", False),
        ({"list_id": "<users.lists.example.org>"}, None, "mailing_list", False),
        ({"loop_headers": {"list-unsubscribe": "<https://x>"}}, None, "mailing_list", False),
        ({"loop_headers": {"x-autoreply": "yes"}}, None, "auto_responder_header", True),
        ({"loop_headers": {"x-autorespond": "x"}}, None, "auto_responder_header", True),
        ({"loop_headers": {"x-ms-exchange-generated-message-source": "Mailbox Rules Agent"}}, None,
         "auto_responder_header", True),
        ({"loop_headers": {"x-loop": "someone@example.com"}}, None, None, False),
        ({"from_addrs": []}, None, "no_sender", False),
        ({"from_addrs": [("", "MAILER-DAEMON@mx.example")]}, None, "robot_sender", True),
        ({"from_addrs": [("", "postmaster@example.org")]}, None, "robot_sender", True),
        ({"from_addrs": [("", "no-reply@shop.example")]}, None, "noreply_sender", False),
        ({"from_addrs": [("", "noreply+abc@shop.example")]}, None, "noreply_sender", False),
        ({"from_addrs": [("", "donotreply@shop.example")]}, None, "noreply_sender", False),
        ({"subject": "Out of Office: Výpadek"}, None, "auto_reply_subject", True),
        ({"subject": "Out of office hours support"}, None, None, False),
        ({"subject": "Automatic reply: [TD#1] x"}, None, "auto_reply_subject", True),
        ({"subject": "Automatische Antwort: x"}, None, "auto_reply_subject", True),
        ({"subject": "Abwesenheitsnotiz: x"}, None, "auto_reply_subject", True),
        ({"subject": "Automatická odpověď: x"}, None, "auto_reply_subject", True),
        ({"subject": "Automaattinen vastaus: x"}, None, "auto_reply_subject", True),
        ({"subject": "Automatyczna odpowiedź: x"}, None, "auto_reply_subject", True),
        ({"subject": "Autosvar: x"}, None, "auto_reply_subject", True),
        ({"subject": "Fraværsmelding"}, None, "auto_reply_subject", True),
        ({"subject": "Undeliverable: x"}, None, "auto_reply_subject", True),
        ({"subject": "Re: automatic reply settings do not work"}, None, None, False),
    ],
)  # fmt: skip
def test_auto_reply_reason(
    fields: dict[str, Any], envelope_from: str | None, reason: str | None, automatic: bool
) -> None:
    parsed = mail(**fields)
    assert auto_reply_reason(parsed, envelope_from=envelope_from, own_message_id_domain=OWN) == reason
    assert is_auto_generated(parsed) is automatic


def test_parse_fields_and_dsn_info() -> None:
    blocks = [
        parse_fields("Reporting-MTA: dns; mx.example\nArrival-Date: today"),
        parse_fields(
            "Final-Recipient: rfc822; a@x.example\nAction: Failed\nStatus: 5.1.1 (bad)\n"
            "Diagnostic-Code: smtp; 550 5.1.1 user\n unknown\nRemote-MTA: dns; mx.x.example"
        ),
        parse_fields("Original-Recipient: rfc822;b@y.example\nAction: delayed\nStatus: 4.4.7"),
        parse_fields("Action: failed"),
    ]
    info = dsn_info(blocks, "<orig@x>")
    assert info.original_message_id == "<orig@x>" and info.reporting_mta == "mx.example"
    assert info.recipients == [
        DsnRecipient("a@x.example", "failed", "5.1.1", "smtp; 550 5.1.1 user unknown", None, "mx.x.example"),
        DsnRecipient("b@y.example", "delayed", "4.4.7", None, "b@y.example", None),
    ]
    assert [r.recipient for r in info.failed] == ["a@x.example"]
