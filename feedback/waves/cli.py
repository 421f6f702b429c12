"""``flask dispatch``: one pass for cron or a systemd timer, or a loop with ``--every``.
``flask invitations``: list the sends in doubt ("unknown") and resolve them in bulk."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .channels import backend_for
from .dispatcher import DispatchStopped, dispatch_once


@click.command("dispatch", help="Send every due invitation and reminder once; with --every, keep doing so.")
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


@click.group(cls=AppGroup, help="Invitations whose text may or may not have been sent (\"unknown\").")
def invitations():
    pass


@invitations.command("unknown", help="List every unknown send, oldest first: check each with the provider's log.")
def list_unknown():
    from ..extensions import db
    from .unknown import unknown_invitations

    found = db.session.scalars(unknown_invitations()).all()
    for invitation in found:
        click.echo(f"{invitation.id}\t{invitation.send_started_at:%Y-%m-%d %H:%M:%S} UTC\t{invitation.pending_send}\t"
                   f"{invitation.channel}\t{invitation.schedule_id}/{invitation.wave}/{invitation.instrument_id}")
    click.echo(f"{len(found)} unknown", err=True)


@invitations.command("resolve-unknown", help="Record what the provider's log shows for unknown sends: sent, or "
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
