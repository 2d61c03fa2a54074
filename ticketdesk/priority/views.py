"""Admin page for the priority rules (blueprint ``priority_admin`` under /admin/priority).

The rules live in the setting ``priority.rules`` (a list of ``Rule.to_dict()``); while it is empty the
shipped defaults apply. The first edit stores a copy of the defaults with the change; "reset" removes
the stored list again. Every change is validated as a whole rule set before it is stored, and applies
to the next message (``tickets.triage.priority_rules`` re-reads it within a few seconds in every process).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ticketdesk.admin.models import Setting
from ticketdesk.admin.store import get_value, set_value
from ticketdesk.extensions import db
from ticketdesk.priority import (
    CONTEXTS,
    KINDS,
    LANGUAGES,
    LEVELS,
    Decision,
    Rule,
    classify,
    compile_rules,
    default_rule_dicts,
    explain_text,
)
from ticketdesk.priority.model import ANY_LANGUAGE, CUE_KINDS, SIGNAL

bp = Blueprint("priority_admin", __name__, url_prefix="/admin/priority")
KEY = "priority.rules"
RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
SAMPLE_LIMIT = 20_000


@bp.before_request
def _admins_only() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if not getattr(current_user, "is_admin", False):
        abort(403, description=_("Only admins can open this page."))
    return None


# --- the stored rule list ---------------------------------------------------------------------------


def stored_rules() -> list[dict[str, Any]] | None:
    value = get_value(db.session, KEY)
    return list(value) if value else None


def current_rules() -> list[dict[str, Any]]:
    """The rules in force: the stored list, or a copy of the shipped defaults."""
    return stored_rules() or default_rule_dicts()


def save_rules(rules: list[dict[str, Any]]) -> None:
    """Validate every rule and the set as a whole, then store it (raises ValueError on a bad rule)."""
    parsed = [Rule.from_dict(item) for item in rules]
    ids = [r.id for r in parsed]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(_("Rule ids must be unique: %(ids)s", ids=", ".join(duplicates)))
    compile_rules(parsed)
    set_value(db.session, KEY, [r.to_dict() for r in parsed], by=str(current_user.email))


def _find(rules: list[dict[str, Any]], rule_id: str) -> int:
    for index, item in enumerate(rules):
        if item.get("id") == rule_id:
            return index
    abort(404, description=_("No rule %(id)s.", id=rule_id))


def _change(action: Callable[[list[dict[str, Any]]], None], message: str, back: str) -> Any:
    rules = current_rules()
    try:
        action(rules)
        save_rules(rules)
        db.session.commit()
        flash(message, "info")
    except ValueError as err:
        db.session.rollback()
        flash(str(err), "error")
    return redirect(back, code=303)


def rule_from_form(form: Any, rule_id: str | None = None) -> dict[str, Any]:
    """A rule dict from the edit form (``rule_id`` fixed for an existing rule); ValueError when malformed."""

    def number(name: str, default: int) -> int:
        raw = (form.get(name) or "").strip()
        if not raw:
            return default
        if not raw.isdigit() or int(raw) > 50:
            raise ValueError(_("%(field)s must be a whole number from 0 to 50.", field=name))
        return int(raw)

    def lines(name: str) -> list[str]:
        return [" ".join(line.split()) for line in (form.get(name) or "").splitlines() if line.strip()]

    new_id = rule_id or (form.get("id") or "").strip()
    if not RULE_ID.match(new_id):
        raise ValueError(
            _("A rule id is letters, digits, dots, dashes or underscores, e.g. cs.outage-custom.")
        )
    kind = form.get("kind") or SIGNAL
    data: dict[str, Any] = {
        "id": new_id,
        "language": form.get("language") or ANY_LANGUAGE,
        "kind": kind,
        "level": (form.get("level") or "normal") if kind == SIGNAL else None,
        "terms": lines("terms"),
        "phrases": lines("phrases"),
        "gap": number("gap", 2),
        "suppressible_by": [c for c in form.getlist("suppressible_by") if c in CONTEXTS],
        "reach_before": number("reach_before", 0),
        "reach_after": number("reach_after", 3),
        "enabled": form.get("enabled") in ("1", "y", "on"),
        "description": (form.get("description") or "").strip(),
    }
    Rule.from_dict(data)  # the rule's own checks, with its message
    return data


# --- pages -----------------------------------------------------------------------------------------


def _sample() -> tuple[str, str]:
    return (request.form.get("sample_subject") or "")[:500], (request.form.get("sample_body") or "")[
        :SAMPLE_LIMIT
    ]


def _decide(subject: str, body: str, rules: list[dict[str, Any]] | None) -> Decision:
    return classify(subject, body, None if rules is None else [Rule.from_dict(r) for r in rules])


def _listing(decision: Decision | None = None, sample: tuple[str, str] = ("", "")) -> str:
    rules = current_rules()
    defaults = {r["id"]: r for r in default_rule_dicts()}
    stored = stored_rules() is not None
    language = request.args.get("language", "")
    kind = request.args.get("kind", "")
    query = request.args.get("q", "").strip().lower()
    rows = []
    for item in rules:
        if language and item["language"] != language:
            continue
        if kind and item["kind"] != kind:
            continue
        text = " ".join(
            [item["id"], *item.get("terms", []), *item.get("phrases", []), item.get("description", "")]
        )
        if query and query not in text.lower():
            continue
        default = defaults.get(item["id"])
        state = (
            "added"
            if default is None
            else ("default" if Rule.from_dict(default) == Rule.from_dict(item) else "changed")
        )
        rows.append({"rule": item, "state": state})
    present = {r["id"] for r in rules}
    removed = [d for i, d in defaults.items() if i not in present]
    setting = db.session.get(Setting, KEY) if stored else None
    return render_template(
        "priority/index.html",
        rows=rows,
        total=len(rules),
        removed=removed,
        stored=stored,
        setting=setting,
        languages=(*LANGUAGES, ANY_LANGUAGE),
        kinds=KINDS,
        filters={"language": language, "kind": kind, "q": query},
        decision=decision,
        explanation=explain_text(decision) if decision else "",
        sample=sample,
        enabled_count=sum(1 for r in rules if r.get("enabled", True)),
        section="priority",
    )


@bp.get("/")
def index() -> Any:
    return _listing()


@bp.post("/explain")
def explain() -> Any:
    subject, body = _sample()
    if not subject.strip() and not body.strip():
        flash(_("Enter a subject or a text to explain."), "error")
        return redirect(url_for("priority_admin.index"), code=303)
    return _listing(_decide(subject, body, stored_rules()), (subject, body))


def _form_page(item: dict[str, Any], *, is_new: bool, status: int = 200, **extra: Any) -> Any:
    default = {r["id"]: r for r in default_rule_dicts()}.get(item.get("id", ""))
    return render_template(
        "priority/edit.html",
        rule=item,
        is_new=is_new,
        default=default,
        languages=(*LANGUAGES, ANY_LANGUAGE),
        kinds=KINDS,
        cue_kinds=CUE_KINDS,
        levels=LEVELS,
        contexts=CONTEXTS,
        section="priority",
        **extra,
    ), status


def _edit(rule_id: str | None) -> Any:
    rules = current_rules()
    index_ = _find(rules, rule_id) if rule_id is not None else None
    if request.method == "GET":
        if index_ is not None:
            return _form_page(rules[index_], is_new=False)
        return _form_page(
            {
                "id": "",
                "language": "cs",
                "kind": SIGNAL,
                "level": "urgent",
                "terms": [],
                "phrases": [],
                "gap": 2,
                "suppressible_by": list(CONTEXTS),
                "reach_before": 0,
                "reach_after": 3,
                "enabled": True,
                "description": "",
            },
            is_new=True,
        )
    draft_form = {k: request.form.get(k) for k in request.form}
    try:
        draft = rule_from_form(request.form, rule_id)
    except ValueError as err:
        fallback = {
            **draft_form,
            "terms": (draft_form.get("terms") or "").splitlines(),
            "phrases": (draft_form.get("phrases") or "").splitlines(),
            "suppressible_by": request.form.getlist("suppressible_by"),
            "id": rule_id or draft_form.get("id"),
        }
        flash(str(err), "error")
        return _form_page(fallback, is_new=rule_id is None, status=422)
    changed = list(rules)
    if index_ is not None:
        changed[index_] = draft
    elif any(r["id"] == draft["id"] for r in rules):
        flash(_("A rule with the id %(id)s exists already.", id=draft["id"]), "error")
        return _form_page(draft, is_new=True, status=422)
    else:
        changed.append(draft)
    if request.form.get("action") == "preview":
        subject, body = _sample()
        with_draft = _decide(subject, body, changed) if (subject or body).strip() else None
        saved = _decide(subject, body, stored_rules()) if with_draft is not None else None
        return _form_page(
            draft,
            is_new=rule_id is None,
            sample=(subject, body),
            decision=with_draft,
            saved_decision=saved,
            explanation=explain_text(with_draft) if with_draft else "",
        )
    try:
        save_rules(changed)
        db.session.commit()
    except ValueError as err:
        db.session.rollback()
        flash(str(err), "error")
        return _form_page(draft, is_new=rule_id is None, status=422)
    flash(_("Rule %(id)s saved; it applies to the next message.", id=draft["id"]), "info")
    return redirect(url_for("priority_admin.index", language=draft["language"]), code=303)


@bp.route("/rules/new", methods=["GET", "POST"])
def new_rule() -> Any:
    return _edit(None)


@bp.route("/rules/<rule_id>", methods=["GET", "POST"])
def edit_rule(rule_id: str) -> Any:
    return _edit(rule_id)


@bp.post("/rules/<rule_id>/toggle")
def toggle(rule_id: str) -> Any:
    def flip(rules: list[dict[str, Any]]) -> None:
        item = rules[_find(rules, rule_id)]
        item["enabled"] = not item.get("enabled", True)

    filters: dict[str, Any] = {
        k: v for k in ("language", "kind", "q") if (v := request.form.get(k, "").strip())
    }
    back = url_for("priority_admin.index", **filters)
    return _change(flip, _("Rule %(id)s switched.", id=rule_id), back)


@bp.post("/rules/<rule_id>/delete")
def delete(rule_id: str) -> Any:
    def remove(rules: list[dict[str, Any]]) -> None:
        del rules[_find(rules, rule_id)]

    return _change(remove, _("Rule %(id)s deleted.", id=rule_id), url_for("priority_admin.index"))


@bp.post("/rules/<rule_id>/restore")
def restore(rule_id: str) -> Any:
    """Put the shipped version of a default rule back (after a change or a deletion)."""
    default = {r["id"]: r for r in default_rule_dicts()}.get(rule_id)
    if default is None:
        abort(404, description=_("%(id)s is not a shipped rule.", id=rule_id))

    def put_back(rules: list[dict[str, Any]]) -> None:
        for index_, item in enumerate(rules):
            if item["id"] == rule_id:
                rules[index_] = default
                return
        rules.append(default)

    return _change(
        put_back, _("Rule %(id)s is the shipped version again.", id=rule_id), url_for("priority_admin.index")
    )


@bp.post("/reset")
def reset() -> Any:
    set_value(db.session, KEY, None, by=str(current_user.email))
    db.session.commit()
    flash(_("The shipped rules apply again."), "info")
    return redirect(url_for("priority_admin.index"), code=303)
