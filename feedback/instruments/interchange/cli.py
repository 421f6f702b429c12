"""``flask instruments import-xlsform / export-xlsform / import-redcap / export-redcap``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..catalogue import load_catalogue
from .common import ImportRefused, write_version


def _questionnaires() -> Path:
    return Path(current_app.config["FEEDBACK_SETTINGS"].questionnaires_dir)


def _write_import(result, version: int | None, skip_unsupported: bool) -> None:
    try:
        path = write_version(_questionnaires(), result, version, skip_unsupported)
    except ImportRefused as refused:
        for line in refused.lines:
            click.echo(line, err=True)
        sys.exit(1)
    for entry in result.unsupported:
        click.echo(f"left out: {entry}", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"wrote {path}; run `flask instruments check`, then review respondents and modes")


def _instrument(instrument_id: str, version: int | None):
    catalogue = load_catalogue(_questionnaires())
    try:
        return catalogue.get(instrument_id, version) if version else catalogue.latest(instrument_id)
    except KeyError:
        click.echo(f"no valid instrument '{instrument_id}'{f' version {version}' if version else ''}; "
                   "see `flask instruments list`", err=True)
        sys.exit(1)


def _report_lost(lost: list[str], format_name: str) -> None:
    for line in lost:
        click.echo(f"not in the {format_name} file: {line}", err=True)


_import_options = [
    click.option("--id", "instrument_id", required=True, help="The new instrument's id (its folder name)."),
    click.option("--version", type=int, help="Add this version to an existing instrument instead of writing v1."),
    click.option("--skip-unsupported", is_flag=True, help="Leave out what the format cannot carry instead of refusing."),
]


def _import(read, file, instrument_id, version, skip_unsupported) -> None:
    """Read ``file`` with ``read`` (either format's importer) and write the version, or print why not."""
    try:
        result = read(file, instrument_id)
    except ImportRefused as refused:
        click.echo("\n".join(refused.lines), err=True)
        sys.exit(1)
    _write_import(result, version, skip_unsupported)


def _with_import_options(function):
    for option in reversed(_import_options):
        function = option(function)
    return function


@click.command("import-xlsform", help="Write questionnaires/<id>/v1.yaml from an ODK/Kobo XLSForm workbook; "
                                      "refuse if anything cannot be carried over unless --skip-unsupported.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_with_import_options
@with_appcontext
def import_xlsform_command(file, instrument_id, version, skip_unsupported):
    from .xlsform_import import import_xlsform

    _import(import_xlsform, file, instrument_id, version, skip_unsupported)


@click.command("export-xlsform", help="Write an instrument version as an XLSForm workbook, listing what "
                                      "XLSForm cannot hold (scales, respondents, modes).")
@click.argument("instrument_id")
@click.option("--version", type=int, help="The version (default: the latest).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="The .xlsx file (default: <id>-v<N>.xlsx).")
@with_appcontext
def export_xlsform_command(instrument_id, version, output):
    from .xlsform_export import export_xlsform

    instrument = _instrument(instrument_id, version)
    workbook, lost = export_xlsform(instrument)
    output = output or f"{instrument.id}-v{instrument.version}.xlsx"
    workbook.save(output)
    _report_lost(lost, "XLSForm")
    click.echo(f"wrote {output}")


@click.command("import-redcap", help="Write questionnaires/<id>/v1.yaml from a REDCap data dictionary (CSV); "
                                     "refuse if anything cannot be carried over unless --skip-unsupported.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_with_import_options
@click.option("--language", default="en", show_default=True,
              help="The language the dictionary's labels are written in (a code such as cy).")
@with_appcontext
def import_redcap_command(file, instrument_id, version, skip_unsupported, language):
    from .redcap import import_redcap

    _import(lambda path, new_id: import_redcap(path, new_id, language), file, instrument_id, version,
            skip_unsupported)


@click.command("export-redcap", help="Write an instrument version as a REDCap data dictionary (CSV), listing "
                                     "what REDCap cannot hold (translations, scales, respondents, modes).")
@click.argument("instrument_id")
@click.option("--version", type=int, help="The version (default: the latest).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="The .csv file (default: <id>-v<N>.csv, or <id>-v<N>-<language>.csv with --language).")
@click.option("--language", help="Write the labels in this language (default: the instrument's first); "
                                 "a data dictionary holds one.")
@with_appcontext
def export_redcap_command(instrument_id, version, output, language):
    from .redcap import export_redcap

    instrument = _instrument(instrument_id, version)
    try:
        text, lost = export_redcap(instrument, language)
    except ValueError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    output = output or f"{instrument.id}-v{instrument.version}{f'-{language}' if language else ''}.csv"
    Path(output).write_text(text, encoding="utf-8")
    _report_lost(lost, "REDCap")
    click.echo(f"wrote {output}")


COMMANDS = (import_xlsform_command, export_xlsform_command, import_redcap_command, export_redcap_command)


def add_interchange_commands(group: click.Group) -> None:
    for command in COMMANDS:
        group.add_command(command)
