"""Every interface string has Welsh, the compiled catalogue is current, and Welsh reaches the page."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
METHODS = [("feedback/**.py", "python"), ("feedback/**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}


def catalogue():
    with PO.open("rb") as handle:
        return read_po(handle)


def test_every_interface_string_in_the_code_is_in_the_welsh_catalogue():
    extracted = {message[2] if isinstance(message[2], str) else message[2][0]
                 for message in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS)}
    known = {message.id if isinstance(message.id, str) else message.id[0] for message in catalogue() if message.id}
    assert extracted - known == set(), "run the pybabel extract/update commands in the README, then translations/fill_cy.py"


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
