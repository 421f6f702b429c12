"""Every format an evaluator opens gives back the values, labels and codes that were written."""
import json
from datetime import date

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from openpyxl import load_workbook

from feedback.exports import writers
from feedback.exports.codebook import Codebook, Variable
from feedback.exports.writers import FORMATS, write_bundle_files, write_manifest, write_readme

LONG = "family_functioning_total_score_change_between_entry_and_exit_waves_for_this_member"
LONG_TWIN = "family_functioning_total_score_change_between_entry_and_follow_up_waves_for_this_member"
FREQUENCY = {1: "Never", 2: "Sometimes", 3: "Often", -9: "Not asked"}
TEXTS = ["Mae'r gwasanaeth yn dda — ŵyr ŷd", "Diolch 😀", "=1+2", "+44 7911", "-", "@x", None]


@pytest.fixture
def codebook():
    return Codebook((
        Variable("member_id", "Pseudonymous member id", "string"),
        Variable("q1_often", "How often do you argue? (ŵ)", "numeric", FREQUENCY, (-9,),
                 instrument="family-functioning", versions=("1", "2")),
        Variable("score", "Family functioning score", "numeric", instrument="family-functioning",
                 versions=("2",), scoring_rule="mean of q1–q12, 8 of 12 answered"),
        Variable("change", "Change in score", "numeric"),
        Variable("comment", "Free text, scrubbed", "string"),
        Variable("consent", "Consent given", "string", {"y": "Yes", "n": "No"}),
        Variable("entry_date", "Date of entry", "date"),
        Variable(LONG, "Change exit − entry", "numeric"),
        Variable(LONG_TWIN, "Change follow-up − entry", "numeric"),
    ))


@pytest.fixture
def frame():
    return pd.DataFrame({
        "member_id": ["m1", "m2", "m3", "m4", "m5", "m6", "m7"],
        "q1_often": [1.0, 2.0, 3.0, -9.0, np.nan, 1.0, 2.0],
        "score": [1.5, 2.25, np.nan, 3.0, 4.0, 1.0, 2.75],
        "change": [-1.5, 0.0, 2.0, np.nan, -3.0, 1.0, -0.25],
        "comment": TEXTS,
        "consent": ["y", "n", "y", "y", None, "n", "y"],
        "entry_date": [date(2024, 1, 2), date(2024, 2, 29), None, date(2023, 12, 31),
                       date(2024, 5, 1), date(2024, 6, 30), date(2025, 1, 1)],
        LONG: [0.5, 1.0, np.nan, -1.0, 2.0, 0.0, 1.5],
        LONG_TWIN: [1.0, np.nan, 0.0, -2.0, 1.0, 0.5, 3.0],
    })


@pytest.fixture
def bundle(tmp_path, frame, codebook):
    return write_bundle_files(frame, codebook, tmp_path, "evaluation", FORMATS)


def spilled_batches(prepared, tmp_path) -> int:
    """How many record batches the worker's spilled file of ``prepared`` holds (the file removed)."""
    import pyarrow as pa

    spill = writers.spill_rows(prepared, tmp_path / "rows.arrow")
    with pa.OSFile(str(spill), "rb") as source:
        batches = pa.ipc.open_file(source).num_record_batches
    spill.unlink()
    return batches


def written_by_the_worker(frame, codebook, tmp_path, stem, formats) -> dict:
    from feedback.exports.background import BackgroundWriter

    with BackgroundWriter(min_cells=1, cores=2) as background:
        written = write_bundle_files(frame, codebook, tmp_path, stem, formats, background)
        background.wait()
    return written


def defused(values):
    return ["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in values]


def test_every_format_is_written_under_the_stem(bundle, tmp_path):
    assert {name: path.name for name, path in bundle.items()} == {
        f: f"evaluation.{f}" for f in ("csv", "xlsx", "sav", "dta", "parquet")}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in bundle.values())


def test_csv_round_trip_with_bom_and_defused_formulas(bundle, frame):
    raw = bundle["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "ŵyr ŷd".encode() in raw and "😀".encode() in raw
    back = pd.read_csv(bundle["csv"], encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    assert list(back.columns) == list(frame.columns)
    assert back["comment"].tolist()[:6] == defused(TEXTS[:6])
    assert pd.isna(back["comment"].iloc[6])
    # Numbers are untouched: negatives stay negative numbers, codes read as whole numbers.
    assert back["change"].tolist()[:3] == [-1.5, 0.0, 2.0]
    assert ",-1.5," in raw.decode("utf-8-sig")
    assert back["q1_often"].tolist()[:4] == [1, 2, 3, -9]
    assert back["entry_date"].tolist()[:2] == ["2024-01-02", "2024-02-29"]
    assert raw.decode("utf-8-sig").splitlines()[1].startswith("m1,1,1.5,")


def test_xlsx_keeps_values_defuses_formulas_and_carries_the_codebook(bundle, frame, codebook):
    sheets = pd.read_excel(bundle["xlsx"], sheet_name=None)
    assert list(sheets) == ["data", "codebook"]
    data = sheets["data"]
    assert data["comment"].tolist()[:6] == defused(TEXTS[:6])
    assert data["change"].tolist()[:3] == [-1.5, 0.0, 2.0]
    assert data["member_id"].tolist() == frame["member_id"].tolist()
    assert pd.Timestamp(data["entry_date"].iloc[1]) == pd.Timestamp("2024-02-29")
    assert sheets["codebook"]["variable"].tolist() == codebook.names
    comments = load_workbook(bundle["xlsx"])["data"]["E"]
    assert comments[3].value == "'=1+2" and not any(cell.data_type == "f" for cell in comments)


def test_sav_round_trip_with_labels_missing_codes_and_mapped_names(bundle, frame, codebook):
    data, meta = pyreadstat.read_sav(bundle["sav"], user_missing=True)
    spss = {name: codebook.spss_name(name) for name in codebook.names}
    assert list(data.columns) == list(spss.values())
    assert all(len(name) <= 64 for name in data.columns)
    assert spss[LONG] != spss[LONG_TWIN] and spss["score"] == "score"
    assert meta.column_names_to_labels[spss["q1_often"]] == "How often do you argue? (ŵ)"
    assert meta.variable_value_labels[spss["q1_often"]] == {1.0: "Never", 2.0: "Sometimes",
                                                             3.0: "Often", -9.0: "Not asked"}
    assert meta.variable_value_labels[spss["consent"]] == {"y": "Yes", "n": "No"}
    assert meta.missing_ranges[spss["q1_often"]] == [{"lo": -9.0, "hi": -9.0}]
    assert meta.original_variable_types[spss["q1_often"]] == "F8.0"
    assert data[spss["q1_often"]].tolist()[:4] == [1, 2, 3, -9]
    # Text is kept exactly (SPSS evaluates nothing); missing text becomes empty.
    assert data[spss["comment"]].tolist() == TEXTS[:6] + [""]
    assert np.allclose(data[spss[LONG]], frame[LONG], equal_nan=True)
    assert data[spss["entry_date"]].tolist()[:2] == [date(2024, 1, 2), date(2024, 2, 29)]


def test_dta_round_trip_with_labels_on_numeric_codes_only(bundle, frame, codebook):
    data, meta = pyreadstat.read_dta(bundle["dta"])
    stata = {name: codebook.stata_name(name) for name in codebook.names}
    assert list(data.columns) == list(stata.values())
    assert all(len(name) <= 32 for name in data.columns)
    assert len({name.lower() for name in data.columns}) == len(codebook)
    assert meta.column_names_to_labels[stata["q1_often"]] == "How often do you argue? (ŵ)"
    assert meta.variable_value_labels[stata["q1_often"]] == FREQUENCY
    # Stata cannot label text codes: the values stay, the labels are in the codebook with a note.
    assert stata["consent"] not in meta.variable_value_labels
    assert data[stata["consent"]].tolist()[:2] == ["y", "n"]
    assert "Stata: no value labels" in " ".join(codebook.notes(codebook["consent"]))
    assert data[stata["comment"]].tolist() == TEXTS[:6] + [""]
    assert np.allclose(data[stata["change"]], frame["change"], equal_nan=True)
    assert data[stata["entry_date"]].tolist()[1] == date(2024, 2, 29)


def test_parquet_round_trip_keeps_types_and_labels_in_the_schema(bundle, frame, codebook):
    back = pd.read_parquet(bundle["parquet"])
    assert back["comment"].tolist()[:6] == TEXTS[:6]  # not defused: Parquet is not a spreadsheet
    assert back["q1_often"].tolist()[:4] == [1, 2, 3, -9] and pd.isna(back["q1_often"].iloc[4])
    assert np.allclose(back["score"], frame["score"], equal_nan=True)
    assert back["entry_date"].tolist()[:2] == [date(2024, 1, 2), date(2024, 2, 29)]
    schema = pq.read_schema(bundle["parquet"])
    field = schema.field("q1_often").metadata
    assert field[b"label"].decode() == "How often do you argue? (ŵ)"
    assert json.loads(field[b"value_labels"]) == [{"code": c, "label": l} for c, l in FREQUENCY.items()]
    assert json.loads(field[b"missing_codes"]) == [-9]
    stored = json.loads(schema.metadata[b"feedback.codebook"])
    assert [v["name"] for v in stored["variables"]] == codebook.names


def test_parquet_in_row_groups_holds_the_table_written_whole(tmp_path, frame, codebook, monkeypatch):
    """Parquet is converted and written a row group at a time (so the Arrow copy is a group's, not
    the table's): with two rows' cells a group, the 7 rows make four groups, and the file reads
    back as the one written in one group, with the same schema, labels and codebook; a date column
    whose group holds no date keeps its date type."""
    whole = write_bundle_files(frame, codebook, tmp_path, "whole", ["parquet"])["parquet"]
    assert pq.ParquetFile(whole).num_row_groups == 1
    monkeypatch.setattr(writers, "PARQUET_GROUP_CELLS", 2 * len(codebook.names))
    frame = frame.assign(entry_date=[date(2024, 1, 2), date(2024, 2, 29), None, None, date(2024, 5, 1), None, None])
    grouped = write_bundle_files(frame, codebook, tmp_path, "grouped", ["parquet"])["parquet"]
    assert pq.ParquetFile(grouped).num_row_groups == 4
    assert [pq.ParquetFile(grouped).metadata.row_group(i).num_rows for i in range(4)] == [2, 2, 2, 1]
    monkeypatch.setattr(writers, "PARQUET_GROUP_CELLS", 10**9)
    one = write_bundle_files(frame, codebook, tmp_path, "one", ["parquet"])["parquet"]
    assert pq.read_schema(grouped).equals(pq.read_schema(one), check_metadata=True)
    assert pq.read_table(grouped).equals(pq.read_table(one), check_metadata=True)
    pd.testing.assert_frame_equal(pd.read_parquet(grouped), pd.read_parquet(one))
    assert str(pq.read_schema(grouped).field("entry_date").type) == "date32[day]"


def test_a_text_column_pandas_holds_in_several_arrow_chunks_is_spilled_and_grouped(tmp_path, frame, codebook,
                                                                                  monkeypatch):
    """A table put together from parts keeps a text column in several Arrow chunks, so a slice of
    it is chunked too (at national scale: a record batch could not be made of it). Spilled for the
    worker and written to Parquet a slice at a time, it gives the files of a table in one chunk."""
    one = write_bundle_files(frame, codebook, tmp_path, "one", ["xlsx", "parquet"])
    parts = pd.concat([frame.iloc[:3], frame.iloc[3:]], ignore_index=True)
    prepared = writers.prepare_frame(parts, codebook)
    assert prepared["member_id"].array._pa_array.num_chunks == 2  # the case this test is for
    monkeypatch.setattr(writers, "ROW_BATCH", 2)  # slices 2:4 etc. cross the chunks' edge
    monkeypatch.setattr(writers, "PARQUET_GROUP_CELLS", 2 * len(codebook.names))
    assert spilled_batches(prepared, tmp_path) == 4
    written = written_by_the_worker(parts, codebook, tmp_path, "parts", ["xlsx", "parquet"])
    pd.testing.assert_frame_equal(pd.read_excel(written["xlsx"], sheet_name="data"),
                                  pd.read_excel(one["xlsx"], sheet_name="data"))
    assert pq.read_table(written["parquet"]).equals(pq.read_table(one["parquet"]), check_metadata=True)
    assert pq.ParquetFile(written["parquet"]).num_row_groups == 4


def test_datetimes_of_any_resolution_survive_spss_and_stata(tmp_path):
    book = Codebook((Variable("seen_at", "When", "date"),))
    seen = pd.Series(pd.to_datetime(["2024-03-04 10:00", None])).astype("datetime64[s]")
    paths = write_bundle_files(pd.DataFrame({"seen_at": seen}), book, tmp_path, "t", ["sav", "dta"])
    assert pyreadstat.read_sav(paths["sav"])[0]["seen_at"].iloc[0] == pd.Timestamp("2024-03-04 10:00")
    assert pyreadstat.read_dta(paths["dta"])[0]["seen_at"].iloc[0] == pd.Timestamp("2024-03-04 10:00")


def test_codebook_files_record_names_codes_and_notes(tmp_path, codebook):
    codebook.write_codebook_csv(tmp_path / "codebook.csv")
    codebook.write_codebook_json(tmp_path / "codebook.json")
    rows = pd.read_csv(tmp_path / "codebook.csv", encoding="utf-8-sig", keep_default_na=False)
    long_row = rows.set_index("variable").loc[LONG]
    assert long_row["spss_name"] == codebook.spss_name(LONG) and len(long_row["stata_name"]) <= 32
    assert rows.set_index("variable").loc["q1_often", "codes"] == "1 = Never | 2 = Sometimes | 3 = Often | -9 = Not asked"
    assert rows.set_index("variable").loc["change", "label"] == "Change in score"
    stored = json.loads((tmp_path / "codebook.json").read_text(encoding="utf-8"))
    q1 = stored["variables"][1]
    assert q1["value_labels"][3] == {"code": -9, "label": "Not asked"}
    assert q1["versions"] == ["1", "2"] and q1["missing_codes"] == [-9]
    assert "mvdecode" in " ".join(q1["notes"])


def test_codebook_csv_defuses_labels_that_look_like_formulas(tmp_path):
    Codebook((Variable("x", "=cmd|' /C calc'!A0"),)).write_codebook_csv(tmp_path / "c.csv")
    assert "'=cmd" in (tmp_path / "c.csv").read_text(encoding="utf-8-sig")


def test_names_are_mapped_to_valid_unique_spss_and_stata_names():
    book = Codebook(tuple(Variable(name, name) for name in
                          ["1st answer", "ŵyr", "with", "str12", "a b", "a_b", "A_B2", LONG, LONG_TWIN]))
    spss = [book.spss_name(n) for n in book.names]
    stata = [book.stata_name(n) for n in book.names]
    for mapped, limit in ((spss, 64), (stata, 32)):
        assert all(len(m) <= limit and m[0].isalpha() and m.replace("_", "").isalnum() and m.isascii()
                   for m in mapped)
        assert len({m.lower() for m in mapped}) == len(mapped)
    assert book.spss_name("a_b") == "a_b" and book.spss_name("a b") != "a_b"
    assert book.spss_name("ŵyr") == "wyr"
    assert book.spss_name("with").upper() != "WITH" and book.stata_name("str12") != "str12"


def test_long_labels_are_shortened_for_stata_and_spss_with_a_note(tmp_path):
    label = "Pa mor aml ydych chi’n teimlo’n ŵyl? " * 10
    book = Codebook((Variable("q", label, "numeric", {1: "ŷ" * 100}),))
    paths = write_bundle_files(pd.DataFrame({"q": [1]}), book, tmp_path, "t", ["sav", "dta"])
    assert pyreadstat.read_dta(paths["dta"])[1].column_names_to_labels["q"] == label[:80]
    meta = pyreadstat.read_sav(paths["sav"])[1]
    assert len(meta.column_names_to_labels["q"].encode()) <= 256
    assert len(meta.variable_value_labels["q"][1].encode()) <= 120
    assert len(book.notes(book["q"])) == 3


def test_more_than_three_missing_codes_become_a_range_or_a_note():
    range_ok = Variable("a", "a", "numeric", {1: "Yes", 0: "No"}, (-9, -8, -7, -6))
    answer_inside = Variable("b", "b", "numeric", {1: "Yes", -7: "Odd"}, (-9, -8, -6, -5))
    book = Codebook((range_ok, answer_inside))
    assert book.spss_missing(range_ok) == [{"lo": -9, "hi": -6}]
    assert book.spss_missing(answer_inside) is None
    assert "SPSS: missing codes not declared" in " ".join(book.notes(answer_inside))


def test_refusals_come_before_any_file_is_written(tmp_path, frame, codebook):
    with pytest.raises(ValueError, match="Unknown export format"):
        write_bundle_files(frame, codebook, tmp_path, "x", ["csv", "sas7bdat"])
    with pytest.raises(ValueError, match="comment.*codebook does not describe"):
        write_bundle_files(frame, Codebook(tuple(v for v in codebook if v.name != "comment")),
                           tmp_path, "x", ["csv"])
    with pytest.raises(ValueError, match="numeric in the codebook"):
        write_bundle_files(frame.assign(score=["a"] * 7), codebook, tmp_path, "x", ["csv"])
    with pytest.raises(ValueError, match="plain file name"):
        write_bundle_files(frame, codebook, tmp_path, "../x", ["csv"])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_bundle_files(frame, codebook, tmp_path / "absent", "x", ["csv"])
    assert list(tmp_path.iterdir()) == []


def test_a_failing_write_leaves_no_partial_file(tmp_path, frame, codebook, monkeypatch):
    def half_written(data, book, path):
        path.write_bytes(b"$FL2 half a file")
        raise OSError("No space left on device")

    monkeypatch.setitem(writers.WRITERS, "sav", half_written)
    with pytest.raises(OSError, match="No space"):
        write_bundle_files(frame, codebook, tmp_path, "evaluation", ["csv", "xlsx", "sav", "dta"])
    # Neither the half-written file, its temporary, nor the files finished before it remain.
    assert list(tmp_path.iterdir()) == []


def test_manifest_has_sorted_keys_and_readme_ends_with_a_newline(tmp_path):
    write_manifest(tmp_path / "manifest.json", {"rows": 7, "profile": "evaluation",
                                                "exported_on": date(2025, 1, 2), "k": {"site": 5}})
    text = (tmp_path / "manifest.json").read_text(encoding="utf-8")
    assert list(json.loads(text)) == ["exported_on", "k", "profile", "rows"]
    assert json.loads(text)["exported_on"] == "2025-01-02" and text.endswith("\n")
    with pytest.raises(TypeError, match="manifest cannot hold"):
        write_manifest(tmp_path / "bad.json", {"x": object()})
    assert not (tmp_path / "bad.json").exists()
    write_readme(tmp_path / "README.txt", "Open evaluation.sav in SPSS. Diolch — ŵ")
    assert (tmp_path / "README.txt").read_text(encoding="utf-8") == "Open evaluation.sav in SPSS. Diolch — ŵ\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.txt", "manifest.json"]


def test_a_labelled_variable_with_a_long_name_still_writes_to_stata(tmp_path):
    """A 32-character name with value labels made readstat refuse the whole .dta file."""
    import pandas as pd
    import pyreadstat

    from feedback.exports.codebook import Codebook, Variable
    from feedback.exports.writers import write_bundle_files

    name = "exit12m_chg_entry_exit_functioning"  # 34 characters
    frame = pd.DataFrame({name: [1, 2]})
    codebook = Codebook((Variable(name=name, label="Long", type="numeric", value_labels={1: "One", 2: "Two"}),))
    written = write_bundle_files(frame, codebook, tmp_path, "long", ["dta"])
    data, meta = pyreadstat.read_dta(str(written["dta"]))
    [column] = data.columns
    assert len(column) <= 28 and meta.variable_value_labels[column] == {1: "One", 2: "Two"}


def test_many_labelled_variables_with_long_names_write_to_stata(tmp_path):
    """pyreadstat names the n-th label set <name><n>: with 31-character names the 11th failed."""
    import pandas as pd
    import pyreadstat

    from feedback.exports.codebook import Codebook, Variable
    from feedback.exports.writers import write_bundle_files

    names = [f"exit12m_outcome_school_attendance_{n:03d}" for n in range(120)]
    frame = pd.DataFrame({name: [1, 2] for name in names})
    codebook = Codebook(tuple(Variable(name=name, label=name, type="numeric", value_labels={1: "Better", 2: "Worse"})
                              for name in names))
    written = write_bundle_files(frame, codebook, tmp_path, "many", ["dta"])
    data, meta = pyreadstat.read_dta(str(written["dta"]))
    assert len(data.columns) == 120 and len(set(data.columns)) == 120
    assert all(len(column) <= 28 for column in data.columns)
    assert all(meta.variable_value_labels[column] == {1: "Better", 2: "Worse"} for column in data.columns)


def test_a_large_tables_xlsx_is_written_by_the_background_worker_with_the_same_content(tmp_path, frame, codebook):
    from feedback.exports.background import BackgroundWriter

    inline = write_bundle_files(frame, codebook, tmp_path, "inline", ["xlsx"])
    with BackgroundWriter(min_cells=1, cores=2) as background:
        assert background.wants("xlsx", frame.size) and not background.wants("csv", frame.size)
        written = write_bundle_files(frame, codebook, tmp_path, "worker", ["xlsx", "csv"], background)
        background.wait()
    assert written["xlsx"].exists() and written["csv"].exists()
    for sheet in ("data", "codebook"):
        expected = pd.read_excel(inline["xlsx"], sheet_name=sheet)
        pd.testing.assert_frame_equal(pd.read_excel(written["xlsx"], sheet_name=sheet), expected)
    assert not BackgroundWriter(min_cells=1, cores=1).wants("xlsx", frame.size)


def test_the_worker_reads_the_table_in_batches_from_a_spilled_file_that_is_then_removed(tmp_path, frame, codebook,
                                                                                         monkeypatch):
    """The worker is handed a file of row batches, not a pickled copy of the table; a table spread
    over many batches gives the same workbook as one written in place, and no spilled file is left
    in the bundle's folder."""
    from feedback.exports.background import BackgroundWriter

    inline = write_bundle_files(frame, codebook, tmp_path, "inline", ["xlsx"])
    monkeypatch.setattr(writers, "ROW_BATCH", 2)  # 7 rows: four batches, the last of one row
    with BackgroundWriter(min_cells=1, cores=2) as background:
        written = write_bundle_files(frame, codebook, tmp_path, "batched", ["xlsx"], background)
        background.wait()
    for sheet in ("data", "codebook"):
        pd.testing.assert_frame_equal(pd.read_excel(written["xlsx"], sheet_name=sheet),
                                      pd.read_excel(inline["xlsx"], sheet_name=sheet))
    in_place = write_bundle_files(frame, codebook, tmp_path, "sliced", ["xlsx"])  # in place, in slices of 2
    pd.testing.assert_frame_equal(pd.read_excel(in_place["xlsx"], sheet_name="data"),
                                  pd.read_excel(inline["xlsx"], sheet_name="data"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batched.xlsx", "inline.xlsx", "sliced.xlsx"]


@pytest.mark.parametrize("with_times", [False, True])
def test_csv_written_in_slices_has_the_bytes_of_one_written_whole(tmp_path, frame, codebook, monkeypatch, with_times):
    """CSV is written a slice of rows at a time; the file is the same, byte for byte, BOM once and
    header once, including a column whose cells pandas formats per column (times shown only when
    some row has one)."""
    if with_times:
        frame = frame.assign(entry_date=pd.to_datetime(frame["entry_date"]))
        frame.loc[6, "entry_date"] = pd.Timestamp("2025-01-01 10:30")  # only the last slice has a time
    whole = write_bundle_files(frame, codebook, tmp_path, "whole", ["csv"])["csv"].read_bytes()
    monkeypatch.setattr(writers, "ROW_BATCH", 2)
    sliced = write_bundle_files(frame, codebook, tmp_path, "sliced", ["csv"])["csv"].read_bytes()
    assert sliced == whole and sliced.count(b"\xef\xbb\xbf") == 1 and sliced.count(b"member_id") == 1
    assert (b"2024-01-02 00:00:00" in whole) == with_times
    empty = write_bundle_files(frame.iloc[0:0], codebook, tmp_path, "empty", ["csv"])["csv"].read_bytes()
    assert empty == whole.split(b"\n")[0] + b"\n"


def test_an_empty_table_spilled_to_the_worker_still_gets_its_header(tmp_path, frame, codebook):
    from feedback.exports.background import BackgroundWriter

    with BackgroundWriter(min_cells=0, cores=2) as background:
        written = write_bundle_files(frame.iloc[0:0], codebook, tmp_path, "empty", ["xlsx"], background)
        background.wait()
    assert list(pd.read_excel(written["xlsx"], sheet_name="data").columns) == list(codebook.names)
    assert [p.name for p in tmp_path.iterdir()] == ["empty.xlsx"]


def test_a_failing_background_write_is_raised_when_the_export_waits(tmp_path, frame, codebook):
    from feedback.exports.background import BackgroundWriter

    missing = tmp_path / "gone"
    with BackgroundWriter(min_cells=1, cores=2) as background:
        background.submit(writers.write_format, "xlsx", writers.prepare_frame(frame, codebook), codebook,
                          missing / "x.xlsx")
        with pytest.raises(FileNotFoundError, match="does not exist"):
            background.wait()


def test_batches_are_sized_by_cells_so_a_wide_table_gets_fewer_rows_a_batch(monkeypatch):
    assert writers.batch_rows(10) == min(writers.ROW_BATCH, writers.BATCH_CELLS // 10)
    assert writers.batch_rows(1) == writers.ROW_BATCH  # a narrow table: the row cap
    assert writers.batch_rows(10 * writers.BATCH_CELLS) == 1 and writers.batch_rows(0) == writers.ROW_BATCH
    monkeypatch.setattr(writers, "BATCH_CELLS", 30)
    assert writers.batch_rows(7) == 4 and writers.batch_rows(40) == 1


def test_a_wide_table_spilled_and_sliced_by_cells_gives_the_same_files(tmp_path, frame, codebook, monkeypatch):
    """A few cells a batch (one or two rows of this table): the spilled file has that many batches,
    and the worker's XLSX and the sliced CSV are those of the table written whole."""
    whole = write_bundle_files(frame, codebook, tmp_path, "whole", ["xlsx", "csv"])
    monkeypatch.setattr(writers, "BATCH_CELLS", 2 * len(codebook.names))  # two rows a batch: 7 rows, four batches
    assert spilled_batches(writers.prepare_frame(frame, codebook), tmp_path) == 4
    written = written_by_the_worker(frame, codebook, tmp_path, "cells", ["xlsx", "csv"])
    assert written["csv"].read_bytes() == whole["csv"].read_bytes()
    for sheet in ("data", "codebook"):
        pd.testing.assert_frame_equal(pd.read_excel(written["xlsx"], sheet_name=sheet),
                                      pd.read_excel(whole["xlsx"], sheet_name=sheet))
    wb_whole, wb_cells = load_workbook(whole["xlsx"], read_only=True), load_workbook(written["xlsx"], read_only=True)
    assert [list(r) for r in wb_cells["data"].iter_rows(values_only=True)] == \
        [list(r) for r in wb_whole["data"].iter_rows(values_only=True)]


def test_a_frame_prepared_by_consuming_it_is_the_one_prepared_from_a_copy(frame, codebook):
    """The runner lets ``prepare_frame`` take the table's columns as it converts them (so a column
    and its converted copy are never both held beside the whole table): the result must be the same,
    and the table it was handed is left with nothing in it."""
    kept = writers.prepare_frame(frame.copy(), codebook)
    table = frame.copy()
    consumed = writers.prepare_frame(table, codebook, consume=True)
    pd.testing.assert_frame_equal(consumed, kept)
    assert list(consumed.columns) == list(codebook.names)
    assert table.columns.empty
    # Without ``consume`` the caller's frame is untouched.
    untouched = frame.copy()
    writers.prepare_frame(untouched, codebook)
    pd.testing.assert_frame_equal(untouched, frame)
