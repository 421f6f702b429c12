"""Write one dataset in the formats evaluators ask for: CSV, XLSX, SPSS, Stata and Parquet.

Pure Python over pandas; no Flask, no database.  Libraries do the formats — hand-written SPSS or
Stata files would be hundreds of lines of binary layout to get wrong:

- ``XlsxWriter`` (in constant-memory mode) writes XLSX, including the codebook sheet; cells read
  back as they did when openpyxl wrote them (``tests/exports/test_xlsx_writer_matches_openpyxl.py``),
  except text longer than Excel holds, now cut at 32,767 UTF-16 units rather than characters;
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

import contextlib
import json
import re
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
from .formulas import csv_frame, defuse
from .readstat_rows import ReadstatRows


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

    # Converted a batch at a time against the whole table's schema: an Arrow copy of the whole
    # table beside it was the largest allocation of writing a large table's files.
    schema = pa.Schema.from_pandas(data, preserve_index=False)
    with pa.OSFile(str(spill), "wb") as sink, pa.ipc.new_file(sink, schema) as file:
        for part in arrow_slices(data, schema, batch_rows(len(data.columns))):
            if part.num_rows:
                file.write_batch(part.combine_chunks().to_batches()[0])
    return spill


def arrow_slices(data: pd.DataFrame, schema, rows: int) -> Iterator:
    """``data`` as Arrow tables of at most ``rows`` rows, each converted only when asked for and
    typed by ``schema`` (``pa.Schema.from_pandas(data)``), so every slice has the types the whole
    table would have had, whatever values its own rows hold. An empty table gives one empty slice.
    (Tables, not record batches: a slice of a text column pandas keeps in several Arrow chunks is
    itself chunked.)"""
    import pyarrow as pa

    for start in range(0, max(len(data), 1), max(rows, 1)):
        yield pa.Table.from_pandas(data.iloc[start:start + rows], schema=schema, preserve_index=False)


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


def prepare_frame(frame: pd.DataFrame, codebook: Codebook, *, consume: bool = False) -> pd.DataFrame:
    """A copy in codebook order with each column in the dtype every writer can take.

    ``consume``: take the columns out of ``frame`` as they are converted (it is left empty), so a
    caller that has no further use for it never holds a column and its converted copy beside the
    whole table (at 100,000 families the writers' copy of the text columns was 150 MB more)."""
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
    converted = []
    for variable in codebook:
        column = (frame.pop(variable.name) if consume else frame[variable.name]).reset_index(drop=True)
        if variable.type == "numeric":
            if pd.api.types.is_bool_dtype(column):
                column = column.astype("Int8")
            if not pd.api.types.is_numeric_dtype(column):
                raise ValueError(f"Variable {variable.name!r} is numeric in the codebook but its column holds "
                                 f"{column.dtype} values.")
            # Coded answers read as 1, not 1.0, in every format once stored as (nullable) integers.
            if variable.value_labels and pd.api.types.is_float_dtype(column) and \
                    column.dropna().map(float.is_integer).all():
                column = column.astype("Int64")
        elif variable.type == "string":
            column = column.astype("str")
        else:
            column = _date_column(variable.name, column)
        converted.append(column)
    if not converted:
        return pd.DataFrame(index=pd.RangeIndex(len(frame)))
    return pd.concat(converted, axis=1)


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
    codebook sheet. XlsxWriter's ``constant_memory`` mode writes each row to a temporary file as
    soon as the next one starts, so memory stays flat however many rows; defusing and converting
    cells a slice at a time, a column at a time, keeps the Python objects a slice's."""
    import xlsxwriter

    # The strings_to_* options only matter to ``write``; cells here go through the typed methods.
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                               "strings_to_formulas": False, "strings_to_urls": False})
    try:
        formats = {kind: workbook.add_format({"num_format": code}) for kind, code in XLSX_DATE_FORMATS.items()}
        rows = pd.DataFrame(codebook.to_rows(), columns=list(ROW_FIELDS))
        for title, frames in (("data", batches), ("codebook", [rows])):
            sheet = workbook.add_worksheet(title)
            _write_text_as_openpyxl_did(sheet)
            sheet.freeze_panes(1, 0)
            _write_xlsx_sheet(sheet, frames, formats)
    except BaseException:
        # Closing releases the sheets' temporary files; what it writes, write_atomically removes.
        with contextlib.suppress(Exception):
            workbook.close()
        raise
    workbook.close()


#: Number formats of date cells, as openpyxl gave them (the workbooks read back the same).
XLSX_DATE_FORMATS = {"datetime": "yyyy-mm-dd h:mm:ss", "date": "yyyy-mm-dd"}
#: Excel's limits: XlsxWriter ignores a cell beyond them, so a table that big is refused instead.
XLSX_MAX_ROWS, XLSX_MAX_COLUMNS = 1_048_576, 16_384
#: Characters in a cell, at most (openpyxl cut longer text to this).
XLSX_MAX_TEXT = 32_767


def _write_xlsx_sheet(sheet, frames: Iterable[pd.DataFrame], formats: Mapping[str, Any]) -> None:
    writers = _cell_writers(sheet, formats)
    row = 0
    for number, frame in enumerate(frames):
        if len(frame.columns) > XLSX_MAX_COLUMNS or row + len(frame) + (number == 0) > XLSX_MAX_ROWS:
            raise ValueError(f"An XLSX sheet holds at most {XLSX_MAX_ROWS:,} rows and {XLSX_MAX_COLUMNS:,} "
                             "columns; leave out 'xlsx' for a table this large.")
        if number == 0:
            for column, name in enumerate(_xlsx_texts([str(name) for name in frame.columns])):
                if name is not None:
                    writers["text"](0, column, name)
            row = 1
        writes, cells = [], []
        for name in frame.columns:
            kind, values = _xlsx_column(frame[name])
            writes.append(writers[kind])
            cells.append(values)
        del frame
        positions = range(len(writes))
        for values in zip(*cells):
            for write, column, value in zip(writes, positions, values):
                if value is not None:
                    write(row, column, value)
            row += 1


def _cell_writers(sheet, formats: Mapping[str, Any]) -> dict[str, Callable]:
    """kind of cell → a function of (row, column, value) writing one to ``sheet``.

    XlsxWriter's typed methods first check whether they were given "A1" notation; their
    undecorated twins (same arguments, used by XlsxWriter itself) skip that, a sixth of the cost of
    a number cell. The public methods are the fallback should a release rename them."""
    number = getattr(sheet, "_write_number", sheet.write_number)
    text = getattr(sheet, "_write_string", sheet.write_string)
    boolean = getattr(sheet, "_write_boolean", sheet.write_boolean)
    dated, timed = formats["date"], formats["datetime"]

    def mixed(row: int, column: int, value: Any) -> None:
        # A column of mixed values (object dtype): each cell by its own type, defused like text.
        if isinstance(value, str):
            value = _xlsx_texts([value])[0]
            if value is not None:
                text(row, column, value)
        elif _missing(value):
            return
        elif isinstance(value, (bool, np.bool_)):
            boolean(row, column, bool(value))
        elif isinstance(value, datetime):
            number(row, column, _excel_serial(value), timed)
        elif isinstance(value, date):
            number(row, column, _excel_serial(value), dated)
        elif isinstance(value, (int, float, np.integer, np.floating)):
            if np.isfinite(value):  # openpyxl wrote infinity as a cell without a value
                number(row, column, value.item() if isinstance(value, np.generic) else value)
        else:
            raise TypeError(f"An XLSX cell cannot hold {type(value).__name__} values.")

    return {"number": number, "text": text, "boolean": boolean, "mixed": mixed,
            "datetime": lambda row, column, value: number(row, column, value, timed)}


def _xlsx_column(column: pd.Series) -> tuple[str, list]:
    """The kind of a column's cells (a key of ``_cell_writers``) and the cells as plain Python
    values, None where the cell stays empty: numbers as numbers, datetimes as Excel serial numbers,
    text defused and without the characters XML cannot hold."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return "datetime", _excel_serials(column)
    if pd.api.types.is_bool_dtype(column):
        return "boolean", column.astype(object).where(column.notna(), None).tolist()
    if pd.api.types.is_numeric_dtype(column):
        if pd.api.types.is_float_dtype(column):
            # openpyxl wrote infinity as a cell without a value, which reads back empty.
            column = column.where(~column.isin([np.inf, -np.inf]))
        return "number", column.astype(object).where(column.notna(), None).tolist()
    values = column.tolist()
    if all(value.__class__ is str or _missing(value) for value in values):
        return "text", _xlsx_texts(values)
    return "mixed", values


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, (str, bytes)) and bool(pd.isna(value)))


#: Characters XML 1.0 cannot hold (C0 controls but tab and line breaks): the same as openpyxl's
#: ILLEGAL_CHARACTERS_RE, which refused them, so they were removed before writing.
_ILLEGAL_IN_XML = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
#: A text that ``defuse`` or stripping would change starts like a formula, holds a line break (a
#: formula may start after it) or holds a character XML cannot: only those pay for both.
_TEXT_TO_MEND = re.compile(r"^[=+\-@\t\r]|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]|" + _ILLEGAL_IN_XML.pattern)


def _xlsx_texts(values: list) -> list:
    """Text cells as they were written through openpyxl: defused (``formulas.defuse``), then without
    the control characters XML cannot hold, cut to ``XLSX_MAX_TEXT`` characters; an empty or
    missing text is an empty cell (None)."""
    mend, strip = _TEXT_TO_MEND.search, _ILLEGAL_IN_XML.sub
    out = []
    for value in values:
        if value.__class__ is not str:
            if _missing(value):
                out.append(None)
                continue
            value = str(value)
        if mend(value):
            value = strip("", defuse(value))
        if len(value) > XLSX_MAX_TEXT:
            value = value[:XLSX_MAX_TEXT]
        out.append(value or None)
    return out


#: Text in XML: the markup characters, and a carriage return as a character reference, which an XML
#: parser would otherwise read as a line feed (openpyxl, through lxml, wrote the same).
_XML_TEXT_ESCAPES = re.compile("[&<>\r]")


def _escape_xml_text(data: Any) -> Any:
    if not isinstance(data, str) or not _XML_TEXT_ESCAPES.search(data):
        return data
    return data.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _write_text_as_openpyxl_did(sheet) -> None:
    """Make ``sheet`` (constant-memory mode) store each text cell's characters as openpyxl did.

    XlsxWriter, like Excel, writes a carriage return as ``_x000D_`` and protects a literal
    ``_x0041_`` as ``_x005F_x0041_``: Excel decodes both, but openpyxl (and pandas through it)
    shows them as written. openpyxl wrote the CR as a character reference and ``_x0041_`` as it is,
    which every reader reads back as the text it was. And in constant-memory mode XlsxWriter takes a
    text that starts with ``<r>`` and ends with ``</r>`` for a rich string's ready-made XML and
    writes it unescaped, so such an answer could add XML, a formula even, to the sheet; every text
    here is plain and is escaped. Three of the sheet's methods are replaced (the text is XML-escaped
    by one of them; XlsxWriter still writes the XML); ``tests/exports/test_xlsx_writer_matches_openpyxl.py``
    fails if a release of XlsxWriter stops calling them."""
    needed = ("_escape_control_characters", "_escape_data", "_xml_rich_inline_string", "_xml_inline_string")
    if not all(callable(getattr(sheet, name, None)) for name in needed):
        raise RuntimeError("This XlsxWriter release writes text differently from the one the XLSX writer was "
                           "made for (3.x); see feedback/exports/writers.py.")
    # The control characters it would escape were removed (_ILLEGAL_IN_XML); "_x0041_" stays as typed.
    sheet._escape_control_characters = lambda text: text
    sheet._escape_data = _escape_xml_text
    plain = sheet._xml_inline_string
    sheet._xml_rich_inline_string = lambda text, attributes=[]: plain(  # noqa: B006 (XlsxWriter's signature)
        text, text[:1].isspace() or text[-1:].isspace(), attributes)


#: Excel's day 0 (openpyxl's WINDOWS_EPOCH): serial numbers count days from it.
EXCEL_EPOCH = datetime(1899, 12, 30)
_DAY_US = 86_400_000_000


def _excel_serials(column: pd.Series) -> list:
    """A datetime column's cells as Excel serial numbers, computed with the same floating-point
    operations as openpyxl's ``to_excel`` (whole days, one less before 1 March 1900 where Excel
    counts a 29 February 1900, plus (seconds of the day + microseconds / 10**6) / 86400), so every
    number is the same to the last bit; None for a missing cell."""
    present = column.notna().to_numpy()
    stamps = column.to_numpy(dtype="datetime64[us]").view("int64")
    since = stamps - np.datetime64(EXCEL_EPOCH, "us").view("int64")
    days = since // _DAY_US
    within = since - days * _DAY_US
    seconds, micro = within // 1_000_000, within % 1_000_000
    days = np.where((days > 0) & (days <= 60), days - 1, days)
    serials = (days + (seconds + micro / 10**6) / 86400).astype(object)
    serials[~present] = None
    return serials.tolist()


def _excel_serial(value: datetime | date) -> float:
    """One date or datetime as openpyxl's ``to_excel`` gives it (see ``_excel_serials``)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time())
    elif value.tzinfo is not None:
        raise TypeError("Excel has no time zones: give datetimes in UTC without one.")
    days = (value - EXCEL_EPOCH).days
    if 0 < days <= 60:
        days -= 1
    return days + ((value.hour * 3600) + (value.minute * 60) + value.second + value.microsecond / 10**6) / 86400


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
    pyreadstat.write_sav(ReadstatRows(data.rename(columns=names)), str(path), column_labels=labels,
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
    pyreadstat.write_dta(ReadstatRows(data.rename(columns=names)), str(path), column_labels=labels,
                         variable_value_labels=value_labels, missing_user_values=missing_user or None)


def _write_parquet(data: pd.DataFrame, codebook: Codebook, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = pa.Schema.from_pandas(data, preserve_index=False)
    fields = []
    for arrow_field, variable in zip(types, codebook):
        metadata = {"label": variable.label, "type": variable.type}
        if variable.value_labels:
            metadata["value_labels"] = json.dumps(
                [{"code": c, "label": l} for c, l in variable.value_labels.items()], ensure_ascii=False)
        if variable.missing_codes:
            metadata["missing_codes"] = json.dumps(list(variable.missing_codes), ensure_ascii=False)
        fields.append(arrow_field.with_metadata(metadata))
    schema_metadata = dict(types.metadata or {})
    schema_metadata[b"feedback.codebook"] = json.dumps(codebook.to_json(), ensure_ascii=False).encode("utf-8")
    schema = pa.schema(fields, metadata=schema_metadata)
    # A row group at a time, each converted only then: the Arrow copy held is a group's, never the
    # table's. A table of up to PARQUET_GROUP_CELLS cells is one group, as ``pq.write_table`` made it
    # (the same bytes); the group's size follows the cells alone, so a file never depends on how
    # the other formats were sliced.
    with pq.ParquetWriter(path, schema) as writer:
        for part in arrow_slices(data, types, max(1, PARQUET_GROUP_CELLS // max(len(data.columns), 1))):
            writer.write_table(part)


#: Cells per Parquet row group, at most (a whole number of rows; one row at least).
PARQUET_GROUP_CELLS = 20_000_000


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
