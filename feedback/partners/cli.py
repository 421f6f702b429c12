"""``flask partners list`` and ``flask partners import-contacts FILE [--by EMAIL]``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..extensions import db
from ..staff.accounts import recorded_by
from .contact_file import MAX_BYTES
from .importing import import_contacts
from .models import SECTORS
from .service import contact_counts, visible_agencies


@click.group(cls=AppGroup, help="Partner agencies and the contacts in them who are surveyed.")
def partners():
    pass


@partners.command("list", help="List every partner agency with its sector, sites and number of contacts "
                               "(no names or addresses).")
def partners_list():
    agencies = db.session.scalars(visible_agencies(None)).all()
    counts = contact_counts(agency.id for agency in agencies)
    for agency in agencies:
        state = "active" if agency.active else "inactive"
        sites = ",".join(site.code for site in agency.sites) or "-"
        click.echo(f"{agency.name:40} {SECTORS.get(agency.sector, agency.sector):16} {sites:20} "
                   f"{counts.get(agency.id, 0):4} contact(s)  {state}")
    click.echo(f"{len(agencies)} partner agency(ies)")


@partners.command("import-contacts", help="Import partner agency contacts from FILE (CSV UTF-8): columns agency "
                  "(an existing agency's name), name, role (manager or practitioner), email, consent (yes/no) and "
                  "optionally active (yes/no, empty: yes). Every row is checked first; if any fails, nothing is "
                  "stored, every problem is listed and the exit code is 1. A row whose address the agency's "
                  "contacts already have updates that contact, so importing the same file again changes nothing.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "--as", "email", help="Staff account the import is recorded against.")
@click.option("--check", "check_only", is_flag=True, help="Only check the file and say what it would change.")
def import_contacts_command(file: Path, email: str | None, check_only: bool):
    actor = recorded_by(email)
    if file.stat().st_size > MAX_BYTES:  # checked before the file is read into memory
        raise click.ClickException(f"{file.name} is larger than {MAX_BYTES // 2**20} MB: that is not a list of "
                                   "contacts.")
    # From the command line every agency may be named: whoever runs it has the server.
    outcome = import_contacts(file.read_bytes(), actor, allowed_site_ids=None, check_only=check_only, via="cli")
    if outcome.status == "refused":
        for problem in outcome.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(outcome.summary(), err=True)
        sys.exit(1)
    click.echo(outcome.summary())
