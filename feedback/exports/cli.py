"""``flask export run PROFILE``: write a profile's bundle (a folder and a zip of it), showing its
progress (a bar on a terminal, plain lines in a log); ``flask export purge``: delete web exports
older than the retention limit."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..publishing.startup import current_catalogue
from ..staff.accounts import recorded_by
from ..waves.service import current_schedules
from .jobs import DISK_FULL, disk_full
from .profile import ProfileError, instrument_items, load_profile, wave_names
from .retention import purge as purge_expired, retention_days
from .runner import ExportError, run_export

export = AppGroup("export", help="Evaluator datasets from export profiles (exports/*.yaml).")


class ProgressReport:
    """``run_export``'s progress: a click progress bar over the instruments on a terminal, one
    plain line per stage otherwise (a cron job's log, a pipe), so a log never fills with bar redraws."""

    def __init__(self, terminal: bool):
        self.terminal = terminal
        self.bar = None

    def __call__(self, stage: str, done: int, total: int, rows: int) -> None:
        if not self.terminal:
            click.echo(f"{stage}: {done} of {total} instruments done, {rows:,} responses so far")
            return
        if self.bar is None:
            self.bar = click.progressbar(length=max(total, 1), label="Exporting", show_pos=True,
                                         item_show_func=lambda text: text)
            self.bar.__enter__()
        self.bar.update(max(done - self.bar.pos, 0), f"{stage} ({rows:,} responses)")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def on_terminal() -> bool:
    return sys.stdout.isatty()


@export.command("run", help="Write the bundle for PROFILE (a file in exports/).")
@click.argument("profile_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("instance/exports"),
              show_default=True, help="Folder the bundle and its zip are written to.")
@click.option("--by", "email", help="Staff account the run is recorded against (an admin, for a full export).")
def run(profile_path: Path, out: Path, email: str | None):
    actor = recorded_by(email)
    report = ProgressReport(on_terminal())
    try:
        profile = load_profile(profile_path, instrument_items(current_catalogue()), wave_names(current_schedules()))
        bundle = run_export(profile, out, actor, progress=report)
    except (ProfileError, ExportError) as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        if disk_full(error):
            raise click.ClickException(f"{DISK_FULL} ({error})") from None
        raise
    finally:
        report.close()
    rows = ", ".join(f"{instrument} {count}" for instrument, count in bundle.manifest["rows"].items())
    click.echo(f"wrote {bundle.directory} and {bundle.zip_path.name} ({rows} responses)")


@export.command("purge", help="Delete web exports older than FEEDBACK_EXPORT_RETENTION_DAYS (audited).")
def purge():
    expired = purge_expired()
    for run in expired:
        click.echo(f"deleted {run.bundle} (export {run.id}, finished {run.finished_at:%Y-%m-%d})")
    click.echo(f"{len(expired)} export(s) past the retention limit of {retention_days()} days deleted")
