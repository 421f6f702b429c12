"""Validate an export profile's YAML, collecting every problem, and build the ``Profile``.

Each problem names the file, the key (dotted, lists counted from 0, e.g.
``key 'scores.change[1]'``) and what to do.  Use ``profile.load_profile``; this module is its
validator.  Pure Python: no Flask, no database.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..instruments.checks import Checks, Problem, yaml_problem
from ..instruments.loader import INSTRUMENT_ID_PATTERN
from ..instruments.yaml_text import parse as parse_yaml
from .profile import (
    AGE_STYLES, ALL, DATE_STYLES, DEFAULT_AGE_BANDS, DEFAULT_K, DEFAULT_KEY_SETTING, FORMATS, FREE_TEXT, LEVELS,
    ON_MISMATCH, ON_SMALL_GROUPS, QUASI_IDENTIFIERS, SHAPES, TIMESTAMP_UNITS, ChangePair, Deidentification, Disclosure,
    InstrumentChoice, Profile, ProfileError, Pseudonym, Scores,
)

PROFILE_KEYS = {"id", "title", "description", "instruments", "waves", "sites", "shape", "scores",
                "deidentification", "disclosure", "versions", "formats"}
REQUIRED_KEYS = {"id", "title", "instruments", "waves", "shape"}
SCORES_KEYS = {"scales", "change", "family_aggregates", "derived"}
DEIDENTIFICATION_KEYS = {"level", "pseudonym", "dates", "ages", "age_bands", "free_text", "timestamps"}
#: What each de-identification key would change, for the refusal under ``level: full``.
HIDES = {"pseudonym": "internal ids", "dates": "dates", "ages": "birth years and months",
         "age_bands": "birth years and months",
         "free_text": "free text", "timestamps": "submission times"}
DISCLOSURE_KEYS = {"quasi_identifiers", "k", "on_small_groups", "on_fail", "max_suppressed_share"}
SETTING_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")
RECIPIENT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
ITEM_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
SITE_CODE_LENGTH = 32  # as ``sites.code`` holds it
OLDEST = 120


def parse_profile(path: Path | str, name: str, known_instruments: Mapping[str, set[str]] | None,
                  known_waves: set[str] | None) -> Profile:
    path = Path(path)
    try:
        data = path.read_bytes()
        raw = parse_yaml(data.decode("utf-8"))
    except yaml.YAMLError as error:
        raise ProfileError([yaml_problem(name, error)])
    except (OSError, UnicodeDecodeError) as error:
        raise ProfileError([Problem(name, "", f"cannot be read ({error})")])
    builder = _Builder(name, path.stem, known_instruments, known_waves)
    profile = builder.profile(raw, hashlib.sha256(data).hexdigest())
    if builder.problems or profile is None:
        raise ProfileError(builder.problems)
    return profile


def at(key: str) -> str:
    return f"key '{key}'" if key else ""


def _listing(names) -> str:
    return ", ".join(sorted(names))


class _Builder(Checks):
    def __init__(self, name: str, stem: str, known_instruments: Mapping[str, set[str]] | None,
                 known_waves: set[str] | None):
        super().__init__(name)
        self.stem = stem
        self.known_instruments = known_instruments
        self.known_waves = known_waves

    # -- shared checks --------------------------------------------------------------------
    def fields(self, data: Any, allowed: set[str], required: set[str], where: str) -> dict:
        if not isinstance(data, dict):
            self.problem(where, f"must be a mapping of keys, not {_kind(data)}")
            return {}
        for key in sorted(set(data) - allowed, key=str):
            self.problem(where, f"unknown key '{key}' (allowed: {_listing(allowed)})")
        for key in sorted(required - set(data)):
            self.problem(where, f"missing required key '{key}'")
        return data

    def section(self, data: dict, key: str, allowed: set[str], path: str | None = None) -> dict:
        """An optional mapping under ``key`` (at ``path``): absent or empty is all defaults."""
        if data.get(key) is None:
            return {}
        return self.fields(data[key], allowed, set(), at(path or key))

    def choice(self, data: dict, key: str, path: str, options: tuple[str, ...], default: str) -> str:
        if key not in data:
            return default
        value = data[key]
        if value not in options:
            self.problem(at(path), f"{value!r} is not one of {', '.join(options)}")
            return default
        return value

    def names(self, value: Any, path: str, what: str, example: str) -> list[str] | None:
        """A non-empty list of distinct strings, or None after a problem."""
        if isinstance(value, list) and not value:
            self.problem(at(path), f"lists no {what}; name at least one, e.g. {example}")
            return None
        if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
            self.problem(at(path), f"must be a list of {what}, e.g. {example}, not {value!r}")
            return None
        twice = sorted({name for name in value if value.count(name) > 1})
        if twice:
            self.problem(at(path), f"lists {', '.join(twice)} more than once")
        return value

    # -- the profile ----------------------------------------------------------------------
    def profile(self, raw: Any, content_hash: str) -> Profile | None:
        if raw is None:
            self.problem("", "is empty; a profile needs at least id, title, instruments, waves and shape")
            return None
        data = self.fields(raw, PROFILE_KEYS, REQUIRED_KEYS, "")
        if not data:
            return None
        profile_id = data.get("id")
        if not isinstance(profile_id, str) or not INSTRUMENT_ID_PATTERN.match(profile_id):
            self.problem(at("id"), f"{profile_id!r} must be lower-case letters, digits and hyphens, "
                                   "starting with a letter")
        elif profile_id != self.stem:
            self.problem(at("id"), f"is '{profile_id}' but the file is {self.name}; they must match")
        title = self.words(data, "title")
        description = self.words(data, "description", optional=True)
        instruments = self.instruments(data.get("instruments")) if "instruments" in data else ALL
        waves = self.waves(data.get("waves")) if "waves" in data else ALL
        sites = self.sites(data.get("sites", ALL))
        shape = self.choice(data, "shape", "shape", SHAPES, SHAPES[0])
        scores = self.scores(self.section(data, "scores", SCORES_KEYS), waves)
        deidentification = self.deidentification(self.section(data, "deidentification", DEIDENTIFICATION_KEYS))
        disclosure = self.disclosure(data, deidentification)
        versions = self.section(data, "versions", {"on_mismatch"})
        on_mismatch = self.choice(versions, "on_mismatch", "versions.on_mismatch", ON_MISMATCH, "refuse")
        formats = self.formats(data.get("formats", ALL))
        if self.problems:
            return None
        return Profile(id=profile_id, title=title, description=description, instruments=instruments, waves=waves,
                       sites=sites, shape=shape, scores=scores, deidentification=deidentification,
                       disclosure=disclosure, on_version_mismatch=on_mismatch, formats=formats, path=self.name,
                       content_hash=content_hash)

    def words(self, data: dict, key: str, optional: bool = False) -> str:
        value = data.get(key, "" if optional else None)
        if not isinstance(value, str) or not (value.strip() or optional):
            self.problem(at(key), f"must be {'' if optional else 'non-empty '}text, not {value!r}")
            return ""
        return value.strip()

    # -- what is selected -----------------------------------------------------------------
    def instruments(self, raw: Any) -> tuple[InstrumentChoice, ...] | str:
        if raw == ALL:
            return ALL
        if raw == []:
            self.problem(at("instruments"), "lists no instruments; name at least one, e.g. [follow-up], "
                                            "or write all")
            return ()
        if not isinstance(raw, list):
            self.problem(at("instruments"), 'must be "all" or a list of instrument ids, e.g. [follow-up, '
                                            f"exit-interview], not {raw!r}")
            return ()
        choices, seen = [], set()
        for index, entry in enumerate(raw):
            path = f"instruments[{index}]"
            choice = self.instrument(entry, path)
            if choice is None:
                continue
            if choice.id in seen:
                self.problem(at(path), f"'{choice.id}' is listed twice; list each instrument once")
            seen.add(choice.id)
            choices.append(choice)
        return tuple(choices)

    def instrument(self, raw: Any, path: str) -> InstrumentChoice | None:
        if isinstance(raw, dict):
            data = self.fields(raw, {"id", "items"}, {"id"}, at(path))
            instrument_id, items = data.get("id"), data.get("items")
        else:
            instrument_id, items = raw, None
        if not isinstance(instrument_id, str) or not INSTRUMENT_ID_PATTERN.match(instrument_id):
            self.problem(at(path), f"{instrument_id!r} is not an instrument id; write an id such as follow-up, "
                                   "or {id: follow-up, items: [...]}")
            return None
        if self.known_instruments is not None and instrument_id not in self.known_instruments:
            self.problem(at(path), f"'{instrument_id}' is not an instrument in the catalogue (known: "
                                   f"{_listing(self.known_instruments)})")
            return None
        if items is None:
            return InstrumentChoice(instrument_id)
        names = self.names(items, f"{path}.items", "item ids", "[q1, q2]")
        if names is None:
            return None
        known = self.known_instruments.get(instrument_id) if self.known_instruments is not None else None
        for name in names:
            if not ITEM_ID_PATTERN.match(name):
                self.problem(at(f"{path}.items"), f"{name!r} is not an item id (lower-case letters, digits, "
                                                  "underscores)")
            elif known is not None and name not in known:
                self.problem(at(f"{path}.items"), f"'{name}' is not an item of '{instrument_id}' in any version")
        return InstrumentChoice(instrument_id, tuple(dict.fromkeys(names)))

    def waves(self, raw: Any) -> tuple[str, ...] | str:
        if raw == ALL:
            return ALL
        names = self.names(raw, "waves", "wave names", "[entry, exit], or write all")
        if names is None:
            return ()
        for name in names:
            self.known_wave(name, "waves")
        return tuple(dict.fromkeys(names))

    def known_wave(self, name: Any, path: str) -> bool:
        if not isinstance(name, str) or not INSTRUMENT_ID_PATTERN.match(name):
            self.problem(at(path), f"{name!r} is not a wave name, e.g. exit-3m")
            return False
        if self.known_waves is not None and name not in self.known_waves:
            self.problem(at(path), f"'{name}' is not a wave in any schedule (known: {_listing(self.known_waves)})")
            return False
        return True

    def sites(self, raw: Any) -> tuple[str, ...] | str:
        if raw == ALL:
            return ALL
        names = self.names(raw, "sites", "site codes", "[north, south], or write all")
        if names is None:
            return ()
        for name in names:
            if not name.strip() or len(name) > SITE_CODE_LENGTH:
                self.problem(at("sites"), f"{name!r} is not a site code (1–{SITE_CODE_LENGTH} characters)")
        return tuple(dict.fromkeys(names))

    # -- scores ---------------------------------------------------------------------------
    def scores(self, data: dict, waves: tuple[str, ...] | str) -> Scores:
        scales = self.boolean(data.get("scales"), at("scores.scales"), "scales", True)
        change: tuple[ChangePair, ...] | str = "default" if scales else ()
        if data.get("change") is not None:
            change = self.change(data["change"], waves)
            if change and not scales:
                self.problem(at("scores.change"), "change scores are differences of scale scores; "
                                                  "set scales: true, or change: []")
        aggregates = self.boolean(data.get("family_aggregates"), at("scores.family_aggregates"),
                                  "family_aggregates", scales)
        if aggregates and not scales:
            self.problem(at("scores.family_aggregates"), "family aggregates summarise scale scores; "
                                                         "set scales: true, or family_aggregates: false")
        derived = self.boolean(data.get("derived"), at("scores.derived"), "derived", True)
        return Scores(scales, change, aggregates, derived)

    def change(self, raw: Any, waves: tuple[str, ...] | str) -> tuple[ChangePair, ...] | str:
        if raw == "default":
            return "default"
        if not isinstance(raw, list):
            self.problem(at("scores.change"), 'must be "default", [] for none, or a list of pairs such as '
                                              f"[{{from: entry, to: exit}}], not {raw!r}")
            return ()
        pairs: list[ChangePair] = []
        for index, entry in enumerate(raw):
            path = f"scores.change[{index}]"
            data = self.fields(entry, {"from", "to"}, {"from", "to"}, at(path))
            if not data or "from" not in data or "to" not in data:
                continue
            fine = self.known_wave(data["from"], path) & self.known_wave(data["to"], path)
            if not fine:
                continue
            pair = ChangePair(data["from"], data["to"])
            if pair.from_wave == pair.to_wave:
                self.problem(at(path), f"from and to are both '{pair.from_wave}'; a change needs two waves")
            elif pair in pairs:
                self.problem(at(path), f"the change from '{pair.from_wave}' to '{pair.to_wave}' is listed twice")
                continue
            for wave in (pair.from_wave, pair.to_wave):
                if waves != ALL and wave not in waves:
                    self.problem(at(path), f"needs wave '{wave}', which waves leaves out; add it to waves")
            pairs.append(pair)
        return tuple(dict.fromkeys(pairs))

    # -- de-identification ----------------------------------------------------------------
    def deidentification(self, data: dict) -> Deidentification:
        level = self.choice(data, "level", "deidentification.level", LEVELS, "deidentified")
        if level == "full":
            for key in sorted(set(data) & set(HIDES)):
                self.problem(at(f"deidentification.{key}"),
                             f"{key} only applies to a de-identified export, but level: full exports "
                             f"{HIDES[key]} as recorded; remove {key}, or set level: deidentified")
            return Deidentification("full", pseudonym=None, dates=None, ages=None, age_bands=(), free_text=None,
                                    timestamps=None)
        ages = self.choice(data, "ages", "deidentification.ages", AGE_STYLES, "years")
        return Deidentification(
            level=level,
            pseudonym=self.pseudonym(self.section(data, "pseudonym", {"key_setting", "recipient"},
                                                  "deidentification.pseudonym")),
            dates=self.choice(data, "dates", "deidentification.dates", DATE_STYLES, "days_since_entry"),
            ages=ages,
            age_bands=self.age_bands(data, ages),
            free_text=self.choice(data, "free_text", "deidentification.free_text", FREE_TEXT, "drop"),
            timestamps=self.choice(data, "timestamps", "deidentification.timestamps", TIMESTAMP_UNITS, "week"),
        )

    def pseudonym(self, data: dict) -> Pseudonym:
        setting = data.get("key_setting", DEFAULT_KEY_SETTING)
        if not isinstance(setting, str) or not SETTING_PATTERN.match(setting):
            self.problem(at("deidentification.pseudonym.key_setting"),
                         f"{setting!r} must be the name of a configuration variable, e.g. {DEFAULT_KEY_SETTING} "
                         "(the key itself never goes in a profile)")
            setting = DEFAULT_KEY_SETTING
        recipient = data.get("recipient")
        if recipient is not None and (not isinstance(recipient, str) or not RECIPIENT_PATTERN.match(recipient)):
            self.problem(at("deidentification.pseudonym.recipient"),
                         f"{recipient!r} must be a label of lower-case letters, digits and hyphens (up to 64), "
                         "e.g. university-evaluation-2025")
            recipient = None
        return Pseudonym(setting, recipient)

    def age_bands(self, data: dict, ages: str) -> tuple[int, ...]:
        if "age_bands" not in data:
            return DEFAULT_AGE_BANDS
        path = at("deidentification.age_bands")
        if ages != "bands":
            self.problem(path, "age_bands are only used with ages: bands; remove them, or set ages: bands")
            return DEFAULT_AGE_BANDS
        edges = data["age_bands"]
        example = f"e.g. {list(DEFAULT_AGE_BANDS)}"
        if (not isinstance(edges, list) or len(edges) < 2 or not all(
                isinstance(edge, int) and not isinstance(edge, bool) and 0 <= edge <= OLDEST for edge in edges)):
            self.problem(path, f"must be a list of at least two ages from 0 to {OLDEST}, the lower edge of each "
                               f"band, {example}; not {edges!r}")
            return DEFAULT_AGE_BANDS
        if any(later <= earlier for earlier, later in zip(edges, edges[1:])):
            self.problem(path, f"{edges} must increase, each edge above the one before, {example}")
            return DEFAULT_AGE_BANDS
        if edges[0] != 0:
            self.problem(path, f"must start at 0 so every age falls in a band, {example}")
            return DEFAULT_AGE_BANDS
        return tuple(edges)

    def disclosure(self, data: dict, deidentification: Deidentification) -> Disclosure | None:
        if deidentification.identifiable:
            if "disclosure" in data:
                self.problem(at("disclosure"), "a disclosure check is for de-identified exports, but level: full "
                                               "identifies everyone; remove disclosure, or set level: deidentified")
            return None
        section = self.section(data, "disclosure", DISCLOSURE_KEYS)
        age = "age_band" if deidentification.ages == "bands" else "age"
        quasi = ["site", "role", age, "language"]
        if "quasi_identifiers" in section:
            quasi = self.quasi_identifiers(section["quasi_identifiers"], deidentification.ages) or quasi
        k = DEFAULT_K
        if "k" in section:
            k = self.at_least_two(section["k"])
        # ``on_fail`` is the older name of ``on_small_groups`` (without ``suppress``), still read.
        key = "on_fail" if "on_fail" in section and "on_small_groups" not in section else "on_small_groups"
        if "on_fail" in section and "on_small_groups" in section:
            self.problem(at("disclosure.on_fail"), "is the older name of on_small_groups; keep only on_small_groups")
        on_small_groups = self.choice(section, key, f"disclosure.{key}", ON_SMALL_GROUPS, "refuse")
        share = 0.05
        if "max_suppressed_share" in section:
            raw = section["max_suppressed_share"]
            if on_small_groups != "suppress":
                self.problem(at("disclosure.max_suppressed_share"), "only applies with on_small_groups: suppress; "
                                                                   "remove it, or set on_small_groups: suppress")
            elif isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 < raw <= 1:
                self.problem(at("disclosure.max_suppressed_share"),
                             f"must be a share above 0 and at most 1 (0.05 is 5%), not {raw!r}")
            else:
                share = float(raw)
        return Disclosure(tuple(quasi), k, on_small_groups, share)

    def quasi_identifiers(self, raw: Any, ages: str | None) -> list[str] | None:
        path = "disclosure.quasi_identifiers"
        names = self.names(raw, path, "quasi-identifiers", "[site, role, age_band, language]")
        if names is None:
            return None
        fine = True
        for name in names:
            if name not in QUASI_IDENTIFIERS:
                self.problem(at(path), f"{name!r} is not one of {', '.join(QUASI_IDENTIFIERS)}")
                fine = False
            elif name == "age_band" and ages != "bands":
                self.problem(at(path), "age_band needs ages: bands; with ages: years whole years are released, "
                                       "so check age instead")
                fine = False
            elif name == "age" and ages == "bands":
                self.problem(at(path), "age is whole years, but ages: bands releases bands; check age_band instead")
                fine = False
        return list(dict.fromkeys(names)) if fine else None

    def at_least_two(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(at("disclosure.k"), f"must be a whole number of at least 2, not {value!r}")
            return DEFAULT_K
        if value < 2:
            self.problem(at("disclosure.k"), f"is {value}; it must be at least 2, or a group of one person "
                                             f"passes the check (the default is {DEFAULT_K})")
            return DEFAULT_K
        return value

    # -- formats --------------------------------------------------------------------------
    def formats(self, raw: Any) -> tuple[str, ...]:
        if raw == ALL:
            return FORMATS
        if raw == []:
            self.problem(at("formats"), f"lists no formats; name at least one of {', '.join(FORMATS)}, or leave "
                                        "formats out for all")
            return FORMATS
        names = self.names(raw, "formats", "formats", "[csv, xlsx]")
        if names is None:
            return FORMATS
        unknown = [name for name in names if name not in FORMATS]
        for name in unknown:
            self.problem(at("formats"), f"{name!r} is not one of {', '.join(FORMATS)}")
        return tuple(name for name in FORMATS if name in names)


def _kind(value: Any) -> str:
    return {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false",
            type(None): "nothing"}.get(type(value), type(value).__name__)
