"""Staff pages for invitations: the calendar and status counts (no identifiable details), one
invitation's history and the actions on it, and the outbox (admins only).

Counts are always limited to the user's sites; an invitation of another site is a 404.
"""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from ..audit.service import record
from ..extensions import db
from ..families.forms import ConfirmForm
from ..families.models import Family
from ..staff.access import (ADMIN_ONLY, CALENDAR, FAMILY_PAGES, WAVE_STATUS, chosen_site_id, invitation_or_404,
                            require_roles, scope, visible_sites)
from ..staff.models import StaffUser
from ..staff.words import state_label
from ..timeutil import utcnow
from .channels import backend_for
from .dispatcher import send_now
from .models import MANUAL_WAVE, STATES, Invitation, OutboxMessage, in_doubt
from .planning import REASONS
from .service import move
from .forms import BulkResolveForm, InvitationDatesForm, ResolveForm
from .unknown import ResolveRefused, resolve_unknown, resolve_unknown_in_bulk, unknown_invitations

bp = Blueprint("waves", __name__, template_folder="templates")

#: States staff may still cancel: nothing has been answered yet.
CANCELLABLE = ("planned", "due", "sent", "opened")
STATUS_COLUMNS = (*STATES, "unknown")


def _counted(query, site_id: int | None):
    """Invitations of the user's sites (or of one of them) only."""
    query = scope(query.join(Family, Family.id == Invitation.family_id), Family.site_id)
    return query.where(Family.site_id == site_id) if site_id else query


def _wave_titles() -> dict[tuple[str, str], str]:
    schedules = current_app.extensions["feedback.schedules"]
    return {(schedule.id, wave.name): wave.title for schedule in schedules.values() for wave in schedule.waves}


@bp.get("/staff/waves")
@require_roles(*CALENDAR)
def calendar():
    """Invitations falling due in the coming weeks, by week and wave, counted by instrument and channel."""
    try:
        weeks = min(max(int(request.args.get("weeks", 6)), 1), 52)
    except ValueError:
        weeks = 6
    site_id = chosen_site_id(request.args.get("site"))
    today = date.today()
    rows = db.session.execute(_counted(
        sa.select(Invitation.due_on, Invitation.schedule_id, Invitation.wave, Invitation.instrument_id,
                  Invitation.channel, sa.func.count())
        .where(Invitation.due_on >= today, Invitation.due_on < today + timedelta(weeks=weeks),
               Invitation.state != "cancelled")
        .group_by(Invitation.due_on, Invitation.schedule_id, Invitation.wave, Invitation.instrument_id,
                  Invitation.channel), site_id)).all()
    # week (its Monday) → (schedule, wave) → (instrument, channel) → count
    calendar: dict[date, dict[tuple[str, str], dict[tuple[str, str], int]]] = {}
    for due_on, schedule_id, wave, instrument_id, channel, count in rows:
        monday = due_on - timedelta(days=due_on.weekday())
        cell = calendar.setdefault(monday, {}).setdefault((schedule_id, wave), {})
        cell[(instrument_id, channel)] = cell.get((instrument_id, channel), 0) + count
    return render_template("waves/calendar.html", calendar=dict(sorted(calendar.items())), weeks=weeks,
                           titles=_wave_titles(), sites=visible_sites(), site_id=site_id)


@bp.get("/staff/waves/status")
@require_roles(*WAVE_STATUS)
def status():
    """How many invitations of each wave are in each state; "unknown" ones are counted on their own."""
    site_id = chosen_site_id(request.args.get("site"))
    shown = sa.case((in_doubt(utcnow()), "unknown"), else_=Invitation.state)
    rows = db.session.execute(_counted(
        sa.select(Invitation.schedule_id, Invitation.wave, shown, sa.func.count())
        .group_by(Invitation.schedule_id, Invitation.wave, shown), site_id)).all()
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for schedule_id, wave, state, count in rows:
        counts.setdefault((schedule_id, wave), {})[state] = count
    return render_template("waves/status.html", counts=dict(sorted(counts.items())), columns=STATUS_COLUMNS,
                           titles=_wave_titles(), sites=visible_sites(), site_id=site_id)


@bp.get("/staff/invitations/<int:invitation_id>")
@require_roles(*FAMILY_PAGES)
def invitation(invitation_id: int):
    return _invitation_page(invitation_or_404(invitation_id), ResolveForm(formdata=None))


def _invitation_page(invitation: Invitation, resolve_form: ResolveForm):
    """The invitation's page; ``resolve_form`` carries its errors to the page's error summary."""
    actors = {user.id: user.name for user in db.session.scalars(sa.select(StaffUser).where(
        StaffUser.id.in_({event.actor_id for event in invitation.events if event.actor_id})))}
    return render_template("waves/invitation.html", invitation=invitation, reasons=REASONS, actors=actors,
                           cancellable=invitation.state in CANCELLABLE and invitation.pending_send is None,
                           titles=_wave_titles(), resolve_form=resolve_form)


def _back(invitation: Invitation):
    return redirect(url_for(".invitation", invitation_id=invitation.id))


@bp.post("/staff/invitations/<int:invitation_id>/cancel")
@require_roles(*FAMILY_PAGES)
def cancel(invitation_id: int):
    invitation = invitation_or_404(invitation_id)
    ConfirmForm().validate_on_submit()  # CSRF is checked for every POST before the view runs
    if invitation.pending_send is not None:
        # A dispatcher holds it (or held it and died): cancelling now could race a text on its way.
        flash(_("Not cancelled: a text for this invitation is being sent, or its sending must be checked first."))
    elif invitation.state not in CANCELLABLE:
        flash(_("Not cancelled: the invitation is %(state)s.",
                state=state_label(invitation.display_state)))
    else:
        move(invitation, "cancelled", "cancelled by staff", actor_id=current_user.id, reason="staff")
        invitation.next_send_at = None
        record("invitation.cancelled", invitation, invitation.site_id)
        db.session.commit()
        flash(_("Invitation cancelled. It will not be planned again."))
    return _back(invitation)


@bp.post("/staff/invitations/<int:invitation_id>/send-now")
@require_roles(*FAMILY_PAGES)
def send(invitation_id: int):
    invitation = invitation_or_404(invitation_id)
    site_id = invitation.site_id
    backend = backend_for(current_app.config["FEEDBACK_SETTINGS"])
    outcome = send_now(invitation.id, backend, current_user.id)
    record("invitation.sent_manually", invitation, site_id, outcome=outcome)
    db.session.commit()
    flash(outcome)
    return _back(invitation)


@bp.post("/staff/invitations/<int:invitation_id>/resolve")
@require_roles(*ADMIN_ONLY)
def resolve(invitation_id: int):
    invitation = invitation_or_404(invitation_id)
    form = ResolveForm()
    if not invitation.is_unknown():
        flash(_("Nothing to check: this invitation's sending is not in doubt."))
    elif not form.validate_on_submit():
        return _invitation_page(invitation, form), 400  # the error summary links to the choice
    else:
        reached = form.reached.data == "yes"
        resolve_unknown(invitation, reached, current_user.id)
        record("invitation.resolved", invitation, invitation.site_id, reached=reached)
        db.session.commit()
        flash(_("Recorded as sent.") if reached else _("Recorded as not sent: the dispatcher will send it."))
    return _back(invitation)


#: The most unknown sends listed at once; resolving them brings up the next.
UNKNOWN_LISTED = 1000


@bp.get("/staff/invitations/unknown")
@require_roles(*ADMIN_ONLY)
def unknown():
    """Every send in doubt, to check with the provider and resolve many at once."""
    return _unknown_page(BulkResolveForm(formdata=None))


def _unknown_page(form: BulkResolveForm, chosen: set[int] = frozenset(), problem: str | None = None):
    invitations = db.session.scalars(unknown_invitations().limit(UNKNOWN_LISTED + 1)).all()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(in_doubt(utcnow())))
    return render_template("waves/unknown.html", invitations=invitations[:UNKNOWN_LISTED], total=total,
                           form=form, chosen=chosen, problem=problem, titles=_wave_titles())


@bp.post("/staff/invitations/unknown")
@require_roles(*ADMIN_ONLY)
def resolve_many():
    form = BulkResolveForm()
    chosen = {int(value) for value in request.form.getlist("invitation") if value.isdigit()}
    valid = form.validate_on_submit()
    if not form.reason.errors and not (form.reason.data or "").strip():  # only spaces: beside the box, in the summary
        form.reason.errors = [*form.reason.errors, _("Give a reason: what you checked and what it showed.")]
        valid = False
    if not valid:
        return _unknown_page(form, chosen), 400
    try:
        resolved = resolve_unknown_in_bulk(sorted(chosen), form.reached.data == "yes", form.reason.data,
                                           current_user.id, via="web")
    except ResolveRefused as refused:
        return _unknown_page(form, chosen, str(refused)), 400
    db.session.commit()
    skipped = len(chosen) - len(resolved)
    if form.reached.data == "yes":
        outcome = _("%(num)d recorded as sent.", num=len(resolved))
    else:
        outcome = _("%(num)d recorded as not sent: the dispatcher will send them.", num=len(resolved))
    flash(outcome + (" " + _("%(num)d chosen were no longer unknown and were left alone.", num=skipped)
                     if skipped else ""))
    return redirect(url_for(".unknown"))


@bp.get("/staff/outbox")
@require_roles(*ADMIN_ONLY)
def outbox():
    """Texts the outbox backend "sent", newest first, in full: an admin's view, and audited."""
    page = db.paginate(sa.select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()),
                       per_page=50, max_per_page=50, error_out=False)
    record("outbox.viewed", None, None, page=page.page)
    db.session.commit()
    return render_template("waves/outbox.html", page=page)


#: Who may see what each text costs (admins too, as on every page): they answer for the budget.
TEXT_COSTS = ("researcher",)
ENCODING_WORDS = {"GSM-7": "Standard (GSM-7)", "UCS-2": "Unicode (UCS-2): fewer characters per segment"}


@bp.get("/staff/texts/costs")
@require_roles(*TEXT_COSTS)
def text_costs():
    """Each text families may be sent, in each language, with what it costs: segments are billed."""
    from ..languages import staff_language_label
    from .messages import template_costs

    return render_template("waves/text_costs.html", costs=template_costs(), encodings=ENCODING_WORDS,
                           language_label=staff_language_label, warn_over=2,
                           budget=current_app.config["FEEDBACK_SETTINGS"].sms.segment_budget)


def week_label(monday: date) -> str:
    return _("Week of %(date)s", date=monday.strftime("%d %B %Y"))


bp.add_app_template_filter(week_label)


# --- The invitations list, and "send a survey now" from a member's page ------------------------------

#: Invitations listed per page.
INVITATIONS_PER_PAGE = 50
#: The wave filter's value for invitations staff sent by hand (their waves are named ``manual-<time>``).
MANUAL_FILTER = "manual"
#: The channels the list filters by: the schedules' own, and a printed link.
LISTED_CHANNELS = ("sms_link", "sms_conversation", "email_link", "interview", "staff_task", "print")


def _invitation_filters(args, dates: InvitationDatesForm) -> dict:
    """The list's filters from the query string; a value that is not one of the choices is dropped,
    and so is a date with a problem (``dates`` says what it is)."""
    titles = _wave_titles()
    wave = args.get("wave") or ""
    date_on = args.get("date_on") if args.get("date_on") in ("due", "sent") else "due"
    catalogue_ids = {instrument.id for instrument in _catalogue()}
    return {
        "site": chosen_site_id(args.get("site")),
        "instrument": args.get("instrument") if args.get("instrument") in catalogue_ids else "",
        "wave": wave if wave == MANUAL_FILTER or wave in {f"{s}:{w}" for s, w in titles} else "",
        "state": args.get("state") if args.get("state") in STATES else "",
        "channel": args.get("channel") if args.get("channel") in LISTED_CHANNELS else "",
        "date_on": date_on, "from": None if dates.start.errors else dates.start.data,
        "to": None if dates.end.errors else dates.end.data,
    }


def _catalogue():
    from ..instruments.readability import latest_versions
    from ..publishing.startup import current_catalogue

    return sorted(latest_versions(current_catalogue()), key=lambda instrument: instrument.id)


@bp.get("/staff/invitations")
@require_roles(*FAMILY_PAGES)
def invitations():
    """Every invitation of the user's sites, filtered, 50 a page: names and titles, never codes."""

    dates = InvitationDatesForm(request.args)
    dates.validate()
    chosen = _invitation_filters(request.args, dates)
    query = scope(sa.select(Invitation).join(Family, Family.id == Invitation.family_id), Family.site_id)
    if chosen["site"]:
        query = query.where(Family.site_id == chosen["site"])
    if chosen["instrument"]:
        query = query.where(Invitation.instrument_id == chosen["instrument"])
    if chosen["wave"] == MANUAL_FILTER:
        query = query.where(Invitation.wave.startswith(MANUAL_WAVE))
    elif chosen["wave"]:
        schedule_id, wave = chosen["wave"].split(":", 1)
        query = query.where(Invitation.schedule_id == schedule_id, Invitation.wave == wave)
    if chosen["state"]:
        query = query.where(Invitation.state == chosen["state"])
    if chosen["channel"]:
        query = query.where(Invitation.channel == chosen["channel"])
    if chosen["date_on"] == "sent":
        if chosen["from"]:
            query = query.where(Invitation.sent_at >= chosen["from"])
        if chosen["to"]:
            query = query.where(Invitation.sent_at < chosen["to"] + timedelta(days=1))
    else:
        if chosen["from"]:
            query = query.where(Invitation.due_on >= chosen["from"])
        if chosen["to"]:
            query = query.where(Invitation.due_on <= chosen["to"])
    query = query.order_by(Invitation.due_on.desc(), Family.case_ref, Invitation.id.desc()).options(
        sa.orm.selectinload(Invitation.family).selectinload(Family.site),
        sa.orm.selectinload(Invitation.member))
    page = db.paginate(query, per_page=INVITATIONS_PER_PAGE, max_per_page=INVITATIONS_PER_PAGE, error_out=False)
    keep = {key: (value.isoformat() if isinstance(value, date) else value) for key, value in chosen.items() if value}
    if keep.get("date_on") == "due" and not (chosen["from"] or chosen["to"]):
        keep.pop("date_on")
    titles = _wave_titles()
    waves = sorted(((f"{s}:{w}", title) for (s, w), title in titles.items()), key=lambda pair: str(pair[1]))
    return render_template("waves/invitations.html", page=page, total=page.total, chosen=chosen, keep=keep, dates=dates,
                           sites=visible_sites(), instruments=_catalogue(), waves=waves, states=STATES,
                           channels=LISTED_CHANNELS, titles=titles, manual_filter=MANUAL_FILTER,
                           manual_wave=MANUAL_WAVE)


def _member_instruments() -> list[str]:
    """The instruments a schedule sends to family members and that can be answered through a link."""
    from ..publishing.startup import current_catalogue
    from .service import current_schedules

    found = set()
    for schedule in current_schedules().values():
        for wave in schedule.waves:
            for sent in wave.sends:
                if sent.to == "members":
                    found.add(sent.instrument)
    usable = []
    for instrument_id in sorted(found):
        try:
            if "web" in current_catalogue().latest(instrument_id).modes:
                usable.append(instrument_id)
        except KeyError:
            continue
    return usable


def _member_channels(member) -> list[str]:
    """A link by text if the member has a mobile, by email if an address, and a printed link always."""
    return [*(["sms_link"] if member.phone else []), *(["email_link"] if member.email else []), "print"]


#: How the "send a survey now" channels read (a printed link is no schedule channel).
SEND_CHANNEL_WORDS = {"print": _l("Print a link to hand over (paper or face to face)")}


@bp.app_template_global()
def send_now_form(member):
    """The "send a survey now" form for the member's page, its choices set for this member."""
    from ..staff.words import channel_label, instrument_title
    from .forms import SendNowForm

    form = SendNowForm(formdata=None)
    _fill_send_now(form, member, channel_label, instrument_title)
    return form


def _fill_send_now(form, member, channel_label, instrument_title) -> None:
    from ..families.forms import options

    form.instrument.choices = options((i, instrument_title(i)) for i in _member_instruments())
    form.channel.choices = options((c, SEND_CHANNEL_WORDS.get(c) or channel_label(c)) for c in _member_channels(member))


@bp.post("/staff/families/<int:family_id>/members/<int:member_id>/send-now")
@require_roles(*FAMILY_PAGES)
def send_survey_now(family_id: int, member_id: int):
    """Send one survey to one member now, by the dispatcher's rules (``send_now.send_now``); audited."""
    from ..families.views import member_label as member_words
    from ..staff.access import family_or_404, member_or_404
    from ..staff.words import channel_label, instrument_title
    from .forms import SendNowForm
    from .send_now import refusal_words, send_now as send_survey
    from .service import current_schedules

    family = family_or_404(family_id)
    member = member_or_404(family, member_id)
    form = SendNowForm()
    _fill_send_now(form, member, channel_label, instrument_title)
    if not form.validate_on_submit():
        problems = [str(message) for messages in form.errors.values() for message in messages]
        return render_template("waves/send_now.html", family=family, member=member, result=None,
                               problems=problems, form=form), 400
    result = send_survey(member, form.instrument.data, form.channel.data, current_user.id)
    if result.invitation is not None:
        record("invitation.sent_manually", result.invitation, family.site_id, outcome=result.state,
               channel=form.channel.data, via="web")
        db.session.commit()
    when = None
    if result.state == "held" and result.invitation is not None and result.invitation.next_send_at is not None:
        from zoneinfo import ZoneInfo

        zone = current_schedules()[result.invitation.schedule_id].quiet_hours.zone
        when = result.invitation.next_send_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    page = render_template("waves/send_now.html", family=family, member=member, result=result, when=when,
                           problems=[], form=form, instrument=instrument_title(form.instrument.data),
                           member_name=member_words(member), reason=refusal_words(result.reason))
    return page, (200 if result.ok else 409)
