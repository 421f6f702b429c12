"""The codebook: what every variable of a dataset means, and how each file format holds it.

A ``Codebook`` lists the variables in column order.  Besides label, codes and provenance it
records the decisions the file formats force — the SPSS and Stata name of each variable, which
labels had to be shortened, which codes could not be declared missing — so that nothing about
the files is known only to the code that wrote them.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..instruments.definition import NOT_COLLECTED
from .atomic import write_text_atomically
from .format_names import (SPSS_LABEL_BYTES, SPSS_VALUE_LABEL_BYTES, STATA_LABEL_CHARS, spss_names,
                           stata_names)
from .formulas import csv_cell

VARIABLE_TYPES = ("numeric", "string", "date")
#: Columns of the codebook CSV, in order.
ROW_FIELDS = ("variable", "label", "type", "codes", "missing_codes", "instrument", "versions",
              "scoring_rule", "spss_name", "stata_name", "notes")
#: Stata keeps value-label codes to this range of whole numbers.
_STATA_CODE_LIMIT = 2_147_483_620
#: The Stata extended missing value "not collected" is written as (``.c``): a true missing value,
#: so no analysis counts it, yet told apart from system missing (``.``, no answer) and from the
#: instruments' own missing codes (ordinary values such as -8, "not known").
STATA_NOT_COLLECTED = "c"

Code = int | float | str


@dataclass(frozen=True)
class Variable:
    """One column: ``value_labels`` maps codes to labels (``{1: "Never", -9: "Not asked"}``);
    ``missing_codes`` are codes that mean "no answer" rather than an answer."""

    name: str
    label: str
    type: str = "numeric"
    value_labels: Mapping[Code, str] = field(default_factory=dict)
    missing_codes: tuple[Code, ...] = ()
    instrument: str | None = None
    versions: tuple[str, ...] = ()
    scoring_rule: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("A codebook variable needs a name.")
        if self.type not in VARIABLE_TYPES:
            raise ValueError(f"Variable {self.name!r} has type {self.type!r}; use one of {', '.join(VARIABLE_TYPES)}.")
        object.__setattr__(self, "value_labels", dict(self.value_labels))
        object.__setattr__(self, "missing_codes", tuple(self.missing_codes))
        object.__setattr__(self, "versions", tuple(self.versions))
        codes = [*self.value_labels, *self.missing_codes]
        if self.type == "date" and codes:
            raise ValueError(f"Variable {self.name!r} is a date; dates cannot have codes.")
        wanted = str if self.type == "string" else (int, float)
        wrong = [code for code in codes if not isinstance(code, wanted) or isinstance(code, bool)]
        if wrong:
            raise ValueError(f"Variable {self.name!r} is {self.type} but has codes {wrong!r} of another type.")


@dataclass(frozen=True)
class Codebook:
    variables: tuple[Variable, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "variables", tuple(self.variables))
        names = [v.name for v in self.variables]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ValueError(f"The codebook names these variables twice: {', '.join(doubled)}.")
        object.__setattr__(self, "_spss", spss_names(self.names))
        object.__setattr__(self, "_stata", stata_names(self.names))

    def __iter__(self) -> Iterator[Variable]:
        return iter(self.variables)

    def __len__(self) -> int:
        return len(self.variables)

    def __getitem__(self, name: str) -> Variable:
        for variable in self.variables:
            if variable.name == name:
                return variable
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    def spss_name(self, name: str) -> str:
        return self._spss[name]

    def stata_name(self, name: str) -> str:
        return self._stata[name]

    # Decisions the formats force; the writers and the codebook rows both ask these methods.

    def spss_missing(self, variable: Variable) -> list | None:
        """The SPSS user-missing declaration, or ``None`` when there is none or SPSS cannot hold it.

        SPSS allows three discrete codes, or one range; a range is used only when no answer
        code lies inside it."""
        codes = variable.missing_codes
        if not codes:
            return None
        if variable.type == "string":
            fits = len(codes) <= 3 and all(len(c.encode("utf-8")) <= 8 for c in codes)
            return list(codes) if fits else None
        if len(codes) <= 3:
            return list(codes)
        low, high = min(codes), max(codes)
        answers = [c for c in variable.value_labels if c not in codes]
        if any(low <= c <= high for c in answers):
            return None
        return [{"lo": low, "hi": high}]

    def stata_value_labels(self, variable: Variable) -> dict[int, str] | None:
        """Value labels for Stata, or ``None`` when Stata cannot attach them.

        Stata labels whole-number codes of numeric variables only.  A string variable, or one
        with a fractional code, keeps its values but gets no Stata labels (the codebook has them)."""
        if variable.type != "numeric" or not variable.value_labels:
            return None
        codes = list(variable.value_labels)
        if not all(float(c).is_integer() and abs(c) <= _STATA_CODE_LIMIT for c in codes):
            return None
        return {int(code): label for code, label in variable.value_labels.items()}

    def stata_extended_missing(self, variable: Variable) -> dict[Code, str]:
        """Codes Stata holds as extended missing values (code → letter): "not collected" as ``.c``."""
        if variable.type == "numeric" and NOT_COLLECTED in variable.missing_codes:
            return {NOT_COLLECTED: STATA_NOT_COLLECTED}
        return {}

    def notes(self, variable: Variable) -> list[str]:
        """What the SPSS and Stata files hold differently from this codebook, for one variable."""
        notes = []
        if len(variable.label.encode("utf-8")) > SPSS_LABEL_BYTES:
            notes.append(f"SPSS: label shortened to {SPSS_LABEL_BYTES} bytes.")
        if any(len(label.encode("utf-8")) > SPSS_VALUE_LABEL_BYTES for label in variable.value_labels.values()):
            notes.append(f"SPSS: value labels shortened to {SPSS_VALUE_LABEL_BYTES} bytes.")
        if variable.missing_codes and self.spss_missing(variable) is None:
            notes.append("SPSS: missing codes not declared missing (SPSS holds three codes or one "
                         "range without answers inside); declare them before analysis.")
        if len(variable.label) > STATA_LABEL_CHARS:
            notes.append(f"Stata: label shortened to {STATA_LABEL_CHARS} characters.")
        if variable.value_labels and self.stata_value_labels(variable) is None:
            notes.append("Stata: no value labels attached (Stata labels whole-number codes of "
                         "numeric variables only); the codes are listed here.")
        extended = self.stata_extended_missing(variable)
        for code, letter in extended.items():
            notes.append(f"Stata: {code} ({variable.value_labels.get(code, 'not collected')}) is the extended "
                         f"missing value .{letter}.")
        if set(variable.missing_codes) - set(extended) and variable.type == "numeric":
            notes.append("Stata: missing codes are ordinary values; recode them with mvdecode.")
        return notes

    def to_rows(self) -> list[dict[str, str]]:
        """One flat row per variable, for the codebook CSV and the XLSX codebook sheet."""
        return [{
            "variable": v.name,
            "label": v.label,
            "type": v.type,
            "codes": " | ".join(f"{code} = {label}" for code, label in v.value_labels.items()),
            "missing_codes": " | ".join(str(code) for code in v.missing_codes),
            "instrument": v.instrument or "",
            "versions": " | ".join(v.versions),
            "scoring_rule": v.scoring_rule or "",
            "spss_name": self.spss_name(v.name),
            "stata_name": self.stata_name(v.name),
            "notes": " ".join(self.notes(v)),
        } for v in self.variables]

    def to_json(self) -> dict[str, Any]:
        """The codebook as JSON-ready data; codes keep their type (a list of pairs, not object keys)."""
        return {"variables": [{
            "name": v.name,
            "label": v.label,
            "type": v.type,
            "value_labels": [{"code": code, "label": label} for code, label in v.value_labels.items()],
            "missing_codes": list(v.missing_codes),
            "instrument": v.instrument,
            "versions": list(v.versions),
            "scoring_rule": v.scoring_rule,
            "spss_name": self.spss_name(v.name),
            "stata_name": self.stata_name(v.name),
            "notes": self.notes(v),
        } for v in self.variables]}

    def write_codebook_csv(self, path: Path) -> Path:
        """The codebook as CSV, encoded and defused like the data CSV (it is opened in Excel too)."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=ROW_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in self.to_rows():
            writer.writerow({key: csv_cell(value) for key, value in row.items()})
        return write_text_atomically(Path(path), buffer.getvalue(), encoding="utf-8-sig")

    def write_codebook_json(self, path: Path) -> Path:
        text = json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"
        return write_text_atomically(Path(path), text)
