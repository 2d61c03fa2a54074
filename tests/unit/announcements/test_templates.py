"""The placeholder engine: nothing is ready while a placeholder is unfilled or a marker is left."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketdesk.announcements.templates import (
    Placeholder,
    TemplateError,
    Texts,
    declarations_for,
    fill,
    format_time,
    parse_declarations,
    used_names,
)

TEXTS = Texts(
    subject="Planned maintenance of {{services}}: {{start}}",
    body="Dear customer,\n\nwe will work on {{services}} from {{start}} to {{expected_end}}.\n{{what_to_do}}\n",
    sms_text="Maintenance {{services}} {{start}}",
)
DECLARED = parse_declarations(
    [
        {"name": "what_to_do", "label": "What customers should do", "kind": "multiline"},
        {"name": "impact", "required": False},
    ]
)


def test_every_unfilled_placeholder_is_named_once() -> None:
    result = fill(TEXTS, DECLARED, {"services": "SMS gateway"})
    assert not result.ready
    assert result.missing == ["what_to_do", "expected_end", "start"]  # declared first, then by name
    assert result.leftovers == []  # unfilled placeholders are reported as missing, not again as markers
    assert "{{start}}" in result.texts.subject  # the preview shows where the gap is


def test_filled_texts_are_ready_and_times_are_localised() -> None:
    values = {
        "services": "SMS gateway",
        "start": "2026-05-04T20:00:00Z",
        "expected_end": "2026-05-04T22:00:00+00:00",
        "what_to_do": "Nothing; messages will be queued.",
    }
    en = fill(TEXTS, DECLARED, values, language="en", timezone="Europe/Prague")
    assert en.ready, (en.missing, en.invalid, en.leftovers)
    assert en.texts.subject == "Planned maintenance of SMS gateway: 2026-05-04 22:00 CEST (20:00 UTC)"
    cs = fill(TEXTS, DECLARED, values, language="cs", timezone="Europe/Prague")
    assert "4. 5. 2026 22:00 CEST" in cs.texts.body
    assert "{{" not in en.texts.body and "impact" not in en.texts.body


def test_optional_placeholder_may_stay_empty_but_a_blank_required_one_may_not() -> None:
    texts = Texts("Outage {{service}}", "{{impact}}Details: {{details}}")
    declared = parse_declarations([{"name": "impact", "required": False}, "details"])
    result = fill(texts, declared, {"service": "DNS", "details": "   "})
    assert result.missing == ["details"]
    assert fill(texts, declared, {"service": "DNS", "details": "x"}).ready


def test_seed_markers_and_markers_inside_values_block_sending() -> None:
    texts = Texts("Outage of &^", "Start: {{start}}\nAffected: &^ operators\n")
    result = fill(texts, [], {"start": "2026-05-04T20:00:00Z"})
    assert not result.ready
    assert [(item.field, item.marker) for item in result.leftovers] == [("subject", "&^"), ("body", "&^")]
    sneaky = fill(Texts("{{a}}", "body"), [], {"a": "see {{b}}"})
    assert not sneaky.ready and sneaky.leftovers[0].marker == "{{"


def test_invalid_time_is_reported() -> None:
    result = fill(Texts("{{start}}", "b"), [], {"start": "tomorrow evening"})
    assert result.invalid == ["start"] and not result.ready
    naive = fill(Texts("{{start}}", "b"), [], {"start": "2026-05-04 20:00"})
    assert naive.invalid == ["start"]


def test_per_language_values() -> None:
    texts = Texts("{{what}}", "b")
    values = {"what": {"en": "Restart your router", "cs": "Restartujte router"}}
    assert fill(texts, [], values, language="cs").texts.subject == "Restartujte router"
    assert fill(texts, [], values, language="de").texts.subject == "Restart your router"
    assert fill(texts, [], {"what": {"cs": "jen česky"}}, language="de").missing == ["what"]


def test_declarations() -> None:
    assert used_names("{{ a }} {{b}} {{a}}") == ["a", "b"]
    full = declarations_for(Texts("{{x}} {{title}}", "{{y}}"), [Placeholder("y", "Why")])
    assert [p.name for p in full] == ["y", "x"]  # automatic names (title) need no declaration
    with pytest.raises(TemplateError):
        parse_declarations(["ok", "ok"])
    with pytest.raises(TemplateError):
        parse_declarations([{"name": "bad name"}])
    with pytest.raises(TemplateError):
        parse_declarations([{"name": "x", "kind": "number"}])


def test_format_time_in_utc_has_no_duplicate() -> None:
    moment = datetime(2026, 1, 10, 8, 5, tzinfo=UTC)
    assert format_time(moment, "en", "UTC") == "2026-01-10 08:05 UTC"
    assert format_time(moment, "fi", "Europe/Helsinki") == "10.01.2026 klo 10.05 EET (08:05 UTC)"
    assert format_time(moment, "en", "No/Such_Zone") == "2026-01-10 08:05 UTC"


@given(
    st.dictionaries(
        st.sampled_from(["services", "start", "expected_end", "what_to_do"]), st.text(max_size=30), max_size=4
    )
)
def test_never_ready_with_a_marker_left(values: dict[str, str]) -> None:
    result = fill(TEXTS, DECLARED, values)
    rendered = " ".join(t for _f, t in result.texts.items())
    if result.ready:
        assert "{{" not in rendered and "&^" not in rendered and "}}" not in rendered
