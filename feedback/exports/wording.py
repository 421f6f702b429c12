"""The wording each response was answered in, as dataset columns: its wording hash and whether
that language's wording had been reviewed (``instruments.translations``).

Both say the language as surely as the ``language`` column does, so wherever disclosure control
drops or blanks the language, they go with it.

The manifest also carries a translation table (``translation_table``): for each instrument
version exported and each of its languages, the status, who reviewed it and when, and the
wording's hash. It describes the questionnaires, not the respondents, so it is the same whatever
disclosure control did to the rows.
"""
from __future__ import annotations

import pandas as pd

from ..instruments.wording import wording_hash
from .codebook import Codebook

WORDING_COLUMNS = ("wording_hash", "translation_status")
WORDING_VARIABLES = (
    ("wording_hash", "Wording answered (SHA-256 of the texts in the language answered in)", "string"),
    ("translation_status", "Translation status of that wording: source; draft (written by the team, not checked "
     "by a qualified translator: consider excluding or flagging); or reviewed (checked, the exact wording answered)",
     "string"),
)


def translation_table(catalogue, versions: dict[str, list[int]]) -> list[dict]:
    """One row per (instrument, version, language) of the versions exported (``versions``: instrument
    → its version numbers), in that order: ``status`` (source, draft or reviewed), ``reviewed_by``
    and ``reviewed_on`` (ISO date; None unless reviewed), ``wording_hash`` (the language's wording
    as the app has it now: what a response's ``wording_hash`` is compared with) and
    ``reviewed_wording_hash`` (the wording the reviewer checked, when the review names one). A
    version no longer in the catalogue has no rows: its languages are not known."""
    rows = []
    for instrument_id in sorted(versions):
        for version in sorted(versions[instrument_id]):
            instrument = catalogue.instruments.get((instrument_id, int(version)))
            if instrument is None:
                continue
            for language in instrument.languages:
                found = catalogue.translation_status(instrument, language)
                rows.append({
                    "instrument": instrument_id, "version": int(version), "language": language,
                    "status": found.status, "reviewed_by": found.reviewed_by,
                    "reviewed_on": found.reviewed_on.isoformat() if found.reviewed_on else None,
                    "wording_hash": wording_hash(instrument, language),
                    "reviewed_wording_hash": found.wording_hash,
                })
    return rows


def translation_statuses(frame: pd.DataFrame, catalogue) -> pd.Series:
    """Each response's translation status, from its instrument version and language (empty when
    the language is not known or the version is no longer in the catalogue)."""
    def status(instrument_id, version, language, answered):
        if not isinstance(language, str):
            return None
        instrument = catalogue.instruments.get((instrument_id, int(version)))
        if instrument is None or language not in instrument.languages:
            return None
        found = catalogue.translation_status(instrument, language)
        # A review covers the wording reviewed: a response answered in an earlier draft of the
        # language file stays a draft-language response.
        if found.status == "reviewed" and not found.covers(answered if isinstance(answered, str) else None):
            return "draft"
        return found.status

    answered = frame["wording_hash"] if "wording_hash" in frame else pd.Series([None] * len(frame), index=frame.index)
    return pd.Series([status(*row) for row in zip(frame["instrument"], frame["version"], frame["language"], answered)],
                     index=frame.index, dtype="object")


def follow_language(table: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, Codebook]:
    """After disclosure control: the wording columns blanked where the language was, and left out
    (with their codebook entries) where it was left out. Per wave copy in a wide table."""
    dropped = []
    for column in [c for c in table.columns if c in WORDING_COLUMNS or c.endswith(tuple(f"_{w}" for w in WORDING_COLUMNS))]:
        base = next(w for w in WORDING_COLUMNS if column.endswith(w))
        language = column[: -len(base)] + "language"
        if language not in table.columns:
            dropped.append(column)
        else:
            table[column] = table[column].where(table[language].notna(), None)
    if dropped:
        table = table.drop(columns=dropped)
        codebook = Codebook(tuple(v for v in codebook if v.name not in dropped))
    return table, codebook
