"""Family pages: practitioners for their sites, admins for all. Erasing is for admins only.

Every record is loaded through ``staff.access`` (a family of another site is a 404) and every
change goes through ``families.service``, which re-plans the family's invitations. Changes are
POSTs that redirect with a flash message; a refused change rolls back and saves nothing.
"""
from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..audit.service import record
from ..extensions import db
from ..staff.access import (ADMIN_ONLY, FAMILY_PAGES, chosen_site_id, family_or_404, member_or_404,
                            pause_or_404, practitioners_of, require_roles, scope, visible_sites)
from ..staff.models import Site
from ..staff.words import role_label
from ..waves.models import Invitation
from ..waves.planning import REASONS
from . import forms
from .display import consent_states, mask_email, mask_phone, member_age
from .models import ContactPause, Family, Member
from .phones import InvalidPhoneNumber
from .service import (FamilyError, add_member, create_family, erase_family, lift_pause, pause_contact,
                      record_consent, update_family, update_member)
from .status import statuses_for

bp = Blueprint("families", __name__, url_prefix="/staff/families", template_folder="templates")

#: SQLAlchemy's own version check can also catch a change saved between loading and saving.
STALE = _l("Someone else changed this record while you were editing. "
           "Your changes were not saved: reload the page to see theirs, then make yours again.")

#: The service's refusals stay English (imports quote and test them); pages show them in the page's language.
REFUSALS = {
    "The exit date is before the entry date. Check both dates.":
        _l("The exit date is before the entry date. Check both dates."),
    "The entry date is before the referral date. Check both dates.":
        _l("The entry date is before the referral date. Check both dates."),
    "Enter the case reference.": _l("Enter the case reference."),
    "Someone else changed this family while you were editing. "
    "Your changes were not saved: reload the page to see theirs, then make yours again.":
        _l("Someone else changed this family while you were editing. "
           "Your changes were not saved: reload the page to see theirs, then make yours again."),
    "Someone else changed this member while you were editing. "
    "Your changes were not saved: reload the page to see theirs, then make yours again.":
        _l("Someone else changed this member while you were editing. "
           "Your changes were not saved: reload the page to see theirs, then make yours again."),
}


def refusal_text(refusal: Exception) -> str:
    """A refusal of ``families.service`` or ``families.phones``, in the page's language."""
    message = str(refusal)
    if message in REFUSALS:
        return str(REFUSALS[message])
    if taken := re.fullmatch(r"Case reference (.+) is already used at this site\. Check the reference\.", message):
        return _("Case reference %(case_ref)s is already used at this site. Check the reference.",
                 case_ref=taken.group(1))
    if phone := re.fullmatch(r"“(.*)” is not a phone number\. Enter a mobile number like 07700 900123\.", message, re.S):
        return _("“%(typed)s” is not a phone number. Enter a mobile number like 07700 900123.", typed=phone.group(1))
    if phone := re.fullmatch(r"“(.*)” is not a valid number\. Check the digits and try again\.", message, re.S):
        return _("“%(typed)s” is not a valid number. Check the digits and try again.", typed=phone.group(1))
    if phone := re.fullmatch(r"“(.*)” is not a mobile number, so it cannot receive texts\.", message, re.S):
        return _("“%(typed)s” is not a mobile number, so it cannot receive texts.", typed=phone.group(1))
    return message


@bp.app_template_global()
def member_label(member: Member | None) -> str:
    if member is None:
        return _("The whole family")
    # A member brought in by an import has only the reference the file gave them.
    known_as = member.name or (_("Reference %(ref)s", ref=member.member_ref) if member.member_ref else _("No name"))
    role = role_label(member.role).lower()
    return _("%(member)s (%(role)s)", member=known_as, role=role)


@bp.get("")
@require_roles(*FAMILY_PAGES)
def index():
    site_id = chosen_site_id(request.args.get("site"))
    query = scope(sa.select(Family).join(Site).order_by(Site.code, Family.case_ref), Family.site_id) \
        .options(selectinload(Family.site), selectinload(Family.key_worker))
    if site_id:
        query = query.where(Family.site_id == site_id)
    page = db.paginate(query, per_page=50, max_per_page=50, error_out=False)
    ids = [family.id for family in page.items]
    member_counts = dict(db.session.execute(
        sa.select(Member.family_id, sa.func.count()).where(Member.family_id.in_(ids)).group_by(Member.family_id)).all())
    # Only whether a pause is active: the reasons are for the family's own page, never a list.
    paused = set(db.session.scalars(sa.select(ContactPause.family_id).where(
        ContactPause.family_id.in_(ids), ContactPause.lifted_at.is_(None))))
    return render_template("families/index.html", page=page, sites=visible_sites(), site_id=site_id,
                           member_counts=member_counts, paused=paused, statuses=statuses_for(page.items))


def _key_worker_choices(site_ids, current_id: int | None = None) -> list:
    workers = practitioners_of(site_ids)
    choices = [(forms.NO_ONE, _("No key worker yet"))]
    choices += [(w.id, f"{w.name} ({', '.join(s.code for s in w.sites if s.id in site_ids)})") for w in workers]
    if current_id and current_id not in {w.id for w in workers}:
        choices.append((current_id, _("The current key worker (no longer a practitioner here)")))
    return forms.options(choices)


def _key_worker_problem(key_worker_id: int | None, site_id: int, current_id: int | None = None) -> str | None:
    if key_worker_id in (None, current_id) or key_worker_id in {w.id for w in practitioners_of([site_id])}:
        return None
    return _("This person is not a practitioner at the family's site. Choose one who is.")


@bp.route("/new", methods=["GET", "POST"])
@require_roles(*FAMILY_PAGES)
def new():
    form = forms.NewFamilyForm()
    sites = visible_sites()
    form.site_id.choices = forms.options((site.id, site.name) for site in sites)
    form.key_worker_id.choices = _key_worker_choices({site.id for site in sites})
    error = None
    if form.validate_on_submit():
        key_worker_id = form.key_worker_id.data or None
        problem = _key_worker_problem(key_worker_id, form.site_id.data)
        if problem:
            form.key_worker_id.errors.append(problem)
        else:
            try:
                family = create_family(form.site_id.data, form.case_ref.data, key_worker_id, form.referral_date.data,
                                       form.entry_date.data, form.exit_date.data, current_user.id)
                db.session.commit()
            except FamilyError as refusal:
                db.session.rollback()
                error = refusal_text(refusal)
            except IntegrityError:  # the same reference saved by someone else a moment ago
                db.session.rollback()
                error = _("Case reference %(case_ref)s is already used at this site. Check the reference.",
                          case_ref=form.case_ref.data.strip())
            else:
                flash(_("Family %(case_ref)s recorded.", case_ref=family.case_ref))
                return redirect(url_for(".detail", family_id=family.id))
    return render_template("families/new.html", form=form, error=error), (422 if request.method == "POST" else 200)


@bp.get("/<int:family_id>")
@require_roles(*FAMILY_PAGES)
def detail(family_id: int):
    family = family_or_404(family_id)
    # Full numbers or full addresses, one kind at a time, each time recorded member by member.
    show = request.args.get("show")
    show_phone, show_email = show == "phone", show == "email"
    record("family.viewed", family, family.site_id)
    for member in family.members:
        if (show_phone and member.phone) or (show_email and member.email):
            record("member.viewed", member, family.site_id, shown=show)
    db.session.commit()
    invitations = db.session.scalars(sa.select(Invitation).filter_by(family_id=family.id).order_by(
        Invitation.due_on, Invitation.schedule_id, Invitation.wave, Invitation.instrument_id, Invitation.id)).all()
    waves: dict[tuple[str, str], list[Invitation]] = {}
    for invitation in invitations:
        waves.setdefault((invitation.schedule_id, invitation.wave), []).append(invitation)
    schedules = current_app.extensions["feedback.schedules"]
    return render_template("families/detail.html", family=family, show_phone=show_phone, show_email=show_email,
                           waves=waves, schedules=schedules, reasons=REASONS, mask_phone=mask_phone,
                           mask_email=mask_email, member_age=member_age, consent_states=consent_states, forms=forms,
                           status=statuses_for([family])[family.id])


@bp.route("/<int:family_id>/edit", methods=["GET", "POST"])
@require_roles(*FAMILY_PAGES)
def edit(family_id: int):
    family = family_or_404(family_id)
    form = forms.EditFamilyForm(obj=family if request.method == "GET" else None)
    if request.method == "GET":
        form.key_worker_id.data = family.key_worker_id or forms.NO_ONE
    form.key_worker_id.choices = _key_worker_choices({family.site_id}, family.key_worker_id)
    error = None
    if form.validate_on_submit():
        key_worker_id = form.key_worker_id.data or None
        problem = _key_worker_problem(key_worker_id, family.site_id, family.key_worker_id)
        if problem:
            form.key_worker_id.errors.append(problem)
        else:
            try:
                update_family(family, form.version.data, current_user.id, referral_date=form.referral_date.data,
                              entry_date=form.entry_date.data, exit_date=form.exit_date.data,
                              key_worker_id=key_worker_id, status=form.status.data)
                db.session.commit()
            except FamilyError as refusal:
                db.session.rollback()
                error = refusal_text(refusal)
            except StaleDataError:
                db.session.rollback()
                error = str(STALE)
            else:
                flash(_("Family %(case_ref)s saved.", case_ref=family.case_ref))
                return redirect(url_for(".detail", family_id=family.id))
    return render_template("families/edit.html", family=family, form=form, error=error), \
        (422 if request.method == "POST" else 200)


def _save_member(family: Family, member: Member | None, form) -> str | None:
    """Add or change a member; returns the mobile number's problem, if that was what was wrong."""
    birth_year, birth_month = form.birth_year_and_month
    fields = dict(role=form.role.data, name=(form.name.data or "").strip() or None, birth_year=birth_year,
                  birth_month=birth_month, language=form.language.data, channel=form.channel.data,
                  interview_times=form.interview_times.data or None)
    try:
        if member is None:
            add_member(family, phone=form.mobile.data, email=form.email_address.data, actor_id=current_user.id,
                       **fields)
        else:
            # A blank number or address keeps the one on record, which this page never shows in full.
            phone = None if form.remove_mobile.data else (form.mobile.data or member.phone)
            email = None if form.remove_email.data else (form.email_address.data or member.email)
            update_member(member, form.version.data, phone, current_user.id, email=email,
                          clear_email_unsubscribe=form.clear_email_opt_out.data, **fields)
        db.session.commit()
    except InvalidPhoneNumber as problem:
        db.session.rollback()
        return refusal_text(problem)
    return None


@bp.route("/<int:family_id>/members/new", methods=["GET", "POST"])
@require_roles(*FAMILY_PAGES)
def new_member(family_id: int):
    family = family_or_404(family_id)
    form = forms.MemberForm()
    phone_error = None
    if form.validate_on_submit():
        phone_error = _save_member(family, None, form)
        if phone_error is None:
            flash(_("Member added."))
            return redirect(url_for(".detail", family_id=family.id))
    return render_template("families/member.html", family=family, member=None, form=form, phone_error=phone_error,
                           error=None, consent_form=None), (422 if request.method == "POST" else 200)


@bp.route("/<int:family_id>/members/<int:member_id>/edit", methods=["GET", "POST"])
@require_roles(*FAMILY_PAGES)
def edit_member(family_id: int, member_id: int):
    family = family_or_404(family_id)
    member = member_or_404(family, member_id)
    born = date(member.birth_year, member.birth_month, 1) if member.birth_year and member.birth_month else None
    form = forms.EditMemberForm(obj=member if request.method == "GET" else None, birth=born)
    form.email_on_record = bool(member.email)
    phone_error = error = None
    if form.validate_on_submit():
        try:
            phone_error = _save_member(family, member, form)
        except (FamilyError, StaleDataError) as refusal:
            db.session.rollback()
            error = refusal_text(refusal) if isinstance(refusal, FamilyError) else str(STALE)
        else:
            if phone_error is None:
                flash(_("%(member)s saved.", member=member_label(member)))
                return redirect(url_for(".detail", family_id=family.id))
    return render_template("families/member.html", family=family, member=member, form=form, error=error,
                           phone_error=phone_error, consent_form=forms.ConsentForm(formdata=None),
                           consent_states=consent_states(member), mask_phone=mask_phone, mask_email=mask_email,
                           purpose_labels=forms.PURPOSE_LABELS), \
        (422 if request.method == "POST" else 200)


@bp.post("/<int:family_id>/members/<int:member_id>/consent")
@require_roles(*FAMILY_PAGES)
def consent(family_id: int, member_id: int):
    family = family_or_404(family_id)
    member = member_or_404(family, member_id)
    form = forms.ConsentForm()
    if form.validate_on_submit():
        given = form.given.data == "yes"
        record_consent(member, form.purpose.data, form.party.data, given, form.text_version.data.strip(),
                       current_user.id)
        db.session.commit()
        purpose = str(forms.PURPOSE_LABELS[form.purpose.data]).lower()
        if given:
            flash(_("Consent given recorded for %(member)s: %(purpose)s.", member=member_label(member),
                    purpose=purpose))
        else:
            flash(_("Consent withdrawn recorded for %(member)s: %(purpose)s.", member=member_label(member),
                    purpose=purpose))
    else:
        problems = [str(message) for messages in form.errors.values() for message in messages]
        flash(_("The consent decision was not recorded: %(problems)s", problems=" ".join(problems)))
    return redirect(url_for(".edit_member", family_id=family.id, member_id=member.id))


@bp.route("/<int:family_id>/pause", methods=["GET", "POST"])
@require_roles(*FAMILY_PAGES)
def pause(family_id: int):
    family = family_or_404(family_id)
    form = forms.PauseForm()
    form.member_id.choices = forms.options([(forms.NO_ONE, _("The whole family"))]
                                           + [(m.id, member_label(m)) for m in family.members])
    if form.validate_on_submit():
        member = member_or_404(family, form.member_id.data) if form.member_id.data else None
        ends_on = form.ends_on.data
        pause_contact(family, member, form.reason.data or "", current_user.id, ends_on=ends_on)
        db.session.commit()
        if member:
            flash(_("Contact paused for %(member)s. Waiting invitations were cancelled.", member=member_label(member)))
        else:
            flash(_("Contact paused for the whole family. Waiting invitations were cancelled."))
        if ends_on:
            flash(_("The pause ends after %(day)s: invitations are planned again the next day.",
                    day=format_date(ends_on, "d MMMM y")))
        return redirect(url_for(".detail", family_id=family.id))
    return render_template("families/pause.html", family=family, form=form), (422 if request.method == "POST" else 200)


@bp.post("/<int:family_id>/pauses/<int:pause_id>/lift")
@require_roles(*FAMILY_PAGES)
def lift(family_id: int, pause_id: int):
    family = family_or_404(family_id)
    paused = pause_or_404(family, pause_id)
    if paused.lifted_at is not None:
        flash(_("That pause was already lifted."))
    else:
        counts = lift_pause(paused, current_user.id)
        db.session.commit()
        planned = counts["revived"] + counts["planned"]
        flash(ngettext("Contact pause lifted; %(num)d invitation planned again.",
                       "Contact pause lifted; %(num)d invitations planned again.", planned))
    return redirect(url_for(".detail", family_id=family.id))


@bp.route("/<int:family_id>/erase", methods=["GET", "POST"])
@require_roles(*ADMIN_ONLY)
def erase(family_id: int):
    family = family_or_404(family_id)
    form = forms.EraseForm()
    if form.validate_on_submit():
        if form.case_ref.data.strip() != family.case_ref:
            form.case_ref.errors.append(_("That is not this family's case reference. Type it exactly as shown."))
        else:
            family_id, policy = family.id, current_app.config["FEEDBACK_SETTINGS"].erasure_responses
            erase_family(family, current_user.id)  # its English summary is for scripts; the page says it here
            if policy == "delete":
                flash(_("Family %(id)s erased; responses deleted.", id=family_id))
            else:
                flash(_("Family %(id)s erased; responses kept de-identified.", id=family_id))
            db.session.commit()
            return redirect(url_for(".index"))
    policy = current_app.config["FEEDBACK_SETTINGS"].erasure_responses
    return render_template("families/erase.html", family=family, form=form, policy=policy), \
        (422 if request.method == "POST" else 200)
