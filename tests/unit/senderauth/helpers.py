"""Messages for the sender-authentication tests."""

from __future__ import annotations


def message(
    from_: str = "Alice Example <alice@example.com>",
    *,
    body: str = "Hello,\r\nour server is down since 10:00.\r\n",
    subject: str = "Server down",
    extra_headers: str = "",
) -> bytes:
    return (
        f"{extra_headers}From: {from_}\r\n"
        "To: support@desk.example.net\r\n"
        f"Subject: {subject}\r\n"
        "Date: Tue, 02 Jan 2024 10:00:00 +0000\r\n"
        "Message-ID: <abc123@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body}"
    ).encode()
