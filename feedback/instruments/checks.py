"""Field-level checks shared by the instrument validator: each reports a problem and carries on."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .definition import Text

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an instrument file, written for the person who edits it."""

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}" if self.where else f"{self.file}: {self.message}"


def yaml_problem(file: str, error) -> Problem:
    """A YAML syntax error (``yaml.YAMLError``) as a Problem that says where in the file it is."""
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return Problem(file, where, f"not valid YAML ({getattr(error, 'problem', error)})")


class Checks:
    """Small checks that record a problem rather than stop at the first, so an author sees all."""

    def __init__(self, name: str):
        self.name = name
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = ("en",)

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.name, where, message))

    def fields(self, data: Any, allowed: set[str], required: set[str], where: str) -> dict:
        if not isinstance(data, dict):
            self.problem(where, f"must be a mapping of fields, not {type(data).__name__}")
            return {}
        for key in sorted(set(data) - allowed, key=str):
            self.problem(where, f"unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required - set(data)):
            self.problem(where, f"missing required field '{key}'")
        return data

    def text(self, value: Any, where: str, what: str, optional: bool = False) -> Text | None:
        if value is None:
            if not optional:
                self.problem(where, f"missing {what}")
            return None
        if isinstance(value, str) and len(self.languages) == 1:
            value = {self.languages[0]: value}
        if not isinstance(value, dict):
            self.problem(where, f"{what} must give the text in each language, e.g. {{en: ..., cy: ...}}")
            return None
        texts = {}
        for language in self.languages:
            entry = value.get(language)
            if not isinstance(entry, str) or not entry.strip():
                self.problem(where, f"{what} has no '{language}' text (declared in languages)")
            else:
                texts[language] = entry.strip()
        for language in sorted(set(value) - set(self.languages), key=str):
            self.problem(where, f"{what} has text in '{language}', which is not in languages")
        return Text(texts) if texts else None

    def number(self, value: Any, where: str, what: str, integer: bool = False) -> float | int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
            self.problem(where, f"{what} must be {'a whole number' if integer else 'a number'}, not {value!r}")
            return None
        return value

    def boolean(self, value: Any, where: str, what: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(where, f"{what} must be true or false, not {value!r}")
            return default
        return value

    def identifier(self, value: Any, where: str, what: str) -> str | None:
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.problem(where, f"{what} {value!r} must be lower-case letters, digits and underscores, starting with a letter")
            return None
        return value

