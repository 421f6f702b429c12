"""Write one dataset in the formats evaluators ask for: CSV, XLSX, SPSS, Stata and Parquet.

Pure Python over pandas; no Flask, no database.  Libraries do the formats — hand-written SPSS or
Stata files would be hundreds of lines of binary layout to get wrong:

- ``openpyxl`` (in write-only mode) writes XLSX, including the codebook sheet;
- ``pyreadstat`` (ReadStat) writes ``.sav`` and ``.dta`` with variable and value labels and SPSS
  user-missing codes, which pandas' own ``to_stata`` cannot do for SPSS and does less fully for Stata;
- ``pyarrow`` writes Parquet and keeps each column's label and codes in the schema metadata.

Decisions an evaluator may notice (also recorded per variable in the codebook):

- CSV is UTF-8 *with* a byte-order mark.  Excel opens a BOM-less UTF-8 CSV as the local code page,
  turning Welsh ŵ and ŷ into mojibake; with the BOM it reads UTF-8.  pandas, readr, Stata and SPSS
  skip the BOM; base R's ``read.csv`` needs ``fileEncoding = "UTF-8-BOM"``, which the bundle's
  ``load.R`` (``r_script``) takes care of, with the labels.
- CSV and XLSX text cells that could start a formula, at the start of the cell or of any line in it,
  get a leading apostrophe (see ``formulas``).  In CSV a line break inside a cell is written as LF
  and the cell is quoted, so no reader mistakes it for the end of the row.
  SPSS, Stata and Parquet keep text exactly: those programs never evaluate cell text.
- SPSS and Stata names are mapped to valid names (≤64 and ≤28 characters: see ``format_names``);
  the codebook lists both.
- Stata labels whole-number codes of numeric variables only: such variables get their labels
  (fractional *values* simply show unlabelled); a string variable or one with fractional codes
  keeps its values and no Stata labels, which the codebook notes.
- SPSS and Stata have no missing text: a missing string is written as an empty string.
- "Not collected" (-6: an imported file had no column for the item) is a user-missing value with
  its own label in SPSS, the extended missing value ``.c`` (labelled) in Stata, where the
  instruments' own missing codes stay ordinary values; CSV, XLSX and Parquet hold the code, which
  the codebook labels.

Each file is written to a temporary name and renamed when complete; if one format fails, the
files already written by the same call are removed, so a failure leaves no partial bundle.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from .atomic import write_atomically, write_text_atomically
from .background import BackgroundWriter
from .codebook import ROW_FIELDS, Codebook
from .format_names import (SPSS_LABEL_BYTES, SPSS_VALUE_LABEL_BYTES, STATA_LABEL_CHARS, STATA_LABEL_SET_LIMIT,
                           truncate_bytes)
from .formulas import csv_frame, defuse_frame


def write_bundle_files(frame: pd.DataFrame, codebook: Codebook, directory: Path, stem: str,
                       formats: Iterable[str], background: "BackgroundWriter | None" = None) -> dict[str, Path]:
    """Write ``frame`` as ``directory/stem.<format>`` for each format; return format → path.

    The frame's columns must be exactly the codebook's variables (they are written in codebook
    order).  Refused before anything is written: an unknown format, a stem that is not a plain
    file name, a missing directory, columns without codebook entries or the reverse, and a
    column whose values do not fit its codebook type.

    With ``background``, formats it wants are written by its worker: their paths are returned at
    once and the caller must ``background.wait()`` before trusting them (and remove the folder if
    that raises).
    """
    formats = list(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in WRITERS]
    if unknown:
        raise ValueError(f"Unknown export format(s) {', '.join(map(repr, unknown))}; "
                         f"choose from {', '.join(WRITERS)}.")
    if not stem or stem.startswith(".") or Path(stem).name != stem:
        raise ValueError(f"The file stem {stem!r} must be a plain file name, without folders.")
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"The export folder {directory} does not exist.")
    data = prepare_frame(frame, codebook)
    written: dict[str, Path] = {}
    local: list[Path] = []
    cells = data.shape[0] * data.shape[1]
    try:
        for name in formats:
            path = directory / f"{stem}.{name}"
            if background is not None and background.wants(name, cells):
                # The worker reads the rows from a file a batch at a time: a pickled copy of the
                # table (half a gigabyte at national scale) would sit in both processes at once.
                spill = spill_rows(data, directory / f".{stem}.{name}.rows.arrow")
                background.submit(write_spilled, name, spill, codebook, path, cleanup=spill)
            else:
                local.append(write_format(name, data, codebook, path))
            written[name] = path
    except BaseException:
        for path in local:
            path.unlink(missing_ok=True)
        raise
    return written


def write_format(name: str, data: pd.DataFrame, codebook: Codebook, path: Path) -> Path:
    """Write ``data`` (from ``prepare_frame``) to ``path`` in format ``name``, whole or not at all."""
    write = WRITERS[name]
    return write_atomically(path, lambda temporary: write(data, codebook, temporary))


#: Rows per batch of a spilled table, and per slice written to CSV or XLSX, at most: a batch's cells
#: as Python objects are held at once, never the table's.
ROW_BATCH = 20_000
#: Cells per batch, at most: a wide table (hundreds of columns) is sliced into fewer rows, so a
#: batch's Python objects take about the same memory however wide the table is. (A table of up to
#: 100 columns keeps ROW_BATCH rows: at 20,000 families the worker's peak was the same with 400,000
#: cells a batch, and its CPU a few seconds more.)
BATCH_CELLS = 2_000_000


def batch_rows(columns: int) -> int:
    """Rows per batch or slice of a table with ``columns`` columns (``ROW_BATCH``, fewer when wide)."""
    return max(1, min(ROW_BATCH, BATCH_CELLS // max(columns, 1)))


def spill_rows(data: pd.DataFrame, spill: Path) -> Path:
    """``data`` (from ``prepare_frame``) as an Arrow IPC file of ``ROW_BATCH``-row batches, which
    ``read_spilled`` turns back into the same frames, dtypes included (pandas' metadata travels
    with the schema)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(data, preserve_index=False)
    with pa.OSFile(str(spill), "wb") as sink, pa.ipc.new_file(sink, table.schema) as file:
        for batch in table.to_batches(max_chunksize=batch_rows(len(data.columns))):
            file.write_batch(batch)
    return spill


def read_spilled(spill: Path) -> Iterator[pd.DataFrame]:
    """A spilled table's batches as frames, one in memory at a time (read, not memory-mapped, so a
    read batch is freed with its frame)."""
    import pyarrow as pa

    with pa.OSFile(str(spill), "rb") as source:
        file = pa.ipc.open_file(source)
        schema_frame = file.schema.empty_table().to_pandas()
        if file.num_record_batches == 0:
            yield schema_frame
        for index in range(file.num_record_batches):
            yield pa.Table.from_batches([file.get_batch(index)], schema=file.schema).to_pandas()


def write_spilled(name: str, spill: Path, codebook: Codebook, path: Path) -> Path:
    """Write a spilled table (``spill_rows``) to ``path`` in format ``name`` (only XLSX, which is
    written row by row), whole or not at all."""
    if name != "xlsx":
        raise ValueError(f"Only XLSX is written from spilled rows, not {name!r}.")
    return write_atomically(path, lambda temporary: _write_xlsx_batches(read_spilled(spill), codebook, temporary))


def prepare_frame(frame: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """A copy in codebook order with each column in the dtype every writer can take."""
    missing = [name for name in codebook.names if name not in frame.columns]
    extra = [str(name) for name in frame.columns if name not in codebook.names]
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"the codebook lists {', '.join(missing)} but the data has no such column")
        if extra:
            problems.append(f"the data has {', '.join(extra)} but the codebook does not describe it")
        raise ValueError("Data and codebook disagree: " + "; ".join(problems) + ".")
    # No deep copy: pandas' copy-on-write keeps the caller's frame as it was, and the columns that
    # need no conversion (most numbers) are shared rather than held twice.
    data = frame[codebook.names].reset_index(drop=True)
    for variable in codebook:
        column = data[variable.name]
        if variable.type == "numeric":
            if pd.api.types.is_bool_dtype(column):
                column = column.astype("Int8")
            if not pd.api.types.is_numeric_dtype(column):
                raise ValueError(f"Variable {variable.name!r} is numeric in the codebook but its column holds "
                                 f"{column.dtype} values.")
            # Coded answers read as 1, not 1.0, in every format once stored as (nullable) integers.
            present = column.dropna()
            if variable.value_labels and pd.api.types.is_float_dtype(column) and \
                    present.map(float.is_integer).all():
                column = column.astype("Int64")
        elif variable.type == "string":
            column = column.astype("str")
        else:
            column = _date_column(variable.name, column)
        data[variable.name] = column
    return data


def _date_column(name: str, column: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column):
        if getattr(column.dt, "tz", None) is not None:
            column = column.dt.tz_convert("UTC").dt.tz_localize(None)
        # pyreadstat writes second-resolution datetimes (pandas 3's default for parsed dates) as
        # 1970-01-01; microseconds are read correctly by every writer.
        return column.astype("datetime64[us]")
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind not in ("date", "empty"):
        raise ValueError(f"Variable {name!r} is a date in the codebook but its column holds {kind} values.")
    return column.astype(object).where(column.notna(), None)


def _write_csv(data: pd.DataFrame, codebook: Codebook, path: Path) -> None:
    # A slice at a time: the defused copy of the text cells (Python strings) is a slice's, not the
    # table's. pandas writes a datetime column's cells in a format chosen over the whole column
    # (dates only, or with times), so a table with one is written whole to keep the same bytes.
    timed = any(pd.api.types.is_datetime64_any_dtype(data[column]) for column in data.columns)
    step = len(data) if timed else batch_rows(len(data.columns))
    with open(path, "w", encoding="utf-8-sig", newline="") as stream:  # the BOM once, at the start
        for start in range(0, max(len(data), 1), max(step, 1)):
            csv_frame(data.iloc[start:start + step]).to_csv(stream, index=False, header=start == 0,
                                                            lineterminator="\n")


def _write_xlsx(data: pd.DataFrame, codebook: Codebook, path: Path) -> None:
    step = batch_rows(len(data.columns))
    _write_xlsx_batches((data.iloc[start:start + step] for start in range(0, max(len(data), 1), step)),
                        codebook, path)


def _write_xlsx_batches(batches: Iterable[pd.DataFrame], codebook: Codebook, path: Path) -> None:
    """The data sheet from consecutive slices of one table (the first gives the header), then the
    codebook sheet. openpyxl's write-only mode streams rows to the file: several times faster than
    pandas' to_excel (which builds every cell as an object first); defusing and making cells a
    slice at a time keeps memory flat however many rows."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    rows = pd.DataFrame(codebook.to_rows(), columns=list(ROW_FIELDS))
    for title, frames in (("data", batches), ("codebook", [rows])):
        sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        for number, frame in enumerate(frames):
            frame = defuse_frame(frame)
            if number == 0:
                sheet.append([_xlsx_text(str(column)) for column in frame.columns])
            for row in zip(*(_xlsx_cells(frame[column]) for column in frame.columns)):
                sheet.append(row)
    workbook.save(path)


def _xlsx_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # XLSX is XML: control characters other than tab and newlines cannot be stored at all.
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _xlsx_cells(column: pd.Series) -> list:
    """A column's cells as the plain Python values openpyxl writes; None for a missing value."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return [None if pd.isna(v) else v.to_pydatetime() for v in column]
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(object).where(column.notna(), None).tolist()
    return [_xlsx_text(v) if isinstance(v, str) else (None if v is None or pd.isna(v) else v)
            for v in column]


def _write_sav(data: pd.DataFrame, codebook: Codebook, path: Path) -> None:
    import pyreadstat

    names = {v.name: codebook.spss_name(v.name) for v in codebook}
    labels, value_labels, missing, formats = {}, {}, {}, {}
    for variable in codebook:
        name = names[variable.name]
        labels[name] = truncate_bytes(variable.label, SPSS_LABEL_BYTES) or None
        if variable.value_labels:
            value_labels[name] = {code: truncate_bytes(label, SPSS_VALUE_LABEL_BYTES)
                                  for code, label in variable.value_labels.items()}
        declared = codebook.spss_missing(variable)
        if declared:
            missing[name] = declared
        column = data[variable.name]
        if pd.api.types.is_integer_dtype(column):
            # Without a format SPSS shows codes as 1.00.
            widest = int(column.abs().max()) if column.notna().any() else 0
            formats[name] = f"F{max(8, len(str(widest)) + 1)}.0"
    pyreadstat.write_sav(data.rename(columns=names), str(path), column_labels=labels,
                         variable_value_labels=value_labels, missing_ranges=missing,
                         variable_format=formats)


def _write_dta(data: pd.DataFrame, codebook: Codebook, path: Path) -> None:
    import pyreadstat

    names = {v.name: codebook.stata_name(v.name) for v in codebook}
    labels, value_labels, missing_user = {}, {}, {}
    data = data.copy(deep=False)  # columns with .c are replaced, never changed in place
    for variable in codebook:
        name = names[variable.name]
        labels[name] = variable.label[:STATA_LABEL_CHARS] or None
        stata_labels = codebook.stata_value_labels(variable)
        if stata_labels:
            # pyreadstat names this variable's label set <name><count>; say so plainly rather than
            # let readstat refuse the whole file with "A provided name is too long".
            set_name = f"{name}{len(value_labels)}"
            if len(set_name) > STATA_LABEL_SET_LIMIT:
                raise ValueError(f"Stata cannot hold this many labelled variables: the value labels of "
                                 f"{variable.name!r} would need the set name {set_name!r}, longer than "
                                 f"{STATA_LABEL_SET_LIMIT} characters. Split the export or leave out 'dta'.")
            value_labels[name] = stata_labels
        extended = codebook.stata_extended_missing(variable)
        if extended and data[variable.name].isin(list(extended)).any():
            # pyreadstat writes a letter in an object column as that extended missing value (.c).
            column = data[variable.name].astype(object)
            column = column.where(column.notna(), np.nan)
            data[variable.name] = column.map(lambda value: extended.get(value, value))
            missing_user[name] = sorted(set(extended.values()))
            if name in value_labels:
                value_labels[name] = {**{code: label for code, label in value_labels[name].items()
                                         if code not in extended},
                                      **{letter: variable.value_labels.get(code, letter)
                                         for code, letter in extended.items()}}
    pyreadstat.write_dta(data.rename(columns=names), str(path), column_labels=labels,
                         variable_value_labels=value_labels, missing_user_values=missing_user or None)


def _write_parquet(data: pd.DataFrame, codebook: Codebook, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(data, preserve_index=False)
    fields = []
    for arrow_field, variable in zip(table.schema, codebook):
        metadata = {"label": variable.label, "type": variable.type}
        if variable.value_labels:
            metadata["value_labels"] = json.dumps(
                [{"code": c, "label": l} for c, l in variable.value_labels.items()], ensure_ascii=False)
        if variable.missing_codes:
            metadata["missing_codes"] = json.dumps(list(variable.missing_codes), ensure_ascii=False)
        fields.append(arrow_field.with_metadata(metadata))
    schema_metadata = dict(table.schema.metadata or {})
    schema_metadata[b"feedback.codebook"] = json.dumps(codebook.to_json(), ensure_ascii=False).encode("utf-8")
    schema = pa.schema(fields, metadata=schema_metadata)
    pq.write_table(pa.Table.from_arrays(table.columns, schema=schema), path)


WRITERS: dict[str, Callable[[pd.DataFrame, Codebook, Path], None]] = {
    "csv": _write_csv,
    "xlsx": _write_xlsx,
    "sav": _write_sav,
    "dta": _write_dta,
    "parquet": _write_parquet,
}
FORMATS = tuple(WRITERS)


def _json_value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"The manifest cannot hold {type(value).__name__} values; give text, numbers, "
                    "lists, mappings or dates.")


def write_manifest(path: Path, manifest: Mapping[str, Any]) -> Path:
    """The manifest as JSON with sorted keys, so two runs of one export differ only where they differ."""
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False, default=_json_value)
    return write_text_atomically(Path(path), text + "\n")


def write_readme(path: Path, text: str) -> Path:
    """The bundle's short README, UTF-8, ending with a newline."""
    return write_text_atomically(Path(path), text if text.endswith("\n") else text + "\n")
