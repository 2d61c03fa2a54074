"""The public status page and its feeds: no login, only public announcements that were sent, current
outages, planned maintenance and history, in the reader's language."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.announcements.helpers import World, maintenance_values, outage_values
from ticketdesk.announcements import service
from ticketdesk.extensions import db

ATOM = "{http://www.w3.org/2005/Atom}"


def populate(world: World) -> dict[str, Any]:
    now = datetime.now(UTC)
    outage = service.create_announcement(
        db.session,
        kind="outage",
        groups=[world.groups["sms"]],
        template=world.templates["outage_en"],
        values=outage_values(),
        now=now - timedelta(minutes=40),
    )
    service.add_update(db.session, outage, status="identified", now=now - timedelta(minutes=10))
    planned = service.create_announcement(
        db.session,
        kind="maintenance",
        groups=[world.groups["subs"]],
        template=world.templates["maintenance_en"],
        values=maintenance_values(now + timedelta(days=2), now + timedelta(days=2, hours=2)),
        now=now,
    )
    past = service.create_announcement(
        db.session,
        kind="maintenance",
        groups=[world.groups["all"]],
        template=world.templates["maintenance_en"],
        values={
            **maintenance_values(now - timedelta(days=3), now - timedelta(days=3) + timedelta(hours=1)),
            "services": "Core network",
        },
        now=now - timedelta(days=4),
    )
    service.add_update(db.session, past, status="completed", now=now - timedelta(days=3))
    private = service.create_announcement(
        db.session,
        kind="outage",
        groups=[world.groups["alfa"]],
        template=world.templates["outage_en"],
        values={**outage_values(), "services": "Alfa's private VPN"},
        now=now,
    )
    internal = service.create_announcement(
        db.session,
        kind="outage",
        groups=[world.groups["all"]],
        template=None,
        title="Not yet told: storage latency",
        internal=True,
        now=now,
    )
    db.session.commit()
    return {
        "outage": outage.id,
        "planned": planned.id,
        "past": past.id,
        "private": private.id,
        "internal": internal.id,
    }


def test_empty_status_page_is_all_clear(client: Any, app: Any) -> None:
    resp = client.get("/status")
    assert resp.status_code == 200
    assert "All services are running normally." in resp.get_data(as_text=True)


def test_status_page_sections(client: Any, world: World) -> None:
    ids = populate(world)
    html = client.get("/status").get_data(as_text=True)
    assert "We are dealing with an outage." in html
    outages = html.split('id="current-outages"')[1].split('id="maintenance"')[0]
    maintenance = html.split('id="maintenance"')[1].split('id="history"')[0]
    history = html.split('id="history"')[1]
    assert f'id="announcement-{ids["outage"]}"' in outages and "Cause identified" in outages
    assert outages.index("Status: Cause identified") < outages.index("Status: Investigating")  # newest first
    assert f'id="announcement-{ids["planned"]}"' in maintenance and "Subscriptions" in maintenance
    assert f'id="announcement-{ids["past"]}"' in history and "Core network" in history
    assert "Alfa&#39;s private VPN" not in html and "Alfa's private VPN" not in html
    assert "storage latency" not in html
    cs = client.get("/status?lang=cs").get_data(as_text=True)
    assert "Výpadek: SMS gateway (Příčina nalezena)" in cs
    assert (
        client.get("/status", headers={"Accept-Language": "cs,en;q=0.5"}).headers["Content-Language"] == "cs"
    )


def test_status_detail_and_privacy(client: Any, world: World) -> None:
    ids = populate(world)
    detail = client.get(f"/status/{ids['past']}").get_data(as_text=True)
    assert "Completed" in detail and "Scheduled" in detail
    assert client.get(f"/status/{ids['private']}").status_code == 404
    assert client.get(f"/status/{ids['internal']}").status_code == 404
    assert client.get("/status/999999").status_code == 404


def test_atom_and_json_feeds(client: Any, world: World) -> None:
    ids = populate(world)
    atom = client.get("/status/feed")
    assert atom.mimetype == "application/atom+xml"
    root = ET.fromstring(atom.get_data())
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 5  # 2 outage messages, 1 planned, 2 past; nothing private or internal
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles[0].startswith("Planned maintenance: Subscriptions")  # newest first
    assert all("VPN" not in (t or "") for t in titles)
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link.startswith(f"http://127.0.0.1:5000/status/{ids['planned']}#message-")
    feed = json.loads(client.get("/status/feed.json?lang=cs").get_data())
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and len(feed["items"]) == 5
    assert any(i["title"].startswith("Výpadek") for i in feed["items"])
    assert {tuple(i["tags"]) for i in feed["items"]} >= {
        ("outage", "identified"),
        ("maintenance", "completed"),
    }


def test_portal_partial_lists_what_concerns_the_organisation(app: Any, world: World) -> None:
    from flask import render_template

    from ticketdesk.announcements.queries import announcements_for_organization

    ids = populate(world)
    with app.test_request_context("/portal/"):
        html = render_template(
            "announcements/portal_list.html",
            announcements=announcements_for_organization(db.session, world.orgs["alfa"].id),
        )
        gamma = render_template(
            "announcements/portal_list.html",
            announcements=announcements_for_organization(db.session, world.orgs["gamma"].id),
        )
    # Alfa subscribes to the SMS gateway and has its own (private) outage; it is also in "everyone"
    for key in ("outage", "private", "past"):
        assert f'id="portal-announcement-{ids[key]}"' in html
    assert f'id="portal-announcement-{ids["planned"]}"' not in html  # subscriptions only
    assert "Výpadek: SMS gateway" in html  # in the organisation's language
    assert f'id="portal-announcement-{ids["internal"]}"' not in html
    assert f'id="portal-announcement-{ids["planned"]}"' in gamma and "Private" not in gamma
