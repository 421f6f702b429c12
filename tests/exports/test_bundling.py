"""The bundle's zip: every file back byte for byte; text deflated, what is compressed already stored."""
from __future__ import annotations

import os
import zipfile

from feedback.exports.bundling import write_zip


def test_the_zip_stores_compressed_files_as_they_are_and_deflates_the_rest(tmp_path):
    folder = tmp_path / "evaluation-20261207-070000"
    folder.mkdir()
    contents = {
        "family-functioning.csv": b"response_id,score\n" + b"".join(b"%d,%d\n" % (n, n % 7) for n in range(20_000)),
        "family-functioning.parquet": os.urandom(200_000),
        "family-functioning.xlsx": os.urandom(150_000),
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
            compressed = name.endswith((".parquet", ".xlsx"))
            assert info.compress_type == (zipfile.ZIP_STORED if compressed else zipfile.ZIP_DEFLATED), name
            if not compressed:
                assert info.compress_size < info.file_size / 2, name
    assert not list(tmp_path.glob(".*")), "no temporary file left beside the zip"
