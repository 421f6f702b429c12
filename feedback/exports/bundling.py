"""A bundle's name and its zip: names a researcher can trust, and no half-written zip.

A bundle is named ``<profile>-<UTC time>-<short content hash>`` (``-IDENTIFIABLE`` after the
profile for a full export), e.g. ``evaluation-20261203-101500-3f9a0c12be47``: two bundles with the
same name hold the same data, and a file renamed by hand can be checked against the manifest.

The content hash is the SHA-256 of the listing ``sha256sum`` prints for the data files, codebooks
and scripts (``<hash>  <name>``, one line each, sorted by name), so anyone can recompute it with
``sha256sum FILES | LC_ALL=C sort -k2 | sha256sum``. manifest.json and README.txt are not covered: the
manifest holds the hash, and cannot hold a hash of itself.
"""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Iterable

from .atomic import write_atomically

#: Hex digits of the content hash in a bundle's name: 48 bits, plenty to tell one export from another.
SHORT_HASH = 12
COVERS = ("the data files, codebooks and scripts listed in 'files' (not manifest.json or README.txt): the "
          "SHA-256 of the lines '<sha256>  <file name>' that sha256sum prints for them, sorted by file name")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_hash(folder: Path, names: Iterable[str]) -> dict:
    """The manifest's ``content_hash`` entry for the files ``names`` in ``folder``: the hash, its
    short form (the one in the bundle's name), what it covers and each file's own SHA-256."""
    each = {name: file_sha256(folder / name) for name in sorted(set(names))}
    listing = "".join(f"{sha}  {name}\n" for name, sha in each.items())
    whole = hashlib.sha256(listing.encode()).hexdigest()
    return {"sha256": whole, "short": whole[:SHORT_HASH], "covers": COVERS, "files": each}


def bundle_name(stem: str, manifest: dict) -> str:
    """``stem`` (profile and time) followed by the short content hash from the manifest."""
    return f"{stem}-{manifest['content_hash']['short']}"


#: Files that are zips already (an XLSX is one): stored in the bundle as they are. Deflating an
#: export's XLSX again took 26 ms of CPU per MB to save 5% of it (a share of the national-scale
#: bundle's zipping, issue 24). Parquet is deflated: its pages are only snappy-compressed, and
#: deflate still takes 40% off them (measured: 0.58 of the size, 21 ms per MB).
STORED_AS_THEY_ARE = frozenset({".xlsx", ".zip"})


def write_zip(folder: Path, name: str, zip_path: Path) -> Path:
    """Zip every file of ``folder`` under the folder name ``name``, whole or not at all: written
    under a hidden temporary name and renamed, so a full disk never leaves a truncated zip. Text,
    SPSS and Stata files are deflated; those in ``STORED_AS_THEY_ARE`` stored."""
    def write(temporary: Path) -> None:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.iterdir()):
                stored = path.suffix.lower() in STORED_AS_THEY_ARE
                archive.write(path, f"{name}/{path.name}", compress_type=zipfile.ZIP_STORED if stored else None)
    return write_atomically(zip_path, write)
