"""Importing partner agency contacts from a CSV, on the page and from the command line: all or nothing, and
the same file twice changes nothing."""
from __future__ import annotations

import html
import io

import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.crypto import lookup_digest
from feedback.extensions import db
from feedback.partners.contact_file import check_file
from feedback.partners.models import PartnerContact
from tests.conftest import csrf_token
from tests.staff.scene import client_as, snapshot

GOOD = ("agency,name,role,email,consent,active\n"
        "Northbridge Primary School,Pat Practitioner,practitioner,Pat@School.example.org,yes,\n"
        "northbridge primary school ,Hana Head,Manager,head@school.example.org,yes,yes\n"
        "Bridge Housing,Sam Support,practitioner,sam@housing.example.org,no,no\n")


def upload(client, text: str | bytes, check_only: bool = False):
    token = csrf_token(client.get("/staff/partners/import").get_data(as_text=True))
    data = text.encode() if isinstance(text, str) else text
    form = {"csrf_token": token, "file": (io.BytesIO(data), "contacts.csv")}
    if check_only:
        form["check_only"] = "y"
    return client.post("/staff/partners/import", data=form, content_type="multipart/form-data",
                       follow_redirects=True)


def contacts(app):
    with app.app_context():
        return {(c.agency.name, c.name, c.role, c.email, c.consent, c.active)
                for c in db.session.scalars(sa.select(PartnerContact))}


def events(app, action):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)).all()


def test_a_file_adds_new_contacts_and_updates_the_ones_their_agency_has(app, world, agencies, replans):
    page = upload(client_as(app, "manager_north"), GOOD)
    assert page.status_code == 200
    assert "Contacts imported: 2 added, 0 updated, 1 unchanged." in page.get_data(as_text=True)
    assert contacts(app) == {
        ("Northbridge Primary School", "Hana Head", "manager", "head@school.example.org", True, True),
        ("Northbridge Primary School", "Pat Practitioner", "practitioner", "pat@school.example.org", True, True),
        ("Bridge Housing", "Sam Support", "practitioner", "sam@housing.example.org", False, False),
        ("South Surgery", "Hana Head", "manager", "gp@surgery.example.org", True, True),
    }
    with app.app_context():
        pat = db.session.scalar(sa.select(PartnerContact).filter_by(name="Pat Practitioner"))
        assert pat.email_digest == lookup_digest("pat@school.example.org") and pat.consent_recorded_at
    [imported] = events(app, "contacts.imported")
    assert imported.actor_id == world["manager_north"]
    assert {key: imported.detail[key] for key in ("added", "updated", "unchanged")} == {
        "added": 2, "updated": 0, "unchanged": 1}
    assert [event.detail["via"] for event in events(app, "contact.created")][-2:] == ["import", "import"]
    assert sorted(cause for _, cause in replans) == ["partner contact added"] * 2


def test_importing_the_same_file_again_changes_nothing(app, world, agencies, replans):
    client = client_as(app, "researcher_north")
    upload(client, GOOD)
    with app.app_context():
        before = {name: rows for name, rows in snapshot().items() if name != "audit_events"}
    calls = len(replans)
    page = upload(client, GOOD.replace("Pat@School", "pat@school"))
    assert "Contacts imported: 0 added, 0 updated, 3 unchanged." in page.get_data(as_text=True)
    with app.app_context():
        assert {name: rows for name, rows in snapshot().items() if name != "audit_events"} == before
    assert len(replans) == calls


def test_a_changed_row_updates_its_contact_and_dates_a_new_consent_decision(app, world, agencies, replans):
    client = client_as(app, "admin")
    with app.app_context():
        first = db.session.get(PartnerContact, agencies["head"]).consent_recorded_at
    page = upload(client, "agency,name,role,email,consent\n"
                          "Northbridge Primary School,Hana Head-Smith,manager,HEAD@school.example.org,no\n")
    assert "0 added, 1 updated, 0 unchanged" in page.get_data(as_text=True)
    with app.app_context():
        head = db.session.get(PartnerContact, agencies["head"])
        assert (head.name, head.consent) == ("Hana Head-Smith", False) and head.consent_recorded_at > first
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PartnerContact)) == 2
    assert events(app, "contact.changed")[-1].detail["fields"] == ["name", "consent"]
    assert replans == [(agencies["head"], "partner contact changed")]


def test_every_problem_is_reported_by_row_and_column_and_nothing_is_stored(app, world, agencies, replans):
    client = client_as(app, "researcher_north")
    with app.app_context():
        before = snapshot()
    bad = ("agency,name,role,email,consent,active\n"
           "Northbridge Primary School,Good Row,manager,good@school.example.org,yes,yes\n"
           "Northbridge Primary School,Bob,practitioner,bob@,yes,\n"
           "\n"
           "Nowhere Academy,,boss,ok@nowhere.example.org,maybe,perhaps\n"
           "South Surgery,Gail,manager,gail@surgery.example.org,yes,\n")
    page = upload(client, bad)
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "Nothing was imported: 7 problem(s) in 3 row(s)." in text
    with app.app_context():
        assert snapshot() == before  # not even an audit event
    assert replans == []
    checked = check_file(bad.encode(), {"northbridge primary school": [agencies["north"]]})
    assert [str(problem) for problem in checked.problems] == [
        "Row 3, email: 'bob@' is not an email address.",
        "Row 5, agency: 'Nowhere Academy' is not one of your partner agencies. Correct the name, or add the agency "
        "on the partner agency pages first.",
        "Row 5, name: Enter the contact's name.",
        "Row 5, role: 'boss' is not a role: use manager or practitioner.",
        "Row 5, consent: 'maybe' is not yes or no.",
        "Row 5, active: 'perhaps' is not yes or no. Leave it empty for yes.",
        # South's agency is another site's: for this researcher it is as if it did not exist.
        "Row 6, agency: 'South Surgery' is not one of your partner agencies. Correct the name, or add the agency "
        "on the partner agency pages first.",
    ]
    assert checked.rows == []


def test_the_same_address_twice_in_a_file_names_both_rows(app, world, agencies):
    page = upload(client_as(app, "admin"), "agency,name,role,email,consent\n"
                                           "Northbridge Primary School,Pat,practitioner,pat@school.example.org,yes\n"
                                           "Bridge Housing,Patricia,manager,PAT@school.example.org,yes\n")
    assert page.status_code == 422
    text = html.unescape(page.get_data(as_text=True))
    assert "'pat@school.example.org' is on rows 2 and 3: keep one row per contact." in text
    assert {row[3] for row in contacts(app)} == {"head@school.example.org", "gp@surgery.example.org"}


def test_a_check_only_says_what_would_change_and_changes_nothing(app, world, agencies):
    with app.app_context():
        before = snapshot()
    page = upload(client_as(app, "manager_north"), GOOD, check_only=True)
    assert page.status_code == 200
    assert ("The file is ready to import: 2 contact(s) would be added, 0 updated and 1 left as they are."
            in page.get_data(as_text=True))
    with app.app_context():
        assert snapshot() == before


def test_a_file_saved_by_excel_with_a_byte_order_mark_is_read(app, world, agencies):
    page = upload(client_as(app, "admin"), "\ufeff".encode() + GOOD.encode())
    assert "2 added" in page.get_data(as_text=True)


def test_files_that_cannot_be_read_are_refused_saying_what_to_do():
    problems = lambda data: [str(p) for p in check_file(data, {}).problems]  # noqa: E731
    assert problems("agency,name,email\nX,Y,z@example.org\n".encode("utf-16")) == [
        "The file is not in UTF-8. In Excel choose “Save as” and the type “CSV UTF-8 (comma delimited)”, then "
        "import that file."]
    assert problems(b"agency,name,email,notes\n") == [
        "Row 1 (headings): The headings role, consent are missing. Row 1 must hold the headings agency, name, role, "
        "email, consent and, if you like, active.",
        "Row 1 (headings), notes: This column is not one the import takes. Row 1 must hold the headings agency, "
        "name, role, email, consent and, if you like, active. Delete the column, or correct its heading."]
    assert problems(b"agency,name,role,email,consent\n") == ["The file has headings but no contacts below them."]
    assert problems(b"PK\x03\x04rest") == [
        "This is an Excel workbook. In Excel choose “Save as” and the type “CSV UTF-8 (comma delimited)”, then "
        "import that file."]


def test_the_command_line_lists_agencies_without_addresses_and_imports_contacts(app, world, agencies, tmp_path):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["partners", "list"])
    assert listed.exit_code == 0, listed.output
    assert "South Surgery" in listed.output and "Education" in listed.output and "@" not in listed.output
    file = tmp_path / "contacts.csv"
    file.write_text(GOOD.replace("Northbridge Primary School,Pat", "South Surgery,Pat"), encoding="utf-8")
    checked = runner.invoke(args=["partners", "import-contacts", str(file), "--check"])
    assert "2 contact(s) would be added, 0 updated and 1 left as they are" in checked.output
    assert not events(app, "contacts.imported")
    done = runner.invoke(args=["partners", "import-contacts", str(file), "--by", "admin@example.org"])
    assert done.exit_code == 0, done.output
    assert "Contacts imported: 2 added, 0 updated, 1 unchanged." in done.output
    [event] = events(app, "contacts.imported")
    assert (event.actor_id, event.detail["via"]) == (world["admin"], "cli")

    file.write_text("agency,name,role,email,consent\nNorthbridge Primary School,Bob,practitioner,bob@,yes\n")
    failed = runner.invoke(args=["partners", "import-contacts", str(file)])
    assert failed.exit_code == 1
    assert "error: Row 2, email: 'bob@' is not an email address." in failed.output
