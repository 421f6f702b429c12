"""What each text costs, and the languages page's link to it, in Welsh (issue 20): every word of
the cost page is wrapped for the staff catalogue, and every string the two pages wrap has Welsh in
``translations/cy_staff/*.yaml`` (or already in the staff catalogue) with the same placeholders."""
from __future__ import annotations

import re

import yaml
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from tests.conftest import ROOT

COSTS = ROOT / "feedback/waves/templates/waves/text_costs.html"
LANGUAGES = ROOT / "feedback/translation/templates/translation/languages.html"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def welsh() -> dict:
    """msgid → Welsh, from every staff table and then the staff catalogue."""
    known = {}
    with (ROOT / "translations/cy/LC_MESSAGES/staff.po").open("rb") as handle:
        for message in read_po(handle, locale="cy"):
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            string = message.string[0] if isinstance(message.string, tuple) else message.string
            if key and string:
                known[key] = string
    for table in sorted((ROOT / "translations/cy_staff").glob("*.yaml")):
        known.update(yaml.safe_load(table.read_text(encoding="utf-8")) or {})
    return known


def wrapped(path) -> list[str]:
    return [message if isinstance(message, str) else message[0]
            for _line, message, _comments, _context in extract_from_file("jinja2", str(path), keywords=KEYWORDS)]


def test_the_cost_page_has_no_words_outside_the_catalogue():
    source = COSTS.read_text(encoding="utf-8")
    bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]*>|&\w+;", " ", source, flags=re.S)
    assert re.findall(r"[A-Za-z]{2,}", bare) == []


def test_every_string_of_the_cost_page_and_its_link_has_welsh_with_the_same_placeholders():
    tables = welsh()
    strings = wrapped(COSTS) + wrapped(LANGUAGES)
    assert "What each text costs in each language" in strings and "Sent as" in strings
    missing = [english for english in strings if english not in tables]
    assert missing == []
    differ = [english for english in strings
              if set(PLACEHOLDER.findall(english)) != set(PLACEHOLDER.findall(
                  tables[english] if isinstance(tables[english], str) else tables[english][0]))]
    assert differ == []


def test_the_staff_extraction_takes_both_pages_into_the_staff_catalogue():
    config = (ROOT / "translations/staff.cfg").read_text(encoding="utf-8")
    assert "[jinja2: feedback/waves/templates/**.html]" in config
    assert "[jinja2: feedback/translation/templates/**.html]" in config
