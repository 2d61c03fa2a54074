"""The priority rules editor: admins only, CSRF on every change, edits stored in the database change the
next ticket's priority, preview before saving, restore and reset to the shipped rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.workspace.helpers import csrf_from, login, post_form
from ticketdesk.admin.store import get_value
from ticketdesk.extensions import db

PAGE = "/admin/priority/"
OUTAGE = {"subject": "Server", "text": "Máme výpadek."}


@pytest.fixture
def admin_client(client: Any, admin: Any) -> Any:
    from ticketdesk.extensions import limiter

    limiter.reset()
    login(client, admin.email)
    return client


def _rules() -> list[dict[str, Any]] | None:
    from ticketdesk.admin.store import clear_cache

    clear_cache()
    db.session.expire_all()
    return get_value(db.session, "priority.rules")


def _rule(rule_id: str) -> dict[str, Any]:
    from ticketdesk.priority import default_rule_dicts

    return next(r for r in (_rules() or default_rule_dicts()) if r["id"] == rule_id)


def _outage_rule() -> str:
    """The id of the shipped Czech signal rule that makes an outage urgent."""
    from ticketdesk.priority import classify

    decision = classify(OUTAGE["subject"], OUTAGE["text"])
    assert decision.priority == "urgent"
    return next(r.rule_id for r in decision.reasons if r.effect == "raise" and r.rule_id.startswith("cs."))


def test_only_admins(app: Any, client: Any, agent: Any) -> None:
    assert client.get(PAGE).status_code == 302  # to the login page
    from ticketdesk.extensions import limiter

    limiter.reset()
    login(client, agent.email)
    assert client.get(PAGE).status_code == 403
    assert (
        client.post(
            "/admin/priority/reset",
            data={"csrf_token": csrf_from(client.get("/profile").get_data(as_text=True))},
        ).status_code
        == 403
    )
    assert client.get("/admin/priority/rules/new").status_code == 403


def test_changes_need_the_csrf_token(admin_client: Any) -> None:
    rule_id = _outage_rule()
    assert admin_client.post(f"/admin/priority/rules/{rule_id}/toggle").status_code == 400
    assert (
        admin_client.post("/admin/priority/rules/new", data={"id": "x.y", "terms": "boom"}).status_code == 400
    )
    assert _rules() is None


def test_listing_filter_and_explain(admin_client: Any) -> None:
    page = admin_client.get(PAGE + "?language=cs&kind=signal").get_data(as_text=True)
    rule_id = _outage_rule()
    assert rule_id in page and "en.outage" not in page and "The shipped rules are in force" in page
    resp = post_form(
        admin_client,
        PAGE,
        "/admin/priority/explain",
        {"sample_subject": OUTAGE["subject"], "sample_body": OUTAGE["text"]},
    )
    text = resp.get_data(as_text=True)
    assert (
        resp.status_code == 200 and rule_id in text and "prio-urgent" in text and "Priority: urgent" in text
    )


def test_disabling_a_rule_changes_the_next_ticket(admin_client: Any, admin: Any, make_ticket: Any) -> None:
    assert make_ticket(**OUTAGE).priority == "urgent"
    rule_id = _outage_rule()
    resp = post_form(admin_client, PAGE, f"/admin/priority/rules/{rule_id}/toggle", {"language": "cs"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("?language=cs")
    assert _rule(rule_id)["enabled"] is False and len(_rules() or []) > 100
    assert make_ticket(**OUTAGE).priority != "urgent"
    page = admin_client.get(PAGE).get_data(as_text=True)
    assert "Edited rules are in force" in page and admin.email in page
    assert post_form(admin_client, PAGE, "/admin/priority/reset").status_code == 303
    assert _rules() is None
    assert make_ticket(**OUTAGE).priority == "urgent"


def test_adding_a_rule_with_preview_first(admin_client: Any, make_ticket: Any) -> None:
    sample = {"subject": "Zombie apocalypse", "text": "The zombies ate our rack."}
    assert make_ticket(**sample).priority == "normal"
    rule = {
        "id": "en.zombies",
        "language": "en",
        "kind": "signal",
        "level": "urgent",
        "terms": "zombie*",
        "phrases": "ate our rack",
        "gap": "2",
        "suppressible_by": ["negation", "resolved"],
        "enabled": "1",
        "description": "walking dead in the data centre",
    }
    preview = post_form(
        admin_client,
        "/admin/priority/rules/new",
        "/admin/priority/rules/new",
        {**rule, "action": "preview", "sample_subject": sample["subject"], "sample_body": sample["text"]},
    )
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "With this change" in text and "en.zombies" in text
    assert _rules() is None, "a preview stores nothing"
    saved = post_form(
        admin_client, "/admin/priority/rules/new", "/admin/priority/rules/new", {**rule, "action": "save"}
    )
    assert saved.status_code == 303
    assert _rule("en.zombies")["terms"] == ["zombie*"] and _rule("en.zombies")["suppressible_by"] == [
        "negation",
        "resolved",
    ]
    ticket = make_ticket(**sample)
    assert ticket.priority == "urgent" and ticket.priority_reasons[0]["rule_id"] == "en.zombies"
    assert make_ticket(subject="Zombies", text="There are no zombies in the rack.").priority == "normal"
    # an id that exists is refused; so is a rule without words
    again = post_form(
        admin_client, "/admin/priority/rules/new", "/admin/priority/rules/new", {**rule, "action": "save"}
    )
    assert again.status_code == 422 and "exists already" in again.get_data(as_text=True)
    empty = post_form(
        admin_client,
        "/admin/priority/rules/new",
        "/admin/priority/rules/new",
        {**rule, "id": "en.empty", "terms": "", "phrases": "", "action": "save"},
    )
    assert empty.status_code == 422 and "no terms and no phrases" in empty.get_data(as_text=True)
    assert all(r["id"] != "en.empty" for r in _rules() or [])
    # delete the added rule
    assert post_form(admin_client, PAGE, "/admin/priority/rules/en.zombies/delete").status_code == 303
    assert all(r["id"] != "en.zombies" for r in _rules() or [])


def test_editing_and_restoring_a_shipped_rule(admin_client: Any, make_ticket: Any) -> None:
    rule_id = _outage_rule()
    shipped = _rule(rule_id)
    edit = f"/admin/priority/rules/{rule_id}"
    page = admin_client.get(edit).get_data(as_text=True)
    assert shipped["terms"][0] in page
    form = {
        "language": shipped["language"],
        "kind": "signal",
        "level": "high",
        "enabled": "1",
        "terms": "\n".join(shipped["terms"]),
        "phrases": "\n".join(shipped.get("phrases", [])),
        "suppressible_by": shipped.get("suppressible_by", []),
        "gap": str(shipped.get("gap", 2)),
        "action": "save",
    }
    assert post_form(admin_client, edit, edit, form).status_code == 303
    assert _rule(rule_id)["level"] == "high"
    assert make_ticket(**OUTAGE).priority in ("high", "urgent")
    listing = admin_client.get(PAGE + "?language=cs").get_data(as_text=True)
    assert "changed" in listing
    assert post_form(admin_client, PAGE, f"/admin/priority/rules/{rule_id}/restore").status_code == 303
    assert _rule(rule_id)["level"] == "urgent"
    assert post_form(admin_client, PAGE, f"/admin/priority/rules/{rule_id}/delete").status_code == 303
    assert "Shipped rules that were deleted" in admin_client.get(PAGE).get_data(as_text=True)
    assert post_form(admin_client, PAGE, f"/admin/priority/rules/{rule_id}/restore").status_code == 303
    assert any(r["id"] == rule_id for r in _rules() or [])
    assert admin_client.get("/admin/priority/rules/no.such-rule").status_code == 404
