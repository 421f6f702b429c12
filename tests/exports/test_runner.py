"""Running a profile: a de-identified bundle that leaks nothing, links across exports, refuses bad input."""
from __future__ import annotations

import secrets
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.exports.profile import load_profile
from feedback.exports.runner import ExportError, run_export
from feedback.families.models import Member
from feedback.survey.models import Response
from feedback.survey.service import save_answers
from tests.exports.test_dataset import answered_family

KEY = bytes.fromhex("11" * 32)
PROFILE = """id: {id}
title: Test export
instruments: [exit-interview, family-functioning]
waves: all
shape: {shape}
deidentification:
  free_text: {free_text}
{extra}disclosure:
  k: 2
  on_fail: refuse
formats: [csv]
"""


def profile(tmp_path: Path, shape="long", free_text="drop", recipient=None, name="test-export", k=2):
    extra = f"  pseudonym: {{recipient: {recipient}}}\n" if recipient else ""
    text = PROFILE.format(id=name, shape=shape, free_text=free_text, extra=extra).replace("k: 2", f"k: {k}")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return load_profile(path)


@pytest.fixture
def families(app, ctx, world):
    """Two families with distinctive names and numbers, which also appear inside free-text answers."""
    made = []
    for case in ("CASE-7781", "CASE-9914"):
        family, members = answered_family(world, case)
        for member, name in zip(members, ("Zephyrine", "Balthazar") if case == "CASE-7781" else ("Quentinella", "Ozymandias")):
            db.session.get(Member, member.id).name = name
        made.append((family, members))
    db.session.commit()
    for family, members in made:
        for member in members:
            response = db.session.scalars(sa.select(Response).filter_by(member_id=member.id, instrument_id="exit-interview")).one()
            save_answers(response, {"what_made_difference": f"{db.session.get(Member, member.id).name} at "
                                    f"{member.phone}, case {family.case_ref}, write to parent@example.com"}, mode="web")
    db.session.commit()
    return made


def bundle_bytes(bundle) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(bundle.directory.iterdir())) + bundle.zip_path.read_bytes()


def secrets_of(made) -> list[str]:
    found = []
    for family, members in made:
        found.append(family.case_ref)
        for member in members:
            found += [db.session.get(Member, member.id).name, member.phone, "0" + member.phone[3:]]
    return found + ["parent@example.com"]


@pytest.mark.parametrize("free_text", ["drop", "scrub"])
@pytest.mark.parametrize("shape", ["long", "wide_member", "wide_family"])
def test_a_deidentified_bundle_holds_no_name_number_or_reference(families, tmp_path, shape, free_text):
    bundle = run_export(profile(tmp_path, shape, free_text), tmp_path / "out", key=KEY)
    data = bundle_bytes(bundle)
    for secret in secrets_of(families):
        assert secret.encode() not in data, secret
    frame = pd.read_csv(bundle.directory / "family-functioning.csv")
    assert len(frame) == {"long": 4, "wide_member": 4, "wide_family": 2}[shape]
    assert "member_id" not in frame.columns and "birth_year" not in frame.columns
    if free_text == "scrub" and shape != "wide_family":  # a family row holds only members' aggregates
        text = pd.read_csv(bundle.directory / "exit-interview.csv").filter(like="what_made_difference").iloc[:, 0]
        assert text.str.contains(r"\[name\]").all()
    assert bundle.manifest["rows"] == {"exit-interview": 4, "family-functioning": 4}
    assert db.session.scalar(sa.select(AuditEvent).filter_by(action="export.run")).detail["profile"] == "test-export"


def test_the_same_key_links_exports_and_another_recipient_cannot(families, tmp_path):
    first = run_export(profile(tmp_path), tmp_path / "a", key=KEY)
    second = run_export(profile(tmp_path), tmp_path / "b", key=KEY)
    other = run_export(profile(tmp_path, recipient="evaluator-b", name="test-export"), tmp_path / "c", key=KEY)
    ids = [set(pd.read_csv(bundle.directory / "family-functioning.csv")["member"]) for bundle in (first, second, other)]
    assert ids[0] == ids[1] and not ids[0] & ids[2]


def test_a_disclosure_check_that_fails_refuses_and_leaves_nothing(families, tmp_path):
    with pytest.raises(ExportError, match="smallest|group"):
        run_export(profile(tmp_path, k=50), tmp_path / "out", key=KEY)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_bad_requests_are_refused_with_the_reason(app, ctx, world, tmp_path, monkeypatch):
    with pytest.raises(ExportError, match="nothing to export"):
        run_export(profile(tmp_path), tmp_path / "out", key=KEY)
    full = tmp_path / "full.yaml"
    full.write_text("id: full\ntitle: Full\ninstruments: all\nwaves: all\nshape: long\n"
                    "deidentification: {level: full}\n")
    with pytest.raises(ExportError, match="only an admin"):
        run_export(load_profile(full), tmp_path / "out")


def test_flask_export_run_writes_the_shipped_evaluation_profile(families, app, world, monkeypatch, tmp_path):
    for case in ("CASE-3333", "CASE-4444", "CASE-5555"):  # five mothers and five fathers: the profile's k is 5
        answered_family(world, case)
    monkeypatch.setenv("FEEDBACK_PSEUDONYM_KEY", "22" * 32)
    result = app.test_cli_runner().invoke(args=["export", "run", "exports/evaluation.yaml", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [bundle] = [path for path in tmp_path.iterdir() if path.is_dir()]
    names = {path.name for path in bundle.iterdir()}
    assert {"manifest.json", "README.txt", "family-functioning.csv", "family-functioning.sav",
            "family-functioning.dta", "family-functioning.parquet", "family-functioning.xlsx"} <= names
    import pyreadstat

    frame, meta = pyreadstat.read_sav(str(bundle / "family-functioning.sav"))
    assert len(frame) == 10 and meta.column_labels  # one row per member
    manifest = __import__("json").loads((bundle / "manifest.json").read_text())
    assert manifest["disclosure"]["k"] >= 5 and manifest["disclosure"]["threshold"] == 5
    data = b"".join(path.read_bytes() for path in bundle.iterdir())
    for secret in secrets_of(families):
        assert secret.encode() not in data, secret


def test_flask_export_run_names_a_bad_profile(app, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\ninstruments: [no-such-thing]\nwaves: all\nshape: tall\n")
    result = app.test_cli_runner().invoke(args=["export", "run", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0 and "no-such-thing" in result.output and "shape" in result.output
    assert not (tmp_path / "out").exists()


def test_change_scores_and_family_means_follow_the_members_across_waves(app, ctx, world, tmp_path):
    from datetime import date, timedelta
    import random

    from feedback.demo import random_answers
    from feedback.families.service import update_family
    from feedback.survey.service import complete, instrument_for
    from feedback.waves.channels import OutboxBackend
    from feedback.waves.dispatcher import dispatch_once
    from feedback.waves.models import Invitation
    from tests.families.helpers import family_with_members
    from tests.waves.seeding import sending_moment

    today = date.today()
    rng = random.Random(5)
    family, members = family_with_members(world["north"], world["kw_north"], case_ref="CASE-CHG",
                                          entry=today - timedelta(days=3),
                                          members=(("mother", 1988, 3), ("father", 1985, 7)))
    db.session.commit()

    def answer_due(now):
        dispatch_once(OutboxBackend(), now=now)
        for invitation in db.session.scalars(sa.select(Invitation).filter_by(family_id=family.id, state="sent",
                                                                              instrument_id="family-functioning")):
            response = invitation.response
            instrument = instrument_for(response)
            save_answers(response, random_answers(instrument, rng), mode="web")
            complete(response, instrument)

    answer_due(sending_moment(today))  # the entry wave
    update_family(family, family.version, exit_date=today)
    db.session.commit()
    answer_due(sending_moment(today) + timedelta(minutes=1))  # the exit wave
    bundle = run_export(profile(tmp_path), tmp_path / "out", key=KEY)
    table = pd.read_csv(bundle.directory / "family-functioning.csv")
    scale = next(c for c in table.columns if c.startswith("score_"))[len("score_"):]
    for _member, rows in table.groupby("member"):
        entry, leaving = rows[rows.wave == "entry"].iloc[0], rows[rows.wave == "exit"].iloc[0]
        assert leaving[f"chg_entry_exit_{scale}"] == pytest.approx(leaving[f"score_{scale}"] - entry[f"score_{scale}"])
        assert pd.isna(entry[f"chg_entry_exit_{scale}"])
    for wave, rows in table.groupby("wave"):
        assert rows[f"fam_mean_{scale}"].iloc[0] == pytest.approx(rows[f"score_{scale}"].mean())
        assert (rows[f"fam_n_{scale}"] == 2).all()
    assert "exit − entry" in bundle.manifest["change_scores"]


def test_a_family_row_holds_the_family_means_per_wave(families, tmp_path):
    bundle = run_export(profile(tmp_path, shape="wide_family"), tmp_path / "out", key=KEY)
    table = pd.read_csv(bundle.directory / "family-functioning.csv")
    assert len(table) == 2 and table["family"].is_unique
    assert any(c.startswith("exit_fam_mean_") for c in table.columns)
    assert not any(c.startswith("exit_score_") for c in table.columns)
    long = pd.read_csv(run_export(profile(tmp_path), tmp_path / "long", key=KEY).directory / "family-functioning.csv")
    scale = next(c for c in long.columns if c.startswith("score_"))[len("score_"):]
    expected = long.groupby("family")[f"score_{scale}"].agg(["mean", "count"])
    for row in table.itertuples(index=False):
        mean, count = expected.loc[row.family]
        assert getattr(row, f"exit_fam_n_{scale}") == count
        assert getattr(row, f"exit_fam_mean_{scale}") == pytest.approx(mean, nan_ok=True)


def test_a_family_level_instrument_gets_a_row_per_family_in_a_wide_per_member_export(app, ctx, world, tmp_path):
    """The key worker's assessment has no member: it must not vanish (and then fail the k check)."""
    import random

    from feedback.demo import random_answers
    from feedback.survey.service import complete, instrument_for
    from feedback.waves.models import Invitation

    rng = random.Random(3)
    for case in ("CASE-A1", "CASE-A2"):
        family, _members = answered_family(world, case)
        for invitation in db.session.scalars(sa.select(Invitation).filter_by(family_id=family.id,
                                                                              instrument_id="practitioner-assessment")):
            response = invitation.response
            instrument = instrument_for(response)
            save_answers(response, random_answers(instrument, rng), mode="staff")
            complete(response, instrument)
    path = tmp_path / "assess.yaml"
    path.write_text(PROFILE.format(id="assess", shape="wide_member", free_text="drop", extra="")
                    .replace("[exit-interview, family-functioning]", "[practitioner-assessment]"))
    bundle = run_export(load_profile(path), tmp_path / "out", key=KEY)
    table = pd.read_csv(bundle.directory / "practitioner-assessment.csv")
    assert len(table) == 2 and table["family"].is_unique and "member" not in table.columns
    # Derived counts: the number of risk factors at each level, recomputed here from the item columns.
    risks = [c for c in table.columns if c.startswith("exit_risk_")]
    assert len(risks) == 11
    for code, label in ((0, "no_concern"), (1, "low"), (2, "medium"), (3, "high")):
        assert (table[f"exit_n_risk_{label}"] == (table[risks] == code).sum(axis=1)).all()
    assert (table["exit_n_risk_answered"] == table[risks].isin([0, 1, 2, 3]).sum(axis=1)).all()
    assert table["exit_n_risk_answered"].gt(0).all()
    resilience = [c for c in table.columns if c.startswith("exit_resilience_")]
    assert (table["exit_n_resilience_yes"] == (table[resilience] == 1).sum(axis=1)).all()


SHIPPED = sorted((Path(__file__).resolve().parents[2] / "exports").glob("*.yaml"))


@pytest.mark.parametrize("shipped", SHIPPED, ids=lambda path: path.stem)
@pytest.mark.parametrize("free_text", ["drop", "scrub"])
def test_no_shipped_profile_leaks_a_name_number_or_reference(families, tmp_path, shipped, free_text):
    """Every profile in exports/, with its free text dropped or scrubbed. Each family also answered
    the 3-month follow-up with its secrets in the free-text answer. Only the disclosure threshold is
    lowered (to 2), as two test families cannot make groups of five."""
    from feedback.instruments.loader import load_instrument
    from feedback.survey.service import complete, create_response

    follow_up = load_instrument(Path(__file__).resolve().parents[2] / "questionnaires" / "follow-up" / "v1.yaml")
    for family, members in families:
        for member in members:
            response, _token = create_response(follow_up, 28)
            response.family_id, response.member_id, response.wave = family.id, member.id, "exit-3m"
            name = db.session.get(Member, member.id).name
            save_answers(response, {"outcome_behaviour": 1, "outcome_school_attendance": 2, "outcome_family_relationships": 1,
                                    "outcome_confidence": 1, "outcome_work_training": 2, "outcome_home_conditions": 1,
                                    "outcome_health": 2, "outcome_feeling_safe": 1, "children_at_home": 1,
                                    "new_problems": 1, "new_problems_detail": f"{name} rang {member.phone} about "
                                                                              f"{family.case_ref}",
                                    "other_services": 0, "contact_request": 0}, mode="web")
            complete(response, follow_up)
    db.session.commit()
    text = shipped.read_text().replace("k: 5", "k: 2")
    text = text.replace("free_text: drop", f"free_text: {free_text}")
    assert f"free_text: {free_text}" in text
    copy = tmp_path / shipped.name
    copy.write_text(text)
    bundle = run_export(load_profile(copy), tmp_path / "out", key=KEY)
    data = bundle_bytes(bundle)
    for secret in secrets_of(families):
        assert secret.encode() not in data, secret
    assert bundle.manifest["rows"]


def test_a_date_answer_is_made_relative_like_every_other_date():
    from datetime import date
    from types import SimpleNamespace

    from feedback.exports.codebook import Variable
    from feedback.exports.runner import _relative_date

    frame = pd.DataFrame({"entry_date": [date(2026, 1, 10), date(2026, 2, 1)],
                          "exit_date": [date(2026, 6, 1), date(2026, 7, 1)]})
    table = pd.DataFrame({"family": ["AAAA", "BBBB"]})
    variable = Variable(name="moved_on", label="When did you move?", type="string")
    answered = pd.Series(["2026-01-20", None], dtype=object)
    days, described = _relative_date(answered, frame, table, variable, SimpleNamespace(dates="days_since_entry"), KEY)
    assert days.tolist()[0] == 10 and pd.isna(days.tolist()[1])
    assert described.type == "numeric" and "days since entry" in described.label
    shifted, described = _relative_date(answered, frame, table, variable, SimpleNamespace(dates="shifted"), KEY)
    assert described.type == "date" and shifted.tolist()[0] != date(2026, 1, 20) and shifted.tolist()[1] is None



def test_a_scale_with_a_cut_off_gets_a_flag_column(families, tmp_path):
    bundle = run_export(profile(tmp_path), tmp_path / "out", key=KEY)
    frame = pd.read_csv(bundle.directory / "family-functioning.csv")
    flags = frame["flag_general_functioning"]
    scores = frame["score_general_functioning"]
    assert (flags.isna() == scores.isna()).all() and set(flags.dropna()) <= {0, 1}
    scored = scores.notna()
    assert scored.any()
    assert ((scores[scored] >= 2.0) == (flags[scored] == 1)).all()   # the instrument's cut-off: at or above 2


# --- the pseudonym key ------------------------------------------------------------------------

@pytest.fixture
def own_instance(app, tmp_path, monkeypatch):
    """The app's instance folder in a temporary place, with no pseudonym key set."""
    monkeypatch.delenv("FEEDBACK_PSEUDONYM_KEY", raising=False)
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    return tmp_path / "instance"


def test_outside_production_a_key_is_made_once_kept_and_said_so(families, app, own_instance, tmp_path, caplog):
    import logging

    logging.getLogger("feedback.exports.runner").disabled = False   # the migrations' logging setup turns it off
    caplog.set_level(logging.WARNING, "feedback.exports.runner")
    first = run_export(profile(tmp_path), tmp_path / "a")
    kept = (own_instance / "feedback_pseudonym_key").read_text()
    assert len(bytes.fromhex(kept)) == 32 and (own_instance / "feedback_pseudonym_key").stat().st_mode & 0o077 == 0
    said = [r.getMessage() for r in caplog.records if "made a pseudonym key" in r.getMessage()]
    assert len(said) == 1 and "FEEDBACK_PSEUDONYM_KEY" in said[0]
    second = run_export(profile(tmp_path), tmp_path / "b")
    assert len([r for r in caplog.records if "made a pseudonym key" in r.getMessage()]) == 1
    assert (own_instance / "feedback_pseudonym_key").read_text() == kept
    ids = [set(pd.read_csv(bundle.directory / "family-functioning.csv")["member"]) for bundle in (first, second)]
    assert ids[0] == ids[1]
    # The kept key is the key: the same ids as an export made with it given.
    given_key = run_export(profile(tmp_path), tmp_path / "c", key=bytes.fromhex(kept))
    assert set(pd.read_csv(given_key.directory / "family-functioning.csv")["member"]) == ids[0]


def test_production_refuses_without_a_key_naming_the_setting_to_admins_only(families, app, own_instance, tmp_path):
    from dataclasses import replace

    from feedback.exports.runner import PseudonymKeyMissing

    settings = app.config["FEEDBACK_SETTINGS"]
    app.config["FEEDBACK_SETTINGS"] = replace(settings, environment="production")
    try:
        with pytest.raises(PseudonymKeyMissing, match="FEEDBACK_PSEUDONYM_KEY is not set") as refused:
            run_export(profile(tmp_path), tmp_path / "out")
    finally:
        app.config["FEEDBACK_SETTINGS"] = settings
    assert not own_instance.exists() or not (own_instance / "feedback_pseudonym_key").exists()
    # What a researcher on the web is told names no server setting.
    assert "administrator" in refused.value.public_message and "FEEDBACK_" not in refused.value.public_message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("value", ["too-short", "ab" * 16 + "zz"])
def test_a_malformed_key_is_refused_naming_the_setting(families, app, tmp_path, monkeypatch, value):
    from feedback.exports.runner import PseudonymKeyMissing

    monkeypatch.setenv("FEEDBACK_PSEUDONYM_KEY", value)
    if len(value.encode()) >= 32:   # not hex, so read as text: 34 bytes is long enough
        run_export(profile(tmp_path), tmp_path / "out")
        return
    with pytest.raises(PseudonymKeyMissing, match="FEEDBACK_PSEUDONYM_KEY: the pseudonym key is 9 bytes long"):
        run_export(profile(tmp_path), tmp_path / "out")


def test_the_demo_exports_with_the_shipped_profile_and_no_settings(app, runner, own_instance, tmp_path):
    """Day one: demo data, no environment variables, the shipped evaluation profile. Its rare rows
    have values blanked (local suppression), and the manifest and README say which and how many."""
    import json

    assert runner.invoke(args=["demo"]).exit_code == 0
    result = runner.invoke(args=["export", "run", "exports/evaluation.yaml", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    [bundle] = [path for path in (tmp_path / "out").iterdir() if path.is_dir()]
    manifest = json.loads((bundle / "manifest.json").read_text())
    disclosure = manifest["disclosure"]
    assert disclosure["on_small_groups"] == "suppress" and disclosure["k"] >= 5
    readme = (bundle / "README.txt").read_text()
    assert disclosure["blanked"], "the demo data has rare rows"
    for instrument, columns in disclosure["blanked"].items():
        line = next(line for line in readme.splitlines() if line.startswith(f"  {instrument}: "))
        assert set(line.split(": ", 1)[1].split(", ")) == {f"{c} {n}" for c, n in columns.items()}
        data = pd.read_csv(bundle / f"{instrument}.csv", dtype=str, keep_default_na=False)
        for column, count in columns.items():
            # Blanked values are missing; no more than the profile's share of the column.
            assert (data[column] == "").sum() >= count and count <= 0.1 * len(data)
