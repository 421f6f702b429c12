"""The survey email's words and shape: neutral, in the recipient's language, plain and self-contained."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from feedback.instruments.readability import GETTEXT_KEYWORDS, check_strings
from feedback.mail.compose import invitation_email
from tests.mail.conftest import SENDER

LINK = "https://feedback.example.org/s/" + "L" * 32
UNSUBSCRIBE = "https://feedback.example.org/u/" + "U" * 32
ROOT = Path(__file__).resolve().parents[2]


def compose(app, language="en", kind="invitation", reply_to="", organisation="Northbridge Family Support"):
    with app.app_context():
        return invitation_email(to="mum@example.org", language=language, kind=kind, link=LINK, minutes=12,
                                organisation=organisation, sender=SENDER, reply_to=reply_to,
                                unsubscribe_url=UNSUBSCRIBE, domain="northbridge.example.org")


def parts(message):
    return (message.get_body(preferencelist=("plain",)).get_content(),
            message.get_body(preferencelist=("html",)).get_content())


def test_an_invitation_has_the_headers_mail_programs_act_on(app):
    message = compose(app)
    assert message["From"] == SENDER and message["To"] == "mum@example.org"
    assert message["Subject"] == "We would like to hear your views"
    assert re.fullmatch(r"<[^@<>]+@northbridge\.example\.org>", message["Message-ID"])
    assert message["Date"]
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Reply-To"] is None  # replies go to the sender unless a mailbox is set
    assert compose(app, reply_to="replies@northbridge.example.org")["Reply-To"] == "replies@northbridge.example.org"


def test_both_parts_carry_the_link_the_time_the_organisation_and_a_way_to_stop(app):
    for body in parts(compose(app)):
        body = re.sub(r"</?bdi[^>]*>", "", body)  # the HTML isolates the name and the number
        assert LINK in body and UNSUBSCRIBE in body
        assert "Northbridge Family Support" in body and "It takes about 12 minutes." in body
        assert "Stop these emails" in body


def test_every_message_has_its_own_message_id(app):
    assert compose(app)["Message-ID"] != compose(app)["Message-ID"]


def test_the_html_part_is_small_self_contained_and_accessible(app):
    _text, html = parts(compose(app))
    assert '<html lang="en" dir="ltr">' in html and "<title>We would like to hear your views</title>" in html
    assert f'<a href="{LINK}"' in html and f'<a href="{UNSUBSCRIBE}"' in html
    # Nothing fetched from elsewhere (a remote image or style sheet reports the email opened).
    assert not re.search(r"<(img|link|script|iframe|object|style)\b", html, re.I)
    assert "url(" not in html and not re.search(r'src\s*=', html, re.I)
    assert len(html) < 3000


def test_a_reminder_says_it_is_one(app):
    message = compose(app, kind="reminder")
    assert message["Subject"] == "A reminder: we would like to hear your views"
    text, html = parts(message)
    assert "A reminder: Northbridge Family Support would like to hear your views." in text
    assert LINK in html


def test_an_unknown_kind_is_refused(app):
    with pytest.raises(ValueError, match="unknown email kind 'invitaton'"):
        compose(app, kind="invitaton")


def test_a_welsh_email_is_in_welsh(app):
    message = compose(app, language="cy", organisation="Cymorth i Deuluoedd Northbridge")
    assert message["Subject"] == "Hoffem glywed eich barn"
    text, html = parts(message)
    assert "Helo," in text and "Hoffai Cymorth i Deuluoedd Northbridge glywed eich barn." in text
    assert "Mae'n cymryd tua 12 munud." in text and "Atal y negeseuon e-bost hyn" in text
    assert '<html lang="cy" dir="ltr">' in html and "Ateb y cwestiynau" in html and "copïwch" in html
    assert "would like" not in text + html
    assert compose(app, language="cy", kind="reminder")["Subject"] == "Nodyn atgoffa: hoffem glywed eich barn"


def test_a_welsh_email_goes_in_seven_bit_transfer_encodings(app):
    # Welsh letters (ï, ŵ) are quoted-printable, so any server passes the email on unchanged.
    message = compose(app, language="cy")
    for part in message.iter_parts():
        assert part["Content-Transfer-Encoding"] in ("7bit", "quoted-printable", "base64")
    assert message.as_bytes().isascii()


def test_the_words_name_no_family_or_service_detail(app):
    for body in parts(compose(app)):
        words = re.sub(r"<[^>]*>", " ", body).replace("Northbridge Family Support", "").lower()
        for word in ("family", "families", "key worker", "case", "support", "child"):
            assert not re.search(rf"\b{word}\b", words), word


def test_the_email_and_unsubscribe_pages_read_at_a_reading_age_of_eleven():
    # The check every family-facing page passes (feedback/instruments/readability.py), on our files.
    sources = [(ROOT / "feedback/mail/compose.py", "python")]
    # Not the admins' email pages (email.html, emails.html): staff pages, in the staff catalogue.
    sources += [(path, "jinja2") for path in sorted((ROOT / "feedback/mail/templates/mail").glob("*.html"))
                if path.name not in ("email.html", "emails.html")]
    strings = [(f"{path.name} line {line}", text)
               for path, method in sources
               for line, message, _comments, _context in extract_from_file(method, str(path), keywords=GETTEXT_KEYWORDS)
               for text in ((message,) if isinstance(message, str) else message)]
    assert len(strings) > 15
    assert [str(finding) for finding in check_strings("feedback/mail", strings)] == []
