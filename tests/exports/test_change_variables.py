"""Per-person change since entry, the reliable change index and its classification in exports.

The expected numbers are worked out here from the designed answers (item scores → scale means →
SD at entry, Cronbach's alpha, S_diff), never from ``feedback.exports.change`` or
``feedback.statistics``.
"""
from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from feedback.exports.change import add_reliable_change
from feedback.exports.profile import load_profile
from feedback.exports.runner import run_export
from feedback.extensions import db
from feedback.instruments.loader import load_instrument
from feedback.instruments.reliability import ScaleReliability
from feedback.publishing.startup import current_catalogue
from feedback.survey.service import complete, create_response, save_answers
from tests.families.helpers import family_with_members

KEY = bytes.fromhex("22" * 32)
Z = 1.959963984540054  # the two-sided 95% normal quantile
SCALE = "general_functioning"
ITEMS = [f"gf{i:02d}" for i in range(1, 13)]
REVERSED = {"gf02", "gf04", "gf06", "gf08", "gf10", "gf12"}  # the instrument's reverse items (1–4)

#: Item scores (after reversal) at entry, per person: 1 = mother and 2 = father of family A, and so on.
ENTRY = {
    "A-mother": [3, 3, 3, 2, 3, 3, 3, 2, 3, 3, 3, 2],   # mean 2.75: at or above the cut-off 2.0
    "A-father": [2, 2, 2, 2, 3, 2, 2, 2, 2, 3, 2, 2],   # 2.1667
    "B-mother": [1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 1],   # 1.1667
    "B-father": [2, 3, 2, 2, 2, 2, 3, 2, 2, 2, 2, 2],   # 2.1667 (entry only)
    "C-mother": [4, 4, 3, 4, 4, 4, 3, 4, 4, 4, 4, 3],   # 3.75
    "C-father": [1, 2, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1],   # 1.25
}
#: Sums of item scores later on (mean = sum / 12) and the class each should get (lower is better).
LATER = {
    ("A-mother", "exit"): (18, 1),       # 1.5: reliably down and below the cut-off → recovered
    ("A-mother", "exit-12m"): (21, 1),   # 1.75 against entry (not exit) → recovered
    ("A-father", "exit"): (25, 3),       # 2.0833: −0.083 → unchanged
    ("B-mother", "exit"): (24, 4),       # 2.0: +0.833 → deteriorated
    ("C-mother", "exit"): (30, 2),       # 2.5: −1.25 but still at or above the cut-off → improved
    ("C-father", "exit"): (17, 3),       # 1.4167: +0.167 → unchanged
}
WAVE_DAY = {"entry": 0, "exit": 100, "exit-12m": 465}

PROFILE = """id: {id}
title: Change test
instruments: [family-functioning]
waves: all
shape: {shape}
deidentification:
  ages: bands
disclosure:
  quasi_identifiers: [site]
  k: 2
  on_small_groups: refuse
formats: [csv, sav, dta]
"""


def spread(total: int) -> list[int]:
    """Twelve item scores on 1–4 summing to ``total``."""
    base, extra = divmod(total, 12)
    return [base + 1] * extra + [base] * (12 - extra)


def raw(item_scores: list[int]) -> dict[str, int]:
    """The answers that give these item scores (reverse items mirrored on 1–4)."""
    return {item: (5 - value if item in REVERSED else value) for item, value in zip(ITEMS, item_scores)}


def mean_score(total: float) -> float:
    """A scale score as stored: the mean of the 12 item scores, rounded to 6 decimals."""
    return round(total / 12, 6)


def hand_alpha(matrix: np.ndarray) -> float:
    k = matrix.shape[1]
    return k / (k - 1) * (1 - matrix.var(axis=0, ddof=1).sum() / matrix.sum(axis=1).var(ddof=1))


def expected(reliability: float | None = None):
    """(SD at entry, r, S_diff, threshold), by hand from ENTRY."""
    matrix = np.array(list(ENTRY.values()), dtype=float)
    sd = np.std([mean_score(row.sum()) for row in matrix], ddof=1)
    r = hand_alpha(matrix) if reliability is None else reliability
    s_diff = math.sqrt(2) * sd * math.sqrt(1 - r)
    return sd, r, s_diff, Z * s_diff


@pytest.fixture
def answered(app, ctx, world):
    """Three families of two parents, answering family-functioning at entry, exit and 12 months."""
    instrument = current_catalogue().latest("family-functioning")
    entry = date.today() - timedelta(days=500)
    people = {}
    for letter in "ABC":
        family, (mother, father) = family_with_members(world["north"], world["kw_north"], case_ref=f"CASE-{letter}",
                                                       entry=entry, members=(("mother", 1988, 3), ("father", 1986, 5)))
        people[f"{letter}-mother"], people[f"{letter}-father"] = (family, mother), (family, father)
    db.session.commit()
    answers = [((who, "entry"), ENTRY[who]) for who in ENTRY] + [(key, spread(total)) for key, (total, _) in LATER.items()]
    for minute, ((who, wave), item_scores) in enumerate(answers):
        family, member = people[who]
        response, _token = create_response(instrument, 1)
        response.family_id, response.member_id, response.wave = family.id, member.id, wave
        save_answers(response, raw(item_scores), mode="web")
        complete(response, instrument, commit=False)
        response.completed_at = datetime.combine(entry + timedelta(days=WAVE_DAY[wave]), time(10, minute))
    db.session.commit()
    return {member.id: who for who, (_family, member) in people.items()}


def export(tmp_path: Path, shape: str = "long"):
    name = f"chg-{shape.replace('_', '-')}"
    path = tmp_path / f"{name}.yaml"
    path.write_text(PROFILE.format(id=name, shape=shape))
    bundle = run_export(load_profile(path), tmp_path / f"out-{shape}", key=KEY)
    stem = bundle.directory / "family-functioning"
    codebook = {v["name"]: v for v in json.loads((bundle.directory / "family-functioning-codebook.json")
                                                 .read_text())["variables"]}
    return bundle, pd.read_csv(f"{stem}.csv"), codebook


def who_is_who(table: pd.DataFrame) -> dict[str, str]:
    """Pseudonymous member → the person, matched on the entry score (each person's is told apart
    by its score and role)."""
    found = {}
    entry = table[table["wave"] == "entry"]
    for who, items in ENTRY.items():
        role = who.split("-")[1]
        rows = entry[(entry["role"] == role) & np.isclose(entry[f"score_{SCALE}"], np.mean(items))]
        if who in ("A-father", "B-father"):  # the same entry score: told apart by having an exit row
            later = set(table.loc[table["wave"] == "exit", "member"])
            rows = rows[rows["member"].isin(later) == (who == "A-father")]
        assert len(rows) == 1, who
        found[rows["member"].iloc[0]] = who
    return found


def test_long_export_has_change_rci_and_class_per_later_row(answered, tmp_path):
    bundle, table, codebook = export(tmp_path)
    sd, alpha, s_diff, threshold = expected()
    names = who_is_who(table)
    entry_means = {who: mean_score(sum(items)) for who, items in ENTRY.items()}
    for row in table.itertuples(index=False):
        who = names[row.member]
        chg, rci, rcc = (getattr(row, f"{p}_{SCALE}") for p in ("chg", "rci", "rcc"))
        if row.wave == "entry":
            assert pd.isna(chg) and pd.isna(rci) and pd.isna(rcc)  # entry rows are blank
            continue
        total, klass = LATER[(who, row.wave)]
        assert getattr(row, f"score_{SCALE}") == pytest.approx(mean_score(total))
        assert chg == pytest.approx(mean_score(total) - entry_means[who])
        assert rci == pytest.approx((mean_score(total) - entry_means[who]) / s_diff)
        assert rcc == klass
    assert set(table[f"rcc_{SCALE}"].dropna()) == {1, 2, 3, 4}

    # The codebook's formula carries the numbers used, and the small-n warning.
    rule = codebook[f"rci_{SCALE}"]["scoring_rule"]
    for number in (s_diff, sd, alpha, threshold):
        assert f"{number:.6g}" in rule
    assert "Cronbach's alpha" in rule and "n = 6" in rule and "fewer than 30" in rule
    assert "reliable when |rci| > 1.96" in rule
    assert "1 recovered" in codebook[f"rcc_{SCALE}"]["scoring_rule"]
    assert [c["label"] for c in codebook[f"rcc_{SCALE}"]["value_labels"]] == [
        "Recovered", "Improved", "Unchanged", "Deteriorated"]
    assert "entry" in codebook[f"chg_{SCALE}"]["scoring_rule"]

    # An evaluator recomputes rci from the exported change and the codebook's S_diff.
    published = float(re.search(rf"rci = chg_{SCALE} / ([0-9.]+);", rule).group(1))
    later = table[table["wave"] != "entry"]
    assert np.allclose(later[f"chg_{SCALE}"] / published, later[f"rci_{SCALE}"], rtol=1e-5)

    # The manifest (and README) say what was used per scale.
    note = bundle.manifest["reliable_change"]["family-functioning"][0]
    assert note["scale"] == SCALE and note["baseline"] == "entry" and note["n_baseline"] == 6
    assert note["sd_baseline"] == pytest.approx(sd) and note["reliability"] == pytest.approx(alpha)
    assert note["s_diff"] == pytest.approx(s_diff) and note["threshold"] == pytest.approx(threshold)
    assert note["reliability_n"] == 6 and "fewer than 30" in note["warning"]
    readme = (bundle.directory / "README.txt").read_text()
    assert "Reliable change" in readme and f"{s_diff:.6g}" in readme


def test_spss_and_stata_files_label_the_change_classes(answered, tmp_path):
    bundle, table, codebook = export(tmp_path)
    labels = {1: "Recovered", 2: "Improved", 3: "Unchanged", 4: "Deteriorated"}
    sav, sav_meta = pyreadstat.read_sav(str(bundle.directory / "family-functioning.sav"))
    dta, dta_meta = pyreadstat.read_dta(str(bundle.directory / "family-functioning.dta"))
    for frame, meta, name in ((sav, sav_meta, codebook[f"rcc_{SCALE}"]["spss_name"]),
                              (dta, dta_meta, codebook[f"rcc_{SCALE}"]["stata_name"])):
        assert {int(k): v for k, v in meta.variable_value_labels[name].items()} == labels
        assert sorted(frame[name].dropna().astype(int).tolist()) == sorted(table[f"rcc_{SCALE}"].dropna().astype(int))


def test_a_sidecar_reliability_is_used_when_given(answered, tmp_path, monkeypatch):
    given = {SCALE: ScaleReliability(SCALE, 0.8, "test-retest", "Manual 2020, n = 300", "lower")}
    monkeypatch.setattr("feedback.exports.runner.reliabilities_for", lambda instrument_id: given)
    bundle, table, codebook = export(tmp_path)
    sd, r, s_diff, threshold = expected(0.8)
    rule = codebook[f"rci_{SCALE}"]["scoring_rule"]
    assert f"/ {s_diff:.6g};" in rule and "√(1 − 0.8)" in rule
    assert "test-retest" in rule and "reliability.yaml: Manual 2020, n = 300" in rule
    assert "Cronbach" not in rule and "warning" not in rule
    later = table[table["wave"] != "entry"]
    assert np.allclose(later[f"rci_{SCALE}"], later[f"chg_{SCALE}"] / s_diff)
    assert bundle.manifest["reliable_change"]["family-functioning"][0]["reliability"] == 0.8


def test_wide_member_export_puts_them_in_each_later_wave_block(answered, tmp_path):
    _bundle, long, _ = export(tmp_path)
    _bundle, wide, codebook = export(tmp_path, "wide_member")
    assert not {f"entry_{p}_{SCALE}" for p in ("chg", "rci", "rcc")} & set(wide.columns)  # blank by definition
    for wave, prefix in (("exit", "exit"), ("exit-12m", "exit12m")):
        rows = long[long["wave"] == wave].set_index("member")
        block = wide.set_index("member").loc[rows.index]
        for p in ("chg", "rci", "rcc"):
            assert np.allclose(block[f"{prefix}_{p}_{SCALE}"], rows[f"{p}_{SCALE}"], equal_nan=True)
        assert codebook[f"{prefix}_rcc_{SCALE}"]["value_labels"]
        assert "S_diff" in codebook[f"{prefix}_rci_{SCALE}"]["scoring_rule"]


def test_wide_family_export_of_a_members_instrument_carries_none(answered, tmp_path):
    """A family row has no place for one member's change: only the family means, as before."""
    _bundle, wide, _ = export(tmp_path, "wide_family")
    assert not any(re.search(r"_(chg|rci|rcc)_general", c) for c in wide.columns)
    assert any(c.startswith("exit_fam_mean_") for c in wide.columns)


def test_without_waves_the_familys_first_reading_is_the_baseline():
    """The family star answered outside the schedule: a family-level instrument without waves."""
    star = load_instrument(Path(__file__).resolve().parents[2] / "questionnaires" / "family-star" / "v2.yaml")
    first = [4.0, 6.0, 5.0, 3.0]
    table = pd.DataFrame({
        "family": ["f1", "f2", "f1", "f3", "f4", "f1", "f2"],
        "member": [None] * 7, "wave": [None] * 7,
        "score_parent_total": [4.0, 6.0, 5.5, 5.0, 3.0, 7.0, 6.5],
        "score_practitioner_total": [np.nan] * 7})
    given = {"parent_total": ScaleReliability("parent_total", 0.9, "alpha", "Local study", "higher")}
    out, variables, notes = add_reliable_change(table, star, person="member", family="family", wave_order=[],
                                                reliabilities=given)
    sd = np.std(first, ddof=1)
    s_diff = math.sqrt(2) * sd * math.sqrt(1 - 0.9)
    assert out[["chg_parent_total", "rci_parent_total", "rcc_parent_total"]].iloc[[0, 1, 3, 4]].isna().all().all()
    assert out["chg_parent_total"].iloc[[2, 5, 6]].tolist() == pytest.approx([1.5, 3.0, 0.5])
    assert out["rci_parent_total"].iloc[[2, 5, 6]].tolist() == pytest.approx([1.5 / s_diff, 3 / s_diff, 0.5 / s_diff])
    classes = [2 if c > Z * s_diff else 3 for c in (1.5, 3.0, 0.5)]
    assert out["rcc_parent_total"].iloc[[2, 5, 6]].tolist() == classes
    assert notes[0].baseline == "first reading" and notes[0].n_entry == 4
    rcc = next(v for v in variables if v.name == "rcc_parent_total")
    assert 1 not in rcc.value_labels  # no cut-off: nobody "recovered"
    # No practitioner readings at all: no SD, so blanks and a rule that says why.
    assert out["rci_practitioner_total"].isna().all()
    assert "not computed" in next(v for v in variables if v.name == "rci_practitioner_total").scoring_rule


STAR_AREAS = ("health", "emotional", "safety", "community", "learning", "boundaries", "work", "home_money")
#: The parent's eight readings (1–10) at entry and exit, per family.
STAR = {"S-1": ([3, 4, 3, 4, 3, 4, 3, 4], [6, 6, 7, 6, 7, 6, 7, 6]),
        "S-2": ([5, 5, 6, 5, 6, 5, 5, 5], [5, 6, 6, 5, 6, 5, 6, 5]),
        "S-3": ([7, 8, 7, 7, 8, 7, 8, 8], [5, 5, 5, 5, 6, 5, 5, 5])}


def test_wide_family_export_of_a_family_level_instrument_carries_them_per_later_wave(app, ctx, world, tmp_path,
                                                                                   monkeypatch):
    """The family star (no member: the family's readings) at entry and exit, one row per family."""
    instrument = current_catalogue().latest("family-star")
    entry = date.today() - timedelta(days=200)
    for minute, (case, readings) in enumerate(STAR.items()):
        family, _members = family_with_members(world["north"], world["kw_north"], case_ref=case, entry=entry,
                                               members=(("mother", 1988, 3),))
        for wave, parent in zip(("entry", "exit"), readings):
            response, _token = create_response(instrument, 1)
            response.family_id, response.member_id, response.wave = family.id, None, wave
            save_answers(response, {f"{area}_parent": value for area, value in zip(STAR_AREAS, parent)}, mode="staff")
            complete(response, instrument, commit=False)
            response.completed_at = datetime.combine(entry + timedelta(days=WAVE_DAY[wave]), time(10, minute))
    db.session.commit()
    given = {"parent_total": ScaleReliability("parent_total", 0.9, "alpha", "Local study", "higher")}
    monkeypatch.setattr("feedback.exports.runner.reliabilities_for", lambda instrument_id: given)
    path = tmp_path / "star-wide.yaml"
    path.write_text(PROFILE.format(id="star-wide", shape="wide_family").replace("[family-functioning]", "[family-star]"))
    bundle = run_export(load_profile(path), tmp_path / "out", key=KEY)
    wide = pd.read_csv(bundle.directory / "family-star.csv")
    assert len(wide) == 3 and not {"entry_chg_parent_total", "entry_rci_parent_total"} & set(wide.columns)
    before = {case: round(sum(first) / 8, 6) for case, (first, _) in STAR.items()}
    after = {case: round(sum(second) / 8, 6) for case, (_, second) in STAR.items()}
    s_diff = math.sqrt(2) * np.std(list(before.values()), ddof=1) * math.sqrt(1 - 0.9)
    for case in STAR:  # each family told apart by its entry reading
        row = next(r for r in wide.itertuples(index=False) if r.entry_score_parent_total == pytest.approx(before[case]))
        change = after[case] - before[case]
        assert row.exit_chg_parent_total == pytest.approx(change)
        assert row.exit_rci_parent_total == pytest.approx(change / s_diff)
        assert row.exit_rcc_parent_total == (2 if change > Z * s_diff else 4 if change < -Z * s_diff else 3)
    assert set(wide["exit_rcc_parent_total"]) == {2, 3, 4}
    assert wide["exit_rci_practitioner_total"].isna().all()  # no key worker's readings: no SD at entry


def test_a_profile_without_change_scores_gets_none(answered, tmp_path):
    path = tmp_path / "no-change.yaml"
    path.write_text(PROFILE.format(id="no-change", shape="long").replace("deidentification:",
                                                                           "scores:\n  change: []\ndeidentification:"))
    bundle = run_export(load_profile(path), tmp_path / "out", key=KEY)
    table = pd.read_csv(bundle.directory / "family-functioning.csv")
    assert not any(c.startswith(("chg_", "rci_", "rcc_")) for c in table.columns)
    assert bundle.manifest["reliable_change"] == {}
