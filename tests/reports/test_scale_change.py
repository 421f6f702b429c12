"""scale-change: paired change, effect sizes, reliable change and its classes, protected like every report."""
from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from feedback.instruments.catalogue import load_catalogue
from feedback.instruments.reliability import (ScaleReliability, better_direction, load_reliabilities,
                                              reliabilities_for)
from feedback.reports import scale_change
from feedback.reports.protect import protect
from feedback.statistics.reliable_change import reliable_change_index

ROOT = Path(__file__).resolve().parents[2]
QUESTIONNAIRES = ROOT / "questionnaires"
DAY = pd.Timestamp("2025-06-01")


@pytest.fixture(scope="module")
def functioning():
    return load_catalogue(QUESTIONNAIRES).latest("family-functioning")


@pytest.fixture(scope="module")
def scale(functioning):
    return functioning.scales[0]


def frames(scale, people: list[tuple[float, float]], noise: int = 0):
    """Scores and entry-wave answers for members whose true level is ``before`` at entry and
    ``after`` at exit; each item is answered at that level (reverse items mirrored), with the
    ``noise``-th member's items spread so that alpha is a number below 1."""
    scores, answers, rid = [], [], 0
    for member, (before, after) in enumerate(people):
        for wave, level in (("entry", before), ("exit", after)):
            rid += 1
            stamp = DAY + pd.Timedelta(days=rid)
            item_values = {}
            for k, item in enumerate(scale.items):
                value = int(round(level)) + (((k + member) % 3) - 1 if member % 2 else 0)
                value = min(4, max(1, value))
                item_values[item] = (5 - value) if item in scale.reverse else value
            for item, value in item_values.items():
                answers.append({"response_id": rid, "family_id": 100 + member // 2, "member_id": member, "wave": wave,
                                "completed_at": stamp, "item_id": item, "value": value})
            scores.append({"response_id": rid, "family_id": 100 + member // 2, "member_id": member, "wave": wave,
                           "completed_at": stamp, "scale_id": scale.id, "value": float(level), "flagged": None})
    return pd.DataFrame(scores), pd.DataFrame(answers)


def data_for(scale, people, reliability=None):
    scores, answers = frames(scale, people)
    return scale_change.ScaleData("family-functioning", scale, "General functioning", scores, "member_id",
                                  (("entry", "exit"),), answers[answers["wave"] == "entry"], reliability,
                                  {"entry": "Entry", "exit": "Exit"})


TWELVE = [(3.0, 2.0), (2.5, 2.25), (3.25, 1.5), (2.0, 2.0), (1.75, 1.5), (3.5, 3.0),
          (2.25, 2.5), (3.0, 1.75), (2.75, 2.75), (3.75, 2.0), (2.0, 1.25), (1.5, 3.5)]


def test_paired_statistics_match_scipy(app, scale):
    with app.test_request_context():
        report = scale_change.compute([data_for(scale, TWELVE, ScaleReliability(scale.id, 0.8, "alpha", "Manual"))])
    row = report.tables[0].rows[0]
    before = np.array([b for b, _ in TWELVE])
    after = np.array([a for _, a in TWELVE])
    test = stats.ttest_rel(after, before)
    low, high = test.confidence_interval(0.95)
    assert row["n"] == 12
    assert row["mean_before"] == pytest.approx(before.mean(), abs=1e-4)
    assert row["change"] == pytest.approx((after - before).mean(), abs=1e-4)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))
    d = after - before
    assert row["d_z"] == pytest.approx(d.mean() / d.std(ddof=1), abs=1e-4)
    assert row["wilcoxon_p"] == f"{stats.wilcoxon(after, before).pvalue:.3f}"  # shown to three decimals
    # Jacobson & Truax: 1.96 × √2 × SD_before × √(1 − r), in scale units.
    expected = stats.norm.ppf(0.975) * math.sqrt(2) * before.std(ddof=1) * math.sqrt(1 - 0.8)
    assert row["threshold"] == pytest.approx(expected, abs=1e-4)
    assert row["reliability"] == 0.8 and "Manual" in row["reliability_source"] and row["alpha_n"] is None


def test_classes_sum_to_n_and_follow_the_threshold(app, scale):
    with app.test_request_context():
        report = scale_change.compute([data_for(scale, TWELVE, ScaleReliability(scale.id, 0.8, "alpha", "Manual"))])
    threshold = report.tables[0].rows[0]["threshold"]
    classes = report.tables[1].rows[0]
    assert sum(classes[c] for c in ("recovered", "improved", "unchanged", "deteriorated")) == classes["n"] == 12
    # Lower is better (the cut-off at or above 2.0 marks difficulty); counted independently:
    expected = {"recovered": 0, "improved": 0, "unchanged": 0, "deteriorated": 0}
    for b, a in TWELVE:
        if abs(a - b) <= threshold:
            expected["unchanged"] += 1
        elif a > b:
            expected["deteriorated"] += 1
        elif b >= 2.0 > a:
            expected["recovered"] += 1
        else:
            expected["improved"] += 1
    assert {c: classes[c] for c in expected} == expected
    assert expected["recovered"] and expected["deteriorated"] and expected["unchanged"]


def test_the_reliable_change_index_is_symmetric():
    for b, a in TWELVE:
        assert reliable_change_index(b, a, 0.4) == pytest.approx(-reliable_change_index(a, b, 0.4))


def test_alpha_from_the_entry_wave_with_its_n_and_a_warning_when_few(app, scale):
    with app.test_request_context():
        report = scale_change.compute([data_for(scale, TWELVE)])
    row, note = report.tables[0].rows[0], report.tables[0].note
    _, answers = frames(scale, TWELVE)
    entry = answers[answers["wave"] == "entry"].pivot(index="member_id", columns="item_id", values="value")
    entry = entry[list(scale.items)].astype(float)
    for item in scale.reverse:
        entry[item] = 5 - entry[item]
    k = entry.shape[1]
    alpha = k / (k - 1) * (1 - entry.var(ddof=1).sum() / entry.sum(axis=1).var(ddof=1))
    assert row["reliability"] == pytest.approx(alpha, abs=1e-4) and 0 < alpha < 1
    assert row["alpha_n"] == 12 and "Cronbach's alpha at entry" == row["reliability_source"]
    assert "fewer than 30 people" in note and "Jacobson & Truax" in note


def test_a_scale_without_a_cut_off_has_no_recovered_column(app):
    star = load_catalogue(QUESTIONNAIRES).latest("family-star")
    parent = next(s for s in star.scales if s.id == "parent_total")
    rows = []
    for family in range(12):
        for reading, value in enumerate((4.0 + family % 3, 6.5 + family % 4 - (family == 3) * 5)):
            rows.append({"response_id": family * 10 + reading, "family_id": family, "member_id": None,
                         "wave": "exit", "completed_at": DAY + pd.Timedelta(days=reading * 30 + family),
                         "scale_id": "parent_total", "value": value})
    data = scale_change.ScaleData("family-star", parent, "Parent's reading", pd.DataFrame(rows), "family_id",
                                  scale_change.FIRST_LATEST, None,
                                  ScaleReliability("parent_total", 0.9, "alpha", "Local study", "higher"))
    with app.test_request_context():
        report = scale_change.compute([data])
    assert report.tables[0].rows[0]["between"] == "Latest − first reading"
    assert report.tables[0].rows[0]["n"] == 12
    names = [c.name for c in report.tables[1].columns]
    assert "recovered" not in names and "no cut-off" in report.tables[1].note


def test_below_the_threshold_every_statistic_and_count_is_hidden(app, scale):
    small = data_for(scale, TWELVE[:6])   # alpha from 6 people: its n is hidden too
    large = data_for(scale, TWELVE * 3, ScaleReliability(scale.id, 0.8, "alpha", "M"))
    large.instrument_id, large.label = "other", "Other scale"
    with app.test_request_context():
        alone = protect(scale_change.compute([small]), 10)
        shown = protect(scale_change.compute([small, large]), 10)
    assert not alone.tables and "Not enough data" in alone.empty
    assert len(shown.tables) == 3   # the statistics, and each scale's classes
    table = shown.tables[0]
    for r, row in enumerate(table.rows):
        for column, cell in zip(table.columns, row):
            if column.kind in ("count", "mean", "percent"):
                if r == 0:   # the 6 members: every figure hidden
                    assert cell.suppressed or cell.value is None, (column.name, cell)
                elif column.name != "alpha_n":
                    assert not cell.suppressed, (column.name, cell)
    for row in shown.tables[1].rows:   # the small scale's classes
        assert all(cell.suppressed or not cell.value for column, cell in zip(shown.tables[1].columns, row)
                   if column.kind != "label"), [(c.name, cell) for c, cell in zip(shown.tables[1].columns, row)]


def test_a_small_class_is_not_a_subtraction_away(app, scale):
    people = [(3.0, 1.5)] * 14 + [(2.5, 2.5)] * 14 + [(1.5, 3.5)] * 2 + [(2.25, 2.0)] * 12
    with app.test_request_context():
        report = scale_change.compute([data_for(scale, people, ScaleReliability(scale.id, 0.9, "alpha", "M"))])
        classes = report.tables[1].rows[0]
        assert classes["deteriorated"] == 2 and classes["n"] == 42
        shown = protect(report, 10)
    table = shown.tables[1]
    cells = dict(zip([c.name for c in table.columns], table.rows[0]))
    assert cells["deteriorated"].suppressed
    counts = ["n", "recovered", "improved", "unchanged", "deteriorated"]
    assert sum(cells[c].suppressed for c in counts) >= 2   # never n minus the rest
    stats_n = dict(zip([c.name for c in shown.tables[0].columns], shown.tables[0].rows[0]))["n"]
    assert stats_n.suppressed == cells["n"].suppressed     # the same people, hidden alike


def test_sidecar_problems_name_the_file_and_the_scale(tmp_path):
    folder = tmp_path / "family-functioning"
    folder.mkdir()
    (folder / "reliability.yaml").write_text(
        "general_functioning: {value: 1.5, source: Manual}\n"
        "nosuch: {better: higher}\n"
        "other: {value: 0.8}\n"
        "third: {better: up}\n", encoding="utf-8")
    found, problems = load_reliabilities(folder, "family-functioning/reliability.yaml",
                                         {"family-functioning": {"general_functioning", "other", "third"}})
    assert not found
    text = [str(p) for p in problems]
    assert all(t.startswith("family-functioning/reliability.yaml: scale ") for t in text)
    assert any("'general_functioning'" in t and "above 0 and at most 1" in t for t in text)
    assert any("'nosuch'" in t and "is not a scale" in t for t in text)
    assert any("'other'" in t and "needs source" in t for t in text)
    assert any("'third'" in t and "higher or lower" in t for t in text)


def test_the_shipped_sidecars_are_valid_and_claim_no_borrowed_alpha(scale):
    catalogue = load_catalogue(QUESTIONNAIRES)
    assert not [p for p in catalogue.problems if "reliability.yaml" in p.file]
    assert not any(key[0] == "family-functioning" and "reliability" in key for key in catalogue.instruments)
    functioning = reliabilities_for("family-functioning", QUESTIONNAIRES)["general_functioning"]
    assert functioning.value is None and better_direction(scale, functioning) == "lower"
    assert better_direction(scale, None) == "lower"   # from the cut-off at or above
    star = reliabilities_for("family-star", QUESTIONNAIRES)
    assert {key: r.better for key, r in star.items()} == {"parent_total": "higher", "practitioner_total": "higher"}
    assert reliabilities_for("practitioner-assessment", QUESTIONNAIRES)["resilience_count"].better == "higher"


def test_a_broken_sidecar_is_reported_by_the_catalogue(tmp_path):
    import shutil

    shutil.copytree(QUESTIONNAIRES / "family-star", tmp_path / "q" / "family-star")
    (tmp_path / "q" / "family-star" / "reliability.yaml").write_text("parent_totl: {better: higher}\n",
                                                                      encoding="utf-8")
    catalogue = load_catalogue(tmp_path / "q")
    assert [str(p) for p in catalogue.problems if "reliability" in p.file] == [
        "q/family-star/reliability.yaml: scale 'parent_totl': is not a scale of family-star; its scales are "
        "parent_total, practitioner_total"]
    assert catalogue.instruments  # the sidecar is not read as a version


def test_no_data_says_so_plainly(app, world):
    from tests.conftest import sign_in

    client = sign_in(app.test_client(), "admin@example.org")
    html = client.get("/staff/reports/scale-change").get_data(as_text=True)
    assert "Not enough data" in html


def test_the_report_runs_on_seeded_families(app, world):
    from feedback.extensions import db
    from feedback.instruments.loader import load_instrument
    from feedback.survey.service import complete, create_response, save_answers
    from tests.conftest import sign_in
    from tests.families.helpers import family_with_members

    with app.app_context():
        instrument = load_instrument(QUESTIONNAIRES / "family-functioning" / "v2.yaml")
        rng = np.random.default_rng(7)
        for n in range(14):
            family, members = family_with_members(world["north"], None, case_ref=f"FF-{n}",
                                                  entry=date(2025, 9, 1), exit_=date(2026, 3, 1),
                                                  members=(("mother", 1985, 2), ("young_person", 2010, 5)))
            for member in members:
                level = int(rng.integers(2, 5))
                for wave, shift in (("entry", 0), ("exit", -int(rng.integers(0, 2)))):
                    response, _token = create_response(instrument, 28)
                    response.family_id, response.member_id, response.wave = family.id, member.id, wave
                    values = {}
                    for k, item in enumerate(instrument.scales[0].items):
                        value = max(1, min(4, level + shift + (k % 2 if n % 3 else 0)))
                        values[item] = 5 - value if item in instrument.scales[0].reverse else value
                    save_answers(response, values, mode="staff")
                    complete(response, instrument)
        db.session.commit()
    client = sign_in(app.test_client(), "admin@example.org")
    response = client.get("/staff/reports/scale-change")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Change on each scale" in html and "Reliable change: " in html and "People behind alpha" in html
    assert "28" in html   # members scored at entry and exit
    csv_text = client.get("/staff/reports/scale-change/download/csv").get_data().decode("utf-8-sig")
    assert "Hedges" in csv_text and "Jacobson" in csv_text
