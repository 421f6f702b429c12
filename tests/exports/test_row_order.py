"""The order of an export's rows gives nothing away (``runner._row_order``).

Families here enrol one a day and answer in that order, as a service's families do. A reader of a
de-identified file who knows roughly when one family enrolled or answered (or, for the anonymous
partner survey, when an invitation was answered) must not be able to use a row's position to
place the others: the rows go by keyed pseudonyms, a family's rows together, each member's in the
order answered (which their days since entry already say). Tested as that reader would: the
rows are mapped back to the real responses (the test holds the key) and their positions set
against the real enrolment and completion order.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from feedback.demo import random_answers
from feedback.exports.profile import load_profile
from feedback.exports.pseudonyms import pseudonym_map
from feedback.exports.runner import run_export
from feedback.extensions import db
from feedback.families.service import erase_family
from feedback.publishing.startup import current_catalogue
from feedback.survey.models import Response
from feedback.survey.service import complete, create_response, save_answers
from tests.families.helpers import family_with_members

KEY, OTHER_KEY = bytes.fromhex("5a" * 32), bytes.fromhex("a5" * 32)
FAMILIES = 60
PROFILE = """id: order
title: Row order
instruments: [{instrument}]
waves: all
shape: {shape}
scores: {{scales: true, change: default}}
deidentification: {deidentification}
formats: [csv]
"""
DEIDENTIFIED = """{level: deidentified, dates: days_since_entry, ages: bands, free_text: drop}
disclosure: {quasi_identifiers: [site, role, age_band, language], k: 3, on_small_groups: suppress,
             max_suppressed_share: 0.5}"""


def rank_correlation(a, b) -> float:
    """Spearman's rho: how far one order follows the other (1: the same, 0: unrelated)."""
    return float(np.corrcoef(pd.Series(a).rank(), pd.Series(b).rank())[0, 1])


@pytest.fixture
def enrolled_in_order(app, ctx, world):
    """Sixty families, enrolled a day apart; two carers each answer family-functioning at entry
    and at exit, the families in enrolment order (so completion order, response ids and family
    ids all follow enrolment). The tenth family is then erased (its responses kept, unlinked)."""
    rng = random.Random(11)
    instrument = current_catalogue().latest("family-functioning")
    start = date.today() - timedelta(days=600)
    made = []
    for n in range(FAMILIES):
        family, members = family_with_members(world["north"], world["kw_north"], case_ref=f"RO-{n}",
                                              entry=start + timedelta(days=n),
                                              members=(("mother", 1980 + n % 9, 3), ("father", 1978 + n % 7, 8)))
        made.append((family, members))
    for wave, later in (("entry", 1), ("exit", 200)):
        for n, (family, members) in enumerate(made):
            for m, member in enumerate(members):
                response, _token = create_response(instrument, 1)
                response.family_id, response.member_id, response.wave = family.id, member.id, wave
                save_answers(response, random_answers(instrument, rng), mode="web")
                complete(response, instrument, commit=False)
                response.completed_at = datetime.combine(start + timedelta(days=n + later), time(10, m))
    db.session.commit()
    erased = made[9][0].id
    erase_family(made[9][0], None)
    db.session.commit()
    return erased


def exported(tmp_path, shape="long", deidentification=DEIDENTIFIED, instrument="family-functioning", key=KEY,
             actor=None) -> pd.DataFrame:
    folder = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    path = folder / "order.yaml"
    path.write_text(PROFILE.format(instrument=instrument, shape=shape, deidentification=deidentification))
    bundle = run_export(load_profile(path), folder / "out", actor=actor, key=key)
    suffix = "-IDENTIFIABLE" if actor is not None else ""
    return pd.read_csv(bundle.directory / f"{instrument}{suffix}.csv", dtype=str, keep_default_na=False)


def real_responses(instrument_id: str, key: bytes) -> pd.DataFrame:
    """What the reader is after, by response pseudonym: each response's real ids and times."""
    rows = [(r.id, r.family_id, r.member_id, r.completed_at) for r in
            Response.query.filter(Response.instrument_id == instrument_id, Response.completed_at.isnot(None))]
    real = pd.DataFrame(rows, columns=["response_id", "family_id", "member_id", "completed_at"])
    names = pseudonym_map("response", real["response_id"].tolist(), key)
    return real.set_index(real["response_id"].map(names))


def test_a_rows_position_says_nothing_of_enrolment_or_completion(enrolled_in_order, tmp_path):
    table = exported(tmp_path)
    real = real_responses("family-functioning", KEY).loc[table["response"]].reset_index(drop=True)
    assert len(table) == 4 * FAMILIES
    position = pd.Series(range(len(table)))

    # The attack: the family's first row against its real enrolment (family id) and first answer.
    linked = real["family_id"].notna()
    first_row = position[linked].groupby(real.loc[linked, "family_id"]).min()
    first_answer = real[linked].groupby("family_id")["completed_at"].min().loc[first_row.index]
    assert abs(rank_correlation(first_row, first_row.index)) < 0.4, "row order follows enrolment"
    assert abs(rank_correlation(first_row, first_answer)) < 0.4, "row order follows completion"
    assert abs(rank_correlation(position, real["completed_at"])) < 0.4
    assert abs(rank_correlation(position, real["response_id"])) < 0.4
    # What the order is instead: families by pseudonym, each family's rows together, members by
    # pseudonym within it, a member's rows in the order answered; the erased family's rows last.
    kept = table[table["family"] != ""]
    assert kept.index.tolist() == list(range(len(kept))), "a row without a family comes before one with"
    assert kept["family"].tolist() == sorted(kept["family"]) and kept["family"].nunique() == FAMILIES - 1
    for _family, rows in kept.groupby("family", sort=False):
        assert rows["member"].tolist() == sorted(rows["member"])
        for _member, own in rows.groupby("member", sort=False):
            assert own["wave"].tolist() == ["entry", "exit"]
            assert real.loc[own.index, "completed_at"].is_monotonic_increasing
    unlinked = table[table["family"] == ""]
    assert len(unlinked) == 4 and unlinked["response"].tolist() == sorted(unlinked["response"])
    # The order comes from the key: another key, another order of the same families.
    again = exported(tmp_path, key=KEY)
    assert again["response"].tolist() == table["response"].tolist()
    other = exported(tmp_path, key=OTHER_KEY)
    other_real = real_responses("family-functioning", OTHER_KEY).loc[other["response"]].reset_index(drop=True)
    assert other_real["response_id"].tolist() != real["response_id"].tolist()
    assert sorted(other_real["response_id"]) == sorted(real["response_id"])


@pytest.mark.parametrize("shape", ["wide_member", "wide_family"])
def test_a_wide_tables_rows_go_by_pseudonym_too(enrolled_in_order, tmp_path, shape):
    table = exported(tmp_path, shape=shape)
    families = pseudonym_map("family", [r.family_id for r in Response.query if r.family_id], KEY)
    enrolled = {name: family_id for family_id, name in families.items()}
    assert table["family"].tolist() == sorted(table["family"])
    assert abs(rank_correlation(range(len(table)), table["family"].map(enrolled))) < 0.4
    if shape == "wide_member":
        assert len(table) == 2 * (FAMILIES - 1)  # the erased family's rows cannot be placed in a wide table
        for _family, rows in table.groupby("family", sort=False):
            assert rows["member"].tolist() == sorted(rows["member"])
    else:
        assert len(table) == FAMILIES - 1


def test_an_identifiable_tables_rows_go_by_family_and_member_id(enrolled_in_order, tmp_path):
    admin = SimpleNamespace(is_admin=True, id=None)
    table = exported(tmp_path, deidentification="{level: full}", actor=admin)
    ids = table[["family_id", "member_id"]].replace("", None).astype(float)
    linked = ids["family_id"].notna()
    assert linked.tolist() == sorted(linked, reverse=True) and (~linked).sum() == 4  # the erased family's rows last
    ordered = ids[linked].sort_values(["family_id", "member_id"], kind="stable")
    assert ordered.index.tolist() == ids[linked].index.tolist()
    completed = pd.to_datetime(table.loc[linked, "completed_at"])
    assert all(own.is_monotonic_increasing for _, own in completed.groupby(ids.loc[linked, "member_id"]))


def test_anonymous_partner_responses_are_not_in_the_order_they_came(app, ctx, tmp_path):
    """The partner survey is answered anonymously: invitations record the day each was answered.
    Rows in completion order would set each response beside its invitation on a quiet day."""
    instrument = current_catalogue().latest("partner-survey")
    rng = random.Random(3)
    start = datetime(2026, 3, 2, 9, 0)
    for n in range(50):
        response, _token = create_response(instrument, 42)
        response.wave, response.anonymous = "annual", True
        save_answers(response, random_answers(instrument, rng) | {"role": 1 + n % 2}, mode="web")
        complete(response, instrument, commit=False)
        response.completed_at = start + timedelta(days=n)
    db.session.commit()
    table = exported(tmp_path, instrument="partner-survey", deidentification=DEIDENTIFIED)
    real = real_responses("partner-survey", KEY).loc[table["response"]]
    assert len(table) == 50 and table["response"].tolist() == sorted(table["response"])
    assert abs(rank_correlation(range(50), real["completed_at"])) < 0.4
