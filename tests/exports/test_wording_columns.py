"""Exports say, for every response, the language and wording it was answered in and whether that
wording had been reviewed."""
from __future__ import annotations

import pandas as pd

from feedback.exports.runner import run_export
from feedback.instruments.wording import wording_hash
from feedback.publishing.startup import current_catalogue
from tests.exports.test_runner import KEY, families, profile  # noqa: F401 (a fixture)


def test_an_export_carries_language_wording_hash_and_translation_status(families, tmp_path):  # noqa: F811
    bundle = run_export(profile(tmp_path), tmp_path / "out", key=KEY)
    frame = pd.read_csv(bundle.directory / "family-functioning.csv")
    instrument = current_catalogue().latest("family-functioning")
    assert {"language", "wording_hash", "translation_status"} <= set(frame.columns)
    assert set(zip(frame["language"], frame["wording_hash"], frame["translation_status"])) == {
        ("en", wording_hash(instrument, "en"), "source")}
    codebook = "".join(path.read_text(encoding="utf-8") for path in bundle.directory.glob("*codebook*.csv"))
    assert "wording_hash" in codebook and "Translation status" in codebook
