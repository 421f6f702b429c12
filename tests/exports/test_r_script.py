"""load.R: an R user sources one script and has the bundle's data with the codebook's labels.

The real tests run Debian's R (``Rscript``): skipped where R is not installed, failed in CI
(``CI`` set), where ``.ci/run`` installs it.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from feedback.exports import runner
from feedback.exports.codebook import Codebook, Variable
from feedback.exports.r_script import SCRIPT_NAME, load_script, r_code, r_string, write_load_script
from feedback.exports.runner import run_export
from feedback.exports.writers import write_bundle_files
from tests.exports.test_runner import KEY, families, profile  # noqa: F401 (families is a fixture)

NASTY = [
    "",
    'She said "never" \\ then left',
    "Line one\nline two\r\nthree\rfour\ttab",
    "Cymraeg: ŵ ŷ â, “quotes”, exit − entry, emoji 😀",
    "\\u00e9 is not an escape here, nor is \\n",
    "control \x01\x07\x1b\x7f and \u2028 separator",
    "é" * 1234,  # longer than one R literal may hold with escapes
]


@pytest.fixture
def rscript() -> str:
    path = shutil.which("Rscript")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Rscript is not installed; .ci/run installs Debian's r-base-core")
        pytest.skip("R is not installed (Debian: apt-get install r-base-core)")
    return path


def run_r(rscript: str, script: str, cwd: Path, locale: str = "C.UTF-8") -> str:
    """Run ``script`` with Rscript in ``cwd``; its standard output. Fails the test if R fails."""
    path = cwd / "test-snippet.R"
    path.write_text(script, encoding="utf-8")
    env = {**os.environ, "LC_ALL": locale, "LANG": locale}
    done = subprocess.run([rscript, "--vanilla", str(path)], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", timeout=120, env=env)
    assert done.returncode == 0, f"R failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# Base R has no JSON writer: this one writes ASCII JSON (\u escapes), whatever the locale.
JSON_R = r'''
json_string <- function(s) {
  if (is.na(s)) return("null")
  points <- utf8ToInt(enc2utf8(s))
  chars <- vapply(points, function(p) {
    if (p >= 32 && p < 127 && p != 34 && p != 92) return(intToUtf8(p))
    if (p < 65536) return(sprintf("\\u%04x", p))
    p <- p - 65536
    sprintf("\\u%04x\\u%04x", 55296 + p %/% 1024, 56320 + p %% 1024)
  }, "")
  paste0("\"", paste(chars, collapse = ""), "\"")
}
json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    items <- vapply(x, json, "")
    if (is.null(names(x))) return(paste0("[", paste(items, collapse = ","), "]"))
    return(paste0("{", paste(paste0(vapply(names(x), json_string, ""), ":", items), collapse = ","), "}"))
  }
  items <- if (is.character(x)) vapply(x, json_string, "") else ifelse(is.na(x), "null", sprintf("%.17g", x))
  paste0("[", paste(items, collapse = ","), "]")
}
describe <- function(x) list(
  class = class(x)[[1]],
  label = attr(x, "label", exact = TRUE),
  label_codes = unname(attr(x, "labels", exact = TRUE)),
  label_names = names(attr(x, "labels", exact = TRUE)),
  na_values = attr(x, "na_values", exact = TRUE),
  values = if (inherits(x, "Date")) format(x) else if (inherits(x, "POSIXct")) format(x, "%Y-%m-%d %H:%M:%OS3")
           else as.vector(x),
  factor = if (is.null(attr(x, "labels", exact = TRUE))) NULL else as.character(feedback_factor(x)),
  missing_to_na = as.vector(feedback_missing_to_na(list(x = x))$x)
)
'''


def r_describes(rscript: str, bundle: Path, cwd: Path, locale: str = "C.UTF-8") -> dict:
    """Source ``bundle``'s load.R from ``cwd``; every column of every data set, as R sees it."""
    script = (f"source({r_string(str(bundle / SCRIPT_NAME))})\n{JSON_R}\n"
              "cat(json(lapply(feedback_data, function(df) lapply(df, describe))))\n")
    return json.loads(run_r(rscript, script, cwd, locale))


# --- R string literals ---------------------------------------------------------------------------

def test_an_r_string_is_ascii_with_quotes_backslashes_and_breaks_escaped():
    assert r_string('say "hi" \\ bye\n') == '"say \\"hi\\" \\\\ bye\\n"'
    assert r_string("ŵ😀") == '"\\u0175\\U0001f600"'
    assert r_string("a\x00b") == '"ab"'  # R strings cannot hold NUL
    for text in NASTY:
        assert r_string(text).isascii()
        assert "\n" not in r_string(text) or len(text) > 300  # a long text is pasted from lines


def test_a_long_string_is_pasted_from_pieces_r_can_parse():
    assert r_string("é" * 1234).startswith('paste0(\n"\\u00e9')
    assert r_string("x" * 300) == '"' + "x" * 300 + '"'


def test_codes_are_r_constants():
    assert [r_code(1), r_code(-9), r_code(2.0), r_code(2.5), r_code("a\"b")] == ["1", "-9", "2", "2.5", '"a\\"b"']
    with pytest.raises(TypeError):
        r_code(True)


def test_r_reads_every_nasty_string_back_exactly(rscript, tmp_path):
    script = "".join(f"cat(paste(utf8ToInt({r_string(text)}), collapse = ' '), '\\n', sep = '')\n" for text in NASTY)
    lines = run_r(rscript, script, tmp_path).split("\n")[:len(NASTY)]
    assert lines == [" ".join(str(ord(ch)) for ch in text) for text in NASTY]


# --- the script's text ---------------------------------------------------------------------------

CODEBOOK = Codebook((
    Variable("member", "Member (pseudonymous id)", "string"),
    Variable("gf01", 'We "plan" things \\ together – ŵ', "numeric",
             value_labels={1: 'Strongly "agree"', 2: "Cytuno'n gryf ŷ", -9: "Prefer not to say"}, missing_codes=(-9,)),
    Variable("answer", "Free text\nsecond line", "string", value_labels={"a": "A’s", "=b": "B"}, missing_codes=("x",)),
    Variable("completed", "Completed (month it began)", "date"),
    Variable("score", "Score: mean", "numeric"),
))


def test_the_script_names_each_data_set_and_column_with_its_labels():
    text = load_script({"family-functioning": ("family-functioning.csv", CODEBOOK)})
    assert text.isascii()
    assert text.startswith("# load.R: reads this export bundle's CSV files into R")
    assert 'source("load.R")' in text and 'install.packages("haven")' in text
    assert '"family-functioning" = feedback_read("family-functioning.csv", list(' in text
    assert ('list(name = "gf01", type = "numeric",\n'
            '      label = "We \\"plan\\" things \\\\ together \\u2013 \\u0175",\n'
            '      labels = structure(c(1, 2, -9), names = c(\n'
            '        "Strongly \\"agree\\"",\n'
            '        "Cytuno\'n gryf \\u0177",\n'
            '        "Prefer not to say")),\n'
            '      na_values = c(-9))') in text


def test_no_line_of_the_script_is_longer_than_rscript_reads():
    # Rscript cuts a script's lines at 4,096 bytes: long labels and many codes are spread over lines.
    many = Variable("q", "é😀" * 3000, "numeric", value_labels={code: "ŵ" * 1000 for code in range(500)})
    text = load_script({"ff": ("ff.csv", Codebook((many,)))})
    assert max(len(line) for line in text.splitlines()) < 4000


def test_a_script_without_data_or_with_a_path_for_a_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least one CSV"):
        load_script({})
    with pytest.raises(ValueError, match="plain file name"):
        load_script({"ff": ("../ff.csv", CODEBOOK)})
    assert not list(tmp_path.iterdir())


# --- R reads what the CSV writer wrote -----------------------------------------------------------

def written_bundle(folder: Path) -> pd.DataFrame:
    frame = pd.DataFrame({
        "member": ["0012", "1e5", None, "NA"],  # ids that look like numbers, or like R's NA, stay text
        "gf01": [1, 2, -9, None],
        "answer": ["=1+2", "fine\n-then @worse\n+1", "-9", "[name] said “ŵ”"],
        "completed": pd.to_datetime(["2024-01-02", None, "2024-03-04 10:11:12.5", "2024-05-06"], format="ISO8601"),
        "score": [1.5, None, 3.0, -0.25],
    })
    write_bundle_files(frame, CODEBOOK, folder, "family-functioning", ["csv"])
    write_load_script(folder / SCRIPT_NAME, {"family-functioning": ("family-functioning.csv", CODEBOOK)})
    return frame


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
def test_r_gets_the_csv_back_as_it_was_before_defusing_with_its_labels(rscript, tmp_path, locale):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    written_bundle(bundle)
    assert (bundle / "family-functioning.csv").read_text(encoding="utf-8-sig").count("'") == 3  # defused cells
    seen = r_describes(rscript, bundle, tmp_path, locale)["family-functioning"]
    assert list(seen) == CODEBOOK.names
    for variable in CODEBOOK:
        column = seen[variable.name]
        assert column["label"] == [variable.label]
        assert column["label_codes"] == (list(variable.value_labels) or None)
        assert column["label_names"] == (list(variable.value_labels.values()) or None)
        assert column["na_values"] == (list(variable.missing_codes) or None)
    assert seen["member"]["class"] == ["character"] and seen["member"]["values"] == ["0012", "1e5", None, "NA"]
    assert seen["gf01"]["class"] == ["numeric"] and seen["gf01"]["values"] == [1, 2, -9, None]
    assert seen["gf01"]["factor"] == ['Strongly "agree"', "Cytuno'n gryf ŷ", "Prefer not to say", None]
    assert seen["gf01"]["missing_to_na"] == [1, 2, None, None]
    assert seen["answer"]["values"] == ["=1+2", "fine\n-then @worse\n+1", "-9", "[name] said “ŵ”"]
    assert seen["completed"]["class"] == ["POSIXct"]
    assert seen["completed"]["values"] == ["2024-01-02 00:00:00.000", None, "2024-03-04 10:11:12.500",
                                           "2024-05-06 00:00:00.000"]
    assert seen["score"]["values"] == [1.5, None, 3, -0.25]


def test_rscript_load_r_in_the_bundle_folder_lists_what_it_loaded(rscript, tmp_path):
    written_bundle(tmp_path)
    assert run_r(rscript, (tmp_path / SCRIPT_NAME).read_text(), tmp_path) == "family-functioning: 4 rows, 5 columns\n"


def test_a_csv_changed_after_export_is_refused_by_name(rscript, tmp_path):
    written_bundle(tmp_path)
    csv_path = tmp_path / "family-functioning.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8-sig").replace("score", "total"), encoding="utf-8-sig")
    done = subprocess.run([rscript, "--vanilla", SCRIPT_NAME], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "does not have the columns its codebook lists" in done.stderr


CLASSES = {"numeric": ["numeric"], "string": ["character"], "date": ["Date", "POSIXct"]}


# --- a real export ------------------------------------------------------------------------------

def test_an_exported_bundle_loads_in_r_as_its_codebook_says(families, rscript, tmp_path, monkeypatch):
    plain = runner._variable

    def with_awkward_labels(item, instrument):
        # Questionnaire labels with quotes, backslashes and Welsh letters, as a translated one may have.
        variable = plain(item, instrument)
        return replace(variable, label=f'{variable.label} "{item.id}" \\ ŵ',
                       value_labels={code: f"{label} “ŷ”" for code, label in variable.value_labels.items()})

    monkeypatch.setattr(runner, "_variable", with_awkward_labels)
    bundle = run_export(profile(tmp_path, free_text="scrub"), tmp_path / "out", key=KEY)
    assert SCRIPT_NAME in bundle.manifest["files"] and (bundle.directory / SCRIPT_NAME).is_file()
    seen = r_describes(rscript, bundle.directory, tmp_path)
    stems = sorted(path.name[:-len("-codebook.json")] for path in bundle.directory.glob("*-codebook.json"))
    assert sorted(seen) == stems == ["exit-interview", "family-functioning"]
    checked_labels = checked_missing = 0
    for stem in stems:
        codebook = json.loads((bundle.directory / f"{stem}-codebook.json").read_text())["variables"]
        with open(bundle.directory / f"{stem}.csv", encoding="utf-8-sig", newline="") as stream:
            rows = list(csv.DictReader(stream))
        assert list(seen[stem]) == [variable["name"] for variable in codebook]
        for variable in codebook:
            column = seen[stem][variable["name"]]
            assert column["label"] == [variable["label"]], variable["name"]
            assert column["class"][0] in CLASSES[variable["type"]], variable["name"]
            labels = variable["value_labels"]
            assert column["label_codes"] == ([pair["code"] for pair in labels] or None)
            assert column["label_names"] == ([pair["label"] for pair in labels] or None)
            assert column["na_values"] == (variable["missing_codes"] or None)
            checked_labels += bool(labels) and "“ŷ”" in labels[0]["label"]
            cells = [row[variable["name"]] for row in rows]
            if variable["type"] == "numeric":
                assert column["values"] == [float(cell) if cell else None for cell in cells], variable["name"]
            elif variable["type"] == "string":
                assert column["values"] == [cell or None for cell in cells], variable["name"]
            checked_missing += None in column["values"]
    assert checked_labels and checked_missing  # value labels with awkward text, and empty cells as NA, were seen
    member = seen["family-functioning"]["member"]
    assert member["class"] == ["character"] and all(isinstance(value, str) for value in member["values"])
