"""``flask import-families FILE [--by EMAIL] [--check] [--no-past-waves]``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..imports.reading import too_large
from ..staff.accounts import recorded_by
from .importing import LONG_PAST_MONTHS, import_families


@click.command("import-families", help="Import families, their members and consent decisions from FILE (CSV UTF-8 "
               "or XLSX, first sheet; one row per member: site, case_ref, referral_date, entry_date, exit_date, "
               "key_worker, member_ref, role, name, birth_year_month, phone, email, language, channel, "
               "consent_participation, consent_participation_date, consent_sms, consent_sms_date, consent_email, "
               "consent_email_date, and parent_consent_* for under-16s). Every row is checked first; if any "
               "fails, nothing is stored, every problem is listed and the exit code is 1. Importing the same "
               "file again changes nothing.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "email", help="Staff account the import is recorded against.")
@click.option("--check", "check_only", is_flag=True, help="Check the file and say what importing it would do; "
              "store nothing.")
@click.option("--no-past-waves", "skip_long_past", is_flag=True,
              help=f"Record families whose exit date is more than {LONG_PAST_MONTHS} months ago as closed, so no "
                   "waves are planned for them.")
@with_appcontext
def import_families_command(file: Path, email: str | None, check_only: bool, skip_long_past: bool):
    actor = recorded_by(email)
    if (message := too_large(file.stat().st_size)) is not None:
        raise click.ClickException(message)
    # From the command line every site may be imported for: whoever runs it has the server.
    outcome = import_families(file.read_bytes(), actor, allowed_site_ids=None, check_only=check_only,
                              skip_long_past=skip_long_past)
    if outcome.status == "refused":
        for problem in outcome.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(outcome.summary(), err=True)
        sys.exit(1)
    click.echo(outcome.summary())
