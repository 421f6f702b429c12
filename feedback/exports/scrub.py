"""Scrubbing free-text answers before they leave the service: contact details and known names.

Free text is dropped from exports by default; a profile may ask for it scrubbed instead. Each
thing found is replaced with a placeholder (``[phone]``, ``[email]``, ``[postcode]``, ``[url]``,
``[date]``, ``[ni number]``, ``[name]``) so a reader can still follow the sentence. Scrubbing errs towards removing too
much: a misplaced ``[phone]`` costs a little meaning, a missed number can identify a family.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import phonenumbers

PLACEHOLDERS = ("[phone]", "[email]", "[postcode]", "[url]", "[date]", "[ni number]", "[name]")
_PLACEHOLDER = re.compile("(" + "|".join(re.escape(p) for p in PLACEHOLDERS) + ")")

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# A scheme (https://, ftp://) or a bare www. address, up to the next space; closing punctuation
# is left outside the match so "see https://x.example/y." keeps its full stop. URLs go first, so
# an address with a user ("https://jo@host/…") goes whole; "www." after an "@" is an email's.
_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|(?<![@\w.])www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]'’]", re.IGNORECASE)
# Full UK postcodes only (outward and inward parts, "SW1A 1AA", "sw1a1aa"); a lone district such
# as "M1" or "B12" is too often something else. Letters follow Royal Mail's allowed positions.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR\s*0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][A-HJKMNPR-Y0-9]?\s*[0-9][ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# A full date (day, month and year) may be a date of birth: 14/03/1985, 14-3-85, 14.03.1985,
# 1985-03-14, 14 March 1985, March 14th, 1985. Which dates are births cannot be told, so every full
# date goes; a month and year alone ("March 2024") stays.
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
           r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DATE = re.compile(
    r"(?<![\w/.-])(?:"
    r"(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:\d{4}|\d{2})"         # 14/03/1985, 14-3-85
    r"|\d{4}[/.-](?:0?[1-9]|1[0-2])[/.-](?:0?[1-9]|[12]\d|3[01])"                  # 1985-03-14
    rf"|(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+\d{{4}}"  # 14 March 1985
    rf"|{_MONTHS}\.?\s+(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?,?\s+\d{{4}}"          # March 14th, 1985
    r")(?![\w/])",
    re.IGNORECASE,
)
# A National Insurance number: two letters, six digits and A to D, with any spacing ("AB 12 34 56
# C", "ab123456c"). Any two letters, not only the prefixes HMRC issues: a mistyped number (or the
# "QQ" of HMRC's own examples) identifies as well.
_NI_NUMBER = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}(?:\s*\d){6}\s*[A-D](?![A-Za-z0-9])", re.IGNORECASE)
# A phone number that the numbering plan does not list as valid (a drama or unallocated range,
# a typo) is still removed when it has a national number's length; shorter runs are more often
# scores, times or years.
_MIN_PHONE_DIGITS = 10
# Scrubbing repeats until nothing changes, so a second scrub finds nothing. Every replacement
# removes digits, an "@", a "://" or the letters of a known string and adds none, so a handful
# of passes always settles; the cap only guards against a mistake in that reasoning.
_MAX_PASSES = 8
_APOSTROPHE = re.compile("['’]")

Replacer = Callable[[str], tuple[str, int]]


def scrub(text: str, known: Iterable[str] = ()) -> tuple[str, int]:
    """The text with contact details and ``known`` strings replaced, and how many replacements.

    ``known`` holds what the service holds for this family: names, phone numbers, case
    references. They are matched case-insensitively as whole words (so "Ann" does not touch
    "Annual"), longest first, with any spacing between words; numbers are also matched with any
    spacing between digits. Strings shorter than two characters are ignored. Never raises on a
    string; text that is not a string is refused.
    """
    if not isinstance(text, str):
        raise TypeError(f"only text can be scrubbed, not {type(text).__name__}")
    replacers = [_urls, _emails, _ni_numbers, _dates, _phones, _postcodes]
    names = _known_pattern(known)
    if names is not None:
        replacers.append(_substitute(names, "[name]"))
    total = 0
    for _ in range(_MAX_PASSES):
        changed = 0
        for replace in replacers:
            text, count = _outside_placeholders(text, replace)
            changed += count
        total += changed
        if not changed:
            break
    return text, total


def _outside_placeholders(text: str, replace: Replacer) -> tuple[str, int]:
    # Placeholders are left alone, so a known name such as "Name" cannot turn "[name]" into
    # "[[name]]". They begin and end with brackets, so word boundaries are unchanged by the split.
    parts = _PLACEHOLDER.split(text)
    total = 0
    for i in range(0, len(parts), 2):  # odd positions are the placeholders themselves
        if parts[i]:
            parts[i], count = replace(parts[i])
            total += count
    return "".join(parts), total


def _substitute(pattern: re.Pattern, placeholder: str) -> Replacer:
    def replace(text: str) -> tuple[str, int]:
        return pattern.subn(placeholder, text)
    return replace


_emails = _substitute(_EMAIL, "[email]")
_urls = _substitute(_URL, "[url]")
_postcodes = _substitute(_POSTCODE, "[postcode]")
_dates = _substitute(_DATE, "[date]")
_ni_numbers = _substitute(_NI_NUMBER, "[ni number]")


def _phones(text: str) -> tuple[str, int]:
    # Region GB: numbers written without a country code are read as UK numbers; numbers with
    # one (+33 …, 00 353 …) are found whatever their country.
    found = [
        (match.start, match.end)
        for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE)
        if phonenumbers.is_valid_number(match.number)
        or sum(ch.isdigit() for ch in match.raw_string) >= _MIN_PHONE_DIGITS
    ]
    for start, end in reversed(found):
        text = text[:start] + "[phone]" + text[end:]
    return text, len(found)


def _known_pattern(known: Iterable[str]) -> re.Pattern | None:
    strings = [k.strip() for k in known if isinstance(k, str)]
    # A full name held for the family is also found as a first name or a surname alone.
    parts = [word for k in strings if len(k.split()) > 1 and not any(ch.isdigit() for ch in k) for word in k.split()]
    alternatives = {_known_alternative(k) for k in strings + parts if len(k) >= 2}
    if not alternatives:
        return None
    # Longest first: an alternation takes the first that matches, so "Rhys ap Gruffydd" must be
    # tried before "Rhys" or the surname would be left behind.
    ordered = sorted(alternatives, key=lambda alt: (-alt[0], alt[1]))
    body = "|".join(pattern for _, pattern in ordered)
    # Look-arounds rather than \b, so strings that begin or end with "+" or ")" still match.
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def _known_alternative(value: str) -> tuple[int, str]:
    value = value.strip()
    digits = [ch for ch in value if ch.isdigit()]
    if len(digits) >= 6 and re.fullmatch(r"[\d\s()+.\-]+", value):
        # A number the service holds, found however it was typed: "07911123456", "07911 123 456".
        return len(value), r"[\s().\-]*".join(re.escape(d) for d in digits)
    if digits:
        # A reference such as a case number, however it was typed: "FS-2024-0193", "fs 2024 0193",
        # "FS2024/0193". Its letters and digits in order, anything but letters and digits between.
        runs = re.findall(r"[A-Za-z]+|\d+", value)
        return len(value), r"[\s\-/_.#:]*".join(re.escape(run) for run in runs)
    words = value.split()
    # Any run of spaces between words, and either apostrophe (O'Brien, O’Brien).
    return len(value), r"\s+".join(_APOSTROPHE.sub("['’]", re.escape(w)) for w in words)
