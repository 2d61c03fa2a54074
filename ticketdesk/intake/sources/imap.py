"""Fetch mail from an IMAP mailbox (IMAPClient). A message is flagged or moved only after it is
stored; nothing is ever deleted here."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from flask import Flask
from imapclient import IMAPClient

from ticketdesk.intake.service import receive
from ticketdesk.intake.store import Envelope, StoreFailed

log = logging.getLogger(__name__)
STORED_FLAG = b"$TicketdeskStored"


@dataclass(frozen=True)
class PollResult:
    fetched: int
    stored: int
    failed: int


def _connect(url: str) -> tuple[IMAPClient, str]:
    parts = urlsplit(url)
    client = IMAPClient(
        parts.hostname or "127.0.0.1",
        port=parts.port or (993 if parts.scheme == "imaps" else 143),
        ssl=parts.scheme == "imaps",
        timeout=30,
    )
    client.login(unquote(parts.username or ""), unquote(parts.password or ""))
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return client, folder


def poll_once(app: Flask, url: str, *, done_folder: str | None = None, batch: int = 200) -> PollResult:
    client, folder = _connect(url)
    stored = failed = 0
    try:
        client.select_folder(folder)
        uids = client.search(["NOT", "KEYWORD", STORED_FLAG.decode()])[:batch]
        for uid, data in client.fetch(uids, [b"RFC822"]).items():
            raw = data.get(b"RFC822") or b""
            try:
                receive(app, raw, Envelope(source="imap"))
            except StoreFailed as err:
                failed += 1
                log.error("IMAP message %s not stored (%s); it stays in the mailbox", uid, err)
                continue
            stored += 1
            client.add_flags([uid], [STORED_FLAG, b"\\Seen"])
            if done_folder:
                client.move([uid], done_folder)
        return PollResult(len(uids), stored, failed)
    finally:
        try:
            client.logout()
        except Exception:  # the connection may already be gone; the mail is safe either way
            log.debug("IMAP logout failed", exc_info=True)
