"""The shape of a validated instrument version.

These objects are built only by ``loader.load_instrument`` from a YAML file that has passed
validation, so code that receives one may trust it: every referenced item exists, every text
has every declared language, every scale's items share one numeric range.  Pure Python: no
Flask, no database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

#: Roles a respondent may hold; ``family_member`` means anyone in the family (see ``min_age``).
RESPONDENT_ROLES = ("parent_carer", "young_person", "child", "family_member", "practitioner", "partner_staff")
MODES = ("web", "sms", "interview")
ITEM_TYPES = (
    "single_choice", "multiple_choice", "agreement", "scale", "yes_no",
    "number", "date", "text", "long_text",
)
#: Types whose answer is free text, which may hold anything (names, numbers): exports drop or scrub it.
FREE_TEXT_TYPES = ("text", "long_text")
#: Types whose answer is one code picked from a list, so a condition can test it.
CHOICE_TYPES = ("single_choice", "agreement", "yes_no", "scale")
#: Types whose answer is a number that a scale can score.
NUMERIC_TYPES = ("single_choice", "agreement", "yes_no", "scale", "number")

#: The system-wide missing code for "not collected": the item was never asked (an import whose
#: file has no column for it), as opposed to an instrument's own codes such as -8 "not known",
#: which say the question was asked. Reserved: no instrument may declare it. -6 because the shipped
#: instruments use -9, -8 and -7, and a run of codes (-9 to -6) is one SPSS missing range.
NOT_COLLECTED = -6
NOT_COLLECTED_LABEL = "Not collected"
#: Items whose answer is a code or number, which can hold ``NOT_COLLECTED``; text, dates and
#: ticked lists have no codes, so an item of theirs that was not collected is simply left empty.
CODED_TYPES = NUMERIC_TYPES
#: Rules by which an import may compute an item it was not given (``derive`` in the file).
DERIVATION_RULES = ("higher_than_entry", "point_of_wave")
#: Kinds of reliability coefficient a scale's ``reliability`` may name (version file or sidecar).
RELIABILITY_KINDS = ("alpha", "omega", "test-retest", "split-half", "inter-rater", "other")
#: Which way is improvement on a scale (``better``).
DIRECTIONS = ("higher", "lower")


@dataclass(frozen=True)
class Text:
    """A text in every declared language, e.g. ``Text({"en": "Yes", "cy": "Ie"})``."""

    by_language: Mapping[str, str]

    def get(self, language: str, fallback: str = "en") -> str:
        if language in self.by_language:
            return self.by_language[language]
        if fallback in self.by_language:
            return self.by_language[fallback]
        return next(iter(self.by_language.values()))


@dataclass(frozen=True)
class Choice:
    code: int | str
    label: Text
    #: A missing-data code such as "prefer not to say": stored, but never scored.
    missing: bool = False


@dataclass(frozen=True)
class Condition:
    """Show an item only when an earlier item's answer matches.

    ``codes`` is the set of answers that show the item (``equals`` and ``in`` both become a set);
    with ``negate`` the item shows when the answer is *not* among them.  For a multiple-choice
    item the condition holds when any ticked code is among ``codes``.
    """

    item_id: str
    codes: frozenset
    negate: bool = False

    def holds(self, answers: Mapping[str, Any]) -> bool:
        answer = answers.get(self.item_id)
        if answer is None or answer == NOT_COLLECTED:
            # An unanswered (or not collected) item matches nothing; a "not in" condition is still
            # false so that a follow-on question never appears on the strength of a skipped one.
            return False
        ticked = set(answer) if isinstance(answer, (list, tuple, set)) else {answer}
        matched = bool(ticked & self.codes)
        return not matched if self.negate else matched


@dataclass(frozen=True)
class Derivation:
    """How an import computes an item its file has no column for (``derive`` in the file):
    ``rule`` is one of ``DERIVATION_RULES``; ``source`` the item it reads, if the rule reads one."""

    rule: str
    source: str | None = None


@dataclass(frozen=True)
class Item:
    id: str
    type: str
    text: Text
    hint: Text | None = None
    required: bool = True
    choices: tuple[Choice, ...] = ()
    missing_codes: tuple[Choice, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = True
    max_length: int | None = None
    identifying: bool = False
    sms: bool = True
    conditions: tuple[Condition, ...] = ()
    #: For ``scale`` items: descriptions of bands of steps, e.g. 1–2 "stuck".
    anchors: tuple[tuple[int, int, Text], ...] = ()
    earliest: date | None = None
    latest_today: bool = False
    #: The instrument's own words for "this needs an answer" (``error`` in the file); without it
    #: the survey says what to do from the item's type, e.g. "Enter a number between 0 and 10".
    error: Text | None = None
    derive: Derivation | None = None

    def is_visible(self, answers: Mapping[str, Any]) -> bool:
        # Most items have no condition, and a page asks for every item several times (issue 24).
        return not self.conditions or all(condition.holds(answers) for condition in self.conditions)

    @property
    def all_choices(self) -> tuple[Choice, ...]:
        """The item's answer choices followed by the missing codes it allows."""
        return self.choices + self.missing_codes

    def choice(self, code) -> Choice | None:
        for choice in self.all_choices:
            if choice.code == code:
                return choice
        return None

    @property
    def missing_code_values(self) -> frozenset:
        return frozenset(choice.code for choice in self.missing_codes)


@dataclass(frozen=True)
class Page:
    """A section of the instrument. Each of its items is a screen of its own, unless the file says
    ``together: true`` (a short grid of statements sharing one scale), when the page is one screen."""

    id: str
    items: tuple[Item, ...]
    title: Text | None = None
    intro: Text | None = None
    together: bool = False

    def visible_items(self, answers: Mapping[str, Any]) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.is_visible(answers))


@dataclass(frozen=True)
class Band:
    id: str
    minimum: float
    maximum: float
    label: Text


@dataclass(frozen=True)
class Cutoff:
    value: float
    direction: str  # "at_or_above" or "at_or_below"
    label: Text

    def flags(self, score: float) -> bool:
        return score >= self.value if self.direction == "at_or_above" else score <= self.value


@dataclass(frozen=True)
class StatedReliability:
    """A scale's reliability as its version file states it (``reliability:`` inside the scale):
    the coefficient in (0, 1], its kind (one of ``RELIABILITY_KINDS``) and where it comes from."""

    value: float
    source: str
    kind: str | None = None


@dataclass(frozen=True)
class Scale:
    id: str
    label: Text
    items: tuple[str, ...]
    method: str  # "mean" or "sum"
    reverse: frozenset = frozenset()
    min_answered: float = 1.0
    #: The lowest and highest scorable answer of every item in the scale.
    low: float = 0
    high: float = 0
    cutoff: Cutoff | None = None
    bands: tuple[Band, ...] = ()
    #: The reliability the version file gives; a reviewed ``reliability.yaml`` entry overrides it
    #: (``reliability.reliability_of``). ``None``: alpha is computed from the first wave.
    reliability: StatedReliability | None = None
    #: ``higher`` or ``lower``: which way is improvement; ``None`` to take it from the cut-off.
    better: str | None = None


@dataclass(frozen=True)
class Respondent:
    role: str
    min_age: int | None = None
    max_age: int | None = None


@dataclass(frozen=True)
class Instrument:
    id: str
    version: int
    title: Text
    description: Text
    languages: tuple[str, ...]
    estimated_minutes: int
    source: str
    respondents: tuple[Respondent, ...]
    modes: tuple[str, ...]
    pages: tuple[Page, ...]
    scales: tuple[Scale, ...] = ()
    content_hash: str = ""
    path: str = ""
    #: The parsed YAML, kept so a published version can be stored and re-read exactly.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: Languages added from language files (``language_files``): language → {source text: its
    #: translation}, for this version's texts only. The content hash names the version file alone.
    added_wording: Mapping[str, Mapping[str, str]] = field(default_factory=dict, compare=False, repr=False)
    #: Set with ``added_wording``: the content hash and a digest of the added words, which can
    #: change while the version file cannot. Caches of built pages and wording hashes use it.
    wording_key: str = field(default="", compare=False, repr=False)

    @property
    def texts_key(self) -> str:
        return self.wording_key or self.content_hash

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for page in self.pages for item in page.items)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def page_index(self, page_id: str) -> int:
        for index, page in enumerate(self.pages):
            if page.id == page_id:
                return index
        raise KeyError(page_id)

    @property
    def key(self) -> tuple[str, int]:
        return (self.id, self.version)
