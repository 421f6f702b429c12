"""Every export format tells "not collected" (-6, an imported file had no column) from "not known" (-8)."""
from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from feedback.exports.codebook import Codebook, Variable
from feedback.exports.profile import load_profile
from feedback.exports.runner import run_export
from feedback.exports.writers import write_bundle_files
from feedback.imports.service import import_responses
from feedback.instruments.definition import NOT_COLLECTED
from feedback.publishing.startup import current_catalogue
from tests.imports.files import csv_bytes
from tests.imports.test_not_collected import ENTRY, EXIT, HEADINGS

KEY = bytes.fromhex("22" * 32)
PROFILE = """id: not-collected
title: Not collected
instruments: [practitioner-assessment]
waves: all
shape: long
deidentification:
  free_text: drop
disclosure:
  k: 2
  on_fail: refuse
formats: [csv, xlsx, sav, dta, parquet]
"""


@pytest.fixture
def bundle(ctx, world, tmp_path):
    """Entry and exit levels of need imported alone; one exit row also says a risk was "not known" (-8)."""
    instrument = current_catalogue().get("practitioner-assessment", 2)
    for rows, headings, wave in ((ENTRY, HEADINGS, "entry"),
                                 ([row + ["-8" if row[1] == "N-1" else "1"] for row in EXIT],
                                  HEADINGS + ["risk_debt"], "exit")):
        outcome = import_responses(csv_bytes(rows, headings), None, instrument, wave, None, None)
        assert outcome.status == "imported", [str(p) for p in outcome.problems]
    path = tmp_path / "not-collected.yaml"
    path.write_text(PROFILE)
    return run_export(load_profile(path), tmp_path / "out", key=KEY).directory


def test_csv_parquet_and_xlsx_hold_the_code_and_the_codebook_labels_it_for_every_coded_item(bundle):
    table = pd.read_csv(bundle / "practitioner-assessment.csv")
    exit_ = table[table["wave"] == "exit"]
    assert (table["risk_relationships"] == NOT_COLLECTED).all()
    assert sorted(exit_["risk_debt"]) == [-8, 1, 1, 1]  # "not known" where the file said so, never -6
    assert (table[table["wave"] == "entry"]["risk_debt"] == NOT_COLLECTED).all()
    parquet = pd.read_parquet(bundle / "practitioner-assessment.parquet")
    assert (parquet["risk_relationships"] == NOT_COLLECTED).all()
    xlsx = pd.read_excel(bundle / "practitioner-assessment.xlsx", sheet_name="data")
    assert (xlsx["risk_relationships"] == NOT_COLLECTED).all()
    codebook = pd.read_csv(next(bundle.glob("*codebook*.csv")), keep_default_na=False)
    items = codebook[codebook["variable"].isin([item.id for item in
                                                current_catalogue().get("practitioner-assessment", 2).items
                                                if item.type not in ("long_text", "text")])]
    assert len(items) == 27  # every item but the notes (free text)
    assert items["codes"].str.contains("-6 = Not collected").all()
    assert items["missing_codes"].str.contains("-6").all()
    debt = items.set_index("variable").loc["risk_debt"]
    assert "-8 = Not known" in debt["codes"] and "-6 = Not collected" in debt["codes"]


def test_spss_declares_not_collected_user_missing_with_its_own_label(bundle):
    data, meta = pyreadstat.read_sav(bundle / "practitioner-assessment.sav", user_missing=True)
    assert meta.variable_value_labels["risk_debt"][-6.0] == "Not collected"
    assert meta.variable_value_labels["risk_debt"][-8.0] == "Not known"
    declared = meta.missing_ranges["risk_debt"]
    assert {"lo": -6.0, "hi": -6.0} in declared and {"lo": -8.0, "hi": -8.0} in declared
    assert meta.missing_ranges["need_escalated"] == [{"lo": -6.0, "hi": -6.0}]
    assert sorted(data["risk_debt"].dropna()) == [-8, -6, -6, -6, 1, 1, 1]
    plain, _meta = pyreadstat.read_sav(bundle / "practitioner-assessment.sav")
    assert plain["risk_relationships"].isna().all()  # a user-missing value is missing to SPSS


def test_stata_holds_not_collected_as_the_extended_missing_value_c_and_not_known_as_its_code(bundle):
    data = pd.read_stata(bundle / "practitioner-assessment.dta", convert_missing=True, convert_categoricals=False)
    debt = [str(value) for value in data["risk_debt"]]
    assert sorted(debt) == sorted([".c"] * 3 + ["-8", "1", "1", "1"])
    assert {str(value) for value in data["risk_relationships"]} == {".c"}
    _data, meta = pyreadstat.read_dta(bundle / "practitioner-assessment.dta", user_missing=True)
    assert meta.missing_user_values["risk_debt"] == ["c"]
    assert meta.variable_value_labels["risk_debt"]["c"] == "Not collected"
    assert meta.variable_value_labels["risk_debt"][-8] == "Not known"


def test_a_dataset_without_not_collected_values_is_written_as_before(tmp_path):
    codebook = Codebook((Variable("q", "Q", "numeric", {1: "Yes", 0: "No", -8: "Not known", -6: "Not collected"},
                                  (-6, -8)),))
    paths = write_bundle_files(pd.DataFrame({"q": [1, 0, -8]}), codebook, tmp_path, "plain", ["dta", "parquet"])
    data = pd.read_stata(paths["dta"], convert_missing=True, convert_categoricals=False)
    assert data["q"].tolist() == [1, 0, -8]  # numbers, not letters: nothing was not collected
    field = pq.read_schema(paths["parquet"]).field("q")
    assert json.loads(field.metadata[b"missing_codes"]) == [-6, -8]
