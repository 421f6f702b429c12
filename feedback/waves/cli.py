"""``flask dispatch``: one pass for cron or a systemd timer, or a loop with ``--every``.
``flask invitations``: list the sends in doubt ("unknown") and resolve them in bulk.
``flask invite``: one invitation now, for one member and one instrument (``send_now.py``)."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .channels import backend_for
from .dispatcher import DispatchStopped, dispatch_once


@click.command("dispatch", help="Send every due invitation and reminder once; with --every, keep doing so.",
               short_help="Send every due invitation and reminder once (or --every N seconds).")
@click.option("--every", type=click.IntRange(min=1), default=None, help="Seconds between passes (loop until stopped).")
@click.option("--batch-size", type=click.IntRange(min=1, max=5000), default=500, show_default=True)
@with_appcontext
def dispatch(every: int | None, batch_size: int):
    backend = backend_for(current_app.config["FEEDBACK_SETTINGS"])
    while True:
        try:
            result = dispatch_once(backend, batch_size=batch_size)
        except DispatchStopped as stopped:
            if every is None:
                raise click.ClickException(f"stopped: {stopped}") from None
            click.echo(f"stopped: {stopped}; trying again in {every} s", err=True)
            time.sleep(every)
            continue
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(result.reasons.items()))
        click.echo(f"sent {result.sent}, reminders {result.reminders}, staff tasks {result.tasks}, "
                   f"due {result.due}, expired {result.expired}, deferred {result.deferred}, "
                   f"cancelled {result.cancelled}{f' ({reasons})' if reasons else ''}, failed {result.failed}")
        if every is None:
            return
        time.sleep(every)


@click.group(cls=AppGroup, help="Invitations whose text may or may not have been sent (\"unknown\").",
             short_help="Sends in doubt (\"unknown\"): list them, record what happened.")
def invitations():
    pass


@invitations.command("unknown", help="List every unknown send, oldest first: check each with the provider's log.",
                     short_help="List every unknown send, oldest first.")
def list_unknown():
    from ..extensions import db
    from .unknown import unknown_invitations

    found = db.session.scalars(unknown_invitations()).all()
    for invitation in found:
        click.echo(f"{invitation.id}\t{invitation.send_started_at:%Y-%m-%d %H:%M:%S} UTC\t{invitation.pending_send}\t"
                   f"{invitation.channel}\t{invitation.schedule_id}/{invitation.wave}/{invitation.instrument_id}")
    click.echo(f"{len(found)} unknown", err=True)


@invitations.command("resolve-unknown", short_help="Record what the provider's log shows for unknown sends.",
                     help="Record what the provider's log shows for unknown sends: sent, or "
                                             "not sent (released, so the dispatcher sends them). Audited, one "
                                             "record per invitation.")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every unknown send, instead of the IDS given.")
@click.option("--sent/--not-sent", "reached", default=None, help="What the provider's log shows (required).")
@click.option("--reason", help="What you checked and what it showed (required; kept in each history).")
@click.option("--by", "by_email", help="The email of the admin doing this, for the audit log.")
def resolve_unknown_command(ids: tuple[int, ...], every: bool, reached: bool | None, reason: str | None,
                            by_email: str | None):
    from ..extensions import db
    from ..staff.accounts import recorded_by
    from .models import Invitation
    from .unknown import ResolveRefused, resolve_unknown_in_bulk, unknown_invitations

    if reached is None:
        raise click.UsageError("say what the provider's log shows: --sent or --not-sent")
    if bool(ids) == every:
        raise click.UsageError("give the invitation ids to resolve, or --all (not both)")
    actor = recorded_by(by_email)
    chosen = list(ids) or list(db.session.scalars(unknown_invitations().with_only_columns(Invitation.id)))
    if not chosen:
        click.echo("no unknown sends: nothing to resolve")
        return
    try:
        resolved = resolve_unknown_in_bulk(chosen, reached, reason, actor.id if actor else None, via="cli")
    except ResolveRefused as refused:
        raise click.ClickException(str(refused)) from None
    db.session.commit()
    left = sorted(set(chosen) - {invitation.id for invitation in resolved})
    click.echo(f"{len(resolved)} recorded as {'sent' if reached else 'not sent (released to be sent)'}"
               + (f"; not unknown, left alone: {', '.join(map(str, left))}" if left else ""))


MEMBER_HELP = ("MEMBER_REF is CASE_REF/MEMBER: the family's case reference, a slash, then the member's reference "
               "in the family (e.g. C-104/M2), or their role when only one member has it (C-104/mother), or "
               "the name staff pages show (C-104/Jo). Add --site when the case reference is used at two sites.")


@click.command("invite", short_help="Invite one member to one instrument now (text, email or a printed link).",
               help="Invite one family member to answer INSTRUMENT (an instrument id, see `flask instruments "
                    "list`) now. " + MEMBER_HELP + " The dispatcher's rules apply: consent in force, no pause, not "
                    "opted out, a number or address that works, the text limits; in quiet hours the invitation "
                    "waits and the dispatcher sends it when they end (the time is shown). --channel print sends "
                    "nothing and prints the survey link (/s/<token>, no personal data) for a face-to-face or "
                    "paper handover. Exits non-zero when nothing was sent or held. Audited.")
@click.argument("member_ref")
@click.argument("instrument_id", metavar="INSTRUMENT")
@click.option("--channel", type=click.Choice(("sms_link", "email_link", "print")), default="sms_link",
              show_default=True, help="A link by text, a link by email, or a link printed here to hand over.")
@click.option("--site", "site_code", help="The family's site code, when its case reference is used at two sites.")
@click.option("--by", "by_email", help="The email of the member of staff doing this, for the audit log and the "
                                       "invitation's history.")
@with_appcontext
def invite(member_ref: str, instrument_id: str, channel: str, site_code: str | None, by_email: str | None):
    from ..audit.service import record
    from ..extensions import db
    from ..staff.accounts import recorded_by
    from .send_now import send_now

    actor = recorded_by(by_email)
    member = find_member(member_ref, site_code)
    result = send_now(member, instrument_id, channel, actor.id if actor else None)
    if result.invitation is not None:
        record("invitation.sent_manually", result.invitation, member.family.site_id,
               actor_id=actor.id if actor else None, outcome=result.state, channel=channel, via="cli")
        db.session.commit()
    if not result.ok:
        raise click.ClickException(result.message)
    click.echo(result.message)
    if result.link:
        click.echo(result.link)


def find_member(member_ref: str, site_code: str | None):
    """The member ``CASE_REF/MEMBER`` names (see ``MEMBER_HELP``); a clear error if none or several."""
    import sqlalchemy as sa

    from ..extensions import db
    from ..families.models import Family
    from ..staff.models import Site

    case_ref, slash, who = member_ref.strip().rpartition("/")
    if not slash or not case_ref or not who:
        raise click.UsageError(f"{member_ref!r} is not CASE_REF/MEMBER (e.g. C-104/M2 or C-104/mother)")
    query = sa.select(Family).where(Family.case_ref == case_ref, Family.erased_at.is_(None))
    if site_code:
        query = query.join(Site, Site.id == Family.site_id).where(Site.code == site_code.strip().lower())
    families = db.session.scalars(query).all()
    if not families:
        raise click.ClickException(f"no family with case reference {case_ref}"
                                   + (f" at site {site_code}" if site_code else ""))
    if len(families) > 1:
        raise click.ClickException(f"case reference {case_ref} is used at more than one site: add --site CODE")
    members = families[0].members
    for matches in ([m for m in members if m.member_ref == who], [m for m in members if m.role == who.lower()],
                    [m for m in members if m.name and m.name.casefold() == who.casefold()]):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise click.ClickException(f"family {case_ref} has {len(matches)} members matching {who!r}: use the "
                                       "member's reference or name")
    raise click.ClickException(f"family {case_ref} has no member {who!r} (by reference, role or name)")
