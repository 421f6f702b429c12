"""``flask translations check|export|import``: the translation workflow (README, "Translating")."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app, has_app_context
from flask.cli import AppGroup

from ..instruments import load_catalogue
from ..languages import language_name, ui_languages
from .catalogues import catalogue_problems
from .sheets import existing_files, merged_files, read_po_file, read_sheet, write_po_file, write_sheet


@click.group(cls=AppGroup, help="Check the interface catalogues; move instrument wording to and from translators' files.")
def translations():
    pass


def _settings():
    return current_app.config["FEEDBACK_SETTINGS"]


def _translations_dir() -> Path:
    return Path(_settings().translations_dir)


def _versions(instrument_id: str):
    catalogue = load_catalogue(_settings().questionnaires_dir)
    versions = sorted((instrument for instrument in catalogue if instrument.id == instrument_id),
                      key=lambda instrument: -instrument.version)
    if not versions:
        known = ", ".join(sorted({instrument.id for instrument in catalogue}))
        raise click.ClickException(f"no instrument '{instrument_id}'; the instruments are {known}")
    return catalogue, versions


@translations.command("check", help="Every interface catalogue complete, compiled, with matching placeholders and "
                                    "plural rules; every instrument's language files complete for each version. "
                                    "Exits non-zero on any problem.")
def translations_check():
    problems = [str(problem) for problem in catalogue_problems(_translations_dir())]
    catalogue = load_catalogue(_settings().questionnaires_dir)
    problems += [f"error: {problem}" for problem in catalogue.problems]
    # Notes (an instrument with no file for a language) are not problems: only incomplete files are.
    problems += [line for line in language_gap_lines(catalogue) if not line.startswith("note: ")]
    for line in problems:
        click.echo(line, err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo("catalogues and language files complete")


def language_gap_lines(catalogue, limit: int = 5, languages: tuple[str, ...] | None = None) -> list[str]:
    """What each language lacks per version, a few texts each (the version does not offer it);
    then ``offer_lines``' notes (lines starting "note: ") on the app's ``languages`` (default: the
    current app's, none outside one) that an instrument has no language file for at all."""
    lines = []
    for (instrument_id, version, language), missing in sorted(catalogue.language_gaps.items()):
        lines.append(f"{instrument_id} v{version}: {language_name(language)} ({language}) lacks {len(missing)} text(s), "
                     f"so this version does not offer it:")
        for text, place in list(missing.items())[:limit]:
            lines.append(f"    {place}: {text[:70]!r}" if text else f"    {place}")
        if len(missing) > limit:
            lines.append(f"    … and {len(missing) - limit} more (`flask translations export` lists them all)")
    if languages is None:
        languages = ui_languages() if has_app_context() else ()
    return lines + offer_lines(catalogue, languages)


def offer_lines(catalogue, languages: tuple[str, ...]) -> list[str]:
    """A note per family-facing instrument (its latest version) naming the app's ``languages`` it
    does not offer and has no language file for (a language file short of texts is said above);
    and one note for the instruments staff answer, which are in English and Welsh only. Notes,
    not problems: a service may offer an instrument in fewer languages than its texts."""
    from ..instruments.readability import is_family_facing

    latest = {}
    for instrument in catalogue:  # in (id, version) order: the last of each id is its latest
        latest[instrument.id] = instrument
    lines, staff = [], []
    for instrument_id, instrument in sorted(latest.items()):
        if not is_family_facing(instrument):
            staff.append(instrument_id)
            continue
        started = {language for (gap_id, version, language) in catalogue.language_gaps
                   if (gap_id, version) == (instrument_id, instrument.version)}
        absent = [code for code in languages if code not in instrument.languages and code not in started]
        if absent:
            named = ", ".join(f"{language_name(code)} ({code})" for code in absent)
            lines.append(f"note: {instrument_id} v{instrument.version} is not offered in {named}: it has no language "
                         f"file for them (`flask translations export {instrument_id} --language {absent[0]}` starts one)")
    if staff and any(code not in ("en", "cy") for code in languages):
        lines.append(f"note: {', '.join(staff)}: answered by staff: English and Welsh only")
    return lines


@translations.command("export", help="Write an instrument's wording for translators: XLSX with a column per language "
                                     "(--language repeatable), or a PO file for one language.")
@click.argument("instrument_id")
@click.option("--language", "languages", multiple=True, required=True, help="Language code (repeatable for XLSX).")
@click.option("--format", "file_format", type=click.Choice(["xlsx", "po"]), default="xlsx", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
def translations_export(instrument_id: str, languages: tuple[str, ...], file_format: str, output: Path):
    _, versions = _versions(instrument_id)
    files = existing_files(Path(_settings().questionnaires_dir) / instrument_id)
    if file_format == "po":
        if len(languages) != 1:
            raise click.ClickException("a PO file holds one language: give --language once")
        output.write_bytes(write_po_file(versions, languages[0], files.get(languages[0])))
    else:
        output.write_bytes(write_sheet(versions, list(languages), files))
    click.echo(f"wrote {output}")


@translations.command("import", help="Read a translator's XLSX or PO file back into the instrument's language files. "
                                     "All or nothing: every problem is listed and nothing changes until there are none.")
@click.argument("instrument_id")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Report what would change; write nothing.")
def translations_import(instrument_id: str, path: Path, check: bool):
    _, versions = _versions(instrument_id)
    data = path.read_bytes()
    if path.suffix.lower() == ".po":
        language, texts, problems = read_po_file(data, versions)
        incoming = {language: texts} if language else {}
    else:
        incoming, problems = read_sheet(data, versions)
    for problem in problems:
        click.echo(f"{path.name}: {problem}", err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s); no language file was changed")
    folder = Path(_settings().questionnaires_dir) / instrument_id / "languages"
    contents = merged_files(instrument_id, versions, incoming, existing_files(folder.parent))
    for language, text in contents.items():
        click.echo(f"{language}: {len(incoming[language])} translated text(s) read")
        if not check:
            folder.mkdir(exist_ok=True)
            (folder / f"{language}.yaml").write_text(text, encoding="utf-8")
    click.echo("checked; nothing written" if check else "language files written: run `flask translations check`, "
               "and record a review in translations.yaml")
