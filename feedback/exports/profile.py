"""Export profiles: what an evaluator's dataset holds, in which shape, how it is de-identified.

A profile is a YAML file in ``exports/``; the format, with every key and default, is documented in
``exports/README.md``.  ``load_profile`` refuses anything malformed with a ``ProfileError`` that
lists every problem at once, each naming the file, the key and what to do, e.g.
``exports/x.yaml: key 'shape': 'tall' is not one of long, wide_member, wide_family``.  The objects
here are built only from a file that passed, so the dataset builder may trust them.  Which staff
may run a profile (an identifiable, ``full`` one only ever by an admin) is enforced where it is
run, not here.  Pure Python: no Flask, no database.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal, Mapping, Protocol

from ..instruments.catalogue import Catalogue
from ..instruments.checks import Problem

SHAPES = ("long", "wide_member", "wide_family")
LEVELS = ("deidentified", "full")
DATE_STYLES = ("days_since_entry", "days_since_exit", "shifted")
AGE_STYLES = ("years", "bands")
FREE_TEXT = ("drop", "scrub")
TIMESTAMP_UNITS = ("day", "week", "month")
#: What a disclosure check may group by.  ``age`` is whole years (with ``ages: years``);
#: ``age_band`` is the profile's bands (with ``ages: bands``): the check uses what is released.
QUASI_IDENTIFIERS = ("site", "role", "age", "age_band", "language")
#: What a disclosure check does with a group smaller than k: blank single values of its rows
#: (local suppression), coarsen a quasi-identifier for everyone, or write nothing.
ON_SMALL_GROUPS = ("suppress", "generalise", "refuse")
ON_MISMATCH = ("refuse", "keep_apart")
FORMATS = ("csv", "xlsx", "sav", "dta", "parquet")
#: Lower edges of age bands: 0–4, 5–10, 11–15, 16–17, 18–24, 25–39, 40–64, 65 and over.
DEFAULT_AGE_BANDS = (0, 5, 11, 16, 18, 25, 40, 65)
DEFAULT_KEY_SETTING = "FEEDBACK_PSEUDONYM_KEY"
DEFAULT_K = 5
ALL = "all"


class ProfileError(ValueError):
    """Raised with every problem found in a profile file."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class InstrumentChoice:
    """An instrument to export; ``items`` limits its item columns (None: every item)."""

    id: str
    items: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ChangePair:
    """A change score: the score at wave ``to_wave`` minus the score at ``from_wave``."""

    from_wave: str
    to_wave: str


@dataclass(frozen=True)
class Scores:
    #: Scale scores per respondent, with the scoring version.
    scales: bool = True
    #: ``"default"``: exit − entry and each follow-up − exit (see ``default_change_pairs``).
    change: tuple[ChangePair, ...] | Literal["default"] = "default"
    #: Per-family aggregates of members' scale scores (mean, number of members scoring).
    family_aggregates: bool = True
    #: Counts of like items at each level and parent − practitioner reading gaps (``derived``).
    derived: bool = True


@dataclass(frozen=True)
class Pseudonym:
    #: The configuration variable holding the HMAC key; the key itself is never in a profile or bundle.
    key_setting: str = DEFAULT_KEY_SETTING
    #: Mixed into the key, so two recipients' datasets share no id and cannot be joined.
    recipient: str | None = None


@dataclass(frozen=True)
class Deidentification:
    """How identities are hidden.  Under ``level == "full"`` nothing is hidden and the other
    fields are None: names, dates, ages and free text go out as recorded (admins only)."""

    level: str = "deidentified"
    pseudonym: Pseudonym | None = Pseudonym()
    dates: str | None = "days_since_entry"
    ages: str | None = "years"
    age_bands: tuple[int, ...] = DEFAULT_AGE_BANDS
    free_text: str | None = "drop"
    timestamps: str | None = "week"

    @property
    def identifiable(self) -> bool:
        return self.level == "full"


@dataclass(frozen=True)
class Disclosure:
    quasi_identifiers: tuple[str, ...] = ("site", "role", "age", "language")
    k: int = DEFAULT_K
    on_small_groups: str = "refuse"
    #: With ``suppress``: the largest share of a column's values that may be blanked.
    max_suppressed_share: float = 0.05


@dataclass(frozen=True)
class Profile:
    id: str
    title: str
    description: str
    instruments: tuple[InstrumentChoice, ...] | Literal["all"]
    waves: tuple[str, ...] | Literal["all"]
    sites: tuple[str, ...] | Literal["all"]
    shape: str
    scores: Scores
    deidentification: Deidentification
    #: None for a ``full`` export: it identifies everyone, so there is nothing to check.
    disclosure: Disclosure | None
    #: What to do when an item's type or codes differ between instrument versions.
    on_version_mismatch: str
    formats: tuple[str, ...]
    #: The file as named in problems and manifests, e.g. ``exports/evaluation.yaml``.
    path: str
    #: ``profile_hash`` of the file, for the manifest and the audit log.
    content_hash: str

    def includes_instrument(self, instrument_id: str) -> bool:
        return self.instruments == ALL or any(choice.id == instrument_id for choice in self.instruments)

    def includes_wave(self, wave: str) -> bool:
        return self.waves == ALL or wave in self.waves

    def includes_site(self, code: str) -> bool:
        return self.sites == ALL or code in self.sites

    def change_pairs(self, waves: Iterable[WaveLike]) -> tuple[ChangePair, ...]:
        """The change scores to compute, given the schedule's waves in order."""
        if not self.scores.scales:
            return ()
        if self.scores.change == "default":
            return default_change_pairs([wave for wave in waves if self.includes_wave(wave.name)])
        return self.scores.change


class WaveLike(Protocol):
    name: str
    anchor: str
    offset_months: int


def default_change_pairs(waves: Iterable[WaveLike]) -> tuple[ChangePair, ...]:
    """Exit − entry, and each follow-up (anchored to exit, months after it) − exit."""
    waves = list(waves)
    entry = next((wave.name for wave in waves if wave.anchor == "entry" and wave.offset_months == 0), None)
    leaving = next((wave.name for wave in waves if wave.anchor == "exit" and wave.offset_months == 0), None)
    if leaving is None:
        return ()
    pairs = [ChangePair(entry, leaving)] if entry is not None else []
    pairs += [ChangePair(leaving, wave.name) for wave in waves if wave.anchor == "exit" and wave.offset_months > 0]
    return tuple(pairs)


def profile_hash(path: Path | str) -> str:
    """SHA-256 of the file's bytes: a manifest records exactly the profile that was run."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def display_name(path: Path | str) -> str:
    """How problems name a profile file: its folder and name, e.g. ``exports/evaluation.yaml``."""
    path = Path(path)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def load_profile(path: Path | str, known_instruments: Mapping[str, set[str]] | None = None,
                 known_waves: set[str] | None = None) -> Profile:
    """Parse and validate one profile file; raise ``ProfileError`` listing every problem.

    ``known_instruments`` maps each instrument id to its item ids (see ``instrument_items``) and
    ``known_waves`` holds the schedules' wave names (see ``wave_names``); without them, instrument,
    item and wave names are checked only for form.
    """
    from .profile_checks import parse_profile  # the validator builds the objects defined above

    return parse_profile(path, display_name(path), known_instruments, known_waves)


def profile_files(folder: Path | str) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.is_file() and path.suffix in (".yaml", ".yml"))


def load_profiles(folder: Path | str, known_instruments: Mapping[str, set[str]] | None = None,
                  known_waves: set[str] | None = None) -> tuple[dict[str, Profile], list[Problem]]:
    """Every valid profile in ``folder`` by id, and the problems of the others."""
    profiles: dict[str, Profile] = {}
    problems: list[Problem] = []
    for path in profile_files(folder):
        try:
            profile = load_profile(path, known_instruments, known_waves)
        except ProfileError as error:
            problems.extend(error.problems)
            continue
        profiles[profile.id] = profile
    return profiles, problems


def instrument_items(catalogue: Catalogue) -> dict[str, set[str]]:
    """Each instrument's item ids across all its versions: an export may use an item of any version."""
    items: dict[str, set[str]] = {}
    for instrument in catalogue:
        items.setdefault(instrument.id, set()).update(item.id for item in instrument.items)
    return items


def wave_names(schedules: Mapping[str, object]) -> set[str]:
    """The names of every wave in the schedules (as ``load_schedules`` returns them)."""
    return {wave.name for schedule in schedules.values() for wave in schedule.waves}
