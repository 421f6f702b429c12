"""Whether each language of each instrument version has been checked: ``<id>/translations.yaml``.

Kept beside the version files rather than in them, because a version file's content is published
and hashed: a translator's review, which comes later, must not change what a response says it
answered.  The file maps version → language → status::

    1:
      en: {status: source}
      cy: {status: reviewed, reviewed_by: "A. Jones, Welsh translator", reviewed_on: 2026-11-30}

A language not listed is ``source`` if it is the version's first language, else ``draft``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterable

import yaml

from .checks import Problem, yaml_problem
from .definition import Instrument
from .yaml_text import parse as parse_yaml

SIDECAR = "translations.yaml"
#: ``source``: the wording as written; ``draft``: translated by the team, not checked by a qualified
#: translator; ``reviewed``: checked by one (who and when are then required).
STATUSES = ("source", "draft", "reviewed")
FIELDS = {"status", "reviewed_by", "reviewed_on", "note", "wording_hash"}


@dataclass(frozen=True)
class TranslationStatus:
    status: str
    reviewed_by: str | None = None
    reviewed_on: date | None = None
    note: str | None = None
    #: The wording hash the reviewer checked (``flask instruments list`` prints it). A language
    #: file revised since makes a new wording; responses answered in any other wording are not
    #: counted as reviewed (``covers``).
    wording_hash: str | None = None

    def covers(self, wording_hash: str | None) -> bool:
        """Whether a response answered in ``wording_hash`` was answered in reviewed wording."""
        if self.status != "reviewed":
            return False
        return self.wording_hash is None or self.wording_hash == wording_hash


def default_status(instrument: Instrument, language: str) -> TranslationStatus:
    return TranslationStatus("source" if language == instrument.languages[0] else "draft")


def load_translation_statuses(path: Path, display: str, versions: Iterable[Instrument],
                              ) -> tuple[dict[tuple[str, int, str], TranslationStatus], list[Problem]]:
    """Every language of ``versions`` (one instrument's valid versions) with its status, and the
    problems of the sidecar at ``path``, each naming the file and the version and language."""
    versions = {instrument.version: instrument for instrument in versions}
    statuses = {(instrument.id, instrument.version, language): default_status(instrument, language)
                for instrument in versions.values() for language in instrument.languages}
    if not path.exists():
        return statuses, []
    problems: list[Problem] = []
    try:
        raw = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        return statuses, [yaml_problem(display, error)]
    except (OSError, UnicodeDecodeError) as error:
        return statuses, [Problem(display, "", f"cannot be read ({error})")]
    if raw is None:
        return statuses, []
    if not isinstance(raw, dict):
        return statuses, [Problem(display, "", "must map each version number to its languages, e.g. 1: {cy: {status: draft}}")]
    for version, languages in raw.items():
        instrument = versions.get(version) if isinstance(version, int) and not isinstance(version, bool) else None
        if instrument is None:
            problems.append(Problem(display, f"version {version!r}", "is not a valid version in this folder; "
                                    f"the versions are {', '.join(map(str, sorted(versions))) or 'none'}"))
            continue
        if not isinstance(languages, dict):
            problems.append(Problem(display, f"version {version}", "must map each language code to its status"))
            continue
        for language, entry in languages.items():
            where = f"version {version} language {language!r}"
            if language not in instrument.languages:
                problems.append(Problem(display, where, f"is not a language of {instrument.id} v{version}, "
                                        f"which has {', '.join(instrument.languages)}"))
                continue
            status = _status(entry, instrument, language, display, where, problems)
            if status is not None:
                statuses[(instrument.id, version, language)] = status
    return statuses, problems


def _status(entry: Any, instrument: Instrument, language: str, display: str, where: str,
            problems: list[Problem]) -> TranslationStatus | None:
    def problem(message: str) -> None:
        problems.append(Problem(display, where, message))

    if not isinstance(entry, dict):
        problem(f"must be a mapping such as {{status: draft}}, not {entry!r}")
        return None
    unknown = set(entry) - FIELDS
    if unknown:
        problem(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; allowed: {', '.join(sorted(FIELDS))}")
        return None
    status = entry.get("status")
    if status not in STATUSES:
        problem(f"status {status!r} must be one of {', '.join(STATUSES)}")
        return None
    source = instrument.languages[0]
    if (status == "source") != (language == source):
        problem(f"only the first language ({source}) is the source, and it is always 'source'")
        return None
    reviewed_by, reviewed_on, note = entry.get("reviewed_by"), entry.get("reviewed_on"), entry.get("note")
    if status == "reviewed":
        if not isinstance(reviewed_by, str) or not reviewed_by.strip():
            problem("a reviewed translation needs reviewed_by: the qualified translator who checked it")
            return None
        if not isinstance(reviewed_on, date) or reviewed_on > date.today():
            problem(f"a reviewed translation needs reviewed_on: the date it was checked, e.g. 2026-11-30, "
                    f"not {reviewed_on!r}")
            return None
    elif reviewed_by is not None or reviewed_on is not None:
        problem(f"a {status} translation has not been reviewed: remove reviewed_by and reviewed_on, "
                "or set status: reviewed")
        return None
    if note is not None and not isinstance(note, str):
        problem("note must be text")
        return None
    reviewed_hash = entry.get("wording_hash")
    if reviewed_hash is not None:
        from .wording import wording_hash

        current = wording_hash(instrument, language)
        if status != "reviewed":
            problem("wording_hash records the wording a reviewer checked: only for status: reviewed")
            return None
        if reviewed_hash != current:
            problem(f"wording_hash {str(reviewed_hash)[:12]}… is not the {language} wording of v{instrument.version} "
                    f"now ({current[:12]}…): the translation changed after its review; have it reviewed again")
            return None
    return TranslationStatus(status, reviewed_by, reviewed_on, note, reviewed_hash)
