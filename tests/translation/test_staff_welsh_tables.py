"""The Welsh of the staff pages, kept per area in ``translations/cy_staff/*.yaml`` and merged into
the staff catalogue by ``translations/fill_cy.py``: the tables agree with each other and with the
strings the pages have, and the catalogue holds what they say. (That every staff string has Welsh
at all: ``test_catalogues``, through ``flask translations check``.)"""
from __future__ import annotations

import re
import sys

import yaml
from babel.messages.pofile import read_po

from tests.conftest import ROOT

TABLES = sorted((ROOT / "translations" / "cy_staff").glob("*.yaml"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def staff_template() -> dict:
    with (ROOT / "translations" / "staff.pot").open("rb") as handle:
        return {(message.id[0] if isinstance(message.id, tuple) else message.id): message
                for message in read_po(handle) if message.id}


def test_no_two_tables_give_one_string_different_welsh():
    seen: dict[str, tuple[str, object]] = {}
    clashes = []
    for path in TABLES:
        for english, welsh in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if english in seen and seen[english][1] != welsh:
                clashes.append(f"{english!r}: {seen[english][0]} and {path.name} differ")
            seen.setdefault(english, (path.name, welsh))
    assert clashes == []


def test_every_table_entry_is_a_string_of_the_staff_pages_with_its_placeholders_and_plural_forms():
    template = staff_template()
    problems = []
    for path in TABLES:
        for english, welsh in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            message = template.get(english)
            if message is None:
                problems.append(f"{path.name}: {english!r} is on no staff page any more")
                continue
            sources = message.id if isinstance(message.id, tuple) else (message.id,)
            wanted = set().union(*(PLACEHOLDER.findall(source) for source in sources))
            forms = welsh if isinstance(welsh, list) else [welsh]
            if isinstance(message.id, tuple) and len(forms) != 6:  # Welsh: zero, one, two, few, many, other
                problems.append(f"{path.name}: {english!r} needs 6 Welsh plural forms")
            problems += [f"{path.name}: {english!r}: Welsh has {sorted(PLACEHOLDER.findall(form))}"
                         for form in forms if set(PLACEHOLDER.findall(form)) - wanted
                         or (not isinstance(message.id, tuple) and set(PLACEHOLDER.findall(form)) != wanted)]
    assert problems == []


def test_the_welsh_staff_catalogue_says_what_the_tables_say():
    sys.path.insert(0, str(ROOT / "translations"))
    try:
        from fill_cy import WELSH, staff_tables
    finally:
        sys.path.remove(str(ROOT / "translations"))
    tables = {**WELSH, **staff_tables()}
    with (ROOT / "translations" / "cy" / "LC_MESSAGES" / "staff.po").open("rb") as handle:
        catalogue = read_po(handle, locale="cy")
    differ = []
    for message in catalogue:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if not key or key not in tables:
            continue
        wanted = tables[key]
        got = list(message.string) if isinstance(message.id, tuple) else message.string
        if isinstance(message.id, tuple):
            wanted = list(wanted) if isinstance(wanted, list) else [wanted] * len(got)
        if got != wanted:
            differ.append(key)
    assert differ == [], "run: python translations/fill_cy.py, then pybabel compile -D staff -d translations -l cy"
