"""Survey emails in Urdu and Arabic read right to left, with the link, the time and the name kept whole.

An English organisation name, a number or a web address inside a right-to-left sentence can be
reordered by the mail program (the Unicode bidirectional algorithm) unless each is isolated; the
email says its direction on ``<html>`` and on the article itself, since some mail programs keep
only the body.
"""
from __future__ import annotations

import re

import pytest

from tests.mail.test_compose import LINK, compose, parts

ORGANISATION = "Northbridge Family Support"


@pytest.mark.parametrize("language", ["ur", "ar"])
def test_an_urdu_or_arabic_email_reads_right_to_left(app, language):
    message = compose(app, language=language)
    _text, html = parts(message)
    assert f'<html lang="{language}" dir="rtl">' in html
    assert re.search(rf'<div role="article"[^>]* lang="{language}" dir="rtl"', html)
    assert "would like" not in html  # in the family's language, not English


@pytest.mark.parametrize("language", ["ur", "ar"])
def test_the_link_the_minutes_and_the_organisation_are_isolated(app, language):
    message = compose(app, language=language, kind="reminder")
    text, html = parts(message)
    assert f'<bdi dir="ltr" style="word-break:break-all;">{LINK}</bdi>' in html
    assert "<bdi>12</bdi>" in html
    # In the sentence that names it, and where it signs the email.
    assert html.count(f"<bdi>{ORGANISATION}</bdi>") == 2
    # The plain text part has no markup, just the words.
    assert "<bdi" not in text and ORGANISATION in text and LINK in text and "12" in text


def test_an_english_email_reads_left_to_right(app):
    _text, html = parts(compose(app))
    assert '<html lang="en" dir="ltr">' in html
    assert re.search(r'<div role="article"[^>]* lang="en" dir="ltr"', html)
    assert "<bdi>Northbridge Family Support</bdi> would like to hear your views." in html


def test_a_name_with_markup_in_it_is_still_escaped(app):
    _text, html = parts(compose(app, language="ur", organisation="Smith & <Jones>"))
    assert "<bdi>Smith &amp; &lt;Jones&gt;</bdi>" in html and "<Jones>" not in html
