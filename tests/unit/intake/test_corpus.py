"""Table-driven test over tests/data/mail: every .eml file against its entry in expected.json."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ticketdesk.intake.loops import auto_reply_reason, is_auto_generated
from ticketdesk.intake.parse import ParsedMail, parse_message
from ticketdesk.intake.quotes import split_quoted
from ticketdesk.intake.threading_keys import (
    find_ticket_number_in_subject,
    parse_plus_address,
    reference_ids,
    strip_reply_prefixes,
)

CORPUS = Path(__file__).resolve().parents[2] / "data" / "mail"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
OWN_DOMAIN = "td.hostingpro.example"
PLUS_SECRET = "corpus-secret"


def test_corpus_is_complete() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.eml"))
    assert len(files) >= 65
    assert files == sorted(EXPECTED), "every .eml needs an expected.json entry and vice versa"


def _addrs(pairs: list[tuple[str, str]]) -> list[str]:
    return [addr for _, addr in pairs]


def _check_text(parsed: ParsedMail, exp: dict[str, Any]) -> None:
    for snippet in exp.pop("text_contains", []):
        assert snippet in parsed.text
    for snippet in exp.pop("text_not_contains", []):
        assert snippet not in parsed.text
    if exp.pop("text_empty", False):
        assert parsed.text == ""
    if "html" in exp:
        assert (parsed.html is not None) is exp.pop("html")
    for snippet in exp.pop("html_contains", []):
        assert parsed.html is not None and snippet in parsed.html
    for snippet in exp.pop("html_not_contains", []):
        assert parsed.html is None or snippet.lower() not in parsed.html.lower()
    if any(k in exp for k in ("new_contains", "new_not_contains", "quoted_contains")):
        new, quoted = split_quoted(parsed.text, parsed.language)
        for snippet in exp.pop("new_contains", []):
            assert snippet in new
        for snippet in exp.pop("new_not_contains", []):
            assert snippet not in new
        for snippet in exp.pop("quoted_contains", []):
            assert snippet in quoted


def _check_attachments(parsed: ParsedMail, exp: dict[str, Any]) -> None:
    atts = parsed.attachments
    if "attachments" in exp:
        assert [a.filename for a in atts] == exp.pop("attachments")
    if "attachment_types" in exp:
        assert [a.content_type for a in atts] == exp.pop("attachment_types")
    if "inline" in exp:
        assert [a.inline for a in atts] == exp.pop("inline")
    if "content_ids" in exp:
        assert [a.content_id for a in atts] == exp.pop("content_ids")
    for snippet in exp.pop("eml_attachment_contains", []):
        assert any(snippet.encode() in a.data for a in atts if a.filename.endswith(".eml"))
    for snippet in exp.pop("attachment_data_contains", []):
        assert any(snippet.encode() in a.data for a in atts)
    for a in atts:
        assert a.size == len(a.data) and not a.too_large
        assert "/" not in a.filename and "\\" not in a.filename and len(a.filename) <= 150


def _check_dsn(parsed: ParsedMail, exp: dict[str, Any]) -> None:
    if "is_dsn" in exp:
        assert parsed.is_dsn is exp.pop("is_dsn")
    if "report_type" in exp:
        assert parsed.report_type == exp.pop("report_type")
    if "dsn_original" in exp:
        assert parsed.dsn is not None and parsed.dsn.original_message_id == exp.pop("dsn_original")
    if "dsn_recipients" in exp:
        assert parsed.dsn is not None
        got = [[r.recipient, r.action, r.status] for r in parsed.dsn.recipients]
        assert got == exp.pop("dsn_recipients")
    if "dsn_reporting_mta" in exp:
        assert parsed.dsn is not None and parsed.dsn.reporting_mta == exp.pop("dsn_reporting_mta")


def _check_headers(parsed: ParsedMail, exp: dict[str, Any]) -> None:
    simple = (
        "subject",
        "message_id",
        "in_reply_to",
        "references",
        "return_path",
        "list_id",
        "language",
        "delivered_to",
    )
    for key in simple:
        if key in exp:
            assert getattr(parsed, key) == exp.pop(key), key
    if "from" in exp:
        assert _addrs(parsed.from_addrs) == exp.pop("from")
    if "from_names" in exp:
        assert [name for name, _ in parsed.from_addrs] == exp.pop("from_names")
    for key in ("to", "cc", "reply_to"):
        if key in exp:
            assert _addrs(getattr(parsed, key)) == exp.pop(key), key
    if "cc_names" in exp:
        assert [name for name, _ in parsed.cc] == exp.pop("cc_names")
    if "sender" in exp:
        assert parsed.sender is not None and parsed.sender[1] == exp.pop("sender")
    if "date" in exp:
        want = exp.pop("date")
        assert parsed.date == (datetime.fromisoformat(want) if want else None)
        assert parsed.date is None or parsed.date.utcoffset() is not None
    if "to_count" in exp:
        assert len(parsed.to) == exp.pop("to_count")
    if "references_count" in exp:
        assert len(parsed.references) == exp.pop("references_count")
    if "subject_prefix" in exp:
        assert parsed.subject.startswith(exp.pop("subject_prefix"))
    if "defects" in exp:
        assert bool(parsed.defects) is exp.pop("defects")


def _check_threading(parsed: ParsedMail, exp: dict[str, Any]) -> None:
    if "ticket" in exp:
        assert find_ticket_number_in_subject(parsed.subject, "TD") == exp.pop("ticket")
    if "stripped_subject" in exp:
        assert strip_reply_prefixes(parsed.subject) == exp.pop("stripped_subject")
    if "reference_ids" in exp:
        assert reference_ids(parsed) == exp.pop("reference_ids")
    if "plus_ticket" in exp:
        numbers = [parse_plus_address(addr, PLUS_SECRET) for _, addr in parsed.to]
        assert exp.pop("plus_ticket") in numbers
        assert all(parse_plus_address(addr, "another-secret") is None for _, addr in parsed.to)
    if "auto_reply" in exp:
        reason = auto_reply_reason(parsed, envelope_from=None, own_message_id_domain=OWN_DOMAIN)
        assert reason == exp.pop("auto_reply")
    if "auto_generated" in exp:
        assert is_auto_generated(parsed) is exp.pop("auto_generated")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message(name: str) -> None:
    raw = (CORPUS / name).read_bytes()
    parsed = parse_message(raw)
    exp = dict(EXPECTED[name])
    _check_headers(parsed, exp)
    _check_text(parsed, exp)
    _check_attachments(parsed, exp)
    _check_dsn(parsed, exp)
    _check_threading(parsed, exp)
    assert not exp, f"unknown expectation keys: {sorted(exp)}"
    for value in (parsed.text, parsed.subject, parsed.html or ""):
        assert "\x00" not in value
        value.encode("utf-8")  # no lone surrogates
