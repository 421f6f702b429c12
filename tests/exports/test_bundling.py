"""The bundle's zip: every file back byte for byte; text, Parquet, SPSS deflated; an XLSX (a zip
already) stored as it is."""
from __future__ import annotations

import io
import zipfile

import pandas as pd

from feedback.exports.bundling import write_zip


def test_the_zip_stores_an_xlsx_as_it_is_and_deflates_the_rest(tmp_path):
    folder = tmp_path / "evaluation-20261207-070000"
    folder.mkdir()
    frame = pd.DataFrame({"response_id": range(5_000), "score": [n % 7 for n in range(5_000)],
                          "site": ["north", "south"] * 2_500})
    workbook, table = io.BytesIO(), io.BytesIO()
    frame.to_excel(workbook, index=False, engine="xlsxwriter")
    frame.to_parquet(table, index=False)
    contents = {
        "family-functioning.csv": frame.to_csv(index=False).encode(),
        "family-functioning.parquet": table.getvalue(),
        "family-functioning.xlsx": workbook.getvalue(),
        "family-functioning.sav": b"$FL2" + bytes(100_000),
        "README.txt": "Family functioning — read me first.\n".encode() * 50,
    }
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    zip_path = write_zip(folder, folder.name, tmp_path / "bundle.zip")
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.testzip() is None
        members = {info.filename: info for info in archive.infolist()}
        assert sorted(members) == sorted(f"{folder.name}/{name}" for name in contents)
        for name, data in contents.items():
            info = members[f"{folder.name}/{name}"]
            assert archive.read(info) == data
            stored = name.endswith(".xlsx")
            assert info.compress_type == (zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED), name
            if not stored:
                assert info.compress_size < info.file_size, name
    assert not list(tmp_path.glob(".*")), "no temporary file left beside the zip"
