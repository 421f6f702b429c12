"""The staff page of languages and translation status, and who may see it."""
from __future__ import annotations

import pytest

from tests.conftest import sign_in


@pytest.mark.parametrize("who", ["researcher_north", "manager_south", "admin"])
def test_researchers_managers_and_admins_see_each_versions_languages_and_their_status(client, world, who):
    sign_in(client, f"{who}@example.org")
    page = client.get("/staff/languages")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Your views on the help you had, version 1" in html
    assert "Welsh (Cymraeg)" in html and "Draft: not checked by a qualified translator" in html
    assert "Polish (polski)" in html or "Polish (Polski)" in html
    assert "added by a language file" in html
    for code in ("source", "draft", "reviewed"):
        assert f"<td>{code}</td>" not in html  # words, not the status codes


def test_a_practitioner_is_refused_and_a_stranger_is_sent_to_sign_in(client, world):
    assert client.get("/staff/languages").status_code == 302
    sign_in(client, "practitioner_north@example.org")
    assert client.get("/staff/languages").status_code == 403


def test_the_page_is_in_the_navigation_for_those_who_may_use_it(client, world):
    sign_in(client, "manager_north@example.org")
    assert 'href="/staff/languages"' in client.get("/staff/").get_data(as_text=True)
