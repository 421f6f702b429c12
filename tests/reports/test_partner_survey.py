"""partner-survey: who was asked and answered, by sector and role; the anonymous answers by role,
shown only for every site; small numbers hidden so that no arithmetic gives one back."""
from __future__ import annotations

import warnings
from datetime import date, datetime

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.extensions import db
from feedback.partners.models import CONTACT_ROLES, SECTORS, PartnerAgency, PartnerContact
from feedback.publishing.startup import current_catalogue
from feedback.reports import partner_survey
from feedback.reports.catalogue import run_report
from feedback.reports.data import Filters
from feedback.staff.models import Site
from feedback.survey.service import complete, create_response, save_answers
from feedback.waves.models import Invitation
from tests.conftest import sign_in
from tests.reports.attacker import Report as Shown
from tests.reports.attacker import Unknowns, _unmodelled, has_columns, total
from tests.reports.test_attack import UnmodelledTable, published

AGREE = {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree", 5: "Strongly agree",
         -8: "Don't know"}
QUESTIONS = {"eff_right_families": ("The service works with the families who need it most.", AGREE),
             "prac_informed": ("The service keeps me well informed.", AGREE)}
INVITED = pd.DataFrame([("education", "manager", 2, 1), ("education", "practitioner", 12, 10),
                        ("police", "practitioner", 15, 12), ("health", "practitioner", 11, 11)],
                       columns=["sector", "role", "invited", "responded"])


def answers(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["role", "item_id", "value", "n"])


#: 3 managers and 12 practitioners answered; the first question as below, the second all "Agree".
ANSWERS = answers(("manager", "role", 1, 3), ("practitioner", "role", 2, 12),
                  ("manager", "eff_right_families", 4, 3), ("practitioner", "eff_right_families", 4, 8),
                  ("practitioner", "eff_right_families", 5, 3), ("practitioner", "eff_right_families", -8, 1),
                  ("manager", "prac_informed", 4, 3), ("practitioner", "prac_informed", 4, 12))


def by_label(table) -> dict:
    first = table.columns[0].name
    return {row[first]: row for row in table.rows}


# --- What is counted ------------------------------------------------------------------------------

def test_invited_responded_and_rates_by_sector_and_by_role_worked_out_by_hand():
    report = partner_survey.compute(INVITED, ANSWERS, QUESTIONS)
    sectors, roles, first, second = report.tables
    assert [(r["group"], r["invited"], r["responded"], r["rate"]) for r in sectors.rows] == [
        ("Education", 14, 11, 78.6), ("Health", 11, 11, 100.0), ("Police", 15, 12, 80.0), ("All sectors", 40, 34, 85.0)]
    assert [(r["group"], r["invited"], r["responded"], r["rate"]) for r in roles.rows] == [
        ("Manager", 2, 1, 50.0), ("Practitioner", 38, 33, 86.8), ("All roles", 40, 34, 85.0)]
    rows = by_label(first)
    assert first.title == QUESTIONS["eff_right_families"][0]
    assert [c.name for c in first.columns] == ["answer", "manager", "manager_pct", "practitioner", "practitioner_pct"]
    assert (rows["Agree"]["manager"], rows["Agree"]["manager_pct"]) == (3, 100.0)
    assert [(rows[a]["practitioner"], rows[a]["practitioner_pct"]) for a in ("Agree", "Strongly agree", "Don't know")] \
        == [(8, 66.7), (3, 25.0), (1, 8.3)]
    assert (rows["Disagree"]["practitioner"], rows["Total"]["practitioner"], rows["Total"]["manager"]) == (0, 12, 3)
    assert by_label(second)["Agree"]["practitioner"] == 12
    assert "every site" in first.note and "Invited = sent" in sectors.note


def test_without_every_site_the_answers_are_left_out_and_the_page_says_why():
    report = partner_survey.compute(INVITED, None, QUESTIONS)
    assert [t.title for t in report.tables] == ["Invited and responded by sector", "Invited and responded by role"]
    assert partner_survey.ANSWERS_WITHHELD in report.tables[0].note


def test_nothing_invited_and_nothing_answered_is_not_enough_data():
    empty = INVITED.iloc[0:0]
    assert partner_survey.compute(empty, None, QUESTIONS).empty.startswith("Not enough data")
    assert partner_survey.compute(empty, ANSWERS.iloc[0:0], QUESTIONS).empty.startswith("Not enough data")


def test_small_counts_are_hidden_with_the_rates_made_from_them():
    shown = published(partner_survey.compute(INVITED, ANSWERS, QUESTIONS), 10)
    sectors, roles = shown["tables"][:2]
    manager = next(row for row in roles["rows"] if row["group"] == "Manager")
    assert manager["invited"] == "<10" and manager["responded"] == "<10" and manager["rate"] == "[c]"
    # Practitioners are all but the managers: hidden too, or the total would give the managers away.
    practitioner = next(row for row in roles["rows"] if row["group"] == "Practitioner")
    everyone = next(row for row in roles["rows"] if row["group"] == "All roles")
    assert "[c]" in (practitioner["invited"], everyone["invited"])
    first = shown["tables"][2]
    assert all(row["manager"] in ("<10", 0) for row in first["rows"])   # three managers: every cell small
    # A shown rate is checkable: responded ÷ invited.
    for row in sectors["rows"] + roles["rows"]:
        if isinstance(row["rate"], float):
            assert row["rate"] == round(100 * row["responded"] / row["invited"], 1)


# --- An attacker doing arithmetic on what is shown -------------------------------------------------

def model_partner_survey(r: Shown, roles_match: bool = False) -> None:
    """Unknowns: invitations responded and not, per sector and contact role; each question's answers
    per respondent role. Sector and role rows are margins of the one table, adding up to the totals;
    every respondent answers every (required) question, so a role's answers add up to the same
    respondents in every question. ``roles_match``: an attacker who also takes the respondents of a
    role to be the contacts of that role who responded (not so by construction, but often near)."""
    m = r.m
    sectors = r.table("Invited and responded by sector", "group", "invited", "responded")
    roles = r.table("Invited and responded by role", "group", "invited", "responded")
    sector_names = [row["group"] for row in (sectors or {"rows": []})["rows"] if row["group"] != "All sectors"]
    role_names = [row["group"] for row in (roles or {"rows": []})["rows"] if row["group"] != "All roles"]
    x = {(s, ro): (m.count(), m.count()) for s in sector_names for ro in role_names}

    def margin(table, key, names, everyone):
        for row in (table or {"rows": []})["rows"]:
            chosen = [k for k in x if row["group"] == everyone or k[key] == row["group"]]
            responded, invited = total(x[k][0] for k in chosen), total(x[k][0] + x[k][1] for k in chosen)
            r.count(table, row, "invited", invited)
            r.count(table, row, "responded", responded)
            m.shows_share(responded, invited, row.get("rate", ...))

    margin(sectors, 0, sector_names, "All sectors")
    margin(roles, 1, role_names, "All roles")
    labels = {label: key for key, label in CONTACT_ROLES.items()}
    respondents = {}
    for role in partner_survey.ROLES:
        contact_role = next((label for label, key in labels.items() if key == role), None)
        if roles_match and contact_role in role_names:
            respondents[role] = total(x[(s, contact_role)][0] for s in sector_names)
        else:
            respondents[role] = m.count()
    for table in r.tables_where(lambda t: has_columns(t, "answer")):
        for role in partner_survey.ROLES:
            if not has_columns(table, role):
                continue
            cells = [(row, m.count()) for row in table["rows"] if row["answer"] != "Total"]
            for row, n in cells:
                r.count(table, row, role, n)
                m.shows_share(n, respondents[role], row.get(f"{role}_pct", ...))
            m.equal(total(n for _, n in cells) - respondents[role], 0)
            for row in table["rows"]:
                if row["answer"] == "Total":
                    r.count(table, row, role, respondents[role])


def attack_partner_survey(shown: dict, threshold: int, roles_match: bool = False):
    if shown.get("empty") or not shown.get("tables"):
        return None
    unknowns = Unknowns(threshold)
    report = Shown(shown, unknowns)
    model_partner_survey(report, roles_match)
    _unmodelled(report, unknowns)
    return unknowns.solve()


def assert_nothing_recovered(report, threshold: int, roles_match: bool = False):
    shown = published(report, threshold)
    result = attack_partner_survey(shown, threshold, roles_match)
    if result is None:
        return shown
    for title in result.unknown_tables:
        warnings.warn(UnmodelledTable(f"partner-survey: no attacker model for {title!r}"))
    found = [str(d) for d in result.disclosed] + [f"{d} (shown below the threshold)" for d in result.shown_small]
    assert not found, f"partner-survey at threshold {threshold} gives away:\n  " + "\n  ".join(found)
    return shown


def test_no_row_column_or_total_gives_a_hidden_count_back():
    """Managers: 1 of 2 invited responded; the practitioners' rows and the totals beside them would
    give both back by subtraction (40 − 38 = 2), and the three managers' answers their rate."""
    assert_nothing_recovered(partner_survey.compute(INVITED, ANSWERS, QUESTIONS), 10)
    assert_nothing_recovered(partner_survey.compute(INVITED, None, QUESTIONS), 10)


def test_a_hidden_answer_is_not_the_same_roles_total_in_another_question_less_the_rest():
    """Practitioners: 12 answered. Question one hides 1 "Don't know" among 8 and 3; question two
    shows all 12 as "Agree". Were the audit not told the two totals are the same people, hiding
    question one's total would protect nothing: 12 − 8 − 3 = 1."""
    items = answers(("practitioner", "role", 2, 14), ("practitioner", "eff_right_families", 4, 10),
                    ("practitioner", "eff_right_families", -8, 4), ("practitioner", "prac_informed", 4, 14))
    assert_nothing_recovered(partner_survey.compute(INVITED.iloc[0:0], items, QUESTIONS), 10)


def test_an_attacker_taking_respondents_for_the_contacts_who_responded_learns_nothing_either():
    """33 practitioners responded and 33 answered as practitioners; 1 manager and 1 answer as one:
    the report counts them as the same people, so the rate table and the answers hide alike."""
    items = answers(("manager", "role", 1, 1), ("practitioner", "role", 2, 33),
                    ("manager", "eff_right_families", 2, 1), ("practitioner", "eff_right_families", 4, 30),
                    ("practitioner", "eff_right_families", 2, 3),
                    ("manager", "prac_informed", 4, 1), ("practitioner", "prac_informed", 4, 33))
    assert_nothing_recovered(partner_survey.compute(INVITED, items, QUESTIONS), 10, roles_match=True)


def sparse():
    return st.one_of(st.just(0), st.integers(0, 4), st.integers(0, 25), st.sampled_from([1, 2, 11, 60]))


@st.composite
def survey_data(draw):
    sectors = draw(st.lists(st.sampled_from(list(SECTORS)), min_size=1, max_size=3, unique=True))
    rows = []
    for sector in sectors:
        for role in CONTACT_ROLES:
            responded, other = draw(sparse()), draw(sparse())
            if responded + other:
                rows.append((sector, role, responded + other, responded))
    invited = pd.DataFrame(rows, columns=["sector", "role", "invited", "responded"])
    # Often the respondents of a role are exactly the contacts of that role who responded.
    same = draw(st.booleans())
    counts = []
    for code, role in partner_survey.ROLE_CODES.items():
        n = int(invited.loc[invited["role"] == role, "responded"].sum()) if same and role in CONTACT_ROLES \
            else draw(sparse())
        if not n:
            continue
        counts.append((role, "role", code, n))
        for item in QUESTIONS:
            cuts = sorted(draw(st.lists(st.integers(0, n), min_size=5, max_size=5)))
            for value, (low, high) in zip(AGREE, zip([0, *cuts], [*cuts, n])):
                if high > low:
                    counts.append((role, item, value, high - low))
    return invited, answers(*counts), same


@settings(max_examples=30, deadline=None, derandomize=True, report_multiple_bugs=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=survey_data(), threshold=st.integers(5, 12), every_site=st.booleans())
def test_no_hidden_count_can_be_worked_out_from_generated_surveys(data, threshold, every_site):
    invited, given_answers, same = data
    report = partner_survey.compute(invited, given_answers if every_site else None, QUESTIONS)
    assert_nothing_recovered(report, threshold, roles_match=same)


# --- From the database and on the page -------------------------------------------------------------

DUE = date(2026, 3, 1)


def invite(contact, state: str, sent: bool = True, due: date = DUE) -> None:
    moment = datetime.combine(due, datetime.min.time())
    db.session.add(Invitation(contact_id=contact.id, recipient_key=f"c{contact.id}", schedule_id="partner-survey",
                              wave="annual", instrument_id="partner-survey", channel="email_link", due_on=due,
                              opens_at=moment, closes_at=moment, state=state, anonymous=True,
                              sent_at=moment if sent else None))


def answer(role: int, agree: int, completed: datetime = datetime(2026, 3, 10)) -> None:
    instrument = current_catalogue().latest("partner-survey")
    response, _token = create_response(instrument, 42)
    response.anonymous, response.wave = True, "annual"
    given_answers = {"role": role, "agency_type": 1, "families_worked_with": 2}
    given_answers |= {item.id: agree for item in instrument.items if item.type == "agreement"}
    save_answers(response, given_answers, mode="web")
    complete(response, instrument)
    response.completed_at = completed


@pytest.fixture
def surveyed(app, world):
    """North: a school (2 managers: 1 answered, 1 expired after sending; a third never sent) and 12
    practitioners (10 answered); a police team working with north and south, 15 practitioners (12
    answered; one more cancelled). South only: a health team, 11 practitioners, all answered. 34
    anonymous responses in March 2026 (3 managers, 31 practitioners), one more a year earlier."""
    with app.app_context():
        def agency(name, sector, *sites):
            made = PartnerAgency(name=name, sector=sector)
            made.sites = [db.session.get(Site, world[s]) for s in sites]
            db.session.add(made)
            return made

        def contacts(where, role, states):
            for n, (state, sent) in enumerate(states):
                contact = PartnerContact(agency=where, name=f"{where.name} {role} {n}", role=role,
                                         email=f"{role}{n}@{where.sector}.example", consent=True)
                db.session.add(contact)
                db.session.flush()
                invite(contact, state, sent)

        school, police, health = (agency("School", "education", "north"), agency("Police", "police", "north", "south"),
                                  agency("Health", "health", "south"))
        contacts(school, "manager", [("completed", True), ("expired", True), ("expired", False)])
        contacts(school, "practitioner", [("completed", True)] * 10 + [("sent", True)] * 2)
        contacts(police, "practitioner", [("completed", True)] * 12 + [("opened", True)] * 3 + [("cancelled", False)])
        contacts(health, "practitioner", [("completed", True)] * 11)
        for _ in range(3):
            answer(1, 4)
        for n in range(31):
            answer(2, 5 if n < 20 else 4)
        answer(2, 1, completed=datetime(2025, 3, 10))
        db.session.commit()
    return world


MARCH = dict(start=date(2026, 3, 1), end=date(2026, 4, 30))


def test_counts_read_from_the_database_follow_states_sites_and_the_period(app, surveyed):
    with app.app_context():
        everywhere = partner_survey.invitation_counts(Filters(**MARCH))
        assert sorted(map(tuple, everywhere.to_numpy().tolist())) == [
            ("education", "manager", 2, 1), ("education", "practitioner", 12, 10), ("health", "practitioner", 11, 11),
            ("police", "practitioner", 15, 12)]
        north = partner_survey.invitation_counts(Filters(site_ids=(surveyed["north"],), **MARCH))
        assert set(north["sector"]) == {"education", "police"}     # the police team works with north too
        assert partner_survey.invitation_counts(Filters(start=date(2027, 1, 1))).empty
        counted = partner_survey.answer_counts(Filters(**MARCH), ["role", "eff_right_families"])
        rows = {(r.role, r.item_id, r.value): r.n for r in counted.itertuples()}
        assert rows == {("manager", "role", 1): 3, ("practitioner", "role", 2): 31,
                        ("manager", "eff_right_families", 4): 3, ("practitioner", "eff_right_families", 5): 20,
                        ("practitioner", "eff_right_families", 4): 11}
        assert partner_survey.covers_every_site(Filters(site_ids=(surveyed["north"], surveyed["south"])))
        assert not partner_survey.covers_every_site(Filters(site_ids=(surveyed["north"],)))
        report = run_report("partner-survey", Filters(**MARCH))
        assert len(report.tables) == 2 + 13   # 12 agreement questions and families worked with


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_manager_of_a_site_sees_its_partners_invitations_but_not_the_anonymous_answers(app, surveyed):
    manager = sign_in(app.test_client(), "manager_north@example.org")
    html = page(manager, "/staff/reports/partner-survey?start=2026-03-01&end=2026-04-30")
    assert "Invited and responded by sector" in html and "Sites: North Family Support" in html
    # The caption says what the period chooses here: contacts' waves, not families' support.
    assert "Partner-agency contacts invited to yearly waves due between 01 March 2026" in html
    assert "Families whose support ended between" not in html
    assert "shown only in a report for every site" in html and "need it most" not in html
    assert "&lt;10" in html and "Counts below 10" in html
    csv_text = manager.get("/staff/reports/partner-survey/download/csv?start=2026-03-01").get_data().decode("utf-8-sig")
    assert "Invited and responded by role" in csv_text and "need it most" not in csv_text
    admin = sign_in(app.test_client(), "admin@example.org")
    everything = page(admin, "/staff/reports/partner-survey?start=2026-03-01&end=2026-04-30")
    assert "The service works with the families who need it most." in everything and "every site" in everything


def test_practitioners_and_strangers_are_refused_the_partner_survey_report(app, surveyed):
    practitioner = sign_in(app.test_client(), "practitioner_north@example.org")
    assert practitioner.get("/staff/reports/partner-survey").status_code == 403
    assert practitioner.get("/staff/reports/partner-survey/download/csv").status_code == 403
    anonymous = app.test_client().get("/staff/reports/partner-survey")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.headers["Location"]
