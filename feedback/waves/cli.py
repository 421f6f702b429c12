"""``flask dispatch``: one pass for cron or a systemd timer, or a loop with ``--every``."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

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
