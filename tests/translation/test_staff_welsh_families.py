"""The family and invitation staff pages in Welsh (issue 20 item 6): every string they wrap has its
Welsh in ``translations/cy_staff/{families,waves}.yaml`` (or already in the staff catalogue), with the
same placeholders; and with Welsh chosen, a family's page and the invitation status page read in Welsh."""
from __future__ import annotations

import re

import yaml
from babel.messages.extract import extract_from_dir

from tests.conftest import ROOT, csrf_token, sign_in

TABLES = [ROOT / "translations" / "cy_staff" / name for name in ("families.yaml", "waves.yaml", "languages_costs.yaml")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
#: These pages' files (the texts' costs among them); the family import pages and the texts' wording are others'.
METHOD_MAP = [
    ("feedback/families/import_views.py", "ignore"),
    ("feedback/families/import_cli.py", "ignore"),
    ("feedback/families/importing.py", "ignore"),
    ("feedback/families/case_file.py", "ignore"),
    ("feedback/families/templates/families/import.html", "ignore"),
    ("feedback/waves/messages.py", "ignore"),
    ("feedback/families/**.py", "python"),
    ("feedback/waves/**.py", "python"),
    ("feedback/families/templates/**.html", "jinja2"),
    ("feedback/waves/templates/**.html", "jinja2"),
]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def welsh_tables() -> dict:
    merged = {}
    for table in TABLES:
        merged.update(yaml.safe_load(table.read_text(encoding="utf-8")))
    return merged


def extracted() -> dict:
    """msgid (singular for plurals) → (plural or None, where)."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), METHOD_MAP, keywords=KEYWORDS):
        singular, plural = (message, None) if isinstance(message, str) else message[:2]
        found.setdefault(singular, (plural, f"{filename}:{lineno}"))
    return found


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def in_welsh(app, email: str, page_path: str):
    """A client signed in as ``email`` that chose Welsh on ``page_path`` (a page it may open)."""
    client = sign_in(app.test_client(), email)
    page = client.get(page_path).get_data(as_text=True)
    client.post("/staff/language", data={"csrf_token": csrf_token(page), "language": "cy"})
    return client


def test_a_family_and_the_invitation_status_read_in_welsh(app, world):
    from tests.families.helpers import family_with_members

    with app.app_context():
        family, _members = family_with_members(world["north"], world["kw_north"], "N-1")
        family_id = family.id

    practitioner = in_welsh(app, "practitioner_north@example.org", "/staff/families")
    page = practitioner.get(f"/staff/families/{family_id}").get_data(as_text=True)
    assert "Teulu N-1" in page
    for welsh in ("Gweithiwr allweddol", "Dyddiad ymuno", "Dyddiad gadael", "Aelodau", "Caniatâd i gymryd rhan",
                  "Gwahoddiadau", "Ychwanegu aelod", "Mother (mam)", "Child (plentyn)"):
        assert welsh in page, welsh
    assert "Change dates, key worker or status" not in page and "Consent to take part" not in page

    manager = in_welsh(app, "manager_north@example.org", "/staff/waves/status")
    status = manager.get("/staff/waves/status").get_data(as_text=True)
    for welsh in ("Statws gwahoddiadau", "Ton", "Wedi&#39;i gynllunio", "Anhysbys"):
        assert welsh in status, welsh
    assert "Invitation status" not in status

    # Without the choice, the same pages stay English.
    english = sign_in(app.test_client(), "manager_north@example.org").get("/staff/waves/status")
    assert "Invitation status" in english.get_data(as_text=True)
