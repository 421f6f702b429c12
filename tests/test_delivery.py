"""How family pages travel and speak: a stylesheet cached for a year under a hashed name, pages
compressed, redirects empty, and every error page in the respondent's language with the
organisation's name and contact details in that language."""
from __future__ import annotations

import gzip
import html
import re
from datetime import timedelta
from pathlib import Path

import brotli
import pytest
import sqlalchemy as sa
from flask import abort

from feedback.config import ConfigurationError, Settings
from feedback.delivery import CSS_COMMENT, StaticFiles
from feedback.extensions import db
from feedback.survey.models import Response
from feedback.timeutil import utcnow
from tests.conftest import app_under_test, csrf_token

STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/static/feedback\.([0-9a-f]{16})\.css)">')
YEAR = 365 * 24 * 3600
TOKEN = re.compile(rb'value="[^"]{60,}"')  # a form's CSRF token, signed afresh each second


def text(page) -> str:
    return html.unescape(page.get_data(as_text=True))


def stylesheet_url(client) -> str:
    match = STYLESHEET.search(client.get("/").get_data(as_text=True))
    assert match, "the page names no hashed stylesheet"
    return match.group(1)


def choose_welsh(client, token):
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    chose = client.post(f"/s/{token}/language", data={"csrf_token": csrf_token(welcome), "language": "cy"},
                        follow_redirects=True)
    assert chose.status_code == 200 and 'lang="cy"' in chose.get_data(as_text=True)


# The stylesheet ----------------------------------------------------------------------------------

def test_the_stylesheet_is_named_by_its_content_and_cached_for_a_year(app, client):
    url = stylesheet_url(client)
    css = client.get(url)
    assert css.status_code == 200 and css.mimetype == "text/css"
    source = (Path(app.static_folder) / "feedback.css").read_text()
    assert css.data.decode() == CSS_COMMENT.sub("", source) and b"/*" not in css.data  # comments stay home
    cache = css.headers["Cache-Control"]
    assert "immutable" in cache and f"max-age={YEAR}" in cache and "public" in cache
    assert css.headers["X-Content-Type-Options"] == "nosniff"


def test_a_changed_file_gets_a_new_name(tmp_path):
    (tmp_path / "site.css").write_text("body { color: black; }")
    before = StaticFiles(tmp_path).by_name["site.css"].hashed_name
    (tmp_path / "site.css").write_text("body { color: navy; }")
    after = StaticFiles(tmp_path).by_name["site.css"].hashed_name
    assert re.fullmatch(r"site\.[0-9a-f]{16}\.css", before) and before != after


def test_the_plain_name_still_answers_but_must_be_checked_each_time(client):
    css = client.get("/static/feedback.css")
    assert css.status_code == 200 and "no-cache" in css.headers["Cache-Control"]
    assert "immutable" not in css.headers["Cache-Control"]


def test_an_unknown_or_stale_static_name_is_a_404(client):
    assert client.get("/static/feedback.0123456789abcdef.css").status_code == 404
    assert client.get("/static/nothing.css").status_code == 404
    assert client.get("/static/../config.py").status_code == 404


def test_a_browser_holding_the_stylesheet_gets_a_304(client):
    url = stylesheet_url(client)
    first = client.get(url, headers={"Accept-Encoding": "br"})
    again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data


# Compression -------------------------------------------------------------------------------------

def test_pages_and_the_stylesheet_are_compressed_for_browsers_that_accept_it(client, make_link):
    _, token = make_link()
    for url in (f"/s/{token}", stylesheet_url(client)):
        plain = TOKEN.sub(b"", client.get(url).data)
        squeezed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
        assert squeezed.headers["Content-Encoding"] == "br" and "Accept-Encoding" in squeezed.headers["Vary"]
        assert TOKEN.sub(b"", brotli.decompress(squeezed.data)) == plain and len(squeezed.data) < len(plain) / 2
        older = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
        assert older.headers["Content-Encoding"] == "gzip" and TOKEN.sub(b"", gzip.decompress(older.data)) == plain


def test_a_browser_that_accepts_no_compression_gets_plain_pages(client, make_link):
    _, token = make_link()
    page = client.get(f"/s/{token}", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in page.headers and b"<h1>" in page.data


def test_a_redirect_carries_no_body_and_only_the_headers_that_act_on_it(client, make_link):
    _, token = make_link()
    start = client.get(f"/s/{token}/start")
    assert start.status_code == 302 and start.data == b"" and start.headers["Content-Length"] == "0"
    assert start.headers["Cache-Control"] == "no-store" and start.headers["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy" not in start.headers


# Error pages in the respondent's language ---------------------------------------------------------

def test_a_404_is_in_welsh_for_a_respondent_who_chose_welsh_on_an_english_phone(client, make_link):
    _, token = make_link()
    choose_welsh(client, token)
    for url in ("/no-such-page", f"/s/{token}x", f"/s/{token}/p/no-such-page"):
        page = client.get(url, headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert page.status_code == 404 and 'lang="cy"' in text(page) and "Heb ddod o hyd i'r dudalen" in text(page), url


def test_a_404_follows_a_welsh_browser_when_nothing_was_chosen(client):
    page = client.get("/no-such-page", headers={"Accept-Language": "cy"})
    assert page.status_code == 404 and 'lang="cy"' in page.get_data(as_text=True)
    assert 'lang="en"' in client.get("/no-such-page", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_a_400_is_in_welsh(client, make_link):
    _, token = make_link()
    choose_welsh(client, token)
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    page = client.post(f"/s/{token}/language", data={"csrf_token": csrf_token(welcome), "language": "fr"})
    assert page.status_code == 400 and "Aeth rhywbeth o'i le gyda'r cais hwnnw" in text(page)


def test_a_410_is_in_welsh(app, client, make_link):
    response_id, token = make_link()
    choose_welsh(client, token)
    with app.app_context():
        db.session.execute(sa.update(Response).where(Response.id == response_id)
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    page = client.get(f"/s/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 410 and "Mae'r ddolen hon wedi dod i ben" in text(page)


def test_a_429_is_in_welsh(app, client, make_link):
    app.add_url_rule("/too-many", "too_many", lambda: abort(429))
    _, token = make_link()
    choose_welsh(client, token)
    page = client.get("/too-many")
    assert page.status_code == 429 and "Gormod o ymdrechion" in text(page)


def test_an_expired_form_is_in_welsh_even_when_the_browser_forgot_everything(app, client, make_link):
    _, token = make_link()
    choose_welsh(client, token)
    page = client.post(f"/s/{token}/language", data={"language": "en"})  # no CSRF token
    assert page.status_code == 400 and "Roedd y dudalen hon wedi dod i ben" in text(page)
    fresh = app.test_client()  # no session cookie at all: the link's stored language decides
    page = fresh.post(f"/s/{token}/language", data={"language": "en"}, headers={"Accept-Language": "en"})
    assert page.status_code == 400 and "Roedd y dudalen hon wedi dod i ben" in text(page)


def test_a_server_error_is_in_welsh_and_says_answers_sent_are_kept(app, client, make_link):
    def broken():
        raise RuntimeError("the database went away")

    app.add_url_rule("/broken", "broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    page = client.get("/broken", headers={"Accept-Language": "cy"})
    assert page.status_code == 500 and "Mae'n ddrwg gennym, mae problem gyda'r gwasanaeth" in text(page)


# The organisation's name and contact details per language ----------------------------------------

WELSH_SERVICE = {
    "FEEDBACK_ORGANISATION": "Valley Family Support",
    "FEEDBACK_ORGANISATION_CY": "Cymorth i Deuluoedd y Cwm",
    "FEEDBACK_CONTACT": "call 01234 567890, Monday to Friday",
    "FEEDBACK_CONTACT_CY": "ffoniwch 01234 567890, dydd Llun i ddydd Gwener",
}


@pytest.fixture
def welsh_service(schema, database_url, questionnaires_dir):
    with app_under_test(database_url, questionnaires_dir, **WELSH_SERVICE) as app:
        yield app


def test_each_language_names_the_organisation_and_its_contact_in_that_language(welsh_service):
    client = welsh_service.test_client()
    english = client.get("/no-such-page", headers={"Accept-Language": "en"}).get_data(as_text=True)
    welsh = client.get("/no-such-page", headers={"Accept-Language": "cy"}).get_data(as_text=True)
    assert "Valley Family Support" in english and "call 01234 567890, Monday to Friday" in english
    assert "Cymorth i Deuluoedd y Cwm" in welsh and "ffoniwch 01234 567890" in welsh
    assert "Valley Family Support" not in welsh and "Monday" not in welsh


def test_staff_pages_carry_no_family_contact_line(welsh_service):
    page = welsh_service.test_client().get("/staff/login").get_data(as_text=True)
    assert "Valley Family Support" in page and "01234 567890" not in page


def test_a_language_setting_must_end_in_a_language_code(tmp_path):
    with pytest.raises(ConfigurationError, match="FEEDBACK_ORGANISATION_WELSH"):
        Settings.from_env({"FEEDBACK_ORGANISATION_WELSH": "Cymorth"}, tmp_path)
    settings = Settings.from_env({"FEEDBACK_ORGANISATION": "Valley", "FEEDBACK_ORGANISATION_CY": "Cwm"}, tmp_path)
    assert settings.organisation.in_language("cy") == "Cwm"
    assert settings.organisation.in_language("en") == settings.organisation.in_language("pl") == "Valley"
    assert settings.contact.in_language("cy") == "" and settings.organisation_name == "Valley"
