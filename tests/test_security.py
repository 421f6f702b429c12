"""Security headers, cookies and sign-in behaviour that protect families' data."""
from tests.conftest import csrf_token, make_app


def test_every_page_forbids_framing_scripts_and_referrers(client):
    for url in ("/", "/staff/login", "/no-such-page"):
        headers = client.get(url).headers
        assert headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"] == "same-origin"


def test_production_sends_hsts_and_marks_the_session_cookie_secure(database_url, questionnaires_dir):
    app = make_app(database_url, questionnaires_dir, FEEDBACK_ENV="production",
                   FEEDBACK_DATA_KEY="0" * 43 + "=")
    client = app.test_client()
    page = client.get("/staff/login", base_url="https://feedback.example")
    assert "max-age=" in page.headers["Strict-Transport-Security"]
    [cookie] = [value for value in page.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_signing_in_starts_a_fresh_session(client, staff_user):
    form = csrf_token(client.get("/staff/login").get_data(as_text=True))
    before = client.get_cookie("session").value
    client.post("/staff/login", data={"csrf_token": form, "email": staff_user["email"], "password": staff_user["password"]})
    assert client.get_cookie("session").value != before


def test_the_staff_list_offers_only_surveys_that_can_be_done_by_telephone(signed_in, make_link):
    make_link("household", label="Household respondent")
    make_link("partner-survey", label="Partner respondent")  # web only
    html = signed_in.get("/staff/").get_data(as_text=True)
    assert "Household respondent" in html and "Partner respondent" not in html


def login(client, email, password):
    form = csrf_token(client.get("/staff/login").get_data(as_text=True))
    return client.post("/staff/login", data={"csrf_token": form, "email": email, "password": password})


def test_sign_in_attempts_are_recorded_whether_they_succeed_or_not(app, client, staff_user):
    import sqlalchemy as sa

    from feedback.extensions import db
    from feedback.staff.models import LoginAttempt

    login(client, staff_user["email"], "wrong")
    login(client, staff_user["email"].upper(), staff_user["password"])
    with app.app_context():
        attempts = db.session.scalars(sa.select(LoginAttempt).order_by(LoginAttempt.id)).all()
        assert [(a.email, a.succeeded) for a in attempts] == [(staff_user["email"], False), (staff_user["email"], True)]
        assert attempts[0].remote_address == "127.0.0.1"


def test_guessing_passwords_is_slowed_down_with_a_plain_message(client, staff_user):
    statuses = [login(client, staff_user["email"], f"guess {n}").status_code for n in range(10)]
    assert statuses == [401] * 10
    blocked = login(client, staff_user["email"], staff_user["password"])
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # The limit counts this account from any address too.
    other = client.application.test_client()
    assert login(other, staff_user["email"], "another guess").status_code == 429


def test_an_idle_staff_session_ends(signed_in):
    assert signed_in.get("/staff/").status_code == 200
    with signed_in.session_transaction() as session:
        session["last_seen"] -= 31 * 60
    expired = signed_in.get("/staff/")
    assert expired.status_code == 302 and "expired=1" in expired.location
    assert "signed out because you had not used" in signed_in.get(expired.location).get_data(as_text=True)
    assert signed_in.get("/staff/").status_code == 302


def test_a_staff_session_ends_after_the_working_day_however_busy(signed_in):
    with signed_in.session_transaction() as session:
        session["signed_in_at"] -= 11 * 3600
    assert signed_in.get("/staff/").status_code == 302


def test_a_form_posted_over_https_from_this_site_passes_the_referrer_check(app, make_link):
    """Behind a TLS proxy Flask-WTF wants a same-site Referer; the policy must let browsers send it."""
    from tests.conftest import csrf_token

    _id, token = make_link("household")
    client = app.test_client()
    page = client.get(f"/s/{token}/q/has_children", base_url="https://localhost")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "has_children": "1"}
    refused = client.post(f"/s/{token}/q/has_children", data=data, base_url="https://localhost")
    assert refused.status_code == 400  # no Referer at all: refused, as under no-referrer
    accepted = client.post(f"/s/{token}/q/has_children", data=data, base_url="https://localhost",
                           headers={"Referer": f"https://localhost/s/{token}/q/has_children"})
    assert accepted.status_code == 302
    assert page.headers["Referrer-Policy"] == "same-origin"
