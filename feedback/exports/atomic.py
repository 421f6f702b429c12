"""Write a file whole or not at all.

Every file of a bundle is written to a hidden temporary file beside its final name and renamed
into place only once complete, so a full disk or a crash mid-write never leaves a truncated
dataset that an evaluator might analyse without noticing.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)``, then rename the result to ``path``.

    The temporary file sits in the same directory, so the rename is atomic on one file system.
    If ``write`` raises, the temporary file is removed and the error propagates; ``path`` is
    untouched.  Refuses a ``path`` whose directory does not exist.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"Cannot write {path.name}: the folder {path.parent} does not exist.")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        write(temporary_path)
        os.replace(temporary_path, path)
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise
    return path


def write_text_atomically(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` whole or not at all (newlines are written as given)."""
    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding=encoding, newline="") as stream:
            stream.write(text)
    return write_atomically(path, write)
