"""Which inbound texts are keywords (STOP, START, HELP) rather than answers. Pure Python.

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
"""
from __future__ import annotations

import unicodedata
from typing import Mapping

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
    if not extra:
        return DEFAULT_KEYWORDS
    table = dict(DEFAULT_KEYWORDS)
    for raw_word, kind in extra.items():
        word = normalise(raw_word)
        if kind not in KINDS:
            raise ValueError(f"SMS keyword {raw_word!r} has kind {kind!r}; use one of {', '.join(KINDS)}")
        if not word:
            raise ValueError(f"SMS keyword {raw_word!r} is empty once spaces and punctuation are removed")
        if table.get(word, kind) != kind:
            raise ValueError(f"SMS keyword {raw_word!r} is already a built-in {table[word]} keyword")
        table[word] = kind
    return table


def from_opt_out_type(value: str | None) -> str | None:
    """The kind for Twilio's ``OptOutType`` parameter (STOP, START, HELP); None if absent or unknown."""
    return OPT_OUT_TYPES.get((value or "").strip().upper())
