"""Running an export profile: select completed responses, de-identify them, shape them, write the
bundle (data files, codebook, manifest, README) and a zip of it, and audit the run.

An instrument's table is built a block of ``FAMILY_BLOCK`` families at a time (``_build``), so
what the build holds besides the finished table is a block's, not the cohort's; what a block
cannot know alone (reliable change's baseline, SD and alpha, the wide shape's waves) is worked out
over the whole selection first. Rows then go in an order that says nothing the columns do not
(``_row_order``): a de-identified table's by its pseudonyms, never by enrolment or completion.

The bundle is built in a hidden folder next to its destination and renamed into place only when
every file is written, so a failure (a refused disclosure check, a missing key, a full disk)
leaves no partial bundle behind.

Shapes: ``long`` (one row per response, one file per instrument),
``wide_member`` (one row per member, wave-prefixed columns, one file per instrument), with scale
scores, change scores between waves and family aggregates; item columns across instrument
versions follow ``versions`` (shared only while type and codes agree). ``wide_family`` gives one row
per family: a family-level instrument's columns per wave, a members' instrument's family aggregates.

An instrument answered by partner agencies' staff (the partner survey) has no family, member or
site: its table keeps one row per response in every shape, without the family's columns (ids,
ages, days since entry or exit), so its own ``role`` question is the only role. The contact a
non-anonymous response came from is never read (``dataset.responses`` has no contact column);
its free text is scrubbed of every contact's name and address the service holds.
"""
from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app

from ..audit.service import record
from ..config import local_secret
from ..extensions import db
from ..families.models import Family
from ..instruments.definition import CODED_TYPES, FREE_TEXT_TYPES, NOT_COLLECTED, NOT_COLLECTED_LABEL, Instrument
from ..publishing.startup import current_catalogue
from ..timeutil import utcnow
from .codebook import Codebook, Variable
from .dataset import Selection, answers_by_response, family_blocks, response_keys, responses, score_chunks
from .derived import add_level_counts, add_reading_gaps
from .change import (PREFIXES as CHANGE_PREFIXES, ChangeBasis, add_reliable_change, apply_change, change_basis,
                     readme_lines as change_readme_lines)
from ..instruments.reliability import reliabilities_for, with_version_file
from .deidentify import (Drop, Recode, age_band, age_band_column, age_column, coarsen_column, days_since_column,
                         coarser_edges, generalise, local_days, scrub, shift_days, shifted_column,
                         suppress_locally, wider_bands)
from .pseudonyms import check_key, pseudonym_map
from .profile import Profile
from .r_script import SCRIPT_NAME, write_load_script
from .versions import VersionMismatch, item_columns
from .background import BackgroundWriter
from .freed_memory import give_back
from .wording import WORDING_VARIABLES, follow_language, translation_statuses, translation_table
from .bundling import bundle_name, content_hash, write_zip
from .score_columns import ScorePlaces
from .writers import prepare_frame, write_bundle_files, write_manifest, write_readme

CHOICE_TYPES = ("single_choice", "agreement", "scale", "yes_no")
log = logging.getLogger(__name__)


class ExportError(RuntimeError):
    """The export cannot be made as asked; the message says why and what to do. Nothing was written."""


@dataclass(frozen=True)
class Bundle:
    directory: Path
    zip_path: Path
    manifest: dict


class PseudonymKeyMissing(ExportError):
    """No usable pseudonym key. The message names the setting, for whoever runs the server; a
    researcher on the web is shown ``public_message``: they cannot change a server setting."""

    public_message = ("De-identified exports cannot run yet: an administrator must configure "
                      "pseudonymisation (the service's pseudonym key).")


def pseudonym_key(profile: Profile) -> bytes | None:
    """The key pseudonyms are made with, from the setting the profile names (never from the
    profile). Outside production, with the setting unset, a random key is made in the instance
    folder on first use and kept, as the secret key is, so a researcher gets a dataset on day one
    and later exports link to it; production refuses instead."""
    if profile.deidentification.identifiable:
        return None
    setting = profile.deidentification.pseudonym.key_setting
    value = os.environ.get(setting, "").strip()
    how = "at least 32 random bytes, e.g. python -c 'import secrets; print(secrets.token_hex(32))'"
    if not value:
        if current_app.config["FEEDBACK_SETTINGS"].production:
            raise PseudonymKeyMissing(f"{setting} is not set: de-identified exports need a pseudonym key ({how}). "
                                      "Keep it: the same key gives the same ids in every export.")
        instance = Path(current_app.instance_path)
        value, made = local_secret(instance, setting.lower(), lambda: secrets.token_hex(32))
        if made:
            log.warning("%s is not set: made a pseudonym key in %s and kept it there (development only; "
                        "the same key gives the same ids in every export; production needs %s)",
                        setting, instance / setting.lower(), setting)
    try:
        key = bytes.fromhex(value)
    except ValueError:
        key = value.encode()
    try:
        return check_key(key)
    except ValueError as error:
        raise PseudonymKeyMissing(f"{setting}: {error}") from None


def run_export(profile: Profile, out: Path, actor=None, key: bytes | None = None,
               progress: Callable[[str, int, int, int], None] | None = None) -> Bundle:
    """Write the profile's bundle under ``out``; returns where it went. Raises ``ExportError``.

    ``progress(stage, instruments_done, instruments_total, rows_so_far)`` is called as the export
    goes (stage: "reading <instrument>", "writing <instrument>", "finishing files", "zipping").
    """
    tell = progress or (lambda *_: None)
    full = profile.deidentification.identifiable
    if full and not (actor is not None and getattr(actor, "is_admin", False)):
        raise ExportError(f"{profile.id} is an identifiable (full) export: only an admin may run it.")
    if not full:
        key = key if key is not None else pseudonym_key(profile)
    now = utcnow()
    catalogue = current_catalogue()
    chosen = ([key_[0] for key_ in catalogue.instruments] if profile.instruments == "all"
              else [choice.id for choice in profile.instruments])
    chosen = sorted(set(chosen))
    selection = dict(waves=None if profile.waves == "all" else tuple(profile.waves),
                     site_codes=None if profile.sites == "all" else tuple(profile.sites))
    counts, versions, steps, smallest, scoring_versions, files = {}, {}, [], None, set(), []
    blanked: dict[str, dict[str, int]] = {}
    reliable_change: dict[str, list[dict]] = {}  # instrument → per scale: SD, r, S_diff, threshold
    suffix = "-IDENTIFIABLE" if full else ""
    name = f"{profile.id}{suffix}-{now:%Y%m%d-%H%M%S}"  # the short content hash follows (``bundling``)
    out.mkdir(parents=True, exist_ok=True)
    # Hidden and unique: two runs in the same second never share, or remove, each other's folder.
    building, zip_path = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=out)), None
    try:
        csv_sets: dict[str, tuple[str, Codebook]] = {}  # stem → (CSV file, codebook), for load.R
        # One instrument at a time, written as soon as it is built and checked: only one table is
        # in memory at once, and a large XLSX file is written by a worker meanwhile (``background``).
        with BackgroundWriter() as background:
            for done, instrument_id in enumerate(chosen):
                tell(f"reading {instrument_id}", done, len(chosen), sum(counts.values()))
                chosen_here = Selection(instruments=(instrument_id,), **selection)
                built = _build(profile, instrument_id, chosen_here, key, catalogue, full, reliable_change)
                if built is None:
                    continue
                table, codebook, counts[instrument_id], versions[instrument_id] = built
                del built
                if not full and profile.disclosure is not None:
                    table, codebook, applied, k, blanked_here = _disclose(profile, instrument_id, table, codebook)
                    table, codebook = follow_language(table, codebook)
                    steps.extend(applied)
                    if blanked_here:
                        blanked[instrument_id] = blanked_here
                    smallest = k if smallest is None else min(smallest, k)
                    give_back()  # the disclosure check's counts, before the writers' copy
                if "scoring_version" in table:
                    scoring_versions.update(table["scoring_version"].dropna().unique())
                stem = f"{instrument_id}{suffix}"
                tell(f"writing {instrument_id}", done, len(chosen), sum(counts.values()))
                # Converted once for every writer; the table itself is let go first, so its Python
                # objects are not held beside their converted copies while the files are written.
                data = prepare_frame(table, codebook, consume=True)
                del table
                give_back()
                written = write_bundle_files(data, codebook, building, stem, profile.formats, background)
                del data
                give_back()  # this instrument's table, before the next one is built
                files.extend(path.name for path in written.values())
                codebook.write_codebook_csv(building / f"{stem}-codebook.csv")
                codebook.write_codebook_json(building / f"{stem}-codebook.json")
                files.extend([f"{stem}-codebook.csv", f"{stem}-codebook.json"])
                if "csv" in written:
                    csv_sets[stem] = (written["csv"].name, codebook)
            if not counts:
                raise ExportError(f"nothing to export: no completed responses match {profile.id} "
                                  "(its instruments, waves and sites).")
            tell("finishing files", len(chosen), len(chosen), sum(counts.values()))
            background.wait()
        if csv_sets:  # R users: the CSV files read with their labels
            files.append(write_load_script(building / SCRIPT_NAME, csv_sets).name)
        manifest = {
            "profile": profile.id, "profile_hash": profile.content_hash, "created_at": now.isoformat(timespec="seconds"),
            "content_hash": content_hash(building, files),  # what it covers: ``bundling``
            "identifiable": full, "shape": profile.shape, "rows": counts, "versions": versions,
            "deidentification": None if full else {
                "pseudonyms": "HMAC-SHA256 of internal ids" + (f", recipient {profile.deidentification.pseudonym.recipient}"
                                                               if profile.deidentification.pseudonym.recipient else ""),
                "dates": profile.deidentification.dates, "ages": profile.deidentification.ages,
                "free_text": profile.deidentification.free_text, "timestamps": profile.deidentification.timestamps,
                "identifying_items": "removed"},
            "disclosure": None if full or profile.disclosure is None else {
                "quasi_identifiers": list(profile.disclosure.quasi_identifiers), "threshold": profile.disclosure.k,
                "on_small_groups": profile.disclosure.on_small_groups,
                "k": smallest, "generalised": sorted(set(steps)),
                # Local suppression: values blanked, per instrument and column; k counts a blank as
                # matching any value (as sdcMicro does).
                "blanked": blanked},
            "scoring_versions": sorted(scoring_versions),
            "change_scores": [f"{pair.to_wave} − {pair.from_wave}" for pair in profile.change_pairs(_schedule_waves())],
            "derived": profile.scores.derived,
            # Per instrument and scale: what chg_/rci_/rcc_ were computed with (``change``).
            "reliable_change": reliable_change,
            # Per instrument version and language: status, reviewer and date, wording hash (``wording``).
            "translations": translation_table(catalogue, versions),
            "files": sorted(files),
        }
        write_manifest(building / "manifest.json", manifest)
        write_readme(building / "README.txt", _readme(profile, manifest))
        tell("zipping", len(chosen), len(chosen), sum(counts.values()))
        final = out / bundle_name(name, manifest)
        if final.exists() or (out / f"{final.name}.zip").exists():
            raise ExportError(f"{final.name} was made moments ago with the same data: use that bundle.")
        # The zip first, then the folder: a full disk while zipping leaves neither behind.
        zip_path = write_zip(building, final.name, out / f"{final.name}.zip")
        building.rename(final)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        if zip_path is not None:
            zip_path.unlink(missing_ok=True)
        raise
    record("export.run", None, None, getattr(actor, "id", None), profile=profile.id, hash=profile.content_hash,
           rows=counts, identifiable=full, bundle=final.name)
    db.session.commit()
    return Bundle(final, zip_path, manifest)


#: Families whose table is built at once: a block's responses, answers and intermediate tables
#: are held, never the cohort's; the blocks' finished tables are then put together. An export of
#: no more families than this is built whole, in one block.
FAMILY_BLOCK = 5_000


@dataclass(frozen=True)
class Cohort:
    """What a table built a block of families at a time takes from the whole selection, so that
    each block gets the columns and values the whole table would have given it."""

    scored: bool                   # some response has a score: every block gets the score columns
    by_member: bool                # some response has a member (else: a family-level instrument)
    waves: tuple[str, ...]         # the waves a wide table has a block of columns for
    change: ChangeBasis | None     # reliable change's baseline, SD and reliability over the cohort


def _build(profile: Profile, instrument_id: str, selection: Selection, key: bytes | None, catalogue, full: bool,
           change_notes: dict | None = None) -> tuple[pd.DataFrame, Codebook, int, list[int]] | None:
    """One instrument's de-identified table and codebook, its responses and versions; None when it
    has no responses. Built ``FAMILY_BLOCK`` families at a time (``dataset.family_blocks``): all of
    a family's rows are in one block, so what follows a member or family (change, family means,
    the wide reshape) is the same in a block as in the whole; what needs the whole cohort is worked
    out first (``_cohort``). The rows are then put in ``_row_order``, the same however many
    blocks there were."""
    blocks = family_blocks(selection, FAMILY_BLOCK)
    cohort = _cohort(profile, instrument_id, selection, catalogue) if len(blocks) > 1 else None
    give_back()  # the cohort's keys and baseline answers, before the blocks
    parts, variables, notes, rows, versions = [], None, [], 0, set()
    for block in blocks:
        frame = responses(block)
        if frame.empty:
            continue
        rows += len(frame)
        versions.update(int(v) for v in frame["version"].unique())
        part, part_variables, notes = _table(profile, instrument_id, block, frame, key, catalogue, full, cohort)
        del frame
        if variables is None:
            variables = part_variables
        elif part_variables != variables:  # a block's columns must be the whole table's: never guess
            differ = sorted({v.name for v in part_variables}.symmetric_difference(v.name for v in variables)
                            or {a.name for a, b in zip(part_variables, variables) if a != b})
            raise RuntimeError(f"{instrument_id}: a block of families gave other columns or codebook entries "
                               f"than the first ({', '.join(differ)})")
        if len(part) or not parts:
            # Column by column, so the columns taken into the whole table can be let go as they are
            # (a frame's columns share 2-D blocks, which live on while any of their columns does).
            parts.append(part if len(blocks) == 1 else {name: part[name].copy() for name in part.columns})
        del part
        give_back()  # the block's answers and intermediate tables, before the next block's
    if not parts:
        return None
    if notes and change_notes is not None:
        change_notes[instrument_id] = [note.manifest() for note in notes]
    if len(blocks) == 1:
        table = parts[0]
        order = _row_order(table, full)
        if not np.array_equal(order, np.arange(len(table))):
            table = table.take(order).reset_index(drop=True)
    else:
        table = _stacked(parts, _row_order(_stacked([{name: part[name] for name in ROW_ORDER_KEYS[full]
                                                       if name in part} for part in parts]), full))
    del parts
    give_back()  # the blocks' pieces of the columns
    codebook = Codebook(tuple(variable for variable in variables if variable.name in table.columns))
    for variable in codebook:
        if variable.type == "numeric":
            # A column with no values at all is read as text; it holds numbers, so say so.
            table[variable.name] = pd.to_numeric(table[variable.name])
    return table, codebook, rows, sorted(versions)


def _stacked(parts: list[dict[str, pd.Series]], order: np.ndarray | None = None) -> pd.DataFrame:
    """The blocks' tables (each as its columns) one after another, as ``pd.concat`` puts frames
    (the same dtypes), a column at a time: each block's column is let go once the whole column is
    made, so the blocks and the whole table are never held together. ``order``: the rows'
    positions in the result (``_row_order``), applied a column at a time too."""
    columns, freed = [], 0
    for name in list(parts[0]):
        pieces = [part.pop(name) for part in parts]
        column = pd.concat(pieces, ignore_index=True)
        freed += sum(piece.memory_usage(index=False) for piece in pieces)
        del pieces
        columns.append(column if order is None else column.take(order).reset_index(drop=True))
        del column
        if freed >= STACK_GIVE_BACK_BYTES:
            # The blocks' pieces are small and the whole columns large, so the heap does not fit
            # the one into the other: without this it grew by most of a table while stacking.
            give_back()
            freed = 0
    return pd.concat(columns, axis=1) if columns else pd.DataFrame(index=pd.RangeIndex(0))


#: Pieces let go while stacking before their memory is handed back (``freed_memory``).
STACK_GIVE_BACK_BYTES = 32 * 2**20


#: The columns rows are ordered by: family, member, response (``_row_order``).
ROW_ORDER_KEYS = {True: ("family_id", "member_id", "response_id"), False: ("family", "member", "response")}


def _row_order(table: pd.DataFrame, full: bool) -> np.ndarray:
    """The rows' positions in the order they are exported: by family, then member, each member's
    (or family's) rows in the order they are in, which is completion order (a block's rows are).

    A de-identified table is ordered by its pseudonyms, which are keyed: so the order says nothing
    about when a family enrolled or answered, or which id it has, that the columns do not (before,
    a table in completion order let a reader who knew when one family answered bracket the rest,
    and set anonymous partners' rows beside the invitations' "responded" days). A row without a
    family (an erased family's kept response, a partner's) goes after those with one, by member or
    response. An identifiable table is ordered by family and member id."""
    names = [name for name in ROW_ORDER_KEYS[full] if name in table.columns]
    if not names or not len(table):
        return np.arange(len(table))
    keys = [table[name] for name in names]
    # The first of family, member, response a row has, and which of them it was.
    primary, source = keys[0], pd.Series(np.where(keys[0].notna(), 0, len(keys)), index=table.index)
    for rank, key in enumerate(keys[1:], start=1):
        source = source.mask(primary.isna() & key.notna(), rank)
        primary = primary.where(primary.notna(), key)
    member = ROW_ORDER_KEYS[full][1]

    def codes(values: pd.Series) -> np.ndarray:
        found, _ = pd.factorize(values, sort=True)  # ordered codes; missing is -1, first
        return found

    columns = [np.arange(len(table))]  # the last key: ties keep their order
    if member in table.columns:
        columns.append(codes(table[member]))
    columns += [codes(primary), source.to_numpy()]
    return np.lexsort(columns)


def _cohort(profile: Profile, instrument_id: str, selection: Selection, catalogue) -> Cohort:
    """What the blocks of ``_build`` need of the whole selection, from its responses' ids and
    waves and its scores (internal ids stand for pseudonyms: one for one), and the answers at
    baseline of scales whose reliability is computed here."""
    instrument = catalogue.latest(instrument_id)
    keys = response_keys(selection)
    by_member = bool(keys["member_id"].notna().any())
    placed = keys["member_id" if profile.shape == "wide_member" and by_member else "family_id"].notna()
    waves = tuple(sorted(set(keys.loc[placed, "wave"].dropna())))
    scored, basis = False, None
    if profile.scores.scales:
        place = ScorePlaces(keys["response_id"])
        for chunk in score_chunks(selection):
            place.add(chunk)
        scored = bool(place.read)
        if scored and not _answered_by_partners(instrument) and profile.scores.change != ():
            for scale in instrument.scales:
                keys[f"score_{scale.id}"] = place.scale(scale.id)[0]
            del place
            scale_items = sorted({item for scale in instrument.scales for item in scale.items})

            def answers_at(rows: pd.Index) -> pd.DataFrame:
                values = answers_by_response(selection, keys.loc[rows, "response_id"].tolist())
                return values[[item for item in scale_items if item in values.columns]].set_axis(rows)

            basis = change_basis(keys, instrument, person="member_id", family="family_id",
                                 wave_order=[wave.name for wave in _schedule_waves()], item_values=answers_at,
                                 reliabilities=with_version_file(reliabilities_for(instrument_id), instrument.scales))
    return Cohort(scored=scored, by_member=by_member, waves=waves, change=basis)


def _table(profile: Profile, instrument_id: str, selection: Selection, frame: pd.DataFrame, key: bytes | None,
           catalogue, full: bool, cohort: Cohort | None = None) -> tuple[pd.DataFrame, list[Variable], list]:
    """One instrument's responses (all, or a block of families' with the ``cohort``'s facts) as a
    de-identified table (long, or wide per member), its variables and reliable change's notes."""
    deid = profile.deidentification
    instrument = catalogue.latest(instrument_id)
    only = None
    if profile.instruments != "all":
        only = next(choice.items for choice in profile.instruments if choice.id == instrument_id)
    try:
        columns = item_columns(catalogue, instrument_id, profile.on_version_mismatch, only)
    except VersionMismatch as error:
        raise ExportError(str(error)) from None
    frame = frame.reset_index(drop=True)
    values = answers_by_response(selection, frame["response_id"].tolist())
    partners = _answered_by_partners(instrument)
    known = {} if full or deid.free_text != "scrub" else _known_strings(frame["family_id"].dropna().unique())
    if partners and not full and deid.free_text == "scrub":
        known[None] = _contact_strings()
    frame["translation_status"] = translation_statuses(frame, catalogue)
    table = _respondents(frame, key, deid, full)
    variables = _base_variables(full, deid)
    if partners:
        table = table.drop(columns=[c for c in FAMILY_COLUMNS if c in table.columns])
        variables = [variable for variable in variables if variable.name not in FAMILY_COLUMNS]
    version = frame["version"].astype(int)
    for column in columns:
        item = column.item
        if (not full and item.identifying) or (item.type in FREE_TEXT_TYPES and not full and deid.free_text == "drop"):
            continue
        table[column.name] = _item_values(values, item, version.isin(column.versions).to_numpy(), frame, known, full)
        variable = replace(_variable(item, instrument), name=column.name,
                           versions=tuple(str(v) for v in sorted(column.versions)))
        if item.type == "date" and not full:
            # A date answered (a birth, a move) is treated like every other date: made relative or shifted.
            table[column.name], variable = _relative_date(table[column.name], frame, table, variable, deid, key)
        variables.append(variable)
    # Of the answers as read (a Python object a cell), only the scales' items are needed from here
    # on (reliable change's alpha, over a whole table); the rest is let go before the table grows.
    scale_items = [] if cohort is not None else sorted(
        {item for scale in instrument.scales for item in scale.items if item in values.columns})
    values = values[scale_items]
    if profile.scores.scales:
        table, score_variables = _with_scores(table, selection, frame, instrument,
                                              always=cohort is not None and cohort.scored)
        variables.extend(score_variables)
    if profile.scores.derived:
        for add in (add_level_counts, add_reading_gaps):
            table, added = add(table, instrument)
            variables.extend(added)
    if profile.scores.scales and not partners:  # change and family means follow a member or family
        pairs = profile.change_pairs(_schedule_waves())
        member, family = ("member_id", "family_id") if full else ("member", "family")
        for scale in instrument.scales:
            column = f"score_{scale.id}"
            if column not in table.columns:
                continue
            for pair in pairs:
                table, variable = _with_change(table, member, column, pair, scale, instrument)
                variables.append(variable)
            if profile.scores.family_aggregates:
                table, added = _with_family_aggregate(table, family, column, scale, instrument)
                variables.extend(added)
    notes = []
    if profile.scores.scales and not partners and profile.scores.change != ():
        # Change since the first wave, RCI and its class (``change``): SD and alpha at baseline are
        # the whole export's, from this table when it is whole, else from the cohort's basis.
        wave_order = [wave.name for wave in _schedule_waves()]
        if cohort is None:
            table, added, notes = add_reliable_change(
                table, instrument, person=member, family=family, wave_order=wave_order,
                item_values=values.set_axis(table.index),
                reliabilities=with_version_file(reliabilities_for(instrument_id), instrument.scales))
        elif cohort.change is not None:
            table, added = apply_change(table, instrument, cohort.change, person=member, family=family,
                                        wave_order=wave_order)
            notes = list(cohort.change.notes)
        else:
            added = []
        variables.extend(added)
    del values  # the answers as read (one Python object a cell): not held beside the wide table
    by_member = None if cohort is None else cohort.by_member
    waves = None if cohort is None else cohort.waves
    if profile.shape == "wide_member" and not partners:
        table, variables = _wide_member(table, variables, full, by_member, waves)
    elif profile.shape == "wide_family" and not partners:
        table, variables = _wide_family(table, variables, full, by_member, waves)
    if profile.shape != "long" and notes:  # the baseline wave's block of change columns is blank by definition
        table = table.drop(columns=[c for note in notes for prefix in CHANGE_PREFIXES
                                    if (c := f"{_plain(note.baseline)}_{prefix}{note.scale}") in table.columns])
    return table, [variable for variable in variables if variable.name in table.columns], notes


def _item_values(values: pd.DataFrame, item, asked, frame: pd.DataFrame, known, full: bool) -> pd.Series:
    """One item's answers, one per response: None where unanswered or where this response's version
    puts the item in another column; lists of codes joined with ";"; free text scrubbed if asked;
    non-numeric values as text."""
    if item.id not in values.columns:
        return pd.Series(None, index=frame.index, dtype="object")
    cells = values[item.id].to_numpy(dtype=object, copy=True)
    cells[pd.isna(cells)] = None  # pd.isna is False for a list, so lists of codes are kept
    cells[~asked] = None
    numeric = _is_numeric(item)
    scrubbing = item.type in FREE_TEXT_TYPES and not full  # "drop" never gets here
    families = frame["family_id"].to_numpy()
    # One object per distinct number, by type and value (True is not 1): a numeric item's cells
    # stay Python objects until the whole table is made numeric, and read from numpy each was its
    # own (a -9 "not asked" in a quarter of the cells), so a national table held tens of MB of them.
    shared: dict[tuple[type, object], object] = {}
    for index, value in enumerate(cells):
        if value is None:
            continue
        if isinstance(value, list):
            cells[index] = ";".join(str(code) for code in value)
        elif scrubbing and isinstance(value, str):
            family = None if pd.isna(families[index]) else families[index]  # no family: a partner's answer
            cells[index], _changed = scrub(value, known.get(family, ()))
        elif not numeric:
            cells[index] = str(value)
        elif isinstance(value, (int, float)):
            cells[index] = shared.setdefault((type(value), value), value)
    return pd.Series(cells, index=frame.index, dtype="object")


def _relative_date(answered: pd.Series, frame: pd.DataFrame, table: pd.DataFrame, variable: Variable, deid,
                   key: bytes | None) -> tuple[pd.Series, Variable]:
    days = pd.to_datetime(answered, errors="coerce")
    if deid.dates == "shifted":
        offsets = {family: shift_days(family, key) for family in table["family"].dropna().unique()}
        return shifted_column(days, table["family"].map(offsets)), replace(
            variable, type="date", label=f"{variable.label} (shifted by the family's offset)")
    anchor, words = (frame["exit_date"], "exit") if deid.dates == "days_since_exit" else (frame["entry_date"], "entry")
    return days_since_column(days, anchor), replace(variable, type="numeric",
                                                   label=f"{variable.label} (days since {words})")


def _respondents(frame: pd.DataFrame, key: bytes | None, deid, full: bool) -> pd.DataFrame:
    """The facts about each response's respondent, de-identified unless ``full``, one row per response."""
    completed = frame["completed_at"]
    if full:
        # Whole numbers, missing where there is none (an erased family's kept responses, a family-level
        # instrument's member): never 12.0, and the same in a block of families as in the whole table.
        def whole(column: str) -> pd.Series:
            return pd.to_numeric(frame[column]).astype("Int64")

        return pd.DataFrame({
            "response_id": frame["response_id"], "family_id": whole("family_id"), "member_id": whole("member_id"),
            "site": frame["site"], "role": frame["role"], "birth_year": whole("birth_year"),
            "birth_month": whole("birth_month"), "language": frame["language"], "wording_hash": frame["wording_hash"],
            "translation_status": frame["translation_status"], "wave": frame["wave"],
            "instrument_version": frame["version"], "mode": frame["mode"], "completed_at": completed,
            "entry_date": frame["entry_date"], "exit_date": frame["exit_date"]})
    recipient = deid.pseudonym.recipient

    def pseudonyms(kind: str, ids: pd.Series) -> pd.Series:
        # Each distinct id looked up once (a member's, a family's responses repeat it); no id: None.
        codes, distinct = pd.factorize(ids)
        present = [int(i) for i in distinct]
        names = pseudonym_map(kind, present, key, recipient)
        looked_up = np.array([names[i] for i in present] + [None], dtype=object)
        # Text held by Arrow, not as a Python string per cell: an export's pseudonyms (a response's
        # is unique) were most of the small objects it kept, and the arenas Python kept them in
        # stayed after the table was written (about 100 MB more at 100,000 families than at 20,000).
        return pd.Series(looked_up[codes], index=ids.index, dtype="str")

    table = pd.DataFrame({
        "response": pseudonyms("response", frame["response_id"]), "family": pseudonyms("family", frame["family_id"]),
        "member": pseudonyms("member", frame["member_id"]), "site": frame["site"], "role": frame["role"],
        "language": frame["language"], "wording_hash": frame["wording_hash"],
            "translation_status": frame["translation_status"], "wave": frame["wave"], "instrument_version": frame["version"].astype(int),
        "mode": frame["mode"]})
    # Stored times are naive UTC; ages, days and coarsened dates use the service's calendar day.
    local = local_days(pd.to_datetime(completed).dt.tz_localize("UTC"))
    age = age_column(frame["birth_year"], frame["birth_month"], local)
    if deid.ages == "bands":
        table["age_band"] = age_band_column(age, deid.age_bands)
    else:
        table["age"] = age
    # No column may be worked out from real dates beside relative or shifted ones: a real completion
    # date, however coarse, minus days since entry gives the entry date back, and minus the shifted
    # date gives the family's shift. So the coarsened timestamp is taken on the shifted calendar,
    # and with relative dates there is none (the days since entry or exit say when).
    if deid.dates == "days_since_entry":
        table["days_since_entry"] = days_since_column(local, frame["entry_date"])
    elif deid.dates == "days_since_exit":
        table["days_since_exit"] = days_since_column(local, frame["exit_date"])
    elif deid.dates == "shifted":
        offsets = {family: shift_days(family, key) for family in table["family"].dropna().unique()}
        table["completed_on_shifted"] = shifted_column(local, table["family"].map(offsets))
        if deid.timestamps:
            table["completed"] = coarsen_column(pd.to_datetime(table["completed_on_shifted"]), deid.timestamps)
    return table


#: A family's columns, which a partner survey's rows (no family, member or site) leave out.
FAMILY_COLUMNS = ("family", "member", "family_id", "member_id", "site", "role", "birth_year", "birth_month", "age",
                  "age_band", "days_since_entry", "days_since_exit", "completed_on_shifted", "completed", "entry_date",
                  "exit_date")


def _answered_by_partners(instrument: Instrument) -> bool:
    """Whether only partner agencies' staff answer the instrument: no family is involved."""
    return bool(instrument.respondents) and all(r.role == "partner_staff" for r in instrument.respondents)


def _contact_strings() -> tuple[str, ...]:
    """For scrubbing a partner's free text: every contact's name and email address. An anonymous
    answer's writer is not known, so any of them may be named in it."""
    from ..partners.models import PartnerContact

    strings = []
    for name, email in db.session.execute(sa.select(PartnerContact.name, PartnerContact.email)):
        strings.extend(s for s in (name, email) if s)
    return tuple(strings)


def _known_strings(family_ids) -> dict[int, tuple[str, ...]]:
    """For scrubbing free text: each family's names, numbers and case reference."""
    known: dict[int, list[str]] = {}
    for family in db.session.scalars(sa.select(Family).where(Family.id.in_([int(i) for i in family_ids]))):
        strings = known.setdefault(family.id, [family.case_ref])
        for member in family.members:
            strings.extend(s for s in (member.name, member.phone) if s)
            if member.phone and member.phone.startswith("+44"):
                strings.append("0" + member.phone[3:])
    return {family_id: tuple(strings) for family_id, strings in known.items()}


def _base_variables(full: bool, deid) -> list[Variable]:
    if full:
        names = [("response_id", "Response (internal id)", "numeric"), ("family_id", "Family (internal id)", "numeric"),
                 ("member_id", "Member (internal id)", "numeric"), ("site", "Site", "string"),
                 ("role", "Member's role", "string"), ("birth_year", "Birth year", "numeric"),
                 ("birth_month", "Birth month", "numeric"), ("language", "Language answered in", "string"), *WORDING_VARIABLES,
                 ("wave", "Wave", "string"), ("instrument_version", "Instrument version", "numeric"),
                 ("mode", "How it was answered", "string"), ("completed_at", "Completed at (UTC)", "date"),
                 ("entry_date", "Entry date", "date"), ("exit_date", "Exit date", "date")]
    else:
        names = [("response", "Response (pseudonymous id)", "string"), ("family", "Family (pseudonymous id)", "string"),
                 ("member", "Member (pseudonymous id)", "string"), ("site", "Site", "string"),
                 ("role", "Member's role", "string"), ("language", "Language answered in", "string"), *WORDING_VARIABLES,
                 ("wave", "Wave", "string"), ("instrument_version", "Instrument version", "numeric"),
                 ("mode", "How it was answered", "string"), ("age", "Age in whole years at completion", "numeric"),
                 ("age_band", "Age band at completion", "string"),
                 ("days_since_entry", "Days from entry to completion", "numeric"),
                 ("days_since_exit", "Days from exit to completion", "numeric"),
                 ("completed_on_shifted", "Completion date, shifted by a per-family offset", "date"),
                 ("completed", f"Completed ({deid.timestamps} it began"
                               f"{', on the shifted calendar' if deid.dates == 'shifted' else ''})", "date")]
    return [Variable(name=name, label=label, type=kind) for name, label, kind in names]


def _variable(item, instrument: Instrument) -> Variable:
    numeric = _is_numeric(item)
    code = (lambda value: value) if numeric else str  # a text column's codes are text too
    labels = {code(choice.code): choice.label.get("en") for choice in item.all_choices}
    missing = set(item.missing_code_values)
    if item.type in CODED_TYPES:
        # Every coded item may hold "not collected" (an import without its column): its own code and label.
        labels[code(NOT_COLLECTED)] = NOT_COLLECTED_LABEL
        missing.add(NOT_COLLECTED)
    return Variable(
        name=item.id, label=item.text.get("en"), type="numeric" if numeric else "string",
        value_labels=labels, missing_codes=tuple(code(value) for value in sorted(missing, key=str)),
        instrument=instrument.id, versions=(str(instrument.version),))


def _is_numeric(item) -> bool:
    return item.type in ("number", "scale") or (item.type in CHOICE_TYPES and
                                                 all(isinstance(c.code, int) for c in item.all_choices))


def _with_scores(table: pd.DataFrame, selection: Selection, frame: pd.DataFrame, instrument: Instrument,
                 always: bool = False):
    """Each scale's score, band and flag columns, and the scoring version; none when no response
    read has a score, unless ``always`` (a block of a cohort that has scores: blank columns)."""
    # A chunk of scores at a time, each straight into its response's row: the long scores of a
    # national cohort and their pivots were the largest allocation of the table's build (issue 24;
    # ``score_columns`` says what the pivots gave and keeps to it).
    place = ScorePlaces(frame["response_id"])
    for chunk in score_chunks(selection):
        place.add(chunk)
    if not place.read and not always:
        return table, []
    variables = []
    for scale in instrument.scales:
        numbers, bands, flags = place.scale(scale.id)
        table[f"score_{scale.id}"] = numbers
        table[f"band_{scale.id}"] = bands
        variables.append(Variable(name=f"score_{scale.id}", label=f"Score: {scale.id}", type="numeric",
                                  instrument=instrument.id, versions=(str(instrument.version),),
                                  scoring_rule=f"{scale.method} of {len(scale.items)} items"))
        variables.append(Variable(name=f"band_{scale.id}", label=f"Band: {scale.id}", type="string",
                                  instrument=instrument.id, versions=(str(instrument.version),)))
        if scale.cutoff is not None:
            # 1 when the score is at or beyond the scale's cut-off, 0 when not, missing without a score.
            table[f"flag_{scale.id}"] = flags
            variables.append(Variable(
                name=f"flag_{scale.id}", label=f"{scale.cutoff.label.get('en')} ({scale.id})"[:200], type="numeric",
                value_labels={1: "Yes", 0: "No"}, instrument=instrument.id, versions=(str(instrument.version),),
                scoring_rule=f"score {scale.cutoff.direction.replace('_', ' ')} {scale.cutoff.value:g}"))
    table["scoring_version"] = place.versions()
    variables.append(Variable(name="scoring_version", label="Scoring version", type="string"))
    return table, variables


def _schedule_waves():
    """Every wave of every schedule, in schedule order (change pairs are worked out from them)."""
    from ..waves.service import current_schedules

    return [wave for schedule in current_schedules().values() for wave in schedule.waves]


def _with_change(table: pd.DataFrame, member: str, column: str, pair, scale, instrument: Instrument):
    """The member's score at ``pair.to_wave`` minus their score at ``pair.from_wave``, on the row of
    the later wave (a member with either score missing gets none)."""
    name = f"chg_{_plain(pair.from_wave)}_{_plain(pair.to_wave)}_{scale.id}"
    # Only the three columns read: the whole table copied per pair and scale cost more than the rest.
    scored = table[[member, "wave", column]].dropna(subset=[member])
    before = scored[scored["wave"] == pair.from_wave].drop_duplicates(member, keep="last").set_index(member)[column]
    after = scored[scored["wave"] == pair.to_wave].drop_duplicates(member, keep="last").set_index(member)[column]
    change = (pd.to_numeric(after, errors="coerce") - pd.to_numeric(before, errors="coerce")).dropna()
    later = table["wave"] == pair.to_wave
    table[name] = pd.to_numeric(table[member].map(change), errors="coerce").where(later)
    return table, Variable(name=name, label=f"Change in {scale.id}: {pair.to_wave} − {pair.from_wave}",
                           type="numeric", instrument=instrument.id, versions=(str(instrument.version),),
                           scoring_rule=f"{column} at {pair.to_wave} minus {column} at {pair.from_wave}, same member")


def _with_family_aggregate(table: pd.DataFrame, family: str, column: str, scale, instrument: Instrument):
    """The mean of the family's members' scores at the same wave, and how many members scored."""
    mean_name, count_name = f"fam_mean_{scale.id}", f"fam_n_{scale.id}"
    numbers = pd.to_numeric(table[column], errors="coerce")
    grouped = numbers.groupby([table[family], table["wave"]])  # rows without a family get no aggregate
    table[mean_name] = grouped.transform("mean").astype("float64")
    table[count_name] = grouped.transform("count").astype("Int64")
    rule = f"mean of {column} over the family's members at the same wave"
    return table, [Variable(name=mean_name, label=f"Family mean of {scale.id}", type="numeric",
                            instrument=instrument.id, versions=(str(instrument.version),), scoring_rule=rule),
                   Variable(name=count_name, label=f"Members of the family with a {scale.id} score", type="numeric",
                            instrument=instrument.id, versions=(str(instrument.version),))]


def _plain(wave: str) -> str:
    return "".join(ch for ch in str(wave) if ch.isalnum())


def _wide(table: pd.DataFrame, variables: list[Variable], key: str, fixed: list[str],
          waves: tuple[str, ...] | None = None):
    """One row per ``key`` (member or family): its ``fixed`` facts once, every other column once
    per wave, prefixed with the wave's name (letters and digits only, so the names suit SPSS and
    Stata). Rows without the key (an erased family's kept responses) cannot be placed and are left
    out of a wide table; the long shape keeps them.

    Built a wave's block at a time from row positions, without copying the long table: the rows
    are those the old build took (each key's last row per wave, the key's last row for its
    facts), and each block is reindexed to the facts' keys as ``DataFrame.join`` does, so values
    and dtypes are the same (a block missing some keys turns whole numbers into floats, etc.)."""
    fixed = [c for c in fixed if c in table.columns]
    per_wave = [c for c in table.columns if c not in fixed and c not in (key, "wave")]
    by_name = {variable.name: variable for variable in variables}
    out_vars = [by_name[c] for c in (key, *fixed) if c in by_name]
    keys = table[key]
    placed = keys.notna().to_numpy()
    # The facts: the same steps as before over the key and fixed columns only (a few narrow columns).
    facts = table[[key, *fixed]].dropna(subset=[key]).drop_duplicates(key, keep="last").set_index(key)[fixed]
    codes, found = pd.factorize(table["wave"], sort=True)  # groupby("wave", sort=True)'s groups, NaN left out
    number_of = {wave: number for number, wave in enumerate(found)}
    columns = [table.columns.get_loc(c) for c in per_wave]
    blocks = []
    for wave in (found if waves is None else waves):
        prefix = _plain(wave)
        number = number_of.get(wave, -2)  # a cohort's wave this block has no row at: a blank block
        rows = np.flatnonzero((codes == number) & placed)
        if not len(rows) and waves is None:  # a wave only rows without the key have: no block (as groupby after dropna)
            continue
        at = keys.iloc[rows]
        last = ~at.duplicated(keep="last").to_numpy()
        block = table.iloc[rows[last], columns]
        block.index = pd.Index(at.iloc[last], name=key)
        block = block.reindex(facts.index)
        block.columns = [f"{prefix}_{column}" for column in per_wave]
        blocks.append(block)
        out_vars += [replace(by_name[c], name=f"{prefix}_{c}", label=f"{by_name[c].label} ({wave})")
                     for c in per_wave if c in by_name]
    wide = pd.concat([facts, *blocks], axis=1) if blocks else facts
    return wide.reset_index(), out_vars


def _wide_member(table: pd.DataFrame, variables: list[Variable], full: bool, by_member: bool | None = None,
                 waves: tuple[str, ...] | None = None):
    """One row per member (``_wide``). ``by_member`` and ``waves``: the whole cohort's, for a block
    of its families (else from this table)."""
    member, family = ("member_id", "family_id") if full else ("member", "family")
    if by_member is None:
        by_member = table.empty or table[member].notna().any()
    if not by_member:
        # A family-level instrument (the key worker's assessment) has no member to put it on:
        # its rows are families, as in the wide_family shape, without the member's facts.
        table = table.drop(columns=[c for c in (member, "role", "age", "age_band") if c in table.columns])
        return _wide(table, variables, family, ["site"], waves)
    return _wide(table, variables, member, [family, "site", "role"], waves)


def _wide_family(table: pd.DataFrame, variables: list[Variable], full: bool, by_member: bool | None = None,
                 waves: tuple[str, ...] | None = None):
    """One row per family. A family-level instrument (the key worker's assessment) keeps all its
    columns per wave; a members' instrument contributes the family's aggregates per wave (mean
    score, members scoring), since its members' own answers have no single place in a family row."""
    member, family = ("member_id", "family_id") if full else ("member", "family")
    if table[member].notna().any() if by_member is None else by_member:
        keep = [family, "site", "wave"] + [c for c in table.columns if c.startswith(("fam_mean_", "fam_n_"))]
        table = table[keep].drop_duplicates([family, "wave"], keep="last")
    return _wide(table, variables, family, ["site"], waves)


def _disclose(profile: Profile, instrument_id: str, table: pd.DataFrame, codebook: Codebook):
    """Check k over the quasi-identifiers in one table; blank rare values, generalise or refuse as
    the profile says.

    Returns the table and codebook as protected, the generalisation steps taken, the table's k and
    the values blanked per column.
    """
    disclosure = profile.disclosure
    deid = profile.deidentification
    quasi = list(disclosure.quasi_identifiers)
    prefixes = {_plain(wave.name) for wave in _schedule_waves()}  # "exit_role" is a copy; "member_role" is not

    # In a wide table a quasi-identifier may appear once per wave ("exit_age_band"): each copy counts.
    def copies(name):
        return [c for c in table.columns if c == name or c in {f"{prefix}_{name}" for prefix in prefixes}]

    present = [column for name in quasi for column in copies(name)]
    ladder = []
    if "age_band" in quasi:
        # (The bands' own edges made no band wider: this step used to change nothing.)
        ladder += [Recode("age_band", wider_bands(edges), f"age bands widened to {_bands_text(edges)}")
                   for edges in coarser_edges(deid.age_bands)]
    elif "age" in quasi:
        ladder.append(Recode("age", lambda age: age_band(age, deid.age_bands), "ages as bands"))
    ladder += [Drop(column) for column in ("language", "role", "site") if column in quasi]
    # One step of the ladder is taken in every copy of its column at once.
    steps = [[replace(step, column=column) for column in copies(step.column)] for step in ladder]
    steps = [group for group in steps if group]
    if disclosure.on_small_groups == "suppress":
        return _suppress(disclosure, instrument_id, table, codebook, present, steps,
                         [c for name in reversed(quasi) for c in copies(name)])
    generalising = disclosure.on_small_groups == "generalise"
    outcome = generalise(table, present, disclosure.k, [s for group in steps for s in group] if generalising else [])
    if outcome.refused:
        raise ExportError(f"{instrument_id}: {outcome.message} The profile says to "
                          f"{'generalise, and even that was not enough' if generalising else 'refuse'}; "
                          "widen the selection, blank the rare values instead (on_small_groups: suppress), or "
                          "lower the threshold only with the data owner's agreement.")
    return outcome.frame, _generalised_codebook(codebook, outcome.frame, steps, outcome.steps), list(outcome.steps), \
        outcome.k, {}


def _bands_text(edges) -> str:
    return ", ".join(age_band(low, edges) for low in edges)


def _suppress(disclosure, instrument_id: str, table: pd.DataFrame, codebook: Codebook, present: list[str],
              steps: list[list], blank_first: list[str]):
    """Local suppression; where it would blank more than the profile allows of a column, one more
    step of the generalisation ladder first (as sdcMicro users recode globally, then suppress
    locally), until it is within bounds or the ladder runs out (refused, naming the column)."""
    applied: list[str] = []
    frame, quasi = table, list(present)
    for step_group in [None, *steps]:
        if step_group is not None:
            for step in step_group:
                if step.column in frame.columns and step.column in quasi:
                    frame, quasi = step.apply(frame, quasi)
                    applied.append(step.description)
        outcome = suppress_locally(frame, quasi, disclosure.k, [c for c in blank_first if c in quasi],
                                   disclosure.max_suppressed_share)
        if not outcome.refused:
            return (outcome.frame, _generalised_codebook(codebook, outcome.frame, steps, applied),
                    sorted(set(applied)), outcome.k, outcome.blanked)
    tried = f" even after {'; '.join(sorted(set(applied)))}" if applied else ""
    raise ExportError(f"{instrument_id}: {outcome.message.rstrip('.')}{tried}.")


def _generalised_codebook(codebook: Codebook, frame: pd.DataFrame, steps: list[list], applied) -> Codebook:
    """Dropped columns leave the codebook; a recoded one (ages → bands) now holds text."""
    recoded = {step.column for group in steps for step in group
               if isinstance(step, Recode) and step.description in applied}
    return Codebook(tuple(replace(v, type="string", value_labels={}, missing_codes=(), label=f"{v.label} (generalised)")
                          if v.name in recoded else v for v in codebook if v.name in frame.columns))


def _readme(profile: Profile, manifest: dict) -> str:
    lines = [f"{profile.title}", "", profile.description or "", "",
             "Files: one data file per instrument and format, with a codebook (CSV and JSON) for each.",
             "manifest.json lists the profile and its hash, row counts, instrument versions and what",
             "de-identification was applied; its 'translations' gives each version's languages with their",
             "translation status, who reviewed them and when, and their wording hash.", "",
             f"Missing codes: {NOT_COLLECTED} means \"{NOT_COLLECTED_LABEL.lower()}\" (the question was never asked: an",
             "imported file had no column for it), unlike an instrument's own codes such as -8 \"not known\". It is",
             "user-missing in SPSS and the extended missing value .c in Stata; the codebook lists every code."]
    lines += change_readme_lines(manifest.get("reliable_change") or {})
    if SCRIPT_NAME in manifest["files"]:
        lines += ["", "R: source(\"load.R\") reads every CSV file with its variable and value labels (base R only;",
                  "the script's first lines say how)."]
    if manifest["identifiable"]:
        lines += ["", "IDENTIFIABLE: this bundle identifies families. Keep it where only those allowed can read it.",
                  "Rows go by family id, then member id, each member's in the order answered."]
    else:
        lines += ["", "De-identified: ids are pseudonyms (the same in later exports made with the same key), dates",
                  "are relative or shifted, identifying items and (unless scrubbed) free text are removed.",
                  "No column is a real calendar date: with relative dates there is no completion date at all,",
                  "and with shifted dates the completion month or week is taken on the shifted calendar.",
                  "Rows go by family pseudonym, then member pseudonym (each member's in the order answered;",
                  "rows without a family last, by response pseudonym), so their order says nothing about when",
                  "a family joined or answered."]
        disclosure = manifest.get("disclosure")
        if disclosure:
            lines += ["", f"Disclosure check: every row shares its {', '.join(disclosure['quasi_identifiers'])} with at "
                          f"least {disclosure['threshold']} rows (the smallest: {disclosure['k']})."]
            if disclosure["generalised"]:
                lines += ["Generalised to get there: " + "; ".join(disclosure["generalised"]) + "."]
            if disclosure["blanked"]:
                lines += ["Local suppression: these values of rare rows were blanked (left missing, as an unrecorded",
                          "value is; a blank counts as matching any value):"]
                lines += [f"  {instrument}: " + ", ".join(f"{column} {count}" for column, count in columns.items())
                          for instrument, columns in disclosure["blanked"].items()]
            elif disclosure["on_small_groups"] == "suppress":
                lines += ["Local suppression was allowed, and no value needed blanking."]
    return "\n".join(lines) + "\n"
