"""``flask export run PROFILE``: write a profile's bundle (a folder and a zip of it)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..publishing.startup import current_catalogue
from ..staff.accounts import recorded_by
from ..waves.service import current_schedules
from .profile import ProfileError, instrument_items, load_profile, wave_names
from .runner import ExportError, run_export

export = AppGroup("export", help="Evaluator datasets from export profiles (exports/*.yaml).")


@export.command("run", help="Write the bundle for PROFILE (a file in exports/).")
@click.argument("profile_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("instance/exports"),
              show_default=True, help="Folder the bundle and its zip are written to.")
@click.option("--by", "email", help="Staff account the run is recorded against (an admin, for a full export).")
def run(profile_path: Path, out: Path, email: str | None):
    actor = recorded_by(email)
    try:
        profile = load_profile(profile_path, instrument_items(current_catalogue()), wave_names(current_schedules()))
        bundle = run_export(profile, out, actor)
    except (ProfileError, ExportError) as error:
        raise click.ClickException(str(error)) from None
    rows = ", ".join(f"{instrument} {count}" for instrument, count in bundle.manifest["rows"].items())
    click.echo(f"wrote {bundle.directory} and {bundle.zip_path.name} ({rows} responses)")
