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


def test_the_manifest_says_who_reviewed_each_language_of_each_version_and_when(families, tmp_path, monkeypatch):  # noqa: F811
    import json
    from datetime import date

    from feedback.instruments.translations import TranslationStatus

    catalogue = current_catalogue()
    instrument = catalogue.latest("family-functioning")
    assert {"en", "cy"} <= set(instrument.languages)
    reviewed = TranslationStatus("reviewed", reviewed_by="A. Jones, Welsh translator", reviewed_on=date(2026, 11, 30),
                                 wording_hash=wording_hash(instrument, "cy"))
    monkeypatch.setitem(catalogue.translations, ("family-functioning", instrument.version, "cy"), reviewed)

    bundle = run_export(profile(tmp_path), tmp_path / "out", key=KEY)
    table = json.loads((bundle.directory / "manifest.json").read_text(encoding="utf-8"))["translations"]
    rows = {(row["instrument"], row["version"], row["language"]): row for row in table}
    # Every exported version, each of its languages once.
    assert {(i, v) for i, v, _ in rows} == {(i, v) for i, vs in bundle.manifest["versions"].items() for v in vs}
    assert len(rows) == len(table)

    assert rows[("family-functioning", instrument.version, "en")] == {
        "instrument": "family-functioning", "version": instrument.version, "language": "en", "status": "source",
        "reviewed_by": None, "reviewed_on": None, "wording_hash": wording_hash(instrument, "en"),
        "reviewed_wording_hash": None}
    assert rows[("family-functioning", instrument.version, "cy")] == {
        "instrument": "family-functioning", "version": instrument.version, "language": "cy", "status": "reviewed",
        "reviewed_by": "A. Jones, Welsh translator", "reviewed_on": "2026-11-30",
        "wording_hash": wording_hash(instrument, "cy"), "reviewed_wording_hash": wording_hash(instrument, "cy")}
    draft = [row for row in table if row["status"] == "draft"]
    assert draft, "a language nobody has reviewed"
    assert all(row["reviewed_by"] is None and row["reviewed_on"] is None for row in draft)
    assert "who reviewed them and when" in (bundle.directory / "README.txt").read_text(encoding="utf-8")
