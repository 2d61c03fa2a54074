"""Organisation pages of the portal: every contact sees their organisation's contacts; its admin contacts
also add, edit, remove and restore contacts, set the phone PIN and the sender-check policy, and follow
the SMS sent to their contacts with the delivery state.

Non-admins get 403 on the admin actions; a contact id of another organisation is a 404.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from ticketdesk.errors import Conflict, ValidationFailed
from ticketdesk.extensions import db
from ticketdesk.portal import orgadmin, queries
from ticketdesk.portal.forms import ButtonForm, ContactForm, PinForm, SenderPolicyForm
from ticketdesk.portal.i18n import _
from ticketdesk.portal.messages import explain
from ticketdesk.portal.views import bp, me
from ticketdesk.ports.clock import utcnow

_REFUSED = (ValidationFailed, Conflict)


def _contact_data(form: ContactForm) -> orgadmin.ContactData:
    return orgadmin.ContactData(
        name=form.name.data or "",
        emails=form.emails.data or "",
        phones=form.phones.data or "",
        language=form.language.data or None,
        technical=bool(form.technical.data),
        is_admin=bool(form.is_admin.data),
    )


def organization_page(
    *,
    status: int = 200,
    error: str | None = None,
    new_form: Any = None,
    pin_form: Any = None,
    policy_form: Any = None,
) -> Any:
    contact = me()
    org = contact.organization
    people = queries.organization_contacts(db.session, org.id)
    return render_template(
        "portal/organization.html",
        org=org,
        active=[c for c in people if c.active],
        removed=[c for c in people if not c.active],
        error=error,
        new_form=new_form or ContactForm(prefix="new", formdata=None),
        pin_form=pin_form or PinForm(prefix="pin", formdata=None),
        button=ButtonForm(),
        policy_form=policy_form
        or SenderPolicyForm(prefix="policy", formdata=None, data={"policy": org.sender_policy}),
    ), status


@bp.get("/organization")
def organization() -> Any:
    return organization_page()


@bp.post("/organization/contacts")
def add_contact() -> Any:
    admin = me()
    orgadmin.require_admin(admin)
    form = ContactForm(prefix="new")
    if not form.validate_on_submit():
        return organization_page(
            status=422, new_form=form, error=_("Please fill in the name and an e-mail address.")
        )
    try:
        added = orgadmin.add_contact(db.session, admin, _contact_data(form))
    except _REFUSED as err:
        db.session.rollback()
        return organization_page(status=err.status, new_form=form, error=explain(err))
    db.session.commit()
    flash(_("%(name)s is now a contact of your organisation.", name=added.name), "info")
    return redirect(url_for("portal.organization"))


def _contact_page(contact_id: int, *, form: Any = None, status: int = 200, error: str | None = None) -> Any:
    admin = me()
    orgadmin.require_admin(admin)
    person = orgadmin.scoped_contact(db.session, admin, contact_id)
    if form is None:
        form = ContactForm(
            formdata=None,
            data={
                "name": person.name,
                "emails": "\n".join(e.address for e in person.emails),
                "phones": "\n".join(p.e164 for p in person.phones),
                "language": person.language or "",
                "technical": person.technical,
                "is_admin": person.is_admin,
            },
        )
    return render_template(
        "portal/contact.html", person=person, form=form, button=ButtonForm(), error=error
    ), status


@bp.route("/organization/contacts/<int:contact_id>", methods=["GET", "POST"])
def edit_contact(contact_id: int) -> Any:
    if request.method == "GET":
        return _contact_page(contact_id)
    admin = me()
    orgadmin.require_admin(admin)
    orgadmin.scoped_contact(
        db.session, admin, contact_id
    )  # 404 outside the organisation, before anything else
    form = ContactForm()
    if not form.validate_on_submit():
        return _contact_page(
            contact_id, form=form, status=422, error=_("Please fill in the name and an e-mail address.")
        )
    try:
        person = orgadmin.update_contact(db.session, admin, contact_id, _contact_data(form), now=utcnow())
    except _REFUSED as err:
        db.session.rollback()
        return _contact_page(contact_id, form=form, status=err.status, error=explain(err))
    db.session.commit()
    flash(_("The changes to %(name)s are saved.", name=person.name), "info")
    return redirect(url_for("portal.organization"))


def _contact_button(contact_id: int, action: Any, done: str) -> Any:
    admin = me()
    orgadmin.require_admin(admin)
    orgadmin.scoped_contact(db.session, admin, contact_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        person = action(db.session, admin, contact_id, now=utcnow())
    except _REFUSED as err:
        db.session.rollback()
        return organization_page(status=err.status, error=explain(err))
    db.session.commit()
    flash(done % {"name": person.name}, "info")
    return redirect(url_for("portal.organization"))


@bp.post("/organization/contacts/<int:contact_id>/remove")
def remove_contact(contact_id: int) -> Any:
    return _contact_button(
        contact_id,
        orgadmin.remove_contact,
        _("%(name)s is removed: no more sign-in, tickets or messages from them."),
    )


@bp.post("/organization/contacts/<int:contact_id>/restore")
def restore_contact(contact_id: int) -> Any:
    return _contact_button(contact_id, orgadmin.restore_contact, _("%(name)s is a contact again."))


@bp.post("/organization/pin")
def set_pin() -> Any:
    admin = me()
    orgadmin.require_admin(admin)
    form = PinForm(prefix="pin")
    if not form.validate_on_submit():
        return organization_page(status=422, pin_form=form, error=_("The PIN must be 4 to 12 digits."))
    try:
        had_pin = admin.organization.pin_set
        orgadmin.set_pin(db.session, admin, form.pin.data or "", form.repeat.data or "")
    except _REFUSED as err:
        db.session.rollback()
        return organization_page(status=err.status, pin_form=form, error=explain(err))
    db.session.commit()
    flash(_("The phone PIN is changed.") if had_pin else _("The phone PIN is set."), "info")
    return redirect(url_for("portal.organization", _anchor="pin"))


@bp.post("/organization/pin/remove")
def remove_pin() -> Any:
    admin = me()
    orgadmin.require_admin(admin)
    if not ButtonForm().validate_on_submit():
        abort(400)
    orgadmin.remove_pin(db.session, admin)
    db.session.commit()
    flash(
        _("The phone PIN is removed: callers from your registered numbers are recognised without it."), "info"
    )
    return redirect(url_for("portal.organization", _anchor="pin"))


@bp.post("/organization/sender-policy")
def sender_policy() -> Any:
    admin = me()
    orgadmin.require_admin(admin)
    form = SenderPolicyForm(prefix="policy")
    if not form.validate_on_submit():
        return organization_page(status=422, policy_form=form, error=_("Please choose one of the options."))
    orgadmin.set_sender_policy(db.session, admin, form.policy.data or "")
    db.session.commit()
    flash(_("The sender-check policy is saved."), "info")
    return redirect(url_for("portal.organization", _anchor="sender-policy"))


@bp.get("/organization/sms")
def sms() -> Any:
    admin = me()
    org = orgadmin.require_admin(admin)
    before = request.args.get("before", type=int)
    items, next_id = queries.sms_page(db.session, org.id, before_id=before)
    return render_template("portal/sms.html", org=org, items=items, next_id=next_id, paged=before is not None)
