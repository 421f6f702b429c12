"""Scale scores placed in the rows of the responses they belong to: one column per scale for the
score, its band and its cut-off flag, and each response's scoring version.

Before (issue 24) the export read every score of an instrument into one long frame and pivoted it
three times (value, band, flag), each pivot reindexed to the responses' order: at 100,000 families
the family-functioning scores are about five million rows, and that frame with its pivots was the
largest allocation of the table's build. Here the scores come a chunk of rows at a time
(``dataset.score_chunks``) and each chunk's values go straight into their rows' cells, so only the
output columns are held.

The same cells and dtypes as the pivots gave (``tests/exports/test_score_columns.py`` keeps the
pivots as the reference and compares, the scores split into chunks anywhere):

- a response scored twice on a scale keeps its first row (as ``drop_duplicates(keep="first")``);
- scores are floats (``scores.value`` is a Float column), missing where a response has none;
- bands are text or ``None``; flags are 1, 0 or missing, whole numbers when no row lacks one;
- the scoring version is the first one given among a response's kept rows, ``None`` if none.

Pure pandas and numpy; no Flask.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class _Scale:
    placed: np.ndarray  # whether the row has its (first) score for the scale yet
    values: np.ndarray
    bands: np.ndarray
    flags: np.ndarray


class ScorePlaces:
    """Scores for the rows of a table whose responses are ``response_ids`` (unique, in row order):
    ``add`` each chunk of long scores (``response_id``, ``scale_id``, ``value``, ``flagged``,
    ``band``, ``scoring_version``) in the order read, then take each scale's columns."""

    def __init__(self, response_ids):
        self._index = pd.Index(list(response_ids))
        self._rows = len(self._index)
        self._scales: dict[str, _Scale] = {}
        self._versions = np.full(self._rows, None, dtype=object)
        self.read = 0  # score rows seen, the table's or not

    def add(self, chunk: pd.DataFrame) -> None:
        self.read += len(chunk)
        if chunk.empty:
            return
        rows = self._index.get_indexer(chunk["response_id"])  # -1: a response not in the table
        scales, scale_ids = pd.factorize(chunk["scale_id"])
        values = pd.to_numeric(chunk["value"], errors="coerce").to_numpy(dtype=np.float64)
        flags = pd.to_numeric(chunk["flagged"].map({True: 1.0, False: 0.0}), errors="coerce").to_numpy(dtype=np.float64)
        bands = chunk["band"]
        bands = bands.astype(object).where(bands.notna(), None).to_numpy(dtype=object)
        kept = np.zeros(len(chunk), dtype=bool)
        for number, scale_id in enumerate(scale_ids):
            scale = self._scale(scale_id)
            at = np.flatnonzero((scales == number) & (rows >= 0))
            # A row's first score for the scale: the first in this chunk, if no earlier chunk had one.
            _, first = np.unique(rows[at], return_index=True)
            at = at[first]
            at = at[~scale.placed[rows[at]]]
            where = rows[at]
            scale.placed[where] = True
            scale.values[where], scale.bands[where], scale.flags[where] = values[at], bands[at], flags[at]
            kept[at] = True
        versions = chunk["scoring_version"]
        given = np.flatnonzero(kept & versions.notna().to_numpy())
        where, first = np.unique(rows[given], return_index=True)
        still_open = np.equal(self._versions[where], None)
        self._versions[where[still_open]] = versions.iloc[given[first[still_open]]].astype(object).to_numpy(dtype=object)

    def scale(self, scale_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(scores, bands, flags) of ``scale_id`` in the table's rows."""
        scale = self._scales.get(scale_id) or self._new_scale()
        flags = scale.flags
        if not np.isnan(flags).any():  # no row without a flag: 1 and 0, as whole numbers
            flags = flags.astype(np.int64)
        return scale.values, scale.bands, flags

    def versions(self) -> np.ndarray:
        """Each row's scoring version: the first given among its response's kept rows, or None."""
        return self._versions

    def _scale(self, scale_id: str) -> _Scale:
        if scale_id not in self._scales:
            self._scales[scale_id] = self._new_scale()
        return self._scales[scale_id]

    def _new_scale(self) -> _Scale:
        return _Scale(np.zeros(self._rows, dtype=bool), np.full(self._rows, np.nan), np.full(self._rows, None, dtype=object),
                      np.full(self._rows, np.nan))
