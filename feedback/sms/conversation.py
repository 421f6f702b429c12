"""An SMS conversation over one instrument: which question next, how to ask it, what a reply means.

Pure Python: instrument, state and reply in; new state and the text to send out. The caller stores
the state (it turns into a JSON-able dict), saves the answers, and checks a reply for keywords
(``keywords.keyword``) *before* it gets here, so STOP always wins over an answer.

One question per message, kept short for phones: the question, numbered choices (missing codes
such as "Prefer not to say" included), and how to answer where it is not obvious; hints are left
out to save segments. Question and choice wording comes from the instrument in the member's
language (English where a text has none); the fixed wording goes through ``gettext`` and is marked
with ``N_`` so ``pybabel extract`` finds it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import AbstractSet, Any, Callable, Mapping

from ..free_text import clean_free_text
from ..instruments import Instrument, Item
from ..instruments.definition import Choice
from ..survey.navigation import effective_answers
from ..survey.numbers import read_number

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Mark wording for translation; it is translated when used, by the caller's ``gettext``."""
    return message


def untranslated(message: str) -> str:
    """The default ``gettext``: English wording as written."""
    return message


#: Types answered by picking a numbered choice.
MENU_TYPES = ("single_choice", "agreement", "yes_no")
#: Types that can be answered in a text message (the loader refuses the others in SMS mode).
SMS_TYPES = MENU_TYPES + ("scale", "number", "text")

HOW_CHOICE = N_("Reply with the number of your answer.")
HOW_YES_NO = N_("Reply YES or NO, or the number of your answer.")
HOW_NUMBER = N_("Reply with a number from %(min)s to %(max)s.")
HOW_TEXT = N_("Reply with a few words.")
OR_MISSING = N_("Or reply: %(labels)s")
OR_SKIP = N_("Or reply %(skip)s.")
SKIP_WORD = N_("SKIP")
EMPTY = N_("Sorry, your reply was empty.")
NOT_A_CHOICE = N_("Sorry, that is not one of the answers.")
AMBIGUOUS = N_("Sorry, that could be more than one answer.")
NOT_A_NUMBER = N_("Sorry, that is not a number.")
NOT_WHOLE = N_("Sorry, that is not a whole number.")
OUT_OF_RANGE = N_("Sorry, %(number)s is not from %(min)s to %(max)s.")
NO_WORDS = N_("Sorry, we could not find any words in your reply.")
NEEDS_ANSWER = N_("This question needs an answer.")
LEFT_OUT = N_("We have left that question unanswered.")
DONE = N_("Thank you. That was the last question, and your answers are saved.")

#: Whole replies meaning "skip", whatever the language of the prompt.
SKIP_REPLIES = frozenset({"skip", "hepgor", "sgipio"})
# Welsh has no single yes or no: people echo the question's verb (Oes? Oes / Nac oes).
YES_REPLIES = frozenset({"y", "yes", "yeah", "yep", "ie", "oes", "ydy", "ydw", "ydyn", "do", "hoffwn"})
NO_REPLIES = frozenset({"n", "no", "nope", "na", "nac oes", "nac ydy", "nac ydw", "nac ydyn", "naddo", "nage",
                      "na hoffwn", "dim diolch"})
#: Shorter partial replies ("the", "yr") would match too much.
MIN_PARTIAL = 4
#: Longer "numbers" are refused rather than converted (int() of a huge string is slow or raises).
MAX_NUMBER_CHARS = 30
#: Digits with one decimal sign (point or comma) or thousands groups; ``read_number`` decides which.
NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:[,.]\d{3})+|\d+)(?:[.,]\d+)?")


# -- what a reply means -------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    value: int | float | str


@dataclass(frozen=True)
class Skip:
    pass


@dataclass(frozen=True)
class Unclear:
    reason: str  # already translated, written for the member


SKIP = Skip()
Parsed = Answer | Skip | Unclear


def parse_reply(item: Item, body: str | None, language: str, gettext: Gettext = untranslated) -> Parsed:
    """What a reply to ``item`` means. Never raises, whatever the body.

    Accepted: the number shown next to a choice (shown numbers win over codes), a choice's code,
    its label or a distinctive part of it in the member's language, English or the instrument's
    other languages, ignoring case, accents and punctuation; yes/no words in English and Welsh;
    numbers within range ("1,000" but not "1,5", which could mean 1.5 or 15); short text, trimmed
    and cut to the item's ``max_length``. SKIP is accepted only for an optional item.
    """
    text = (body or "").strip()
    if not text:
        return Unclear(gettext(EMPTY))
    words = _words(text)
    if words and (words in SKIP_REPLIES or words == _words(gettext(SKIP_WORD))):
        return SKIP if not item.required else Unclear(gettext(NEEDS_ANSWER))
    if item.type in MENU_TYPES:
        return _parse_choice(item, text, words, language, gettext)
    if item.type in ("scale", "number"):
        return _parse_number(item, text, words, language, gettext)
    return _parse_text(item, text, words, language, gettext)


def _parse_choice(item: Item, text: str, words: str, language: str, gettext: Gettext) -> Parsed:
    number = _number(text)
    if number is not None:
        chosen = _by_number(item, number)
        return Answer(chosen.code) if chosen else Unclear(gettext(NOT_A_CHOICE))
    if item.type == "yes_no":
        code = 1 if words in YES_REPLIES else 0 if words in NO_REPLIES else None
        if code is not None and item.choice(code):
            return Answer(code)
    found = _by_label(item.all_choices, words, language)
    if found is None:
        found = _by_key_and_label(item, words, language)
    return _found(found, gettext)


def names_a_choice(item: Item, body: str | None, language: str) -> bool:
    """Whether a whole reply is exactly one of ``item``'s answers by its label (in any of the
    instrument's languages) or word code: such a reply is an answer even when it is also a keyword
    that would otherwise change something (a language's name, ``keywords.language_keyword``)."""
    if item.type not in MENU_TYPES:
        return False
    return isinstance(_by_label(item.all_choices, _words(body or ""), language, partial=False), Choice)


def _by_number(item: Item, number: float) -> Choice | None:
    for key, choice in _menu(item):
        if number == key:
            return choice
    return next((choice for choice in item.all_choices if not isinstance(choice.code, str) and choice.code == number),
                None)


def _by_key_and_label(item: Item, words: str, language: str) -> Choice | None:
    # "1 Better", copied back from the prompt: the number and the label must agree.
    key, _, rest = words.partition(" ")
    for shown, choice in _menu(item):
        if key == str(shown) and _by_label((choice,), rest, language) is choice:
            return choice
    return None


def _parse_number(item: Item, text: str, words: str, language: str, gettext: Gettext) -> Parsed:
    number = _number(text, language)
    if number is None:
        return _found(_by_label(item.missing_codes, words, language), gettext, NOT_A_NUMBER)
    if number in item.missing_code_values:
        return Answer(int(number))
    if not (item.minimum <= number <= item.maximum):
        return Unclear(gettext(OUT_OF_RANGE) % {"number": _plain(number), "min": _plain(item.minimum),
                                                 "max": _plain(item.maximum)})
    if (item.integer or item.type == "scale") and not float(number).is_integer():
        return Unclear(gettext(NOT_WHOLE))
    # Stored as the web form stores it: whole numbers as int, others as float.
    return Answer(int(number) if item.integer or item.type == "scale" else float(number))


def _parse_text(item: Item, text: str, words: str, language: str, gettext: Gettext) -> Parsed:
    # Only a whole label counts as a missing code: "I don't know where to start" is an answer.
    missing = _by_label(item.missing_codes, words, language, partial=False)
    if isinstance(missing, Choice):
        return Answer(missing.code)
    text = clean_free_text(text).strip()
    if not any(char.isalnum() for char in text):
        return Unclear(gettext(NO_WORDS))
    return Answer(text[:item.max_length] if item.max_length else text)


_AMBIGUOUS = object()


def _found(found, gettext: Gettext, otherwise: str = NOT_A_CHOICE) -> Parsed:
    if found is _AMBIGUOUS:
        return Unclear(gettext(AMBIGUOUS))
    return Answer(found.code) if found is not None else Unclear(gettext(otherwise))


def _by_label(choices, words: str, language: str, partial: bool = True):
    """The choice whose label (or word code) the reply names; ``_AMBIGUOUS`` if it names several.

    Exact labels first, in the member's language, then English, then the instrument's other
    languages (people in Wales switch freely); then a distinctive run of whole words from one
    label ("same" for "The same", "beidio" for "Mae'n well gen i beidio â dweud").
    """
    if not words:
        return None
    others = (lang for choice in choices for lang in choice.label.by_language)
    languages = tuple(dict.fromkeys((language, "en", *others)))
    for lang in languages:
        exact = {choice.code: choice for choice in choices if words == _words(choice.label.get(lang))
                 or (isinstance(choice.code, str) and words == _words(choice.code))}
        if exact:
            return next(iter(exact.values())) if len(exact) == 1 else _AMBIGUOUS
    if not partial or len(words) < MIN_PARTIAL:
        return None
    for lang in languages:
        within = {choice.code: choice for choice in choices if f" {words} " in f" {_words(choice.label.get(lang))} "}
        if within:
            return next(iter(within.values())) if len(within) == 1 else _AMBIGUOUS
    return None


def _words(text: str) -> str:
    """Lower case, no accents, apostrophes dropped ("Don't" → "dont"), other punctuation a space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = []
    for char in decomposed:
        if unicodedata.combining(char) or char in "'’‘`´":
            continue
        # Vowel signs of Bengali and other Indic scripts are marks that are part of the word, not
        # accents (they do not combine, so are kept above): without them "বাংলা" would fall apart.
        kept.append(char if char.isalnum() or unicodedata.category(char).startswith("M") else " ")
    return " ".join("".join(kept).split())


def _number(text: str, language: str = "en") -> int | float | None:
    """The number a reply is, allowing "1,000", "3." and "(2)", written as the member's language
    writes numbers ("2,5" in Polish is two and a half: ``survey.numbers``); None if it is
    anything else."""
    cleaned = unicodedata.normalize("NFKC", text).replace("−", "-").strip().strip("().!#")
    if len(cleaned) > MAX_NUMBER_CHARS or not NUMBER.fullmatch(cleaned):
        return None
    try:
        number = read_number(cleaned, language)
    except ValueError:
        return None
    return int(number) if number.is_integer() and "." not in cleaned else number


def _plain(number) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


# -- how to ask ---------------------------------------------------------------------------------

def _menu(item: Item) -> list[tuple[int, Choice]]:
    """The number shown next to each choice of a choice item; scale and number items have none."""
    if item.type not in MENU_TYPES:
        return []
    return list(enumerate(item.all_choices, start=1))


def prompt(item: Item, language: str, reprompt: bool = False, gettext: Gettext = untranslated) -> str:
    """The message asking ``item``; a re-prompt starts by saying how to answer."""
    how = _how_to_answer(item, gettext)
    lines = [how] if reprompt else []
    lines.append(item.text.get(language))
    lines.extend(f"{key} {choice.label.get(language)}" for key, choice in _menu(item))
    lines.extend(f"{low}-{high} {label.get(language)}" for low, high, label in item.anchors)
    if not reprompt and item.type != "single_choice":
        lines.append(how)
    if item.type in ("scale", "number", "text") and item.missing_codes:
        labels = " / ".join(choice.label.get(language) for choice in item.missing_codes)
        lines.append(gettext(OR_MISSING) % {"labels": labels})
    if not item.required:
        lines.append(gettext(OR_SKIP) % {"skip": gettext(SKIP_WORD)})
    return "\n".join(lines)


def _how_to_answer(item: Item, gettext: Gettext) -> str:
    if item.type == "yes_no":
        return gettext(HOW_YES_NO)
    if item.type in ("scale", "number"):
        return gettext(HOW_NUMBER) % {"min": _plain(item.minimum), "max": _plain(item.maximum)}
    if item.type == "text":
        return gettext(HOW_TEXT)
    return gettext(HOW_CHOICE)


# -- the conversation ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ConversationState:
    """Where a conversation has got to. Made by ``start`` and ``advance``; stored as ``to_dict()``.

    ``current`` is the item awaiting a reply (None once complete); ``reprompted`` says the member
    has already had one re-prompt for it; ``skipped`` holds items left unanswered on purpose.
    """

    answers: Mapping[str, Any] = field(default_factory=dict)
    skipped: AbstractSet[str] = frozenset()
    current: str | None = None
    reprompted: bool = False

    def __post_init__(self):
        # Read-only copies, so a state handed out can never change under its holder.
        object.__setattr__(self, "answers", MappingProxyType(dict(self.answers)))
        object.__setattr__(self, "skipped", frozenset(self.skipped))

    @property
    def complete(self) -> bool:
        return self.current is None

    def to_dict(self) -> dict:
        return {"answers": dict(self.answers), "skipped": sorted(self.skipped),
                "current": self.current, "reprompted": self.reprompted}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConversationState:
        """The state ``to_dict`` gave; ``ValueError`` if the stored value is not one."""
        try:
            answers, skipped = dict(data["answers"]), list(data["skipped"])
            current, reprompted = data["current"], data["reprompted"]
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a stored SMS conversation state: {error!r}") from None
        if not (all(isinstance(key, str) for key in answers) and all(isinstance(key, str) for key in skipped)
                and (current is None or isinstance(current, str)) and isinstance(reprompted, bool)):
            raise ValueError("not a stored SMS conversation state: wrong types")
        return cls(answers, frozenset(skipped), current, reprompted)


@dataclass(frozen=True)
class Step:
    state: ConversationState
    message: str | None  # the text to send back; None when there is nothing to say
    complete: bool


def next_item(instrument: Instrument, answers: Mapping[str, Any], skipped: AbstractSet[str]) -> Item | None:
    """The next question to text, in page order: askable by SMS, shown given the answers so far
    (the web flow's own visibility rules), and neither answered nor skipped. None when done."""
    # ``navigation.visible_items`` for each page, with the visible answers worked out once rather
    # than once per page (they do not depend on the page; issue 24).
    effective = effective_answers(instrument, answers)
    for page in instrument.pages:
        for item in page.visible_items(effective):
            if item.sms and item.type in SMS_TYPES and item.id not in answers and item.id not in skipped:
                return item
    return None


def start(instrument: Instrument, language: str, gettext: Gettext = untranslated) -> Step:
    """The first question (or, if there is nothing to ask by SMS, the closing message)."""
    return _move_on(instrument, ConversationState(), language, gettext)


def advance(instrument: Instrument, state: ConversationState, body: str | None, language: str,
            gettext: Gettext = untranslated) -> Step:
    """Take one reply to the current question and say what to send next.

    An answer is recorded and the next shown question is asked. An unclear reply gets one
    re-prompt that explains how to answer. A second unclear reply leaves an optional question
    unanswered and moves on, so nobody is stuck on a question they may leave; a required question
    is asked again instead, because a required item can never be left missing — the response
    could not then be completed — and the member always has a way out through the missing codes
    offered (such as "Prefer not to say") or STOP. SKIP on a required question is refused the same
    way. A reply after the end changes nothing and sends nothing. A state from another
    instrument raises ``KeyError``.
    """
    if state.current is None:
        return Step(state, None, True)
    item = instrument.item(state.current)
    parsed = parse_reply(item, body, language, gettext)
    if isinstance(parsed, Answer):
        return _move_on(instrument, replace(state, answers={**state.answers, item.id: parsed.value}), language, gettext)
    if isinstance(parsed, Skip):
        return _move_on(instrument, replace(state, skipped=state.skipped | {item.id}), language, gettext)
    if state.reprompted and not item.required:
        return _move_on(instrument, replace(state, skipped=state.skipped | {item.id}), language, gettext,
                        preface=gettext(LEFT_OUT))
    message = f"{parsed.reason}\n{prompt(item, language, reprompt=True, gettext=gettext)}"
    return Step(replace(state, reprompted=True), message, False)


def _move_on(instrument: Instrument, state: ConversationState, language: str, gettext: Gettext,
             preface: str | None = None) -> Step:
    item = next_item(instrument, state.answers, state.skipped)
    if item is None:
        message, state = gettext(DONE), replace(state, current=None, reprompted=False)
    else:
        message, state = prompt(item, language, gettext=gettext), replace(state, current=item.id, reprompted=False)
    return Step(state, f"{preface}\n{message}" if preface else message, item is None)
