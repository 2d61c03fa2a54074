"""The public status page (blueprint ``status``, no login): current outages, planned maintenance and
their history at ``/status``, one announcement at ``/status/<id>``, and feeds customers can follow:
Atom at ``/status/feed`` and JSON Feed 1.1 at ``/status/feed.json``.

Only announcements marked public that were actually sent are shown; the texts are the messages as
sent, in the reader's language when the template has it (``?lang=`` or the browser's choice).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_login import current_user

from ticketdesk.admin.store import app_settings
from ticketdesk.announcements import queries, states
from ticketdesk.announcements.compose import zone
from ticketdesk.announcements.delivery import rendering
from ticketdesk.announcements.templates import format_time
from ticketdesk.extensions import db
from ticketdesk.ports.clock import utcnow

bp = Blueprint("status", __name__, url_prefix="/status")
LANGUAGES = ("en", "cs", "de", "pl", "fi", "nb")
FEED_SIZE = 50


def _cache_headers(language: str, max_age: int = 30) -> dict[str, str]:
    """Anonymous pages may be cached by proxies; a signed-in agent's page (with their menu) may not."""
    personal = getattr(current_user, "is_authenticated", False)
    return {
        "Cache-Control": "private, no-store" if personal else f"public, max-age={max_age}",
        "Vary": "Accept-Language, Cookie",
        "Content-Language": language,
    }


def reader_language() -> str:
    chosen = (request.args.get("lang") or "").lower()[:2]
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or app_settings().default_language[:2] or "en"


def _helpers(language: str) -> dict[str, Any]:
    tz = zone(db.session)

    def when(moment: datetime | None) -> str:
        return format_time(moment, language, tz) if moment else ""

    return {
        "when": when,
        "language": language,
        "languages": LANGUAGES,
        "label": lambda s: states.label(s, language),
    }


@bp.get("")
@bp.get("/")
def page() -> Any:
    language = reader_language()
    now = utcnow()
    board = queries.status_board(db.session, now=now, language=language)
    html = render_template("status/index.html", board=board, now=now, **_helpers(language))
    db.session.commit()
    return Response(html, headers=_cache_headers(language))


@bp.get("/<int:announcement_id>")
def detail(announcement_id: int) -> Any:
    language = reader_language()
    announcement = queries.public_announcement(db.session, announcement_id)
    item = queries.public_dict(db.session, announcement, language)
    html = render_template("status/detail.html", item=item, **_helpers(language))
    db.session.commit()
    return Response(html, headers=_cache_headers(language))


def _entry_url(announcement_id: int, update_id: int) -> str:
    return (
        f"{app_settings().public_url.rstrip('/')}{url_for('status.detail', announcement_id=announcement_id)}"
        f"#message-{update_id}"
    )


def _updated(items: list[tuple[Any, Any]]) -> datetime:
    return max((u.sent_at for _a, u in items if u.sent_at), default=datetime(2000, 1, 1, tzinfo=UTC))


@bp.get("/feed")
def atom() -> Any:
    language = reader_language()
    items = queries.feed_items(db.session, limit=FEED_SIZE)
    base = app_settings().public_url.rstrip("/")
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{language}">',
        f"<id>{escape(base)}/status</id>",
        "<title>Service status</title>",
        f'<link rel="alternate" type="text/html" href="{escape(base)}/status"/>',
        f'<link rel="self" type="application/atom+xml" href="{escape(base)}/status/feed"/>',
        f"<updated>{_updated(items).isoformat()}</updated>",
        "<author><name>Service status</name></author>",
    ]
    for announcement, update in items:
        text = rendering(update, language)
        url = _entry_url(announcement.id, update.id)
        label = states.label(update.status, language)
        sent = update.sent_at or update.created_at
        parts += [
            "<entry>",
            f"<id>{escape(base)}/status/{announcement.id}/messages/{update.id}</id>",
            f"<title>{escape(text['subject'])}</title>",
            f'<link rel="alternate" type="text/html" href="{escape(url)}"/>',
            f"<published>{sent.isoformat()}</published>",
            f"<updated>{sent.isoformat()}</updated>",
            f'<category term="{announcement.kind}"/>',
            f'<category term="{update.status}" label="{escape(label)}"/>',
            f'<content type="text">{escape(text["body"])}</content>',
            "</entry>",
        ]
    parts.append("</feed>")
    db.session.commit()
    return Response(
        "\n".join(parts) + "\n",
        mimetype="application/atom+xml",
        headers={"Cache-Control": "public, max-age=60"},
    )


@bp.get("/feed.json")
def json_feed() -> Any:
    language = reader_language()
    items = queries.feed_items(db.session, limit=FEED_SIZE)
    base = app_settings().public_url.rstrip("/")
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Service status",
        "home_page_url": f"{base}/status",
        "feed_url": f"{base}/status/feed.json",
        "language": language,
        "items": [
            {
                "id": f"{base}/status/{a.id}/messages/{u.id}",
                "url": _entry_url(a.id, u.id),
                "title": rendering(u, language)["subject"],
                "content_text": rendering(u, language)["body"],
                "date_published": (u.sent_at or u.created_at).isoformat(),
                "tags": [a.kind, u.status],
                "_ticketdesk": {
                    "announcement_id": a.id,
                    "kind": a.kind,
                    "status": u.status,
                    "closed": states.is_closed(a.kind, u.status),
                },
            }
            for a, u in items
        ],
    }
    db.session.commit()
    response = jsonify(feed)
    response.mimetype = "application/feed+json"
    return response
