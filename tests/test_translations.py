"""Every interface string is in its catalogue's template, Welsh has them all, the compiled catalogue
is current, and Welsh reaches the page (the other languages: tests/translation/test_catalogues.py)."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}


def catalogue():
    with PO.open("rb") as handle:
        return read_po(handle)


def extracted(config: str) -> set[str]:
    with (ROOT / "translations" / config).open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return {message[2] if isinstance(message[2], str) else message[2][0]
            for message in extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS)}


@pytest.mark.parametrize("config, template", [("babel.cfg", "messages.pot"), ("staff.cfg", "staff.pot")])
def test_every_interface_string_in_the_code_is_in_its_catalogues_template(config, template):
    with (ROOT / "translations" / template).open("rb") as handle:
        known = {message.id if isinstance(message.id, str) else message.id[0] for message in read_po(handle) if message.id}
    assert extracted(config) - known == set(), "run the pybabel extract/update commands in the README"


def test_every_file_with_interface_strings_belongs_to_one_catalogue():
    """A string in a file neither extraction reads would never be translated."""
    def files(config: str) -> set[str]:
        with (ROOT / "translations" / config).open(encoding="utf-8") as handle:
            method_map, options_map = parse_mapping_cfg(handle)
        found = set()
        for message in extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS,
                                         callback=lambda filename, method, options: method != "ignore" and found.add(filename)):
            pass
        return found

    def with_strings() -> set[str]:
        found = set()
        method_map = [("feedback/**.py", "python"), ("feedback/**/templates/**.html", "jinja2")]
        for filename, *_ in extract_from_dir(str(ROOT), method_map, keywords=KEYWORDS):
            found.add(filename)
        return found

    family, staff = files("babel.cfg"), files("staff.cfg")
    assert family & staff == set()
    assert with_strings() - family - staff == set()


def test_every_welsh_string_is_translated_and_not_fuzzy():
    for message in catalogue():
        if message.id:
            strings = [message.string] if isinstance(message.string, str) else list(message.string)
            assert all(strings) and "fuzzy" not in message.flags, message.id


def test_welsh_strings_carry_no_html():
    for message in catalogue():
        if not message.id:
            continue  # the header
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert not any("<" in string for string in strings), message.id


def _key(text):
    return text if isinstance(text, str) else tuple(text)


def test_the_compiled_catalogue_matches_the_po_file():
    # Compared message by message, not byte by byte: the header names the Babel version that
    # compiled it, which changes with every Babel release and says nothing about the messages.
    with MO.open("rb") as handle:
        compiled = {_key(message.id): _key(message.string) for message in read_mo(handle) if message.id}
    source = {_key(message.id): _key(message.string) for message in catalogue() if message.id and message.string
              and not message.fuzzy}
    assert compiled == source, "run: pybabel compile -d translations"


def test_the_interface_is_in_welsh_when_welsh_is_chosen(client, make_link):
    _, token = make_link()
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    client.post(f"/s/{token}/language", data={"csrf_token": csrf_token(welcome), "language": "cy"})
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert "Dechrau" in html and "Mae Northbridge Family Support yn gofyn am eich barn." in html
    page = client.get(f"/s/{token}/q/has_children").get_data(as_text=True)
    assert "Cadw a pharhau" in page and "Cwestiwn 1 o tua 11" in page
