"""Languages added to published instrument versions: ``<id>/languages/<code>.yaml``.

A version file is published and hashed, so a language cannot be written into it afterwards
without making it a different version. A language file carries one language's wording for an
instrument, as pairs of the source (first-language) text and its translation::

    language: pl
    texts:
      - en: "Did you understand what the help was for?"
        pl: "Czy rozumiał(a) Pan/Pani, czemu służyła pomoc?"

Pairs are keyed by the source text rather than by item, so one file serves every version of the
instrument, a text repeated across pages is translated once, and a translator reads sentences,
not ids. A version offers the language only when every respondent-facing text it has is in the
file (``missing_texts`` says which are not: ``flask instruments check`` prints them). Adding a
language or a text leaves every other language's wording, and so its wording hash, unchanged;
revising a translation changes that language's wording hash, which responses keep.

Texts staff read rather than respondents (scale labels in reports) are not asked for: the
version keeps its source wording there. Pure Python, no Flask.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

from .checks import Problem, yaml_problem
from .definition import Instrument
from .loader import InstrumentError, build_instrument
from .yaml_text import parse as parse_yaml

FOLDER = "languages"
#: Top-level parts of a version file that respondents never read (staff-facing report labels).
STAFF_ONLY = ("scales",)
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


@dataclass
class LanguageFile:
    """One language's translations for an instrument: source text → translated text."""

    language: str
    source_language: str
    texts: dict[str, str]
    path: str = ""
    #: Problems that do not stop the file being used (a pair left untranslated, say).
    problems: list[Problem] = field(default_factory=list)


def language_file_paths(instrument_folder: Path) -> list[Path]:
    folder = instrument_folder / FOLDER
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.suffix in (".yaml", ".yml"))


def load_language_file(path: Path, display: str) -> tuple[LanguageFile | None, list[Problem]]:
    """Read one language file; problems name the file and the pair (by number and source text)."""
    try:
        raw = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        return None, [yaml_problem(display, error)]
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(display, "", f"cannot be read ({error})")]
    example = "language: pl, source: en, texts: [{en: ..., pl: ...}]"
    if not isinstance(raw, dict):
        return None, [Problem(display, "", f"must be a mapping: {example}")]
    problems: list[Problem] = []
    unknown = sorted(set(raw) - {"language", "source", "texts", "note"}, key=str)
    if unknown:
        problems.append(Problem(display, "", f"unknown field(s) {', '.join(map(str, unknown))}; a language file has {example}"))
    language = raw.get("language")
    stem = path.stem
    if not isinstance(language, str) or not LANGUAGE_CODE.match(language):
        return None, problems + [Problem(display, "language", f"{language!r} must be a language code such as pl")]
    if language != stem:
        problems.append(Problem(display, "language", f"is '{language}' but the file is named {path.name}; they must match"))
    source = raw.get("source", "en")
    if not isinstance(source, str) or not LANGUAGE_CODE.match(source) or source == language:
        return None, problems + [Problem(display, "source", f"{source!r} must be the code of the language translated from")]
    pairs = raw.get("texts")
    if not isinstance(pairs, list):
        return None, problems + [Problem(display, "texts", f"must be a list of pairs, e.g. - {{{source}: ..., {language}: ...}}")]
    texts: dict[str, str] = {}
    for number, pair in enumerate(pairs, start=1):
        where = f"texts[{number}]"
        if not isinstance(pair, dict) or set(pair) - {source, language, "note"} or source not in pair:
            problems.append(Problem(display, where, f"must be {{{source}: <source text>, {language}: <translation>}}"))
            continue
        original, translated = pair.get(source), pair.get(language)
        if not isinstance(original, str) or not original.strip():
            problems.append(Problem(display, where, f"has no '{source}' text"))
            continue
        original = _normal(original)
        where = f"texts[{number}] {_short(original)!r}"
        if translated is None or (isinstance(translated, str) and not translated.strip()):
            continue  # not yet translated: reported by missing_texts for the versions that need it
        if not isinstance(translated, str):
            problems.append(Problem(display, where, f"the '{language}' text must be text, not {type(translated).__name__}"))
            continue
        translated = _normal(translated)
        if original in texts and texts[original] != translated:
            problems.append(Problem(display, where, "is translated twice, differently; keep one pair"))
            continue
        placeholder = _placeholder_mismatch(original, translated)
        if placeholder:
            problems.append(Problem(display, where, placeholder))
            continue
        texts[original] = translated
    return LanguageFile(language, source, texts, display), problems


def _normal(text: str) -> str:
    # The loader strips each text (checks.text); a pair matches the text as the loader keeps it.
    return text.strip()


def _short(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")


def _placeholder_mismatch(original: str, translated: str) -> str | None:
    wanted, found = sorted(_PLACEHOLDER.findall(original)), sorted(_PLACEHOLDER.findall(translated))
    if wanted != found:
        return (f"placeholders differ: the source has {', '.join(wanted) or 'none'}, "
                f"the translation {', '.join(found) or 'none'}")
    return None


# -- the texts of a version ----------------------------------------------------------------------

def text_nodes(raw: Any, languages: tuple[str, ...], staff: bool = False) -> Iterator[tuple[str, dict]]:
    """Every text of a version file's parsed content as (place, {language: text}).

    A text is a mapping from the version's language codes to strings that has the first language.
    ``staff=False`` skips the parts only staff read (``STAFF_ONLY``); ``staff=True`` gives only
    those. The place names where the text is (``pages.the_help.items.understood_purpose.text``),
    for messages. YAML aliases give the same mapping at two places: both are listed.
    """
    if not isinstance(raw, dict):
        return
    for key, value in raw.items():
        if (key in STAFF_ONLY) != staff:
            continue
        yield from _walk(value, str(key), languages)


def _walk(node: Any, place: str, languages: tuple[str, ...]) -> Iterator[tuple[str, dict]]:
    if isinstance(node, dict):
        if _is_text(node, languages):
            yield place, node
            return
        for key, value in node.items():
            yield from _walk(value, f"{place}.{key}", languages)
    elif isinstance(node, list):
        for index, entry in enumerate(node, start=1):
            name = index
            if isinstance(entry, dict):
                name = entry.get("id", entry.get("code", entry.get("from", index)))
            yield from _walk(entry, f"{place}.{name}", languages)


def _is_text(node: dict, languages: tuple[str, ...]) -> bool:
    return (bool(node) and languages[0] in node and set(node) <= set(languages)
            and all(isinstance(value, str) for value in node.values()))


def source_texts(raw: Any, languages: tuple[str, ...]) -> dict[str, str]:
    """Each respondent-facing source text of a version once, with the first place it is used."""
    texts: dict[str, str] = {}
    for place, node in text_nodes(raw, languages):
        texts.setdefault(_normal(node[languages[0]]), place)
    return texts


def missing_texts(raw: Any, languages: tuple[str, ...], file: LanguageFile) -> dict[str, str]:
    """The version's source texts (with a place each) that ``file`` does not translate."""
    return {text: place for text, place in source_texts(raw, languages).items() if text not in file.texts}


def with_language(raw: dict, languages: tuple[str, ...], file: LanguageFile) -> dict:
    """A copy of a version's content with ``file``'s language added to every text.

    Respondent-facing texts take the translation (all must be there: ``missing_texts`` first);
    staff-only texts keep the source wording, so the copy still validates as a whole.
    """
    merged = copy.deepcopy(raw)
    source = languages[0]
    for _, node in text_nodes(merged, languages):
        node[file.language] = file.texts[_normal(node[source])]
    for _, node in text_nodes(merged, languages, staff=True):
        node.setdefault(file.language, node[source])
    merged["languages"] = [*merged["languages"], file.language]
    return merged


def extend_version(instrument: Instrument, files: list[LanguageFile]
                   ) -> tuple[Instrument, dict[str, dict[str, str]]]:
    """``instrument`` with every language of ``files`` that translates all its texts, and for each
    other language the texts it lacks (text → place). The content hash and ``raw`` stay the
    version file's own: publishing and its guard see the file, not the languages added to it."""
    languages = instrument.languages
    merged: Any = instrument.raw
    added: dict[str, dict[str, str]] = {}
    gaps: dict[str, dict[str, str]] = {}
    for file in files:
        if file.language in languages:
            continue  # written in the version file itself, which wins
        if file.source_language != instrument.languages[0]:
            gaps[file.language] = {"": f"the file translates from '{file.source_language}', but v{instrument.version} "
                                       f"is written in '{instrument.languages[0]}' first"}
            continue
        missing = missing_texts(instrument.raw, instrument.languages, file)
        if missing:
            gaps[file.language] = missing
            continue
        merged = with_language(merged, languages, file)
        languages = (*languages, file.language)
        added[file.language] = {text: file.texts[text] for text in source_texts(instrument.raw, instrument.languages)}
    if not added:
        return instrument, gaps
    try:
        built = build_instrument(merged, instrument.path, path_version=instrument.version, folder=instrument.id)
    except InstrumentError as error:
        # Only a translation can have done it (the version file alone was valid): say which.
        raise InstrumentError([Problem(f"{instrument.path} with {', '.join(added)}", problem.where, problem.message)
                               for problem in error.problems])
    digest = hashlib.sha256(json.dumps(added, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return dataclasses.replace(built, content_hash=instrument.content_hash, raw=instrument.raw,
                               added_wording=added, wording_key=f"{instrument.content_hash}+{digest}"), gaps


# -- files for translators -----------------------------------------------------------------------

def pairs_for(versions: list[Instrument], language: str, existing: LanguageFile | None = None) -> list[tuple[str, str, str]]:
    """(source text, translation or "", where first used) for every respondent-facing text of
    ``versions`` (newest first, so a translator starts with what families see now), each once."""
    seen: dict[str, tuple[str, str, str]] = {}
    for instrument in sorted(versions, key=lambda version: -version.version):
        for text, place in source_texts(instrument.raw, _own_languages(instrument)).items():
            if text not in seen:
                translated = (existing.texts.get(text, "") if existing else "") or ""
                seen[text] = (text, translated, f"v{instrument.version} {place}")
    return list(seen.values())


def _own_languages(instrument: Instrument) -> tuple[str, ...]:
    """The languages of the version file itself (not those added from language files)."""
    return tuple(language for language in instrument.languages if language not in instrument.added_wording)


def language_file_text(instrument_id: str, language: str, source: str,
                       pairs: list[tuple[str, str, str]], header: str = "") -> str:
    """A language file for a translator: every pair, the untranslated ones empty, each with a
    comment saying where the text is used."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    lines += [f"language: {language}", f"source: {source}", "texts:"]
    for text, translated, place in pairs:
        lines.append(f"  # {instrument_id} {place}")
        lines.append(f"  - {source}: {_quoted(text)}")
        lines.append(f"    {language}: {_quoted(translated)}")
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    # JSON strings are YAML: one line, every character escaped as YAML reads it back.
    return json.dumps(text, ensure_ascii=False)
