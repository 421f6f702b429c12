"""Answers read in small chunks give the same bundle as reading every answer at once and pivoting.

The export reads each instrument's answers a range of response ids at a time
(``dataset.answers_by_response``); here the chunk is forced down to a few responses, so members
and families are split across chunks, and every file of the bundle is compared with the
one the whole-table read makes: data in every format read back, codebooks, the README and the
manifest (its time and the hash over files that embed their own write time aside), including the
disclosure outcome, change scores and the wide shapes. The files of the chunked bundle are also
written a few rows at a time, its XLSX file by the worker from spilled row batches.
"""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from feedback.exports import dataset, runner, writers
from feedback.exports.background import BackgroundWriter
from feedback.exports.dataset import Selection, answers, answers_by_response, answers_wide, responses
from feedback.exports.profile import load_profile
from feedback.exports.runner import run_export
from tests.exports.test_dataset import answered_family

KEY = bytes.fromhex("33" * 32)
PROFILE = """id: chunked
title: Chunked answers
instruments: [exit-interview, family-functioning]
waves: all
shape: {shape}
scores:
  scales: true
  change: default
  family_aggregates: true
  derived: true
deidentification:
  dates: days_since_entry
  ages: bands
  free_text: {free_text}
disclosure:
  quasi_identifiers: [site, role, age_band, language]
  k: 3
  on_small_groups: suppress
  max_suppressed_share: 0.5
formats: [csv, xlsx, sav, dta, parquet]
"""


@pytest.fixture
def families(app, ctx, world):
    made = [answered_family(world, f"CH-{n}") for n in range(3)]
    made.append(answered_family(world, "CH-S", site="south"))  # one family alone at its site: rare everywhere
    return made


def whole_table(selection, response_ids):
    """The read before chunking: every answer as a tuple, one long frame, one pivot."""
    return answers_wide(answers(selection)).reindex(list(response_ids))


@pytest.mark.parametrize("instrument", ["exit-interview", "family-functioning"])
@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_answers_read_in_chunks_equal_the_whole_table(families, instrument, chunk):
    selection = Selection(instruments=(instrument,))
    ids = responses(selection)["response_id"].tolist()
    read = answers_by_response(selection, ids, chunk_responses=chunk)
    pd.testing.assert_frame_equal(read, whole_table(selection, ids))
    assert len(read) == len(ids) and read.notna().any().all()


def test_only_the_selections_answers_are_read(families):
    selection = Selection(instruments=("family-functioning",), site_codes=("south",))
    ids = responses(selection)["response_id"].tolist()
    read = answers_by_response(selection, ids, chunk_responses=2)
    assert list(read.index) == ids and len(ids) == 2  # the south family's two parents, no one else's rows
    other = responses(Selection(instruments=("exit-interview",)))["response_id"].tolist()
    assert answers_by_response(selection, other, chunk_responses=2).isna().all().all()  # another selection's rows stay empty


def read_back(path: Path):
    """A data file's content as a reader sees it (XLSX, SPSS and Stata files also hold their write time)."""
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}
    if path.suffix in (".sav", ".dta"):
        read = pyreadstat.read_sav if path.suffix == ".sav" else pyreadstat.read_dta
        frame, meta = read(str(path), user_missing=True) if path.suffix == ".sav" else read(str(path))
        return frame.to_csv(index=False), frame.dtypes.astype(str).tolist(), meta.column_names, meta.column_labels, meta.variable_value_labels, \
            getattr(meta, "missing_ranges", None)
    if path.name == "manifest.json":
        manifest = json.loads(path.read_text())
        return {k: v for k, v in manifest.items() if k not in ("created_at", "content_hash")}
    return path.read_bytes()  # CSV, Parquet, codebooks, README, load.R: the same bytes


@pytest.mark.parametrize("shape", ["long", "wide_member", "wide_family"])
def test_a_bundle_from_small_chunks_is_the_bundle_from_the_whole_table(families, tmp_path, monkeypatch, shape):
    path = tmp_path / "chunked.yaml"
    path.write_text(PROFILE.format(shape=shape, free_text="scrub"))
    profile = load_profile(path)
    with monkeypatch.context() as patch:
        patch.setattr(runner, "answers_by_response", whole_table)
        before = run_export(profile, tmp_path / "whole", key=KEY)
    monkeypatch.setattr(dataset, "ANSWER_CHUNK_RESPONSES", 3)  # families and members span several chunks
    # Files written in slices of 2 rows (CSV, XLSX), XLSX by the worker from a spilled file of 2-row batches.
    monkeypatch.setattr(writers, "ROW_BATCH", 2)
    monkeypatch.setattr(runner, "BackgroundWriter", lambda: BackgroundWriter(min_cells=1, cores=2))
    after = run_export(profile, tmp_path / "chunked", key=KEY)
    names = sorted(p.name for p in before.directory.iterdir())
    assert names == sorted(p.name for p in after.directory.iterdir())
    assert any(name.endswith(".sav") for name in names) and any(name.endswith(".parquet") for name in names)
    for name in names:
        assert read_back(after.directory / name) == read_back(before.directory / name), name
    assert after.manifest["disclosure"] == before.manifest["disclosure"]
    assert before.manifest["disclosure"]["blanked"]  # the south family's rare site was blanked in both
    assert after.manifest["reliable_change"] == before.manifest["reliable_change"]
