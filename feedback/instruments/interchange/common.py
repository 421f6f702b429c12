"""What the XLSForm and REDCap translations share: where a thing could not be carried over,
the result of an import, language names and writing the version file."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..definition import Instrument
from ..loader import InstrumentError, build_instrument

_CODE = re.compile(r"^-?\d+$")
_LANGUAGE_HEADER = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[a-z]{2,3})\)\s*$")


@dataclass(frozen=True)
class Unsupported:
    """Something in a file that the instrument format cannot state, and where it is."""

    sheet: str  # "survey", "choices", "settings", or "data dictionary"
    row: int | None
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        place = f"{self.sheet} sheet" if self.sheet not in ("data dictionary", "instrument") else self.sheet
        if self.row is not None:
            place += f", row {self.row}"
        if self.column:
            place += f", column {self.column}"
        value = f": {self.value}" if self.value else ""
        return f"{place}{value} — {self.reason}"


@dataclass
class ImportResult:
    """A version file's content (``raw``) and everything the source had that it does not carry."""

    raw: dict
    unsupported: list[Unsupported] = field(default_factory=list)
    #: Things done that the author should know of (a page split so a condition can work).
    notes: list[str] = field(default_factory=list)


class ImportRefused(Exception):
    """The import cannot write a version file; ``lines`` say why, each written for the author."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


def code_of(value: Any) -> int | str:
    """A choice code as the format stores it: a whole number when it looks like one."""
    text = str(value).strip()
    if re.fullmatch(r"-?\d+\.0", text):
        text = text[:-2]
    return int(text) if _CODE.match(text) else text


def language_of_header(header: str) -> str | None:
    """The code in a language name such as ``Welsh (cy)``; None without one."""
    match = _LANGUAGE_HEADER.match(header or "")
    return match.group("code") if match else None


def language_label(code: str) -> str:
    """``Welsh (cy)``: the English name of a language and its code, as XLSForm headers want them."""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(code).get_display_name("en")
    except (UnknownLocaleError, ValueError):
        name = None
    return f"{name or code} ({code})"


def identifier(value: str, fallback: str) -> str:
    """``value`` made into an item, page or set id (lower-case letters, digits, underscores)."""
    slug = re.sub(r"[^a-z0-9_]+", "_", str(value or "").strip().lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"{fallback}_{slug}".strip("_") if slug else fallback
    return slug


def lost_on_export(instrument: Instrument, format_name: str) -> list[str]:
    """What an instrument states that neither XLSForm nor REDCap can hold, one line each."""
    lost = []
    if instrument.scales:
        lost.append(f"scales and scoring ({', '.join(scale.id for scale in instrument.scales)}): "
                    f"{format_name} has no scoring rules; keep the version file for them")
    lost.append("respondents, modes, estimated_minutes and source: set them again after an import")
    for item in instrument.items:
        dropped = []
        if item.anchors:
            dropped.append("anchors")
        if item.identifying:
            dropped.append("identifying" if format_name != "REDCap" else "")
        if not item.sms:
            dropped.append("sms: false")
        if item.derive:
            dropped.append("derive")
        dropped = [what for what in dropped if what]
        if dropped:
            lost.append(f"item '{item.id}': {', '.join(dropped)}")
    return lost


def dump_version(raw: dict) -> str:
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=100)


def version_path(questionnaires: Path, instrument_id: str, version: int | None) -> Path:
    """Where the imported version goes: ``v1.yaml`` of a new instrument, or ``v<N>.yaml`` when
    ``version`` is given. An instrument that exists is refused without ``version``, and an
    existing version file always (a version is forever)."""
    folder = Path(questionnaires) / instrument_id
    existing = sorted(folder.glob("v*.yaml")) if folder.is_dir() else []
    if version is None and existing:
        raise ImportRefused([f"instrument '{instrument_id}' already exists ({', '.join(p.name for p in existing)}); "
                             "give --version N to add a new version, or choose another --id"])
    path = folder / f"v{version or 1}.yaml"
    if path.exists():
        raise ImportRefused([f"{path} already exists and a version never changes; give a higher --version"])
    return path


def write_version(questionnaires: Path, result: ImportResult, version: int | None = None,
                  skip_unsupported: bool = False) -> Path:
    """Write an import's version file after checking it with the instrument loader.

    Refused (``ImportRefused``): anything unsupported unless ``skip_unsupported``; content the
    loader rejects; an instrument or version that exists (``version_path``).
    """
    if result.unsupported and not skip_unsupported:
        raise ImportRefused(["cannot carry over:"] + [f"  {entry}" for entry in result.unsupported]
                            + ["nothing written; fix these or give --skip-unsupported to leave them out"])
    raw = dict(result.raw)
    path = version_path(questionnaires, raw["id"], version)
    raw["version"] = version or 1
    try:
        build_instrument(raw, str(path), path_version=raw["version"], folder=raw["id"])
    except InstrumentError as error:
        raise ImportRefused(["the imported instrument would not pass the instrument check:"]
                            + [f"  {problem.where}: {problem.message}" if problem.where else f"  {problem.message}"
                               for problem in error.problems] + ["nothing written"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_version(raw), encoding="utf-8")
    return path
