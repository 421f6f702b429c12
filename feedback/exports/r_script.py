"""``load.R``: an R script in the bundle that reads its CSV files with the codebook's labels.

Pure Python; no Flask.  The script needs base R only.  It reads each CSV with the codebook's
column types, so a pseudonymous id stays text even when it looks like a number, and undoes what
the CSV writer did to text cells (``writers``, ``formulas``):

- the byte-order mark: the script reads the bytes as UTF-8 and takes column names from the
  codebook, so the mark in the header never reaches a name, in any locale;
- missing values: the writer leaves the cell empty, so ``na.strings = ""`` (and only that: an
  answer "NA" stays text);
- formula defusing: the apostrophe put before ``= + - @`` or a tab at the start of a text cell or
  of a line inside it is taken off again.

Each column gets the attributes haven gives a labelled column: ``label``, ``labels`` (the codes,
named by their labels; codes stay codes, not factors) and ``na_values`` (codes meaning "no
answer").  The script is ASCII only: every other character is written as an R ``\\u`` escape, so
it means the same whatever the reader's locale.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

from .atomic import write_text_atomically
from .codebook import Codebook, Code, Variable

#: The script's name in the bundle.
SCRIPT_NAME = "load.R"
#: Rscript reads a script line by line and cuts lines at 4,096 bytes, and R refuses a string
#: literal with Unicode escapes longer than 10,000 characters: longer text is written as
#: ``paste0()`` of pieces this long (at most ten source characters each), one per line.
_PIECE = 300
#: Codes per line in a list of codes, for the same reason.
_CODES_PER_LINE = 20
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def r_string(text: str) -> str:
    """``text`` as an R expression for the same string: ``'say "hi"'`` → ``"say \\"hi\\""``.

    Quotes, backslashes and line breaks are escaped; every character outside printable ASCII is
    written as ``\\uXXXX`` or ``\\UXXXXXXXX``.  R strings cannot hold NUL, so a NUL is left out; a
    lone surrogate (not a character) becomes U+FFFD.  Longer text is written as ``paste0()`` of
    pieces, one per line, so that no line is longer than Rscript reads.
    """
    text = text.replace("\x00", "")
    if len(text) > _PIECE:
        pieces = [text[start:start + _PIECE] for start in range(0, len(text), _PIECE)]
        return "paste0(\n" + ",\n".join(map(_literal, pieces)) + ")"
    return _literal(text)


def _literal(text: str) -> str:
    out = []
    for char in text:
        point = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif 0x20 <= point < 0x7F:
            out.append(char)
        elif 0xD800 <= point <= 0xDFFF:
            out.append("\\ufffd")
        elif point <= 0xFFFF:
            out.append(f"\\u{point:04x}")
        else:
            out.append(f"\\U{point:08x}")
    return '"' + "".join(out) + '"'


def r_code(code: Code) -> str:
    """A codebook code as an R constant: ``1`` → ``1``, ``2.5`` → ``2.5``, ``"a"`` → ``"a"``."""
    if isinstance(code, str):
        return r_string(code)
    if isinstance(code, bool) or not isinstance(code, (int, float)):
        raise TypeError(f"A code must be a number or text, not {type(code).__name__}.")
    if isinstance(code, float):
        if math.isnan(code):
            return "NaN"
        if math.isinf(code):
            return "Inf" if code > 0 else "-Inf"
        if code.is_integer() and abs(code) < 1e15:
            return str(int(code))
        return repr(code)
    return str(code)


def load_script(datasets: Mapping[str, tuple[str, Codebook]]) -> str:
    """The text of ``load.R`` for ``datasets``: stem → (CSV file name in the bundle, codebook).

    Refused: no data sets, and a file name that is not a plain file name.
    """
    if not datasets:
        raise ValueError("load.R needs at least one CSV data set to read.")
    entries = []
    for stem, (file_name, codebook) in datasets.items():
        if not file_name or Path(file_name).name != file_name:
            raise ValueError(f"The CSV file {file_name!r} of {stem!r} must be a plain file name, without folders.")
        columns = ",\n".join(f"    {_column(variable)}" for variable in codebook)
        entries.append(f"  {r_string(stem)} = feedback_read({r_string(file_name)}, list(\n{columns}\n  ))")
    first_file = next(iter(datasets.values()))[0]
    return (_HEADER + _FUNCTIONS.replace("@FIRST_FILE@", r_string(first_file))
            + "feedback_data <- list(\n" + ",\n".join(entries) + "\n)\n" + _FOOTER)


def write_load_script(path: Path, datasets: Mapping[str, tuple[str, Codebook]]) -> Path:
    """Write ``load_script(datasets)`` to ``path`` (LF line ends, whole or not at all)."""
    return write_text_atomically(Path(path), load_script(datasets))


def _column(variable: Variable) -> str:
    # One string per line (see _PIECE): a long label or many codes never make a line too long.
    parts = [f"list(name = {r_string(variable.name)}, type = \"{variable.type}\"",
             f"      label = {r_string(variable.label or '')}"]
    if variable.value_labels:
        parts.append(f"      labels = structure({_r_vector(list(variable.value_labels))}, "
                     f"names = {_r_vector(list(variable.value_labels.values()))})")
    if variable.missing_codes:
        parts.append(f"      na_values = {_r_vector(list(variable.missing_codes))}")
    return ",\n".join(parts) + ")"


def _r_vector(values: list) -> str:
    """``c(...)`` of codes or labels: numbers a line's worth at a time, each text on a line of its own."""
    if all(isinstance(value, (int, float)) for value in values):
        lines = [", ".join(map(r_code, values[start:start + _CODES_PER_LINE]))
                 for start in range(0, len(values), _CODES_PER_LINE)]
    else:
        lines = [r_code(value or "") for value in values]
    if len(lines) == 1 and "\n" not in lines[0]:
        return f"c({lines[0]})"
    return "c(\n        " + ",\n        ".join(lines) + ")"


_HEADER = r'''# load.R: reads this export bundle's CSV files into R, with the codebook's labels.
# Written by the feedback export; needs base R only (R 3.5 or later), no packages.
#
# Use, in R, with the bundle folder as the working directory (or give its path):
#   source("load.R")
#   ff <- feedback_data[["family-functioning"]]     # one data frame per CSV file, by file stem
# or check from a shell that every file loads:  Rscript load.R
#
# What each column holds:
#   - numeric variables are numbers; text variables (pseudonymous ids too) are character;
#     date variables are Date, or POSIXct in UTC where they hold times of day;
#   - an empty cell is NA (a text answer "NA" stays text);
#   - attr(x, "label"):     the variable's label from the codebook;
#   - attr(x, "labels"):    value labels: the codes, named by their labels (as haven does; the
#                           codes are kept, they are not turned into factors);
#   - attr(x, "na_values"): codes that mean "no answer" (such as -9); they are still values
#                           here: feedback_missing_to_na() makes them NA.
#
# Helpers, base R:
#   feedback_factor(x)          a labelled column as a factor, labels as levels (a code without a
#                               label keeps the code as its level)
#   feedback_factors(df)        every labelled column of df as such a factor
#   feedback_missing_to_na(df)  every column's na_values set to NA
# Base R's `[` drops attributes: ff[ff$wave == "exit", ] loses the labels. Take labels from
# feedback_data, or keep them with haven:
#   install.packages("haven")         # or install.packages("labelled"), which brings haven
#   ff <- feedback_haven(ff)          # columns become haven::labelled_spss: haven::as_factor(),
#                                     # labelled::var_label() and subsetting keep the labels
#
# The CSV files are UTF-8 with a byte-order mark (so Excel reads them as UTF-8). Text cells that
# begin with = + - @ or a tab, at the start or on any line, had an apostrophe put before them so
# that a spreadsheet shows them as text instead of running them as formulas; this script takes it
# off. (Text that itself began with such an apostrophe loses it too: the two cannot be told apart.)

'''

_FUNCTIONS = r'''feedback_folder <- local({
  # The bundle folder: where this script was sourced from or run as, else the working directory.
  candidates <- getwd()
  script <- sub("^--file=", "", grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE))
  if (length(script) == 1L) candidates <- c(dirname(script), candidates)
  for (frame in rev(sys.frames())) {
    if (is.character(frame$ofile)) {
      candidates <- c(dirname(frame$ofile), candidates)
      break
    }
  }
  found <- candidates[file.exists(file.path(candidates, @FIRST_FILE@))]
  if (length(found) == 0L) {
    stop("load.R cannot find ", @FIRST_FILE@, " beside it: source it from the export bundle folder, ",
         "e.g. setwd(\"path/to/bundle\"); source(\"load.R\")", call. = FALSE)
  }
  found[[1L]]
})

feedback_undefuse <- function(x) {
  # The apostrophe the export put before a formula start after a line break inside a cell ...
  x <- gsub("([\n\r\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029])'(?=[-=+@\t])", "\\1", x, perl = TRUE)
  # ... and at the start of the cell, which a number written as text ("-9") never got.
  start <- !is.na(x) & grepl("^'[-=+@\t\r]", x, perl = TRUE) &
    !grepl("(*UCP)^'[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?\\z", x, perl = TRUE)
  x[start] <- substring(x[start], 2L)
  x
}

feedback_date <- function(x) {
  if (all(is.na(x) | grepl("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", x))) return(as.Date(x))
  x <- ifelse(!is.na(x) & nchar(x) == 10L, paste(x, "00:00:00"), x)
  as.POSIXct(x, tz = "UTC", format = "%Y-%m-%d %H:%M:%OS")
}

feedback_read <- function(file, columns) {
  types <- vapply(columns, function(column) column$type, "")
  names <- vapply(columns, function(column) column$name, "")
  data <- utils::read.csv(file.path(feedback_folder, file), colClasses = ifelse(types == "numeric", "numeric", "character"),
                          na.strings = "", encoding = "UTF-8", check.names = FALSE, stringsAsFactors = FALSE,
                          comment.char = "", quote = "\"", strip.white = FALSE)
  header <- feedback_undefuse(sub("^\ufeff", "", enc2utf8(names(data))))
  if (!identical(header, enc2utf8(names))) {
    stop(file, " does not have the columns its codebook lists (was it changed after export?): expected ",
         paste(names, collapse = ", "), "; found ", paste(header, collapse = ", "), call. = FALSE)
  }
  names(data) <- names
  for (i in seq_along(columns)) {
    column <- columns[[i]]
    x <- data[[i]]
    if (column$type == "string") x <- feedback_undefuse(x)
    if (column$type == "date") x <- feedback_date(x)
    attr(x, "label") <- column$label
    if (!is.null(column$labels)) attr(x, "labels") <- column$labels
    if (!is.null(column$na_values)) attr(x, "na_values") <- column$na_values
    data[[i]] <- x
  }
  data
}

feedback_factor <- function(x) {
  labels <- attr(x, "labels", exact = TRUE)
  codes <- sort(unique(c(unname(labels), x[!is.na(x)])))
  levels <- as.character(codes)
  labelled <- match(codes, labels)
  levels[!is.na(labelled)] <- names(labels)[labelled[!is.na(labelled)]]
  out <- factor(match(x, codes), levels = seq_along(codes), labels = levels)
  attr(out, "label") <- attr(x, "label", exact = TRUE)
  out
}

feedback_factors <- function(df) {
  for (name in names(df)) {
    if (!is.null(attr(df[[name]], "labels", exact = TRUE))) df[[name]] <- feedback_factor(df[[name]])
  }
  df
}

feedback_missing_to_na <- function(df) {
  for (name in names(df)) {
    missing <- attr(df[[name]], "na_values", exact = TRUE)
    if (!is.null(missing)) df[[name]][df[[name]] %in% missing] <- NA
  }
  df
}

feedback_haven <- function(df) {
  if (!requireNamespace("haven", quietly = TRUE)) {
    stop("feedback_haven() needs the haven package: install.packages(\"haven\")", call. = FALSE)
  }
  for (name in names(df)) {
    x <- df[[name]]
    labels <- attr(x, "labels", exact = TRUE)
    missing <- attr(x, "na_values", exact = TRUE)
    label <- attr(x, "label", exact = TRUE)
    if (is.null(labels) && is.null(missing)) next
    attributes(x) <- NULL
    df[[name]] <- haven::labelled_spss(x, labels = labels, na_values = missing, label = label)
  }
  df
}

'''

_FOOTER = r'''
if (sys.nframe() == 0L) {
  # Run as `Rscript load.R`: say what was loaded.
  for (stem in names(feedback_data)) {
    cat(sprintf("%s: %d rows, %d columns\n", stem, nrow(feedback_data[[stem]]), ncol(feedback_data[[stem]])))
  }
}
'''
