"""A partner contact invited to the anonymous partner survey answers it from the emailed link, and
nothing in the database can say whose answers they are: the invitation learns only "responded"."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token, table_count
from tests.survey.test_web_flow import post, url, walk
from feedback.extensions import db
from feedback.partners.models import PartnerAgency, PartnerContact
from feedback.publishing.service import publish
from feedback.publishing.startup import current_catalogue
from feedback.survey.anonymous import SESSION_KEY
from feedback.survey.models import Answer, Response, Score
from feedback.survey.tokens import new_token, token_hash
from feedback.timeutil import utcnow
from feedback.waves.models import Invitation, InvitationEvent

AGREE = ["eff_right_families", "eff_whole_family", "eff_engages_families", "eff_lasting_change",
         "eff_reduces_escalation", "prac_informed", "prac_joint_working", "prac_own_approach", "prac_time_saved",
         "safe_acts_quickly", "safe_shares_information", "safe_children_safer"]
#: What the practitioner answers on each screen of the partner survey.
PARTNER = {"role": {"role": "2"}, "agency_type": {"agency_type": "1"},
           "families_worked_with": {"families_worked_with": "2"},
           **{item: {item: "4"} for item in AGREE},
           "improvement": {"improvement": "More joint meetings"}, "comments": {}}
#: Tables that may hold an anonymous response's id: its own rows.
RESPONSE_TABLES = {"responses", "answers", "scores"}


@pytest.fixture
def invite(app):
    """An anonymous partner-survey invitation, sent by email; returns (invitation id, contact id, link token)."""

    def make(state="sent", closes_in=timedelta(days=30)):
        with app.app_context():
            publish(current_catalogue().latest("partner-survey"))
            agency = PartnerAgency(name="Northbridge Primary School", sector="education")
            contact = PartnerContact(agency=agency, name="Pat Practitioner", role="practitioner",
                                     email="pat@school.example.org", consent=True)
            db.session.add_all([agency, contact])
            db.session.flush()
            now, token = utcnow(), new_token()
            invitation = Invitation(
                family_id=None, contact_id=contact.id, schedule_id="partner-survey", wave="annual",
                instrument_id="partner-survey", recipient_key=f"c{contact.id}", channel="email_link", state=state,
                link_token=token, link_hash=token_hash(token), anonymous=True, due_on=(now - timedelta(days=1)).date(),
                opens_at=now - timedelta(days=1), closes_at=now + closes_in, sent_at=now - timedelta(hours=1),
                next_send_at=now + timedelta(days=6),
            )
            db.session.add(invitation)
            db.session.commit()
            return invitation.id, contact.id, token

    return make


def opened(client, link):
    """Open the emailed link (and press Start if this browser has not begun it); the response token
    it leads to."""
    followed = client.get(url(link))
    if followed.status_code == 200:
        page = followed.get_data(as_text=True)
        assert "/begin" in page
        followed = client.post(url(link, "begin"), data={"csrf_token": csrf_token(page)})
        assert followed.status_code == 303 and followed.location.endswith("/start"), followed.get_data(as_text=True)
        return followed.location.removeprefix("/s/").removesuffix("/start")
    assert followed.status_code == 303, followed.get_data(as_text=True)
    assert followed.location.startswith("/s/")
    return followed.location.removeprefix("/s/")


def test_fetching_the_emailed_link_makes_nothing_as_a_mail_scanner_fetches_every_link(app, client, invite):
    invitation_id, _, link = invite()
    for _ in range(3):
        page = client.get(url(link))
        assert page.status_code == 200 and 'action="/s/' in page.get_data(as_text=True)
    with app.app_context():
        assert table_count(Response) == 0
        assert invitation_of(invitation_id).state == "sent"
    # Beginning needs the page's form (CSRF): a bare POST by a scanner is refused.
    assert client.post(url(link, "begin")).status_code == 400
    with app.app_context():
        assert table_count(Response) == 0


def test_the_language_chosen_before_starting_is_the_responses(app, client, invite):
    _, _, link = invite()
    page = client.get(url(link)).get_data(as_text=True)
    client.post(url(link, "language"), data={"csrf_token": csrf_token(page), "language": "cy"})
    welsh = client.get(url(link)).get_data(as_text=True)
    assert "Mae eich atebion yn ddienw" in welsh
    token = opened(client, link)
    with app.app_context():
        assert response_of(token).language == "cy"


def answer_all(client, token):
    walk(client, token, PARTNER)
    sent = post(client, token, "check", {})
    assert sent.location.endswith(url(token, "done"))
    return sent


def invitation_of(invitation_id):
    return db.session.get(Invitation, invitation_id)


def response_of(token):
    return db.session.scalar(sa.select(Response).filter_by(token_hash=token_hash(token)))


def test_the_emailed_link_leads_to_a_response_of_its_own_owned_by_no_one(app, client, invite):
    invitation_id, _, link = invite()
    token = opened(client, link)
    assert token != link
    with app.app_context():
        response = response_of(token)
        assert response.anonymous and response.status == "open" and response.mode == "web"
        assert (response.family_id, response.member_id, response.contact_id) == (None, None, None)
        assert (response.instrument_id, response.wave) == ("partner-survey", "annual")
        invitation = invitation_of(invitation_id)
        assert response.expires_at == invitation.closes_at
        assert invitation.state == "opened" and invitation.response_id is None
        assert invitation.next_send_at is not None  # not answered yet: the reminder still stands


def test_the_welcome_page_says_the_answers_are_not_linked_to_the_respondent_in_english_and_welsh(client, invite):
    _, _, link = invite()
    token = opened(client, link)
    html = client.get(url(token)).get_data(as_text=True)
    assert "not linked to your name or email" in html
    assert "bookmark this page" in html
    assert "come back to this link later, on any phone or computer" not in html  # untrue here
    client.post(url(token, "language"), data={"csrf_token": csrf_token(html), "language": "cy"})
    welsh = client.get(url(token)).get_data(as_text=True)
    assert "Mae eich atebion yn ddienw" in welsh and "e-bost" in welsh


def test_opening_the_link_again_in_the_same_browser_resumes_the_same_answers(app, client, invite):
    invitation_id, _, link = invite()
    token = opened(client, link)
    post(client, token, "q/role", {"role": "1"})
    assert opened(client, link) == token
    with app.app_context():
        assert table_count(Response) == 1
        assert response_of(token).answer_values() == {"role": 1}
        events = [event.to_state for event in invitation_of(invitation_id).events]
        assert events.count("opened") == 1


def test_sending_the_answers_marks_the_invitation_answered_and_stops_its_reminders(app, client, invite):
    invitation_id, _, link = invite()
    token = opened(client, link)
    answer_all(client, token)
    with app.app_context():
        response = response_of(token)
        assert response.status == "completed" and len(response.scores) == 3
        assert response.answer_values()["improvement"] == "More joint meetings"
        invitation = invitation_of(invitation_id)
        assert invitation.state == "completed" and invitation.next_send_at is None
        assert invitation.response_id is None
    with client.session_transaction() as cookie:
        assert SESSION_KEY not in cookie  # the browser forgets which link led to which answers


def test_the_link_says_already_answered_afterwards_in_this_browser_and_any_other(app, client, invite):
    _, _, link = invite()
    answer_all(client, opened(client, link))
    for browser in (client, app.test_client()):
        again = browser.get(url(link))
        assert again.status_code == 200
        assert "You have already answered" in again.get_data(as_text=True)
    with app.app_context():
        assert table_count(Response) == 1


def test_answers_sent_from_another_browser_are_counted_when_the_link_is_next_opened_here(app, client, invite):
    invitation_id, _, link = invite()
    token = opened(client, link)
    answer_all(app.test_client(), token)  # the response's own address, bookmarked and opened elsewhere
    with app.app_context():
        assert invitation_of(invitation_id).state == "opened"  # nothing could tell it
    assert "You have already answered" in client.get(url(link)).get_data(as_text=True)
    with app.app_context():
        invitation = invitation_of(invitation_id)
        assert invitation.state == "completed" and invitation.next_send_at is None
        assert table_count(Response) == 1


@pytest.mark.parametrize("state, closes_in", [
    ("sent", timedelta(minutes=-1)), ("expired", timedelta(days=30)), ("cancelled", timedelta(days=30)),
    ("failed", timedelta(days=30)),
])
def test_a_closed_invitation_link_gives_the_expired_page_and_makes_no_response(app, client, invite, state, closes_in):
    _, _, link = invite(state=state, closes_in=closes_in)
    page = client.get(url(link))
    assert page.status_code == 410
    assert "This link has expired" in page.get_data(as_text=True)
    with app.app_context():
        assert table_count(Response) == 0


def test_an_unknown_token_still_gets_the_plain_404(client, invite):
    invite()
    unknown = client.get(url(new_token()))
    assert unknown.status_code == 404
    assert unknown.get_data() == client.get("/no-such-page").get_data()


def test_pages_below_the_emailed_link_are_not_survey_pages(client, invite):
    _, _, link = invite()
    assert client.get(url(link, "start")).status_code == 404
    assert client.get(url(link, "check")).status_code == 404


def test_an_attacker_with_the_database_finds_no_path_from_the_answers_to_the_contact(app, client, invite):
    invitation_id, contact_id, link = invite()
    token = opened(client, link)
    answer_all(client, token)
    with app.app_context():
        response = response_of(token)
        assert (response.family_id, response.member_id, response.contact_id) == (None, None, None)
        assert table_count(Invitation, response_id=response.id) == 0
        secrets = {token, token_hash(token)}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(sa.select(table)).mappings().all()  # decrypted, as the app reads them
            for column in table.columns:
                points_at_responses = any(key.column.table.name == "responses" for key in column.foreign_keys)
                if points_at_responses and table.name not in RESPONSE_TABLES:
                    assert all(row[column.name] != response.id for row in rows), (table.name, column.name)
                for row in rows:
                    if table.name == "responses" and column.name == "token_hash":
                        continue
                    assert not any(secret in str(row[column.name]) for secret in secrets), (table.name, column.name)
        # Times: the response's to the day only, and the invitation's events of opening and answering too.
        answers = db.session.scalars(sa.select(Answer).filter_by(response_id=response.id)).all()
        scores = db.session.scalars(sa.select(Score).filter_by(response_id=response.id)).all()
        moments = [response.created_at, response.started_at, response.updated_at, response.completed_at,
                   *(answer.saved_at for answer in answers), *(score.scored_at for score in scores)]
        assert len(answers) == 16 and len(scores) == 3
        assert all(moment is not None and moment.time() == moment.min.time() for moment in moments), moments
        events = db.session.scalars(sa.select(InvitationEvent).filter_by(invitation_id=invitation_id)).all()
        answered = [event for event in events if event.to_state in ("opened", "completed")]
        assert [event.to_state for event in answered] == ["opened", "completed"]
        assert all(event.at.time() == event.at.min.time() for event in answered)
        assert invitation_of(invitation_id).updated_at.time() == utcnow().min.time()
        assert invitation_of(invitation_id).contact_id == contact_id  # the invitation still says who was asked


def test_on_postgresql_no_row_of_the_answers_shares_a_transaction_with_the_invitation(app, client, invite):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("transaction ids on rows (xmin) are PostgreSQL's")
    invitation_id, _, link = invite()
    token = opened(client, link)
    answer_all(client, token)
    with app.app_context():
        response_id = response_of(token).id

        def xmins(table, where):
            return set(db.session.scalars(sa.text(f"SELECT xmin::text FROM {table} WHERE {where}"),
                                          {"id": response_id, "invitation": invitation_id}))

        answers_side = (xmins("responses", "id = :id") | xmins("answers", "response_id = :id")
                        | xmins("scores", "response_id = :id"))
        invitation_side = (xmins("invitations", "id = :invitation")
                           | xmins("invitation_events", "invitation_id = :invitation"))
        assert answers_side and invitation_side and not answers_side & invitation_side


def test_one_address_cannot_fill_the_database_with_begun_responses(app, invite):
    _, _, link = invite()
    codes = []
    for _ in range(22):
        browser = app.test_client()  # a new session each time, as a script would
        page = browser.get(url(link)).get_data(as_text=True)
        codes.append(browser.post(url(link, "begin"), data={"csrf_token": csrf_token(page)}).status_code)
    assert codes[:20] == [303] * 20 and codes[20:] == [429, 429]
    with app.app_context():
        assert table_count(Response) == 20
