"""``flask import-responses FILE --instrument ID --version N --wave NAME``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..staff.accounts import recorded_by
from .choices import ImportChoiceError, chosen_instrument, check_wave
from .reading import too_large
from .service import import_responses


@click.command("import-responses", help="Import completed responses from FILE (CSV UTF-8 or XLSX, first sheet): "
               "columns site, case_ref, member_ref, completed_on, [role], then one per item id (for the anonymous "
               "partner-survey: [completed_on], then one per item id). Every row is "
               "checked first; if any fails, nothing is stored, every problem is listed and the exit code is 1. "
               "Importing the same file again changes nothing. At most 20,000 rows of answers and 32 MB per file: split "
               "larger ones.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--instrument", "instrument_id", required=True, help="Instrument id, e.g. family-functioning.")
@click.option("--version", "version", type=int, required=True, help="The instrument version the forms were.")
@click.option("--wave", required=True, help="The wave the responses belong to, e.g. exit-3m (annual for the "
              "partner-survey).")
@click.option("--by", "email", help="Staff account the import is recorded against.")
@with_appcontext
def import_responses_command(file: Path, instrument_id: str, version: int, wave: str, email: str | None):
    actor = recorded_by(email)
    try:
        instrument = chosen_instrument(instrument_id, version)
        check_wave(wave, instrument)
    except ImportChoiceError as error:
        raise click.ClickException(str(error)) from None
    # Checked before the file is read into memory.
    if (message := too_large(file.stat().st_size)) is not None:
        raise click.ClickException(message)
    # From the command line every site may be imported for: whoever runs it has the server.
    outcome = import_responses(file.read_bytes(), file.name, instrument, wave, actor, allowed_site_ids=None)
    if outcome.status == "refused":
        for problem in outcome.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(outcome.summary(), err=True)
        sys.exit(1)
    click.echo(outcome.summary())
