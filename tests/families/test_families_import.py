"""Importing families from a case list: all or nothing, idempotent, planned as the family pages plan."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from feedback.families.importing import import_families
from feedback.families.models import Consent, Family, Member
from feedback.families.service import add_member, create_family, record_consent
from feedback.waves.models import Invitation
from tests.conftest import csrf_token, table_count
from tests.imports.files import csv_bytes, xlsx_bytes
from tests.staff.scene import client_as

TODAY = date.today()
HEADINGS = ["site", "case_ref", "referral_date", "entry_date", "exit_date", "key_worker", "member_ref", "role", "name",
            "birth_year_month", "phone", "email", "language", "channel", "consent_participation",
            "consent_participation_date", "consent_sms", "consent_sms_date", "parent_consent_participation",
            "parent_consent_participation_date"]
REFERRAL, ENTRY, CONSENTED = TODAY - timedelta(days=30), TODAY - timedelta(days=10), TODAY - timedelta(days=9)
TEEN_BIRTH = f"{TODAY.year - 13}-05"


def uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def family_rows(case_ref="N-1", site="north", exit_="", referral=None, entry=None, mum_phone="07911 100001"):
    """A mother and a 13-year-old at north, both consenting (the teenager with a parent's consent too)."""
    referral, entry = referral or uk(REFERRAL), entry or ENTRY.isoformat()
    family = [site, case_ref, referral, entry, exit_, "kw_north@example.org"]
    return [
        family + ["M1", "mother", "Mum", "1990-04", mum_phone, "Mum@Example.org", "", "",
                  "yes", CONSENTED.isoformat(), "yes", uk(CONSENTED), "", ""],
        family + ["M2", "young_person", "", TEEN_BIRTH, "07911 100002", "", "cy", "",
                  "yes", CONSENTED.isoformat(), "", "", "yes", CONSENTED.isoformat()],
    ]


def world_state():
    """Everything an import may write, as comparable values (no ids of their own)."""
    families = db.session.scalars(sa.select(Family).order_by(Family.case_ref)).all()
    return [(f.case_ref, f.referral_date, f.entry_date, f.exit_date, f.key_worker_id, f.status, f.version,
             [(m.member_ref, m.role, m.name, m.phone, m.email, m.language, m.channel, m.version,
               [(c.purpose, c.party, c.given, c.recorded_at, c.text_version) for c in m.consents])
              for m in f.members],
             invitations(f)) for f in families]


def invitations(family):
    refs = {f"m{m.id}": m.member_ref or m.role for m in family.members}
    return sorted((i.wave, i.instrument_id, refs.get(i.recipient_key, i.recipient_key), i.channel, i.due_on, i.state)
                  for i in db.session.scalars(sa.select(Invitation).filter_by(family_id=family.id)))


def run(app, data: bytes, allowed=None, **options):
    with app.app_context():
        return import_families(data, None, allowed, **options)


def test_importing_the_same_file_twice_changes_nothing_the_second_time(app, world):
    data = csv_bytes(family_rows(), HEADINGS)
    first = run(app, data)
    assert first.status == "imported", first.problems
    assert "families 1 added, 0 updated, 0 unchanged; members 2 added" in first.summary()
    assert "consent decisions 4 recorded" in first.summary()
    with app.app_context():
        before = world_state()
        mum = db.session.scalar(sa.select(Member).filter_by(member_ref="M1"))
        teen = db.session.scalar(sa.select(Member).filter_by(member_ref="M2"))
        assert (mum.phone, mum.email, mum.language, mum.channel) == (
            "+447911100001", "mum@example.org", "en", "sms_link")
        assert (teen.birth_year, teen.birth_month, teen.language) == (TODAY.year - 13, 5, "cy")
        assert mum.family.referral_date == REFERRAL and mum.family.key_worker_id == world["kw_north"]
    second = run(app, data)
    assert second.status == "imported"
    assert ("families 0 added, 0 updated, 1 unchanged; members 0 added, 0 updated, 2 unchanged; consent decisions "
            "0 recorded, 4 already in force") in second.summary()
    with app.app_context():
        assert world_state() == before
        events = db.session.scalars(sa.select(AuditEvent).filter_by(action="families.imported")).all()
        assert len(events) == 2 and events[0].detail["families_added"] == 1
        assert len(events[0].detail["file_sha256"]) == 64


def test_a_changed_exit_date_or_phone_updates_the_records_and_replans(app, world):
    run(app, csv_bytes(family_rows(), HEADINGS))
    exit_ = TODAY - timedelta(days=2)
    changed = run(app, csv_bytes(family_rows(exit_=uk(exit_), mum_phone="07911 100009"), HEADINGS))
    assert "families 0 added, 1 updated" in changed.summary()
    assert "members 0 added, 1 updated, 1 unchanged" in changed.summary()
    with app.app_context():
        family = db.session.scalar(sa.select(Family))
        assert family.exit_date == exit_ and family.members[0].phone == "+447911100009"
        assert any(wave == "exit" for wave, *_ in invitations(family))


def test_one_bad_row_refuses_the_whole_file_and_every_problem_is_listed(app, world):
    rows = family_rows() + family_rows("N-2")
    rows[0][4] = "31/02/2024"                      # row 2: no such day
    rows[1][4] = uk(TODAY)                         # row 3: the family's rows disagree
    rows[2][10] = "12345"                          # row 4: not a phone number
    rows[3][7] = "grandmother"                     # row 5: not a role
    rows[3][3] = REFERRAL.isoformat(); rows[3][2] = ENTRY.isoformat()   # entry before referral (on N-2's row 5 only)
    outcome = run(app, csv_bytes(rows, HEADINGS))
    assert outcome.status == "refused"
    shown = [str(problem) for problem in outcome.problems]
    assert "Row 2, exit_date: ‘31/02/2024’ is not a date. Write dates as year-month-day (2024-03-27) or " \
           "day/month/year (27/03/2024)." in shown
    assert any(s.startswith("Row 4, phone: “12345” is not a valid number") for s in shown), shown
    assert any(s.startswith("Row 5, role: ‘grandmother’ is not a role") for s in shown), shown
    assert "Row 5, entry_date: The entry date is before the referral date. Check both dates." in shown
    assert any(s.startswith("Row 2, exit_date: Family north N-1 has different exit_date values on its rows (empty in "
                            "row 2; " + TODAY.isoformat() + " in row 3)") for s in shown), shown
    assert any("Family north N-2 has different referral_date values" in s for s in shown)
    assert outcome.summary().startswith(f"Nothing was imported: {len(shown)} problem(s) in 3 row(s).")
    with app.app_context():
        assert table_count(Family) == table_count(Member) == table_count(AuditEvent) == 0


def test_unknown_or_missing_columns_and_bad_consent_cells_are_problems(app, world):
    headings = HEADINGS[:-1] + ["parent_consent_participation_dat"]
    assert [str(p) for p in run(app, csv_bytes(family_rows(), headings)).problems][0].startswith(
        "Row 1 (headings), parent_consent_participation_dat: ‘parent_consent_participation_dat’ is not a column")
    rows = family_rows()
    rows[0][14], rows[0][16], rows[0][17] = "maybe", "yes", ""   # a decision that is neither; one without its date
    rows[0][18], rows[0][19] = "yes", CONSENTED.isoformat()       # a parent's decision for an adult
    rows[1][15] = (TODAY + timedelta(days=1)).isoformat()          # a decision in the future
    shown = [str(p) for p in run(app, csv_bytes(rows, HEADINGS)).problems]
    assert "Row 2, consent_participation: ‘maybe’ is not a decision. Write yes or no." in shown
    assert any(s.startswith("Row 2, consent_sms_date: Give the date of the consent_sms decision.") for s in shown)
    assert any(s.startswith("Row 2, parent_consent_participation: A parent's decision counts only for a child under 16")
               for s in shown)
    assert any(s.startswith("Row 3, consent_participation_date: ") and "is in the future" in s for s in shown)


def test_the_invitations_planned_are_those_the_family_pages_would_plan(app, world):
    run(app, csv_bytes(family_rows(), HEADINGS))
    with app.app_context():
        # The same family typed in through the services the family pages call, at south.
        by_hand = create_family(world["south"], "S-1", None, REFERRAL, ENTRY, None)
        by_hand.key_worker_id = world["kw_north"]  # the planner only needs a key worker's id
        mum = add_member(by_hand, "mother", "Mum", 1990, 4, "en", "sms_link", "07911 100001", member_ref="M1",
                         email="mum@example.org")
        teen = add_member(by_hand, "young_person", None, TODAY.year - 13, 5, "cy", "sms_link", "07911 100002",
                          member_ref="M2")
        for member, parties in ((mum, ["self"]), (teen, ["self", "parent"])):
            for party in parties:
                record_consent(member, "participation", party, True, "v1", None)
        record_consent(mum, "sms", "self", True, "v1", None)
        db.session.commit()
        imported = db.session.scalar(sa.select(Family).filter_by(case_ref="N-1"))
        planned = invitations(imported)
        assert planned == invitations(by_hand)
        assert ("entry", "practitioner-assessment", "key_worker", "staff_task", ENTRY, "planned") in planned
        assert ("entry", "family-functioning", "M2", "sms_link", ENTRY, "planned") in planned
        consent = db.session.scalar(sa.select(Consent).filter_by(member_id=imported.members[0].id, purpose="sms"))
        assert (consent.recorded_at, consent.text_version) == (datetime.combine(CONSENTED, time()), "import")


def test_a_decision_is_added_only_when_it_differs_from_the_one_in_force_and_is_not_older(app, world):
    run(app, csv_bytes(family_rows(), HEADINGS))
    rows = family_rows()
    rows[0][14], rows[0][15] = "no", uk(TODAY)                       # the mother withdraws today
    rows[1][14], rows[1][15] = "no", (CONSENTED - timedelta(days=1)).isoformat()  # older than the teen's "yes"
    outcome = run(app, csv_bytes(rows, HEADINGS))
    assert "consent decisions 1 recorded, 2 already in force, 1 older than the decision on record" in outcome.summary()
    with app.app_context():
        family = db.session.scalar(sa.select(Family))
        mum, teen = family.members
        assert [c.given for c in mum.consents if c.purpose == "participation"] == [True, False]
        assert [c.given for c in teen.consents if c.party == "self"] == [True]
        states = {(wave, who): state for wave, _, who, _, _, state in invitations(family)}
        assert states[("entry", "M1")] == "cancelled" and states[("entry", "M2")] == "planned"
    again = run(app, csv_bytes(rows, HEADINGS))
    assert "consent decisions 0 recorded, 3 already in force, 1 older" in again.summary()


def test_a_family_whose_support_ended_years_ago_plans_nothing_and_may_be_recorded_closed(app, world):
    long_ago = [uk(TODAY.replace(year=TODAY.year - 4)), uk(TODAY.replace(year=TODAY.year - 3, day=1)),
                uk(TODAY.replace(year=TODAY.year - 3, day=2))]
    old = family_rows("OLD-1", referral=long_ago[0], entry=long_ago[1], exit_=long_ago[2])
    old_too = family_rows("OLD-2", referral=long_ago[0], entry=long_ago[1], exit_=long_ago[2])
    # Without the option the planner already leaves out every wave: their windows have closed.
    plain = run(app, csv_bytes(old, HEADINGS))
    assert plain.status == "imported" and "0 invitation(s) planned" in plain.summary()
    assert "recorded closed" not in plain.summary()
    skipped = run(app, csv_bytes(old_too, HEADINGS), skip_long_past=True)
    assert "1 family(ies) whose support ended more than 13 months ago recorded closed: no waves are planned for " \
           "them." in skipped.summary()
    with app.app_context():
        statuses = dict(db.session.execute(sa.select(Family.case_ref, Family.status)).all())
        assert statuses == {"OLD-1": "open", "OLD-2": "closed"} and table_count(Invitation) == 0
    # A second import with the option closes the other one, then changes nothing.
    assert "1 family(ies)" in run(app, csv_bytes(old, HEADINGS), skip_long_past=True).summary()
    assert "recorded closed" not in run(app, csv_bytes(old + old_too, HEADINGS), skip_long_past=True).summary()


def test_a_workbook_with_date_and_number_cells_imports_as_the_csv_does(app, world):
    rows = family_rows()
    for row in rows:
        row[10] = row[10].replace(" ", "")[1:]  # Excel keeps a typed 07911100001 as the number 7911100001
    assert run(app, xlsx_bytes(rows, HEADINGS)).status == "imported"
    with app.app_context():
        from_workbook = world_state()
    again = run(app, csv_bytes(family_rows(), HEADINGS))
    assert "unchanged; members 0 added, 0 updated, 2 unchanged" in again.summary()
    with app.app_context():
        assert world_state() == from_workbook


def test_a_site_the_importer_may_not_see_is_refused_like_an_unknown_one(app, world):
    outcome = run(app, csv_bytes(family_rows(site="south") + family_rows("X", site="nowhere"), HEADINGS),
                  allowed={world["north"]})
    shown = [str(p) for p in outcome.problems]
    assert "Row 2, site: ‘south’ is not the code of a site you may import for. Check the code (yours: north)." in shown
    assert "Row 4, site: ‘nowhere’ is not the code of a site you may import for. Check the code (yours: north)." \
        in shown
    # north's key worker does not work at south, even for an admin.
    admin = run(app, csv_bytes(family_rows(site="south"), HEADINGS))
    assert any(str(p).startswith("Row 2, key_worker: ‘kw_north@example.org’ is not the email of an active "
                                 "practitioner at site south") for p in admin.problems)


def invoke(app, path, *args):
    return app.test_cli_runner().invoke(args=["import-families", str(path), *args])


def test_the_command_checks_imports_and_exits_non_zero_on_problems(app, world, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes(family_rows(), HEADINGS))
    checked = invoke(app, path, "--check")
    assert checked.exit_code == 0 and "Importing it would record" in checked.output
    assert "Nothing was stored." in checked.output
    with app.app_context():
        assert table_count(Family) == 0 and table_count(AuditEvent) == 0
    done = invoke(app, path, "--by", "practitioner_north@example.org", "--no-past-waves")
    assert done.exit_code == 0 and "Imported: families 1 added" in done.output
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="families.imported"))
        assert event.actor_id == world["practitioner_north"] and event.detail["skip_long_past"] is True
    bad = family_rows()
    bad[1][9] = "June 2013"
    path.write_bytes(csv_bytes(bad, HEADINGS))
    refused = invoke(app, path)
    assert refused.exit_code == 1
    assert "error: Row 3, birth_year_month: ‘June 2013’ is not a year and month." in refused.output
    assert "Nothing was imported: 1 problem(s) in 1 row(s)." in refused.output


def upload(client, data: bytes, name="cases.csv", token=True, **fields):
    form = {"file": (io.BytesIO(data), name), **fields}
    if token:
        form["csrf_token"] = csrf_token(client.get("/staff/families/import").get_data(as_text=True))
    return client.post("/staff/families/import", data=form, content_type="multipart/form-data")


def test_a_practitioner_imports_their_own_sites_families_on_the_page(app, world):
    client = client_as(app, "practitioner_north")
    response = upload(client, csv_bytes(family_rows(), HEADINGS))
    assert response.status_code == 302
    assert "Imported: families 1 added" in client.get(response.location).get_data(as_text=True)
    refused = upload(client, csv_bytes(family_rows("S-9", site="south"), HEADINGS))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "is not the code of a site you may import for" in page
    checked = upload(client, csv_bytes(family_rows("N-2"), HEADINGS), check_only="y")
    assert checked.status_code == 200 and "Nothing was stored." in checked.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(sa.select(Family.case_ref)).all() == ["N-1"]


@pytest.mark.parametrize("role", ["researcher_north", "manager_north"])
def test_researchers_and_managers_may_not_import_families(app, world, role):
    client = client_as(app, role)
    assert client.get("/staff/families/import").status_code == 403


def test_an_upload_without_the_forms_csrf_token_stores_nothing(app, world):
    client = client_as(app, "admin")
    response = upload(client, csv_bytes(family_rows(), HEADINGS), token=False)
    assert response.status_code == 400
    with app.app_context():
        assert table_count(Family) == 0 and table_count(AuditEvent, action="families.imported") == 0


def test_the_page_groups_many_problems_by_column_before_listing_them_row_by_row(app, world):
    client = client_as(app, "practitioner_north")
    rows = [row for n in range(3) for row in family_rows(f"N-{n}", site="nowhere")]
    page = upload(client, csv_bytes(rows, HEADINGS)).get_data(as_text=True)
    assert "Problems by column" in page and "Every problem, row by row" in page
    summary = page[page.index("Problems by column"):page.index("Every problem, row by row")]
    # One line for the site column, naming every row as a range.
    assert summary.count("<li>") == 1 and f"2–{len(rows) + 1}" in summary
