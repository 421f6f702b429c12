"""Which inbound texts are keywords (STOP, START, HELP, a language's name) rather than answers.
Pure Python: no app needed.

Like Twilio, only a whole message is a keyword: "Stop", " stop. " and "STOP!" opt out, but "please
stop texting me" does not, so a survey answer that merely contains a keyword is never mistaken
for one. Case, surrounding whitespace and surrounding punctuation are ignored.

YES is both Twilio's opt-in keyword and an answer to every yes/no question, so it (and the Welsh
IE) counts as opting in only for a number that is currently opted out: pass ``opted_out=True``.
For anyone else it falls through to the conversation as an answer. START and UNSTOP are never
answers, so they always opt in.

Welsh: Welsh-language services usually tell people to reply STOP, which works as it is, but people
who write in Welsh may use the Welsh word. We add a small set, each a single word that mirrors one
of Twilio's English defaults and is unlikely to be a whole reply to a question:

* opt out: STOPIO ("to stop"), DIWEDD ("end"), CANSLO ("cancel");
* opt in: DECHRAU ("start"), and IE ("yes") under the same rule as YES;
* help: CYMORTH ("help"), GWYBODAETH ("information").

Twilio itself acts only on its English defaults (and on words added to a Messaging Service's
Advanced Opt-Out settings), so the app must record a Welsh opt-out itself and stop sending; add the
words to Advanced Opt-Out too if Twilio should block messages as well. A service may recognise
more words through ``extra``, e.g. ``{"NA MWY": "opt_out"}``.

Language keywords: a whole message naming one of the app's languages ("POLSKI", "Română",
"URDU", "اردو", "BENGALI", "Soomaali", "CYMRAEG", "ENGLISH") asks for texts in that language.
The names are data, not a list here: each language's name in itself and in English (Babel's
locale data), plus the few older English names CLDR has since replaced (``OTHER_NAMES``), folded
for case and accents so "ROMANA" and "română" both count. Precedence, in ``inbound.handle``:
STOP, START and HELP first (so "STOP" can never change anything else), then a language keyword,
then an answer to the waiting question. Only a whole message is a language keyword ("Polski
please" is an answer or an unclear reply), and a language name that is itself one of the waiting
question's answers ("English" for "Which language do you speak at home?") is taken as that answer.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from types import MappingProxyType
from typing import Iterable, Mapping

from babel import Locale, UnknownLocaleError

from ..languages import language_name

KINDS = ("opt_out", "opt_in", "help")

DEFAULT_KEYWORDS: Mapping[str, str] = {
    **dict.fromkeys(("stop", "stopall", "unsubscribe", "cancel", "end", "quit"), "opt_out"),
    **dict.fromkeys(("start", "unstop", "yes"), "opt_in"),
    **dict.fromkeys(("help", "info"), "help"),
    # Welsh, see the module docstring.
    **dict.fromkeys(("stopio", "diwedd", "canslo"), "opt_out"),
    **dict.fromkeys(("dechrau", "ie"), "opt_in"),
    **dict.fromkeys(("cymorth", "gwybodaeth"), "help"),
}
#: Opt-in words that are also answers to yes/no questions: keywords only when opted out.
ANSWER_LIKE_OPT_IN = frozenset({"yes", "ie"})

#: Twilio's ``OptOutType`` webhook parameter, sent when its Advanced Opt-Out acted on a message.
OPT_OUT_TYPES: Mapping[str, str] = {"STOP": "opt_out", "START": "opt_in", "HELP": "help"}


def normalise(body: str) -> str:
    """Folded to one case and width, trimmed of whitespace and punctuation at either end."""
    text = unicodedata.normalize("NFKC", body).casefold()
    start, end = 0, len(text)
    while start < end and _is_trim(text[start]):
        start += 1
    while end > start and _is_trim(text[end - 1]):
        end -= 1
    # Inner runs of whitespace count as one space, so "STOP  ALL" cannot differ from "stop all".
    return " ".join(text[start:end].split())


def _is_trim(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def keyword(body: str | None, extra: Mapping[str, str] | None = None, *, opted_out: bool = False) -> str | None:
    """'opt_out', 'opt_in', 'help' or None for an inbound message body.

    ``extra`` maps more words to a kind; it may not give a built-in word a different kind
    (Twilio would still act on the built-in meaning) and raises ``ValueError`` if it tries, or
    names a kind that does not exist. YES and IE are opt-in only when ``opted_out`` is true.
    """
    word = normalise(body or "")
    if not word:
        return None
    kind = _table(extra).get(word)
    if kind == "opt_in" and word in ANSWER_LIKE_OPT_IN and not opted_out:
        return None
    return kind


def _table(extra: Mapping[str, str] | None) -> Mapping[str, str]:
    # Built once per set of extra words (the service's configuration, the same on every text),
    # not on every text; a table with a refused word is never built, so it raises every time.
    return _table_with(tuple(extra.items())) if extra else DEFAULT_KEYWORDS


@lru_cache(maxsize=8)
def _table_with(extra: tuple[tuple[str, str], ...]) -> Mapping[str, str]:
    table = dict(DEFAULT_KEYWORDS)
    for raw_word, kind in extra:
        word = normalise(raw_word)
        if kind not in KINDS:
            raise ValueError(f"SMS keyword {raw_word!r} has kind {kind!r}; use one of {', '.join(KINDS)}")
        if not word:
            raise ValueError(f"SMS keyword {raw_word!r} is empty once spaces and punctuation are removed")
        if table.get(word, kind) != kind:
            raise ValueError(f"SMS keyword {raw_word!r} is already a built-in {table[word]} keyword")
        table[word] = kind
    return MappingProxyType(table)  # shared by every text: read-only


def from_opt_out_type(value: str | None) -> str | None:
    """The kind for Twilio's ``OptOutType`` parameter (STOP, START, HELP); None if absent or unknown."""
    return OPT_OUT_TYPES.get((value or "").strip().upper())


#: English names for a language that CLDR (and so Babel) has since replaced but people still use.
OTHER_NAMES: Mapping[str, tuple[str, ...]] = {"bn": ("Bengali",)}


def folded(body: str) -> str:
    """``normalise``, and without accents: "ROMÂNĂ", "Română" and "romana" are one word."""
    decomposed = unicodedata.normalize("NFKD", normalise(body))
    return unicodedata.normalize("NFC", "".join(char for char in decomposed if not unicodedata.combining(char)))


def language_keyword(body: str | None, languages: Iterable[str]) -> str | None:
    """The code of the language a whole message names ("POLSKI" → "pl"), among ``languages``
    (the app's); None when it names none of them, or a language the app does not speak."""
    word = folded(body or "")
    return _language_table(tuple(languages)).get(word) if word else None


@lru_cache(maxsize=8)
def _language_table(languages: tuple[str, ...]) -> Mapping[str, str]:
    table: dict[str, str] = {}
    clashes: set[str] = set()
    for code in languages:
        names = {language_name(code), _english_name(code), *OTHER_NAMES.get(code, ())}
        for name in filter(None, names):
            word = folded(name)
            if not word or word in DEFAULT_KEYWORDS:
                continue  # never a second meaning for STOP, HELP and the rest
            if table.get(word, code) != code:
                clashes.add(word)  # two languages share a name: it means neither
            table[word] = code
    return {word: code for word, code in table.items() if word not in clashes}


def _english_name(code: str) -> str | None:
    try:
        return Locale.parse(code).get_display_name("en")
    except (UnknownLocaleError, ValueError):
        return None
