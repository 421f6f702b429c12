"""Security headers, cookies and sign-in behaviour that protect families' data."""
from conftest import csrf_token, make_app


def test_every_page_forbids_framing_scripts_and_referrers(client):
    for url in ("/", "/staff/login", "/no-such-page"):
        headers = client.get(url).headers
        assert headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"] == "no-referrer"


def test_production_sends_hsts_and_marks_the_session_cookie_secure(database_url, questionnaires_dir):
    app = make_app(database_url, questionnaires_dir, FEEDBACK_ENV="production")
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
