"""An export built a block of families at a time gives the bundle the whole table gives.

``runner._build`` cuts each instrument's families into blocks of ``FAMILY_BLOCK`` (and one block
of responses without a family: an erased family's kept answers), builds each block's table and
puts them together, after working out over the whole selection what a block cannot know
(``runner._cohort``: reliable change's baseline, SD and alpha; the waves of the wide shape; whether
anyone was scored or answered as a member). Here blocks of two families are forced on a cohort
where families answer at different waves, in completion times that interleave across families,
with a family-level instrument, one answered without waves (the star's readings), and an erased
family, and every file of the bundle is compared with the one built whole: the same header,
the same rows in the same order (``runner._row_order``), the same codebooks, README and manifest, in every shape, de-identified (with local suppression) and identifiable.
"""
from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from feedback.demo import random_answers
from feedback.exports import dataset, runner
from feedback.exports.profile import load_profile
from feedback.exports.runner import run_export
from feedback.extensions import db
from feedback.families.service import erase_family
from feedback.instruments.reliability import ScaleReliability
from feedback.publishing.startup import current_catalogue
from feedback.survey.service import complete, create_response, save_answers
from tests.families.helpers import family_with_members

KEY = bytes.fromhex("44" * 32)
PROFILE = """id: blocks
title: Blocks of families
instruments: [family-functioning, family-star, practitioner-assessment, exit-interview]
waves: all
shape: {shape}
scores:
  scales: true
  change: default
  family_aggregates: true
  derived: true
{deidentification}
formats: [csv, xlsx, sav, dta, parquet]
"""
DEIDENTIFIED = """deidentification:
  level: deidentified
  dates: days_since_entry
  ages: bands
  free_text: scrub
disclosure:
  quasi_identifiers: [site, role, age_band, language]
  k: 5
  on_small_groups: suppress
  max_suppressed_share: 0.5"""
WAVES = ("entry", "exit", "exit-3m", "exit-12m")


@pytest.fixture
def cohort(app, ctx, world):
    """Eleven families at two sites; each member answers family-functioning at some of the waves
    (never all at the same ones), the key worker assesses the family at entry and exit, parents and
    the key worker give star readings, exit-interview at exit; completion times interleave across
    families. Then one family is erased (its responses kept without a family)."""
    rng = random.Random(24)
    catalogue = current_catalogue()
    start = date.today() - timedelta(days=700)
    made = []
    for n in range(11):
        site = "south" if n % 4 == 0 else "north"
        worker = world["practitioner_south"] if site == "south" else world["kw_north"]
        family, members = family_with_members(
            world[site], worker, case_ref=f"BL-{n}", entry=start + timedelta(days=n),
            members=(("mother", 1975 + n, 1 + n % 12), ("father", 1970 + 2 * n, 6), ("child", 2012 + n % 5, 3))[:2 + n % 2])
        made.append((family, members))
    db.session.commit()
    plan = []  # (instrument, family, member or None, wave or None)
    for family, members in made:
        for member in members:
            if member.role != "child":
                waves = [wave for wave in WAVES if rng.random() < 0.7] or ["exit"]
                plan += [("family-functioning", family, member, wave) for wave in waves]
                plan += [("family-star", family, member, None) for _ in range(rng.randint(0, 3))]
                if rng.random() < 0.8:
                    plan.append(("exit-interview", family, member, "exit"))
        plan += [("practitioner-assessment", family, None, wave) for wave in ("entry", "exit") if rng.random() < 0.9]
        plan += [("family-star", family, None, None) for _ in range(rng.randint(0, 2))]
    rng.shuffle(plan)  # completion order interleaves families
    for minute, (instrument_id, family, member, wave) in enumerate(plan):
        instrument = catalogue.latest(instrument_id)
        response, _token = create_response(instrument, 1)
        response.family_id, response.member_id, response.wave = family.id, getattr(member, "id", None), wave
        answers = random_answers(instrument, rng)
        if instrument_id == "family-functioning":  # every item scored (1–4), so Cronbach's alpha has complete cases
            answers.update({item: rng.randint(1, 4) for scale in instrument.scales for item in scale.items})
        save_answers(response, answers, mode="web")
        complete(response, instrument, commit=False)
        response.completed_at = datetime.combine(start + timedelta(days=30 + minute), time(9, minute % 60))
    db.session.commit()
    erase_family(made[3][0], None)
    db.session.commit()
    return made


def rows_of(frame: pd.DataFrame) -> list[tuple]:
    """A frame's rows, in order."""
    return list(tuple("" if pd.isna(cell) else repr(cell) for cell in row) for row in frame.itertuples(index=False))


def read_back(path: Path):
    """A file's content as a reader sees it; the write time left out."""
    name = path.name
    if name.endswith("-codebook.csv") or name.endswith("-codebook.json") or path.suffix in (".txt", ".R"):
        return path.read_bytes()
    if name == "manifest.json":
        manifest = json.loads(path.read_text())
        return {k: v for k, v in manifest.items() if k not in ("created_at", "content_hash")}
    if path.suffix == ".csv":
        frame = pd.read_csv(BytesIO(path.read_bytes()), dtype=str, keep_default_na=False)
        return list(frame.columns), rows_of(frame)
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        sheets = {}
        for sheet in book.worksheets:
            rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
            sheets[sheet.title] = rows if sheet is not book.worksheets[0] else (rows[:1], rows[1:])
        return sheets
    if path.suffix in (".sav", ".dta"):
        if path.suffix == ".sav":
            frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
        else:
            frame, meta = pyreadstat.read_dta(str(path))
        return (rows_of(frame), frame.dtypes.astype(str).tolist(), meta.column_names, meta.column_labels,
                meta.variable_value_labels, getattr(meta, "missing_ranges", None),
                getattr(meta, "original_variable_types", None))
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return table.schema, rows_of(table.to_pandas())
    raise AssertionError(f"not compared: {name}")


def export(profile, out, monkeypatch, block: int | None, actor=None):
    with monkeypatch.context() as patch:
        if block is None:
            patch.setattr(runner, "family_blocks", lambda selection, size: [selection])  # the whole table, as before
        else:
            patch.setattr(runner, "FAMILY_BLOCK", block)
        return run_export(profile, out, actor=actor, key=KEY)


@pytest.mark.parametrize("shape,level", [("long", "deidentified"), ("wide_member", "deidentified"),
                                         ("wide_family", "deidentified"), ("wide_member", "full")])
@pytest.mark.parametrize("alpha", [False, True])
def test_a_bundle_built_a_block_of_families_at_a_time_is_the_bundle_built_whole(
        cohort, tmp_path, monkeypatch, shape, level, alpha):
    path = tmp_path / "blocks.yaml"
    path.write_text(PROFILE.format(shape=shape, deidentification=DEIDENTIFIED if level == "deidentified" else
                                   "deidentification: {level: full}"))
    profile = load_profile(path)
    admin = SimpleNamespace(is_admin=True, id=None) if level == "full" else None
    if not alpha:  # a published reliability; without one, Cronbach's alpha over the cohort's baseline answers
        given = {"general_functioning": ScaleReliability("general_functioning", 0.8, "alpha", "Manual", "lower")}
        monkeypatch.setattr(runner, "reliabilities_for", lambda instrument_id: given)
    blocks = []
    cut = dataset.family_blocks
    monkeypatch.setattr(runner, "family_blocks", lambda selection, size: blocks.append(cut(selection, size)) or blocks[-1])
    whole = export(profile, tmp_path / "whole", monkeypatch, None, admin)
    parts = export(profile, tmp_path / "parts", monkeypatch, 2, admin)
    functioning = next(made for made in blocks if made[0].instruments == ("family-functioning",))
    assert len(functioning) == 6 and functioning[-1].without_family  # five blocks of families, then the erased one
    names = sorted(p.name for p in whole.directory.iterdir())
    assert names == sorted(p.name for p in parts.directory.iterdir())
    assert any(name.startswith("practitioner-assessment") for name in names)
    for name in names:
        assert read_back(parts.directory / name) == read_back(whole.directory / name), name
    notes = whole.manifest["reliable_change"]["family-functioning"]
    assert notes == parts.manifest["reliable_change"]["family-functioning"] and notes[0]["s_diff"] is not None
    assert (notes[0]["reliability_n"] is not None) == alpha
    if level == "deidentified":
        assert whole.manifest["disclosure"]["blanked"]  # something was rare, and blanked alike in both


def test_every_response_is_in_exactly_one_block(cohort):
    selection = dataset.Selection(instruments=("family-functioning",))
    every = dataset.responses(selection)["response_id"].tolist()
    blocks = dataset.family_blocks(selection, 3)
    seen = [rid for block in blocks for rid in dataset.responses(block)["response_id"]]
    assert sorted(seen) == sorted(every) and len(set(seen)) == len(seen)
    assert blocks[-1].without_family and all(block.families for block in blocks[:-1])
    by_family = {}
    for number, block in enumerate(blocks):
        for family in dataset.responses(block)["family_id"].dropna():
            by_family.setdefault(family, set()).add(number)
    assert all(len(numbers) == 1 for numbers in by_family.values())  # no family split between blocks
    assert dataset.family_blocks(selection, 1000) != [selection]  # the erased family's responses: a block of their own
    south = dataset.Selection(instruments=("family-functioning",), site_codes=("south",))
    assert dataset.family_blocks(south, 1000) == [south]  # a site's selection has no erased family's responses


def test_item_scores_count_what_scoring_counts_each_answer_once(app, ctx):
    """``change.item_scores`` (alpha's input) gives each cell what scoring gives it: a code in the
    scale's range (mirrored for a reverse item), NaN for a missing code, "not collected", a value
    outside the range, text, a list, a boolean (True is not 1) or no answer."""
    from feedback.exports.change import item_scores
    from feedback.instruments.scoring import reverse, scorable

    scale = current_catalogue().latest("family-functioning").scales[0]
    plain, flipped = scale.items[0], sorted(scale.reverse)[0]
    unanswered = next(item for item in scale.items if item not in (plain, flipped))
    cells = [1, 4, 2.5, True, False, -9, -6, 5, 0, "2", [1, 2], None, float("nan"), pd.NA, 3.0, 1]
    values = pd.DataFrame({plain: cells, flipped: cells}, dtype=object, index=range(10, 10 + len(cells)))
    got = item_scores(values, scale, values.index)
    for item, mirrored in ((plain, False), (flipped, True)):
        want = [(reverse(v, scale.low, scale.high) if mirrored else v) if scorable(v, scale) else float("nan")
                for v in [None if c is pd.NA else c for c in cells]]
        assert got[item].tolist() == pytest.approx(want, nan_ok=True)
    assert got[plain].iloc[3] != got[plain].iloc[3] and got[plain].iloc[0] == 1  # True is not scored as 1
    assert set(got.columns) == set(scale.items) and got[unanswered].isna().all()  # an item nobody answered
