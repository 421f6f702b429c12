"""Staff pages in Welsh (issue 20 item 6): every string of the staff pages listed below is wrapped for
Babel and has its Welsh, and with Welsh chosen those pages read in Welsh.

The Welsh is kept in tables (``translations/cy_staff/<area>.yaml``: "English msgid": "Welsh", or the
six Welsh plural forms for an ngettext message) until it is merged into the staff catalogue; the page
tests merge the tables into a copy of the translations folder, compile it and read the pages through it.
"""
from __future__ import annotations

import re

import pytest
import yaml
from babel.messages.extract import extract_from_dir

from tests.conftest import ROOT, csrf_token, sign_in

#: The staff pages this file covers: their views, forms, messages and templates.
METHOD_MAP = [
    ("feedback/staff/**.py", "python"),
    ("feedback/audit/**.py", "python"),
    ("feedback/partners/**.py", "python"),
    ("feedback/imports/**.py", "python"),
    ("feedback/families/import_views.py", "python"),
    ("feedback/translation/views.py", "python"),
    ("feedback/staff/templates/**.html", "jinja2"),
    ("feedback/audit/templates/**.html", "jinja2"),
    ("feedback/partners/templates/**.html", "jinja2"),
    ("feedback/imports/templates/**.html", "jinja2"),
    ("feedback/families/templates/families/import.html", "jinja2"),
    ("feedback/templates/_file_problems.html", "jinja2"),
    ("feedback/translation/templates/translation/languages.html", "jinja2"),
    ("feedback/mail/templates/mail/email.html", "jinja2"),
    ("feedback/mail/templates/mail/emails.html", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
TABLES = ROOT / "translations" / "cy_staff"
TABLE_NAMES = ("staff", "partners", "imports", "audit")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def extracted() -> dict[str, tuple[str, str | None, str]]:
    """Each msgid of the pages: (msgid, msgid_plural or None, where it was found)."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), METHOD_MAP, keywords=KEYWORDS):
        singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
        found.setdefault(singular, (singular, plural, f"{filename}:{lineno}"))
    return found


def welsh_tables() -> dict[str, str | list[str]]:
    merged: dict[str, str | list[str]] = {}
    for name in TABLE_NAMES:
        table = yaml.safe_load((TABLES / f"{name}.yaml").read_text(encoding="utf-8")) or {}
        for msgid, welsh in table.items():
            assert merged.get(msgid, welsh) == welsh, f"{msgid!r} has two different Welsh texts in the tables"
            merged[msgid] = welsh
    return merged


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def navigation(html: str) -> list[str]:
    nav = html[html.index('<nav class="staff-nav"'):html.index("</nav>")]
    return re.findall(r">([^<>]+)</a>", nav)


def choose(client, language: str, page: str = "/staff/", **extra):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post("/staff/language", data={"csrf_token": token, "language": language, "next": page, **extra})


def test_with_welsh_chosen_the_home_partner_and_import_pages_read_in_welsh(world, app):
    client = sign_in(app.test_client(), "admin@example.org")
    assert 'lang="en"' in client.get("/staff/").get_data(as_text=True)  # English until chosen

    chosen = choose(client, "cy", "/staff/partners")
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/staff/partners")

    home = client.get("/staff/").get_data(as_text=True)
    assert '<html lang="cy"' in home
    labels = navigation(home)
    assert {"Hafan", "Teuluoedd", "Mewnforio ymatebion", "Asiantaethau partner", "Cofnod archwilio"} <= set(labels)
    assert not {"Home", "Families", "Import responses", "Partner agencies", "Audit log", "Emails"} & set(labels)
    assert "Allgofnodi" in home and "Sign out" not in home
    assert "Wedi mewngofnodi fel Admin." in home and "Arolygon agored" in home
    # The switch offers the other language, named in itself.
    assert re.search(r'<button type="submit" name="language" value="en" lang="en">English</button>', home)

    partners = client.get("/staff/partners").get_data(as_text=True)
    assert "<h1>Asiantaethau partner</h1>" in partners and "Cofnodi asiantaeth bartner" in partners
    assert "Dim asiantaethau partner wedi'u cofnodi eto." in partners
    assert "Record a partner agency" not in partners

    imports = client.get("/staff/imports").get_data(as_text=True)
    assert "<h1>Mewnforio ymatebion</h1>" in imports and "Mewnforion diweddar" in imports
    assert "Gwirio a mewnforio" in imports and "Recent imports" not in imports

    # And back: English again.
    choose(client, "en")
    assert "<h1>Staff</h1>" in client.get("/staff/").get_data(as_text=True)
    assert "Sign out" in client.get("/staff/").get_data(as_text=True)


def test_a_partner_form_refusal_reads_in_welsh(world, app):
    client = sign_in(app.test_client(), "manager_north@example.org")
    choose(client, "cy", "/staff/partners/new")
    page = client.get("/staff/partners/new").get_data(as_text=True)
    refused = client.post("/staff/partners/new", data={"csrf_token": csrf_token(page), "name": "", "sector": "health",
                                                       "active": "yes"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Rhowch enw'r asiantaeth." in text and "Enter the agency" not in text
    assert "Gwall:" in text and "<label" in text and "Enw</label>" in text


def test_a_language_staff_pages_are_not_written_in_is_refused(client, world):
    sign_in(client, "admin@example.org")
    assert choose(client, "xx").status_code == 400
    assert choose(client, "").status_code == 400
    assert '<html lang="en"' in client.get("/staff/").get_data(as_text=True)


@pytest.mark.parametrize("elsewhere", ["https://evil.example/staff/", "//evil.example/staff/", "/s/some-survey",
                                       "javascript:alert(1)"])
def test_choosing_a_language_never_leads_off_the_staff_pages(client, world, elsewhere):
    sign_in(client, "admin@example.org")
    chosen = choose(client, "cy", next=elsewhere)
    assert chosen.status_code == 302
    assert chosen.headers["Location"] in ("/staff/", "http://localhost/staff/")


def test_choosing_a_language_needs_the_pages_csrf_token(client, world):
    sign_in(client, "admin@example.org")
    refused = client.post("/staff/language", data={"language": "cy", "next": "/staff/"})
    assert refused.status_code == 400
    forged = client.post("/staff/language", data={"csrf_token": "forged", "language": "cy", "next": "/staff/"})
    assert forged.status_code == 400
    assert '<html lang="en"' in client.get("/staff/").get_data(as_text=True)
