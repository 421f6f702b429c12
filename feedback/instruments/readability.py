"""Plain words: English that families read should suit a UK reading age of 11. Pure Python.

Families answer on cheap phones and some find reading hard, so every English text a family sees
is held to Flesch–Kincaid grade 6 (a US school grade; UK reading age 11 is about grade 6). The
grade is only meaningful for passages, so the rule depends on how long the text is:

* A text of ``MIN_WORDS_TO_GRADE`` (10) words or more — an item, a hint, a page intro, an error
  message — must grade at ``MAX_GRADE`` (6.0) or below, taken over the whole text.
* No sentence may be longer than ``MAX_SENTENCE_WORDS`` (25) words, so one long sentence cannot
  hide behind short ones in the grade.
* A shorter text — a choice such as "Very poor", a page title — is judged by its words instead:
  none may have ``LONG_WORD_SYLLABLES`` (4) syllables or more unless it is in ``ALLOWED_WORDS``.
  (Flesch–Kincaid on two words swings from below 0 to above 12 on one long word.)

Placeholders such as ``%(link)s`` count as one short word. Only the English is checked; Welsh
readability needs its own measure.

Who is a family: an instrument is family-facing when one of its respondent roles is a family role
(``FAMILY_ROLES``); staff instruments are not checked. Inside a family-facing instrument the items
only staff read are listed in ``STAFF_ITEMS``. Items whose wording is a measurement instrument's
are listed in ``EXEMPT_ITEMS`` with the reason: they are still measured, and reported as exempt
rather than as problems, so nobody mistakes "kept on purpose" for "passed".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping

# textstat counts syllables from the CMU Pronouncing Dictionary (with a hyphenation fallback for
# words it lacks) and applies the published Flesch–Kincaid formula: a hand-written syllable
# counter would be the least reliable part of the check.
import textstat

from .definition import Instrument, Item, Text

MAX_GRADE = 6.0
MIN_WORDS_TO_GRADE = 10
MAX_SENTENCE_WORDS = 25
LONG_WORD_SYLLABLES = 4

#: Respondent roles that are family members; an instrument with any of them is family-facing.
FAMILY_ROLES = frozenset({"parent_carer", "young_person", "child", "family_member"})

#: Long words a short text may use anyway, in lower case: add one only when no everyday word will
#: do, such as the name of a thing every family in the UK knows by that name.
ALLOWED_WORDS = frozenset({
    "secondary",  # secondary school
})

#: Items of family-facing instruments that only staff read (instrument id → item ids).
STAFF_ITEMS: Mapping[str, frozenset[str]] = {
    # The key worker's own reading of each area, and when the reading is taken.
    "family-star": frozenset({
        "assessment_point", "health_practitioner", "emotional_practitioner", "safety_practitioner",
        "community_practitioner", "learning_practitioner", "boundaries_practitioner", "work_practitioner",
        "home_money_practitioner",
    }),
}

# Not "validated": the statements are the project's own, in the style of the Family Assessment
# Device (whose items are copyrighted), and have not been validated; what keeps them is that they
# are one scored scale with answers already given.
SCALE_WORDING = ("scored scale, wording kept across versions: rewording one statement changes what the scale "
                 "measures and breaks comparison with answers already given (the project's own wording, not "
                 "validated: a plainer version needs testing as a scale)")


@dataclass(frozen=True)
class Exemption:
    items: frozenset[str]
    reason: str


#: Items whose wording is kept even where it reads above the limit (instrument id → exemption).
EXEMPT_ITEMS: Mapping[str, Exemption] = {
    # The general functioning statements, modelled on the McMaster Family Assessment Device and
    # scored as one scale: their text and their answer choices are kept as written.
    "family-functioning": Exemption(frozenset(f"gf{n:02d}" for n in range(1, 13)), SCALE_WORDING),
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\w*\}")
_ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|etc)\.", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")


@dataclass(frozen=True)
class Finding:
    """One English text that reads above the limit, written for whoever edits the wording."""

    source: str       # the file
    where: str        # e.g. "page 'health' item 'health_parent' hint"
    text: str
    problem: str
    exempt: str = ""  # the reason, when the wording is kept on purpose

    def __str__(self) -> str:
        kept = f" — exempt: {self.exempt}" if self.exempt else ""
        return f"{self.source}: {self.where}: {self.problem}{kept}: \"{self.text}\""


@dataclass(frozen=True)
class Passage:
    """An English text a family reads, and where it is."""

    where: str
    text: str
    item_id: str | None = None


def grade(text: str) -> float:
    """The Flesch–Kincaid grade of ``text`` (placeholders read as one short word)."""
    return round(textstat.flesch_kincaid_grade(_plain(text)), 1)


def problems(text: str) -> list[str]:
    """What makes ``text`` harder than the limit, in words for its author; empty when it passes."""
    plain = _plain(text)
    found = []
    words = textstat.lexicon_count(plain)
    if words >= MIN_WORDS_TO_GRADE:
        score = grade(text)
        if score > MAX_GRADE:
            found.append(f"reads at grade {score:.1f}, above {MAX_GRADE:.0f}: use shorter words and sentences")
    else:
        hard = long_words(text)
        if hard:
            found.append(f"long word{'s' if len(hard) > 1 else ''} {', '.join(hard)}: "
                         f"use a shorter, everyday word")
    for sentence in sentences(plain):
        count = textstat.lexicon_count(sentence)
        if count > MAX_SENTENCE_WORDS:
            found.append(f"a sentence of {count} words (at most {MAX_SENTENCE_WORDS}): split it")
    return found


def long_words(text: str) -> list[str]:
    """Words of ``LONG_WORD_SYLLABLES`` syllables or more that are not in ``ALLOWED_WORDS``."""
    hard = []
    for word in _WORD.findall(_plain(text)):
        if word.lower() not in ALLOWED_WORDS and textstat.syllable_count(word) >= LONG_WORD_SYLLABLES:
            if word not in hard:
                hard.append(word)
    return hard


def sentences(text: str) -> list[str]:
    protected = _ABBREVIATIONS.sub(lambda match: match.group(1).replace(".", ""), text)
    return [sentence for sentence in _SENTENCE_END.split(protected.strip()) if sentence]


def _plain(text: str) -> str:
    return _PLACEHOLDER.sub("it", text)


def is_family_facing(instrument: Instrument) -> bool:
    return any(respondent.role in FAMILY_ROLES for respondent in instrument.respondents)


def family_passages(instrument: Instrument) -> list[Passage]:
    """Every English text a family sees in ``instrument``, each once (a shared choice set is
    reported at its first item); empty for a staff instrument."""
    if not is_family_facing(instrument):
        return []
    staff = STAFF_ITEMS.get(instrument.id, frozenset())
    passages: list[Passage] = []
    seen: set[str] = set()

    def add(where: str, text: Text | None, item_id: str | None = None) -> None:
        english = text.get("en") if text is not None else ""
        if english and english not in seen:
            seen.add(english)
            passages.append(Passage(where, english, item_id))

    add("title", instrument.title)
    add("description", instrument.description)
    for page in instrument.pages:
        add(f"page '{page.id}' title", page.title)
        add(f"page '{page.id}' intro", page.intro)
        for item in page.items:
            if item.id not in staff:
                for where, text in _item_texts(item):
                    add(f"page '{page.id}' item '{item.id}' {where}", text, item.id)
    return passages


def _item_texts(item: Item) -> Iterator[tuple[str, Text]]:
    yield "text", item.text
    if item.hint is not None:
        yield "hint", item.hint
    error = getattr(item, "error", None)  # the instrument's own "this needs an answer" message
    if error is not None:
        yield "error", error
    for choice in item.all_choices:
        yield f"choice {choice.code}", choice.label
    for low, high, label in item.anchors:
        yield f"anchor {low}-{high}", label


def check_instrument(instrument: Instrument) -> list[Finding]:
    """Every family-facing English text of ``instrument`` above the limit; exempt items' findings
    carry the exemption's reason."""
    exemption = EXEMPT_ITEMS.get(instrument.id)
    findings = []
    for passage in family_passages(instrument):
        reason = exemption.reason if exemption and passage.item_id in exemption.items else ""
        for problem in problems(passage.text):
            findings.append(Finding(instrument.path, passage.where, passage.text, problem, reason))
    return findings


def exempt_items(instrument: Instrument) -> list[str]:
    """The ids of ``instrument``'s items whose wording is kept whatever it grades."""
    exemption = EXEMPT_ITEMS.get(instrument.id)
    return [item.id for item in instrument.items if exemption and item.id in exemption.items]


def check_strings(source: str, strings: Iterable[tuple[str, str]]) -> list[Finding]:
    """Findings for interface strings, given as ``(where, English text)`` pairs from ``source``."""
    return [Finding(source, where, text, problem) for where, text in strings for problem in problems(text)]


def latest_versions(instruments: Iterable[Instrument]) -> list[Instrument]:
    """The latest version of each instrument, by id. Only these are checked: a published version
    never changes, so new wording goes in a new version and earlier ones stay as they were asked."""
    latest: dict[str, Instrument] = {}
    for instrument in instruments:
        if instrument.id not in latest or instrument.version > latest[instrument.id].version:
            latest[instrument.id] = instrument
    return [latest[instrument_id] for instrument_id in sorted(latest)]


def report_lines(instruments: Iterable[Instrument]) -> list[str]:
    """What ``flask instruments check`` prints about the latest versions: a warning for each text
    above the limit, a note for each exempt one, and a note naming each instrument's exempt items."""
    lines = []
    for instrument in latest_versions(instruments):
        for finding in check_instrument(instrument):
            lines.append(f"{'note' if finding.exempt else 'warning'}: plain words: {finding}")
        kept = exempt_items(instrument)
        if kept:
            lines.append(f"note: plain words: {instrument.path}: {len(kept)} item(s) exempt "
                         f"({', '.join(kept)}): {EXEMPT_ITEMS[instrument.id].reason}")
    return lines


#: The interface files whose strings families read (globs from the project root, with the way
#: Babel extracts them): the survey pages, error pages and every text message.
#: The family catalogue's extraction map: the files whose marked strings families read (survey
#: pages, error pages, texts, emails). Staff pages are in the staff catalogue (``staff.cfg``).
FAMILY_CATALOGUE_MAP = "translations/babel.cfg"
#: The gettext functions the project marks strings with (as in the Babel configuration).
GETTEXT_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}


def interface_strings(root: Path | str) -> Iterator[tuple[str, str, str]]:
    """``(file, where, English text)`` for every marked string of the family catalogue (both
    forms of a plural), found as ``pybabel extract`` finds them. Needs Babel and Jinja2."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = Path(root)
    with (root / FAMILY_CATALOGUE_MAP).open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    for name, line, message, _comments, _context in extract_from_dir(
            str(root), method_map, options_map, keywords=GETTEXT_KEYWORDS):
        for text in (message,) if isinstance(message, str) else message:
            if text:
                yield name, f"line {line}", text


def check_interface(root: Path | str) -> list[Finding]:
    """Findings for every family-facing interface string under the project ``root``."""
    findings = []
    for name, where, text in interface_strings(root):
        findings.extend(check_strings(name, [(where, text)]))
    return findings
