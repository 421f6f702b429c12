"""Whether the interface catalogues (``translations/<code>/LC_MESSAGES/{messages,staff}.po``) can ship.

Checked by ``flask translations check`` and by the test suite, so CI refuses a catalogue that
would show a family English, a broken placeholder or a wrong plural: every message of the
template (``messages.pot``) translated and not fuzzy; placeholders the same as the source's
(Babel's own checkers, which also compare plural counts with the language's rules); the
Plural-Forms header the one ``pybabel init`` writes for the language; and the compiled ``.mo``
in step with the ``.po`` (the app reads only the ``.mo``). Pure Python, no Flask.
"""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from ..instruments.checks import Problem

DOMAIN = "messages"
_PLACEHOLDER = re.compile(r"%\(([a-z_]+)\)[sd]")


#: The staff pages' catalogue: English and the languages that translate it (Welsh). Families'
#: catalogue (``messages``) is translated by every language the app ships.
STAFF_DOMAIN = "staff"


def languages(folder: Path, domain: str = DOMAIN) -> list[str]:
    """The languages with a catalogue of ``domain`` in ``folder``."""
    return sorted(path.parent.parent.name for path in folder.glob(f"*/LC_MESSAGES/{domain}.po"))


def read_catalogue(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def catalogue_problems(folder: Path) -> list[Problem]:
    """Every problem (naming the catalogue, e.g. "cy (staff pages)", and the message) of every catalogue in ``folder``: each language's families' catalogue, and
    the staff catalogue of each language that has one, against their templates."""
    problems: list[Problem] = []
    for domain in (DOMAIN, STAFF_DOMAIN):
        template = folder / f"{domain}.pot"
        wanted = read_catalogue(template) if template.exists() else None
        for language in languages(folder, domain):
            problems += language_problems(folder, language, wanted, domain)
    return problems


def language_problems(folder: Path, language: str, wanted: Catalog | None,
                      domain: str = DOMAIN) -> list[Problem]:
    po = folder / language / "LC_MESSAGES" / f"{domain}.po"
    problems: list[Problem] = []
    label = language if domain == DOMAIN else f"{language} ({domain} pages)"

    def problem(message: str, text: str) -> None:
        problems.append(Problem(label, repr(message) if message else "", text))

    try:
        catalogue = read_catalogue(po, locale=language)
    except Exception as error:  # a malformed file: say so rather than stop the check
        return [Problem(label, "", f"{po} cannot be read: {error}")]
    # The rule ``pybabel init`` writes for the language: a header edited by hand to another count
    # would pick the wrong form at run time (gettext reads the rule from the compiled header).
    expected = Catalog(locale=language)
    if catalogue.num_plurals != expected.num_plurals or \
            _plural_rule(catalogue.plural_expr) != _plural_rule(expected.plural_expr):
        problem("", f"Plural-Forms is 'nplurals={catalogue.num_plurals}; plural={catalogue.plural_expr}', "
                    f"but {language} has 'nplurals={expected.num_plurals}; plural={expected.plural_expr}'")
    for message, errors in catalogue.check():
        for error in errors:
            problem(_id(message), str(error))
    for message in catalogue:
        if not message.id:
            continue
        if message.fuzzy:
            problem(_id(message), "is marked fuzzy: check the translation, then remove the flag")
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        if not all(strings):
            problem(_id(message), "is not translated")
            continue
        sources = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        names = set().union(*(_PLACEHOLDER.findall(source) for source in sources))
        for string in strings:
            found = set(_PLACEHOLDER.findall(string))
            # Babel's checker allows a translation to drop a name; a family would then miss
            # the link or the number, so every name must be there (a plural's "one" form may
            # leave out the count, as Welsh and Arabic do, but not the other names).
            missing = names - found - ({"num", "count", "n"} if len(strings) > 1 else set())
            if missing or found - names:
                problem(_id(message), f"placeholders differ: source {sorted(names)}, translation {sorted(found)}")
                break
    if wanted is not None:
        have = {_key(message) for message in catalogue if message.id}
        for message in wanted:
            if message.id and _key(message) not in have:
                problem(_id(message), f"is in {domain}.pot but not in this catalogue: run pybabel update")
    problems += _compiled_problems(po, catalogue, label)
    return problems


def _compiled_problems(po: Path, catalogue: Catalog, language: str) -> list[Problem]:
    mo = po.with_suffix(".mo")
    if not mo.exists():
        return [Problem(language, "", f"{mo} is missing: run pybabel compile")]
    with mo.open("rb") as handle:
        compiled = read_mo(handle)
    def same(found, message) -> bool:
        # The .mo reader gives a plural's forms as a list, the .po reader as a tuple.
        return found is not None and _strings(found.string) == _strings(message.string)

    stale = [message for message in catalogue
             if message.id and not message.fuzzy and not same(compiled.get(message.id, message.context), message)]
    if stale:
        return [Problem(language, repr(_id(stale[0])),
                                 f"{mo.name} is older than {po.name} ({len(stale)} message(s) differ): run pybabel compile")]
    return []


def _strings(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _plural_rule(expression: str) -> str:
    return re.sub(r"\s+", "", expression or "")


def _id(message) -> str:
    return message.id[0] if isinstance(message.id, (tuple, list)) else message.id


def _key(message) -> tuple:
    return (_id(message), message.context)
