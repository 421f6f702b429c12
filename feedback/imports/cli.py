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
from .summary import DETAIL_LIMIT, capped, summary_lines


@click.command("import-responses", help="Import completed responses from FILE (CSV UTF-8 or XLSX, first sheet): "
               "columns site, case_ref, member_ref, completed_on, [role], [entry_date], [exit_date] (set on a family "
               "that has none), then one per item id (for the anonymous "
               "partner-survey: [completed_on], then one per item id). Leave out the column of an item the forms "
               "never asked: it is stored as -6, not collected. Every row is "
               "checked first; if any fails, nothing is stored, the problems are summarised by column (then listed, "
               f"the first {DETAIL_LIMIT} unless --all-problems) and the exit code is 1. "
               "Importing the same file again changes nothing. At most 20,000 rows of answers and 32 MB per file: split "
               "larger ones.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--instrument", "instrument_id", required=True, help="Instrument id, e.g. family-functioning.")
@click.option("--version", "version", type=int, required=True, help="The instrument version the forms were.")
@click.option("--wave", required=True, help="The wave the responses belong to, e.g. exit-3m (annual for the "
              "partner-survey).")
@click.option("--by", "email", help="Staff account the import is recorded against.")
@click.option("--all-problems", is_flag=True, help=f"List every problem, not just the first {DETAIL_LIMIT}.")
@with_appcontext
def import_responses_command(file: Path, instrument_id: str, version: int, wave: str, email: str | None,
                             all_problems: bool):
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
        click.echo(outcome.summary(), err=True)
        if len(outcome.problems) > 1:
            click.echo("Problems by column:", err=True)
            for line in summary_lines(outcome.problems):
                click.echo(f"  {line}", err=True)
            click.echo("Every problem:", err=True)
        shown, left_out = capped(outcome.problems, None if all_problems else DETAIL_LIMIT)
        for problem in shown:
            click.echo(f"error: {problem}", err=True)
        if left_out:
            click.echo(f"… and {left_out} more problem(s): run again with --all-problems to list them all.", err=True)
        sys.exit(1)
    click.echo(outcome.summary())
