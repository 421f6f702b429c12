"""Staff pages for partner agencies and their contacts: researchers and managers for their sites, admins for all.

A non-admin sees the agencies working with at least one of their sites; any other agency is a
404, exactly as one that does not exist. Contacts' email addresses are personal data: they are
shown on the agency's own page and the contact forms only (each view audited), never in a list
of agencies or an address. Every change goes through ``partners.service``, which audits it and
re-plans the contact's invitations. Changes are POSTs that redirect with a flash message; a
refused change rolls back and saves nothing.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from ..audit.service import record
from ..extensions import db
from ..staff.access import PARTNER_PAGES, require_roles, visible_site_ids, visible_sites
from . import forms
from .contact_file import MAX_ROWS
from .importing import import_contacts
from .models import PartnerAgency, PartnerContact
from .service import PartnerError, add_contact, contact_counts, create_agency, update_agency, update_contact, \
    visible_agencies

bp = Blueprint("partners", __name__, url_prefix="/staff/partners", template_folder="templates")


def agency_or_404(agency_id: int) -> PartnerAgency:
    """An agency working with one of the user's sites; any other is not found, as a missing one."""
    agency = db.session.scalar(visible_agencies(visible_site_ids()).where(PartnerAgency.id == agency_id))
    if agency is None:
        abort(404)
    return agency


def contact_or_404(agency: PartnerAgency, contact_id: int) -> PartnerContact:
    """A contact of this agency: another agency's contact id (even a visible one) is a 404."""
    contact = db.session.get(PartnerContact, contact_id)
    if contact is None or contact.agency_id != agency.id:
        abort(404)
    return contact


@bp.get("")
@require_roles(*PARTNER_PAGES)
def index():
    query = visible_agencies(visible_site_ids()).options(selectinload(PartnerAgency.sites))
    page = db.paginate(query, per_page=50, max_per_page=50, error_out=False)
    counts = contact_counts(agency.id for agency in page.items)
    return render_template("partners/index.html", page=page, counts=counts, sectors=forms.SECTOR_LABELS)


def _site_choices(form: forms.AgencyForm) -> set[int]:
    """Offer the user's own sites; returns their ids."""
    sites = visible_sites()
    form.site_ids.choices = [SelectChoice(site.id, site.name) for site in sites]
    return {site.id for site in sites}


def _refused(form, refusal: PartnerError) -> str | None:
    """Show a refusal beside its field when it names one; otherwise return it for the top of the page."""
    db.session.rollback()
    field = getattr(form, refusal.field, None) if refusal.field else None
    if field is None:
        return str(refusal)
    field.errors = [*field.errors, str(refusal)]
    return None


@bp.route("/new", methods=["GET", "POST"])
@require_roles(*PARTNER_PAGES)
def new():
    form = forms.AgencyForm()
    _site_choices(form)
    error = None
    if form.validate_on_submit():
        try:
            agency = create_agency(form.name.data, form.sector.data, form.site_ids.data, form.active.data == "yes")
            db.session.commit()
        except PartnerError as refusal:
            error = _refused(form, refusal)
        else:
            flash(_("Partner agency %(agency)s recorded. Add its contacts below.", agency=agency.name))
            return redirect(url_for(".detail", agency_id=agency.id))
    return render_template("partners/agency_form.html", form=form, agency=None, error=error), \
        (422 if request.method == "POST" else 200)


@bp.route("/<int:agency_id>/edit", methods=["GET", "POST"])
@require_roles(*PARTNER_PAGES)
def edit(agency_id: int):
    agency = agency_or_404(agency_id)
    form = forms.AgencyForm(obj=agency if request.method == "GET" else None)
    mine = _site_choices(form)
    if request.method == "GET":
        form.site_ids.data = sorted(agency.site_ids & mine)
        form.active.data = "yes" if agency.active else "no"
    # Sites the user cannot see are neither shown nor lost: the agency keeps them.
    others = sorted(agency.site_ids - mine)
    error = None
    if form.validate_on_submit():
        try:
            update_agency(agency, form.name.data, form.sector.data, [*form.site_ids.data, *others],
                          form.active.data == "yes", current_user.id)
            db.session.commit()
        except PartnerError as refusal:
            error = _refused(form, refusal)
        else:
            flash(_("Partner agency %(agency)s saved.", agency=agency.name))
            return redirect(url_for(".detail", agency_id=agency.id))
    return render_template("partners/agency_form.html", form=form, agency=agency, others=len(others),
                           error=error), (422 if request.method == "POST" else 200)


@bp.get("/<int:agency_id>")
@require_roles(*PARTNER_PAGES)
def detail(agency_id: int):
    agency = agency_or_404(agency_id)
    # The list shows every contact's address: an identifiable view.
    record("contacts.viewed", agency, contacts=len(agency.contacts))
    db.session.commit()
    return render_template("partners/detail.html", agency=agency, sectors=forms.SECTOR_LABELS, roles=forms.ROLE_LABELS)


def _contact_page(agency: PartnerAgency, contact: PartnerContact | None, form, error: str | None):
    return render_template("partners/contact_form.html", agency=agency, contact=contact, form=form, error=error), \
        (422 if request.method == "POST" else 200)


@bp.route("/<int:agency_id>/contacts/new", methods=["GET", "POST"])
@require_roles(*PARTNER_PAGES)
def new_contact(agency_id: int):
    agency = agency_or_404(agency_id)
    form = forms.ContactForm()
    error = None
    if form.validate_on_submit():
        try:
            contact = add_contact(agency, form.name.data, form.role.data, form.email.data, form.consent.data == "yes",
                                  form.active.data == "yes", current_user.id)
            db.session.commit()
        except PartnerError as refusal:
            error = _refused(form, refusal)
        else:
            flash(_("%(contact)s added to %(agency)s.", contact=contact.name, agency=agency.name))
            return redirect(url_for(".detail", agency_id=agency.id))
    return _contact_page(agency, None, form, error)


@bp.route("/<int:agency_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@require_roles(*PARTNER_PAGES)
def edit_contact(agency_id: int, contact_id: int):
    agency = agency_or_404(agency_id)
    contact = contact_or_404(agency, contact_id)
    form = forms.EditContactForm(obj=contact if request.method == "GET" else None)
    if request.method == "GET":
        form.consent.data = "yes" if contact.consent else "no"
        form.active.data = "yes" if contact.active else "no"
        record("contacts.viewed", contact, agency_id=agency.id)  # the form shows the address
        db.session.commit()
    error = None
    if form.validate_on_submit():
        try:
            changed = update_contact(contact, form.name.data, form.role.data, form.email.data,
                                     form.consent.data == "yes", form.active.data == "yes", current_user.id,
                                     clear_opt_out=form.clear_opt_out.data)
            db.session.commit()
        except PartnerError as refusal:
            error = _refused(form, refusal)
        else:
            flash(_("%(contact)s saved.", contact=contact.name) if changed
                  else _("Nothing changed for %(contact)s.", contact=contact.name))
            return redirect(url_for(".detail", agency_id=agency.id))
    return _contact_page(agency, contact, form, error)


@bp.route("/import", methods=["GET", "POST"])
@require_roles(*PARTNER_PAGES)
def import_page():
    form = forms.ImportContactsForm()
    outcome = None
    if form.validate_on_submit():
        outcome = import_contacts(form.file.data.read(), current_user, visible_site_ids(),
                                  check_only=form.check_only.data)
        if outcome.status == "imported":
            flash(outcome.summary())
            return redirect(url_for(".import_page"))
    status = 422 if request.method == "POST" and (outcome is None or outcome.status == "refused") else 200
    return render_template("partners/import.html", form=form, outcome=outcome,
                           max_rows=MAX_ROWS, roles=forms.ROLE_LABELS), status
