"""Subject tags, signed plus addresses, reference ids and reply prefixes."""

from __future__ import annotations

import pytest

from ticketdesk.intake.parse import ParsedMail
from ticketdesk.intake.threading_keys import (
    find_ticket_number_in_subject,
    first_message_id,
    message_ids,
    parse_plus_address,
    plus_address,
    reference_ids,
    reference_list,
    strip_reply_prefixes,
    subject_tag,
)

SECRET = "s3cret-key"


def test_subject_tag_round_trip() -> None:
    assert subject_tag(1234) == "[TD#1234]"
    assert subject_tag(7, prefix="HP") == "[HP#7]"
    assert find_ticket_number_in_subject(f"Re: {subject_tag(1234)} Výpadek", "TD") == 1234


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("RE: [TD#1042] Výpadek", 1042),
        ("[td#77] lower case", 77),
        ("Fwd: [ TD # 0099 ] spaced", 99),
        ("[TD#12] first [TD#15] second", 12),
        ("TD#1042 without brackets", None),
        ("[TD#] empty", None),
        ("[XY#1042] other prefix", None),
        ("[TD#12345678901234] too long", None),
        ("", None),
    ],
)
def test_find_ticket_number_in_subject(subject: str, number: int | None) -> None:
    assert find_ticket_number_in_subject(subject, "TD") == number


def test_plus_address_round_trip_and_forgery() -> None:
    addr = plus_address("support", "hostingpro.example", 1234, SECRET)
    local, _, domain = addr.partition("@")
    assert domain == "hostingpro.example" and local.startswith("support+t1234.")
    mac = local.rsplit(".", 1)[1]
    assert len(mac) == 10 and mac.isalnum() and mac == mac.lower()
    assert parse_plus_address(addr, SECRET) == 1234
    assert parse_plus_address(f"Support <{addr}>", SECRET) == 1234
    assert parse_plus_address(addr.upper(), SECRET) == 1234  # an MTA that folds case
    assert parse_plus_address(addr, "other-secret") is None
    assert parse_plus_address(addr.replace("+t1234.", "+t1235."), SECRET) is None
    assert parse_plus_address(addr.replace(mac, "a" * 10), SECRET) is None
    assert parse_plus_address("support@hostingpro.example", SECRET) is None
    assert parse_plus_address("", SECRET) is None
    assert plus_address("support", "x", 5, b"bytes-key") == plus_address("support", "x", 5, "bytes-key")
    assert plus_address("a", "x", 5, SECRET) != plus_address("a", "x", 6, SECRET)


def test_message_ids_normalised() -> None:
    assert message_ids("<a@b> <c@d>") == ["<a@b>", "<c@d>"]
    assert message_ids("<a@b><c@d>") == ["<a@b>", "<c@d>"]
    assert message_ids(" <folded\r\n .id@x>") == ["<folded.id@x>"]
    assert message_ids("bare@id.example") == ["<bare@id.example>"]
    assert message_ids("no id here") == []
    assert message_ids("<>") == []
    assert first_message_id("junk <x@y> <z@w>") == "<x@y>"
    assert first_message_id(None) is None


def test_reference_list_dedupes_and_caps() -> None:
    assert reference_list(["<a@x> <b@x>", "<b@x> <c@x>"]) == ["<a@x>", "<b@x>", "<c@x>"]
    many = " ".join(f"<{i}@x>" for i in range(500))
    capped = reference_list([many])
    assert len(capped) == 200 and capped[0] == "<0@x>" and capped[-1] == "<499@x>"


def test_reference_ids_newest_first() -> None:
    parsed = ParsedMail(in_reply_to="<c@x>", references=["<a@x>", "<b@x>", "<c@x>"])
    assert reference_ids(parsed) == ["<c@x>", "<b@x>", "<a@x>"]
    assert reference_ids(ParsedMail(references=["<a@x>"])) == ["<a@x>"]
    assert reference_ids(ParsedMail()) == []


@pytest.mark.parametrize(
    ("subject", "stripped"),
    [
        ("Re: Výpadek", "Výpadek"),
        ("RE: AW: Odp: VS: SV: Fwd: WG: FW: Výpadek", "Výpadek"),
        ("RE[2]: Re(3): Re^4: x", "x"),
        ("Re : spaced colon", "spaced colon"),
        ("回复：中文", "中文"),
        ("[Fwd] [External] Re: x", "x"),
        ("Re: [TD#12] keep the tag", "[TD#12] keep the tag"),
        ("Reboot needed", "Reboot needed"),
        ("Aw shucks", "Aw shucks"),
        ("Odpověď na dotaz", "Odpověď na dotaz"),
        ("  Re:   many   spaces ", "many spaces"),
        ("", ""),
    ],
)
def test_strip_reply_prefixes(subject: str, stripped: str) -> None:
    assert strip_reply_prefixes(subject) == stripped
