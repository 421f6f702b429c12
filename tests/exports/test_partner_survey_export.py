"""Partner survey responses in evaluator datasets: nothing of the contact invited ever leaves."""
from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from feedback.demo import random_answers
from feedback.extensions import db
from feedback.exports.profile import load_profile
from feedback.exports.runner import run_export
from feedback.partners.models import PartnerAgency, PartnerContact
from feedback.publishing.startup import current_catalogue
from feedback.survey.service import complete, create_response, save_answers

KEY = bytes.fromhex("33" * 32)
ROOT = Path(__file__).resolve().parents[2]
PROFILE = """id: partners
title: Partner survey
instruments: [partner-survey]
waves: all
shape: {shape}
deidentification:
  free_text: {free_text}
disclosure:
  quasi_identifiers: [site, role, language]
  k: 2
  on_small_groups: suppress
  max_suppressed_share: 0.5
formats: all
"""
#: Contacts whose names and addresses would stand out anywhere in a file.
CONTACTS = (("Perpetua Vandersloot", "perpetua.vandersloot@school.example", "manager"),
            ("Eustace Quimby-Ravel", "e.quimby-ravel@police.example", "practitioner"),
            ("Griselda Oyelaran", "griselda.o@health.example", "practitioner"))


@pytest.fixture
def partner_responses(app, ctx, world):
    """Six anonymous responses and one answered from a non-anonymous send, carrying its contact's
    id; the free-text answers name the contacts and give their addresses, as people do."""
    agency = PartnerAgency(name="Northbridge Academy", sector="education")
    db.session.add(agency)
    db.session.flush()
    contacts = []
    for n, (name, email, role) in enumerate(CONTACTS):
        # Ids no answer code or count could equal by chance.
        contact = PartnerContact(id=90417 + n, agency=agency, name=name, role=role, email=email, consent=True)
        db.session.add(contact)
        contacts.append(contact)
    db.session.flush()
    instrument = current_catalogue().latest("partner-survey")
    rng = random.Random(7)
    for n in range(7):
        response, _token = create_response(instrument, 42)
        response.wave = "annual"
        if n == 6:
            response.contact_id = contacts[0].id
        else:
            response.anonymous = True
        db.session.flush()
        contact = contacts[n % len(contacts)]
        answers = random_answers(instrument, rng) | {
            "role": 1 if n % 2 else 2, "comments": f"From {contact.name} ({contact.email})",
            "improvement": f"Ring {contact.name.split()[0]}"}
        save_answers(response, answers, mode="web")
        complete(response, instrument)
    db.session.commit()
    return contacts, [(c.name, c.email, c.id) for c in contacts]


def run(tmp_path, shape="long", free_text="drop", text=None, name="partners"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text or PROFILE.format(shape=shape, free_text=free_text))
    return run_export(load_profile(path), tmp_path / "out", key=KEY)


def every_value(bundle) -> tuple[set[str], bytes]:
    """Every column name and cell of every data file in the bundle, as text, and all its bytes."""
    cells: set[str] = set()
    for path in bundle.directory.iterdir():
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        elif path.suffix == ".sav":
            frame, _meta = pyreadstat.read_sav(str(path))
        elif path.suffix == ".dta":
            frame, _meta = pyreadstat.read_dta(str(path))
        elif path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif path.suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str)
        else:
            continue
        cells.update(str(column) for column in frame.columns)
        for column in frame.columns:
            cells.update(str(value).removesuffix(".0") for value in frame[column].dropna())
    data = b"".join(path.read_bytes() for path in sorted(bundle.directory.iterdir()))
    with zipfile.ZipFile(bundle.zip_path) as archive:
        data += b"".join(archive.read(name) for name in archive.namelist())
    return cells, data


@pytest.mark.parametrize("free_text", ["drop", "scrub"])
@pytest.mark.parametrize("shape", ["long", "wide_member", "wide_family"])
def test_no_file_holds_a_contacts_id_name_or_address(partner_responses, tmp_path, shape, free_text):
    _contacts, known = partner_responses
    bundle = run(tmp_path, shape, free_text)
    cells, data = every_value(bundle)
    assert {"sav", "dta", "parquet", "xlsx", "csv"} <= {p.suffix[1:] for p in bundle.directory.iterdir()}
    assert not {name for name in cells if "contact" in name.lower()}
    for name, email, contact_id in known:
        for secret in (name, email, *name.split()):
            assert secret.encode() not in data, secret
            assert secret not in cells, secret
        assert str(contact_id) not in cells and f"c{contact_id}" not in cells
    frame = pd.read_csv(bundle.directory / "partner-survey.csv", dtype=str, keep_default_na=False)
    # One row per response, whatever the shape: a partner's answers belong to no family or member.
    assert len(frame) == 7 and bundle.manifest["rows"] == {"partner-survey": 7}
    assert not {"family", "member", "site", "age_band", "days_since_entry"} & set(frame.columns)
    assert frame["response"].str.fullmatch(r"[A-Z2-7]{16}").all() and frame["response"].is_unique


def test_the_respondents_own_role_answer_is_its_own_column_beside_the_members_role(partner_responses, tmp_path):
    bundle = run(tmp_path)
    frame = pd.read_csv(bundle.directory / "partner-survey.csv", dtype=str, keep_default_na=False)
    codebook = pd.read_csv(bundle.directory / "partner-survey-codebook.csv", dtype=str, keep_default_na=False)
    assert codebook["variable"].is_unique
    assert set(frame["role"]) == {"1", "2"}
    assert codebook.set_index("variable").loc["role", "label"] == "What is your role?"


def test_an_identifiable_export_has_no_contact_either(partner_responses, tmp_path):
    """An admin's full export keeps free text as typed, but never the contact's id, name or address
    as a value of its own."""
    from feedback.staff.models import StaffUser

    admin = StaffUser(email="admin@example.org", name="Admin", role="admin")
    path = tmp_path / "full.yaml"
    path.write_text("id: full\ntitle: Full\ninstruments: [partner-survey]\nwaves: all\nshape: long\n"
                    "deidentification: {level: full}\nformats: all\n")
    bundle = run_export(load_profile(path), tmp_path / "out", actor=admin)
    cells, _data = every_value(bundle)
    assert not {name for name in cells if "contact" in name.lower()}
    for name, email, contact_id in partner_responses[1]:
        assert not {name, email, str(contact_id), f"c{contact_id}"} & cells


def test_the_shipped_evaluation_profile_exports_the_partner_survey_one_row_per_response(partner_responses, tmp_path):
    text = (ROOT / "exports" / "evaluation.yaml").read_text().replace("k: 5", "k: 2")
    bundle = run(tmp_path, text=text, name="evaluation")
    frame = pd.read_csv(bundle.directory / "partner-survey.csv", dtype=str, keep_default_na=False)
    assert len(frame) == 7
    _cells, data = every_value(bundle)
    for name, email, _contact_id in partner_responses[1]:
        assert name.encode() not in data and email.encode() not in data
