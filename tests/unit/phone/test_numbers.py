from __future__ import annotations

import inspect

import pytest

from ticketdesk.phone.numbers import format_display, is_mobile, normalize, normalize_or_raise, region_of

# region -> (E.164, the forms people and PBXs write it in)
FORMS: dict[str, tuple[str, list[str]]] = {
    "CZ": (
        "+420777123456",
        [
            "+420 777 123 456",
            "+420777123456",
            "00420 777 123 456",
            "00420777123456",
            "777 123 456",
            "777-123-456",
            "777123456",
            "(+420) 777 123 456",
            "+420 (0) 777 123 456",
            "420777123456",
            "tel:+420-777-123-456",
            "tel:777123456;phone-context=+420",
            "sip:+420777123456@pbx.example.cz;user=phone",
            " +420\u00a0777\u00a0123\u00a0456 ",
        ],
    ),
    "FI": (
        "+358401234567",
        [
            "040 123 4567",
            "040-1234567",
            "0401234567",
            "+358 40 123 4567",
            "+358 (0)40 123 4567",
            "00358 40 1234567",
        ],
    ),
    "DE": (
        "+491711234567",
        [
            "0171 1234567",
            "0171/1234567",
            "(0171) 123 45 67",
            "0171-123 45 67",
            "+49 171 1234567",
            "+49 (0)171 1234567",
            "0049 171 1234567",
            "+49.171.1234567",
        ],
    ),
    "PL": (
        "+48600123456",
        ["600 123 456", "600-123-456", "+48 600 123 456", "0048 600 123 456", "(+48) 600123456"],
    ),
    "NO": ("+4741234567", ["412 34 567", "41 23 45 67", "41234567", "+47 412 34 567", "0047 41234567"]),
}
CASES = [(region, form, e164) for region, (e164, forms) in FORMS.items() for form in forms]


@pytest.mark.parametrize(("region", "raw", "e164"), CASES)
def test_forms_normalise_to_the_same_e164(region: str, raw: str, e164: str) -> None:
    assert normalize(raw, region) == e164
    assert normalize_or_raise(raw, region.lower()) == e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("00420 777 123 456", "+420777123456"),
        ("+358 (0)40 123 4567", "+358401234567"),
        ("+49 (0)171 1234567", "+491711234567"),
        ("(+48) 600123456", "+48600123456"),
        ("0047 41234567", "+4741234567"),
    ],
)
def test_international_forms_work_from_any_region(raw: str, e164: str) -> None:
    for region in ("CZ", "FI", "DE", "PL", "NO", "US", None):
        assert normalize(raw, region) == e164


def test_national_forms_need_the_region_given() -> None:
    default = inspect.signature(normalize).parameters["default_region"].default
    assert default is inspect.Parameter.empty  # no hard-coded default region
    assert normalize("777 123 456", None) is None
    assert normalize("412 34 567", "") is None
    # the same digits mean different numbers in different regions
    assert normalize("0401234567", "FI") == "+358401234567"
    assert normalize("0401234567", "DE") == "+49401234567"  # Hamburg
    assert normalize("777 123 456", "FI") is None
    assert normalize("412 34 567", "NO") == "+4741234567"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        None,
        "anonymous",
        "unknown",
        "Private Number",
        "12",
        "+420 777 123 45",  # a digit short
        "+420 777 123 4567",  # a digit too many
        "+999 123 456 789",  # no such country code
        "1-800-FLOWERS",  # vanity letters are not accepted
        "777 123 456 or 777 654 321",
        "tel:",
    ],
)
def test_invalid_numbers(raw: str | None) -> None:
    assert normalize(raw, "CZ") is None
    with pytest.raises(ValueError, match="not a valid phone number"):
        normalize_or_raise(raw, "CZ")


def test_error_message_names_the_region() -> None:
    with pytest.raises(ValueError, match="region FI"):
        normalize_or_raise("123", "fi")
    with pytest.raises(ValueError, match=r"\+420 777 123 456") as info:
        normalize_or_raise("123", None)
    assert "region" not in str(info.value)


def test_unknown_region_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="unknown phone region"):
        normalize("+420777123456", "XX")
    assert normalize("020 7946 0018", "UK") == "+442079460018"


def test_extension_is_dropped() -> None:
    assert normalize("+420 222 333 444 ext. 12", "CZ") == "+420222333444"
    assert normalize("+420 222 333 444 x12", "CZ") == "+420222333444"
    assert normalize("tel:+420222333444;ext=12", None) == "+420222333444"


def test_bare_international_digits_from_a_pbx() -> None:
    assert normalize("4915791234567", "DE", bare_international=True) == "+4915791234567"
    assert normalize("4741234567", "NO", bare_international=True) == "+4741234567"
    # national numbers still work
    assert normalize("0171 1234567", "DE", bare_international=True) == "+491711234567"
    assert normalize("41234567", "NO", bare_international=True) == "+4741234567"


def test_international_prefix_00_outside_europe() -> None:
    assert normalize("00420777123456", "US") == "+420777123456"
    assert normalize("011 420 777 123 456", "US") == "+420777123456"


@pytest.mark.parametrize(
    ("e164", "region", "mobile"),
    [
        ("+420777123456", "CZ", True),
        ("+420222333444", "CZ", False),
        ("+358401234567", "FI", True),
        ("+491711234567", "DE", True),
        ("+4930123456", "DE", False),
        ("+48600123456", "PL", True),
        ("+4741234567", "NO", True),
        ("+4722123456", "NO", False),
    ],
)
def test_region_and_mobile(e164: str, region: str, mobile: bool) -> None:
    assert region_of(e164) == region
    assert is_mobile(e164) is mobile


def test_region_of_invalid() -> None:
    assert region_of("+999123") is None
    assert region_of("not a number") is None
    assert not is_mobile("garbage")


def test_format_display() -> None:
    assert format_display("+420777123456") == "+420 777 123 456"
    assert format_display("+358401234567") == "+358 40 1234567"
    assert format_display("+491711234567", "DE") == "0171 1234567"
    assert format_display("+491711234567", "CZ") == "+49 171 1234567"
    assert format_display("+4741234567", "no") == "41 23 45 67"
    assert format_display("garbage") == "garbage"
