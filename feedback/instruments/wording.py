"""What a respondent read: the wording of one language of an instrument version, as a hash.

A response's ``content_hash`` names the version file, every language in it at once; languages
added later come from language files (``language_files``) and leave it alone.  ``wording_hash`` names only
the words of one language with the structure they hang on (item ids, types, codes, ranges), so it
changes exactly when what that language's respondents were shown changes.  The version number is
left out: two versions whose Welsh is word for word the same share a Welsh hash.  Pure Python.
"""
from __future__ import annotations

import hashlib
import json

from .definition import Choice, Instrument, Item, Text

#: Wording hashes already worked out, by (content hash, language): every page saved asks for one.
_KNOWN: dict[tuple[str, str], str] = {}


def shown_language(instrument: Instrument, language: str | None) -> str:
    """The language a respondent asking for ``language`` is shown: it, if the instrument has it,
    else English (the fallback of ``Text.get``), else the instrument's first language."""
    if language in instrument.languages:
        return language
    return "en" if "en" in instrument.languages else instrument.languages[0]


def response_wording_hash(instrument: Instrument, language: str | None) -> str | None:
    """The wording hash for a new response in ``language``; None while its language is not yet
    known (or not one the instrument has), until a page is answered in one (``shown_wording``)."""
    return wording_hash(instrument, language) if language in instrument.languages else None


def shown_wording(instrument: Instrument, language: str | None) -> tuple[str, str]:
    """The (language, wording hash) of a page read by someone asking for ``language``."""
    shown = shown_language(instrument, language)
    return shown, wording_hash(instrument, shown)


def wording_hash(instrument: Instrument, language: str) -> str:
    """SHA-256 of the canonical JSON of everything a respondent reads in ``language``.

    Refuses (``ValueError``) a language the instrument does not have, rather than hashing the
    fallback texts under a name they were never written in.
    """
    if language not in instrument.languages:
        raise ValueError(f"{instrument.id} v{instrument.version} has no language {language!r}; "
                         f"it has {', '.join(instrument.languages)}")
    key = (instrument.texts_key, language)
    if instrument.content_hash and key in _KNOWN:
        return _KNOWN[key]
    canonical = json.dumps(wording(instrument, language), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    if instrument.content_hash:
        if len(_KNOWN) > 512:
            _KNOWN.clear()
        _KNOWN[key] = digest
    return digest


def wording(instrument: Instrument, language: str) -> dict:
    """The respondent-facing texts in ``language`` with the structure they belong to."""
    return {
        "instrument": instrument.id,
        "language": language,
        "title": _text(instrument.title, language),
        "description": _text(instrument.description, language),
        "pages": [
            {"id": page.id, "title": _text(page.title, language), "intro": _text(page.intro, language),
             "together": page.together, "items": [_item(item, language) for item in page.items]}
            for page in instrument.pages
        ],
    }


def _item(item: Item, language: str) -> dict:
    return {
        "id": item.id, "type": item.type, "required": item.required,
        "text": _text(item.text, language), "hint": _text(item.hint, language),
        "error": _text(item.error, language),
        "min": item.minimum, "max": item.maximum,
        "choices": [_choice(choice, language) for choice in item.choices],
        "missing": [_choice(choice, language) for choice in item.missing_codes],
        "anchors": [[low, high, _text(label, language)] for low, high, label in item.anchors],
    }


def _choice(choice: Choice, language: str) -> list:
    return [choice.code, _text(choice.label, language)]


def _text(text: Text | None, language: str) -> str | None:
    # Validation guarantees every text has every declared language; None is an absent text.
    return None if text is None else text.by_language.get(language)
