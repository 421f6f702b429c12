"""Each scale's reliability and which way is better: ``<id>/reliability.yaml``.

A published version file cannot change (its content hash covers the whole file), yet the
reliability of a scale — needed for the Reliable Change Index (Jacobson & Truax, 1991) — and the
direction of improvement are often settled later, by review. So they live in a reviewed sidecar
beside the version files, like ``translations.yaml``, keyed by scale id::

    general_functioning:
      better: lower               # higher | lower: which way is improvement
    resilience_count:
      value: 0.81                 # optional: without it, alpha is computed from the entry wave
      kind: alpha                 # alpha | omega | test-retest | split-half | inter-rater | other
      source: "Service evaluation 2025, n = 212 families at entry"
      better: higher

``value`` must lie in (0, 1] and, when given, needs a ``source`` (where the figure comes from).
``better`` may be left out when the scale's cut-off implies it: a cut-off ``at_or_above`` marks
difficulty, so lower is better; ``at_or_below`` marks difficulty below it, so higher is better.

A new version file may state both inside the scale (``better:``, ``reliability: {value, kind,
source}``); a sidecar entry overrides what the file says and the file fills in what the sidecar
leaves out (``reliability_of``).

Pure Python: no Flask here except in ``reliabilities_for``, which finds the app's folder.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from .checks import Problem, yaml_problem
from .definition import DIRECTIONS, RELIABILITY_KINDS as KINDS
from .yaml_text import parse as parse_yaml

SIDECAR = "reliability.yaml"
VERSION_FILE = "version file"
FIELDS = {"value", "kind", "source", "better", "note"}


@dataclass(frozen=True)
class ScaleReliability:
    scale_id: str
    #: The reliability coefficient to use, or ``None``: compute Cronbach's alpha from the entry wave.
    value: float | None = None
    kind: str | None = None
    source: str | None = None
    #: ``higher`` or ``lower``: which way is improvement; ``None`` to take it from the cut-off.
    better: str | None = None
    note: str | None = None
    #: Where ``value`` was stated: ``reliability.yaml`` (the sidecar) or ``version file``; pages
    #: and codebooks name it so a reader can check the figure where it is written.
    origin: str = SIDECAR


def load_reliabilities(folder: Path, display: str, instrument_ids_scales: dict[str, set[str]] | None = None,
                       ) -> tuple[dict[str, ScaleReliability], list[Problem]]:
    """The entries of ``folder/reliability.yaml`` (``folder`` is ``questionnaires/<id>``) by scale
    id, and its problems, each naming the file (``display``) and the scale key.

    ``instrument_ids_scales`` maps instrument id → the scale ids its versions define; given it, a
    key that is no scale of ``folder.name`` is a problem. A file absent is no problem: no entries.
    """
    path = Path(folder) / SIDECAR
    if not path.exists():
        return {}, []
    try:
        raw = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        return {}, [yaml_problem(display, error)]
    except (OSError, UnicodeDecodeError) as error:
        return {}, [Problem(display, "", f"cannot be read ({error})")]
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, [Problem(display, "", "must map each scale id to its reliability, "
                                         "e.g. general_functioning: {better: lower}")]
    known = None
    if instrument_ids_scales is not None:
        known = set(instrument_ids_scales.get(Path(folder).name, set()))
    found: dict[str, ScaleReliability] = {}
    problems: list[Problem] = []
    for scale_id, entry in raw.items():
        where = f"scale {scale_id!r}"
        if known is not None and scale_id not in known:
            problems.append(Problem(display, where, f"is not a scale of {Path(folder).name}; its scales are "
                                                    f"{', '.join(sorted(known)) or 'none'}"))
            continue
        reliability = _entry(str(scale_id), entry, display, where, problems)
        if reliability is not None:
            found[str(scale_id)] = reliability
    return found, problems


def _entry(scale_id: str, entry: Any, display: str, where: str, problems: list[Problem]) -> ScaleReliability | None:
    def problem(message: str) -> None:
        problems.append(Problem(display, where, message))

    if not isinstance(entry, dict):
        problem(f"must be a mapping such as {{value: 0.85, kind: alpha, source: \"...\", better: higher}}, "
                f"not {entry!r}")
        return None
    unknown = set(entry) - FIELDS
    if unknown:
        problem(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; allowed: {', '.join(sorted(FIELDS))}")
        return None
    value, kind, source = entry.get("value"), entry.get("kind"), entry.get("source")
    better, note = entry.get("better"), entry.get("note")
    ok = True
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            problem(f"value must be a reliability coefficient above 0 and at most 1, not {value!r}")
            ok = False
        if not isinstance(source, str) or not source.strip():
            problem("a value needs source: where the figure comes from (a manual, a paper, a local study)")
            ok = False
    elif source is not None and (not isinstance(source, str) or not source.strip()):
        problem("source must be text")
        ok = False
    if kind is not None and kind not in KINDS:
        problem(f"kind {kind!r} must be one of {', '.join(KINDS)}")
        ok = False
    if better is not None and better not in DIRECTIONS:
        problem(f"better {better!r} must be higher or lower")
        ok = False
    if note is not None and not isinstance(note, str):
        problem("note must be text")
        ok = False
    if not ok:
        return None
    return ScaleReliability(scale_id, float(value) if value is not None else None, kind,
                            source.strip() if isinstance(source, str) else None, better, note)


def file_reliability(scale) -> ScaleReliability | None:
    """The reliability a version file gives inside the scale (``reliability:``/``better:``), if any."""
    given = getattr(scale, "reliability", None)
    better = getattr(scale, "better", None)
    if given is None and better is None:
        return None
    if isinstance(given, ScaleReliability):
        return ScaleReliability(scale.id, given.value, given.kind, given.source, better or given.better,
                                origin=VERSION_FILE)
    value = getattr(given, "value", None) if given is not None else None
    return ScaleReliability(scale.id, value, getattr(given, "kind", None), getattr(given, "source", None), better,
                            origin=VERSION_FILE)


def reliability_of(scale, sidecar: ScaleReliability | None) -> ScaleReliability | None:
    """The reliability and direction to use for ``scale``: its sidecar entry over its version file.

    The sidecar wins because it is reviewed later: reliability evidence (a local study, a newer
    manual) and the direction of improvement are often settled after a version is published, and
    a published version file cannot change (its content hash covers the whole file). So a
    sidecar ``value`` (with its ``kind`` and ``source``) replaces the file's, and a sidecar
    ``better`` replaces the file's ``better``; whatever the sidecar leaves out, the version file's
    ``reliability:``/``better:`` supply. ``None`` when neither says anything: Cronbach's alpha is
    then computed from the first wave, and ``better_direction`` falls back to the cut-off.
    """
    own = file_reliability(scale)
    if sidecar is None or own is None:
        return sidecar if sidecar is not None else own
    stated = sidecar if sidecar.value is not None else own
    return ScaleReliability(scale.id, stated.value, stated.kind, stated.source, sidecar.better or own.better,
                            sidecar.note, origin=stated.origin)


def better_direction(scale, reliability: ScaleReliability | None) -> str | None:
    """``higher`` or ``lower``: the sidecar's word, else the version file's, else the cut-off's
    (a cut-off ``at_or_above`` marks difficulty, so lower is better); ``None`` if nothing says."""
    if reliability is not None and reliability.better:
        return reliability.better
    own = getattr(scale, "better", None)
    if own in DIRECTIONS:
        return own
    cutoff = getattr(scale, "cutoff", None)
    if cutoff is not None:
        return "lower" if cutoff.direction == "at_or_above" else "higher"
    return None


def questionnaires_folder() -> Path:
    """The app's questionnaires folder (``FEEDBACK_QUESTIONNAIRES``), or the project's outside an app."""
    try:
        from flask import current_app

        return Path(current_app.config["FEEDBACK_SETTINGS"].questionnaires_dir)
    except (RuntimeError, KeyError, AttributeError):
        import os

        from ..config import PROJECT_ROOT

        return Path(os.environ.get("FEEDBACK_QUESTIONNAIRES", PROJECT_ROOT / "questionnaires"))


def reliabilities_for(instrument_id: str, folder: Path | None = None, scales=()) -> dict[str, ScaleReliability]:
    """The valid sidecar entries of one instrument, read afresh (the file is tiny) so an edit is
    seen at once; entries with problems are left out (``flask instruments check`` names them).

    Given the ``scales`` of the version in use, each is combined with what its version file says
    (``reliability_of``: the sidecar entry overrides, the file's value fills in where it has none).
    """
    base = Path(folder) if folder is not None else questionnaires_folder()
    found, _ = load_reliabilities(base / instrument_id, f"{instrument_id}/{SIDECAR}")
    return with_version_file(found, scales)


def with_version_file(sidecar: Mapping[str, ScaleReliability], scales) -> dict[str, ScaleReliability]:
    """``sidecar`` (scale id → its entry) with each of ``scales`` combined with what its version
    file says (``reliability_of``); scales neither mentions are left out."""
    found = dict(sidecar)
    for scale in scales:
        combined = reliability_of(scale, found.get(scale.id))
        if combined is not None:
            found[scale.id] = combined
    return found
