from __future__ import annotations

import pytest

from ticketdesk.ports.sms import sign_webhook, twilio_signature, verify_twilio_signature, verify_webhook

# Twilio's published example (docs: "Webhooks security")
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
TWILIO_EXPECTED = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilio_published_example() -> None:
    assert twilio_signature(TWILIO_URL, TWILIO_PARAMS, "12345") == TWILIO_EXPECTED
    assert verify_twilio_signature(TWILIO_URL, TWILIO_PARAMS, TWILIO_EXPECTED, "12345")
    # order of the form fields does not matter, pairs work like a mapping
    assert verify_twilio_signature(
        TWILIO_URL, list(reversed(TWILIO_PARAMS.items())), TWILIO_EXPECTED, "12345"
    )


def test_twilio_url_with_or_without_default_port() -> None:
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    assert verify_twilio_signature(with_port, TWILIO_PARAMS, TWILIO_EXPECTED, "12345")
    signed_with_port = twilio_signature(with_port, TWILIO_PARAMS, "12345")
    assert verify_twilio_signature(TWILIO_URL, TWILIO_PARAMS, signed_with_port, "12345")


@pytest.mark.parametrize(
    ("url", "params", "signature", "token"),
    [
        (TWILIO_URL, {**TWILIO_PARAMS, "Digits": "9999"}, TWILIO_EXPECTED, "12345"),
        (TWILIO_URL.replace("foo=1", "foo=2"), TWILIO_PARAMS, TWILIO_EXPECTED, "12345"),
        (TWILIO_URL, TWILIO_PARAMS, TWILIO_EXPECTED, "54321"),
        (TWILIO_URL, TWILIO_PARAMS, None, "12345"),
        (TWILIO_URL, TWILIO_PARAMS, TWILIO_EXPECTED, ""),
    ],
)
def test_twilio_rejects_tampering(
    url: str, params: dict[str, str], signature: str | None, token: str
) -> None:
    assert not verify_twilio_signature(url, params, signature, token)


def test_twilio_repeated_fields_are_sorted() -> None:
    sig = twilio_signature("https://x.test/cb", [("b", "2"), ("a", "y"), ("a", "x")], "tok")
    assert sig == twilio_signature("https://x.test/cb", {"a": ["x", "y"], "b": "2"}, "tok")


def test_webhook_signature_known_vector() -> None:
    # RFC 4231 test case 2 (HMAC-SHA256, key "Jefe")
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert sign_webhook(b"what do ya want for nothing?", "Jefe") == expected


def test_webhook_verify() -> None:
    body = b'{"id": "gw-1", "status": "delivered", "at": "2024-05-01T10:00:00+00:00"}'
    sig = sign_webhook(body, "s3cret")
    assert verify_webhook(body, sig, "s3cret")
    assert verify_webhook(body, sig.upper(), b"s3cret")
    assert verify_webhook(body, f"sha256={sig}", "s3cret")
    assert not verify_webhook(body + b" ", sig, "s3cret")
    assert not verify_webhook(body, sig, "other")
    assert not verify_webhook(body, "", "s3cret")
    assert not verify_webhook(body, None, "s3cret")
    assert not verify_webhook(body, sig, "")  # no secret configured: nothing is trusted
    with pytest.raises(ValueError, match="empty"):
        sign_webhook(body, "")
