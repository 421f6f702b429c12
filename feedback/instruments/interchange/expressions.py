"""Show-if conditions to and from the expression languages of XLSForm (``relevant``) and REDCap
(branching logic).

Only what ``show_if`` can state is translated: equality tests of a choice item, ``or`` of such
tests on one item (``in``), inequality or ``not`` of them (``not_in``), ``selected()`` of a
ticked list (REDCap ``[field(code)] = '1'``), and ``and`` of all of these. Anything else (other
comparisons, arithmetic, functions, ``or`` across two items) raises ``ExpressionError`` saying
why, so an import can name the cell rather than drop the rule. One difference stays: the survey
keeps an item hidden when the tested item is unanswered, even for ``not_in``; XLSForm and REDCap
would show it.
"""
from __future__ import annotations

import re
from typing import Any

from .common import code_of

XLSFORM, REDCAP = "xlsform", "redcap"

_TOKEN = re.compile(r"""\s*(?:
    \$\{(?P<ref>[A-Za-z_][\w.-]*)\}
  | \[(?P<field>[A-Za-z_]\w*)(?:\((?P<box>-?\w+)\))?\]
  | '(?P<sq>[^']*)' | "(?P<dq>[^"]*)"
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>!=|<>|<=|>=|=|<|>|\+|-|\*|\bdiv\b|\bmod\b)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][\w:-]*)
  | (?P<dot>\.)
)""", re.VERBOSE)


class ExpressionError(ValueError):
    """An expression ``show_if`` cannot state; the message says what and why."""


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ExpressionError(f"cannot read {text[position:position + 10]!r}")
        kind = "field" if match.group("field") else match.lastgroup
        if kind == "field":
            tokens.append(("field", match.group("field") + (f"({match.group('box')})" if match.group("box") else "")))
        elif kind in ("sq", "dq"):
            tokens.append(("lit", match.group(kind)))
        elif kind == "num":
            tokens.append(("lit", match.group("num")))
        elif kind == "word" and match.group("word").lower() in ("and", "or", "not"):
            tokens.append((match.group("word").lower(), match.group("word")))
        else:
            tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, kind: str | None = None, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (kind and token[0] != kind) or (value and token[1] != value):
            raise ExpressionError(f"expected {value or kind or 'more'} but found {token[1] if token else 'the end'}")
        self.index += 1
        return token

    def parse(self):
        node = self.either()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r}")
        return node

    def either(self):
        parts = [self.both()]
        while self.peek() and self.peek()[0] == "or":
            self.take()
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def both(self):
        parts = [self.unary()]
        while self.peek() and self.peek()[0] == "and":
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def unary(self):
        token = self.peek()
        if token and token[0] == "not":
            self.take()
            self.take("punct", "(")
            inner = self.either()
            self.take("punct", ")")
            return ("not", inner)
        if token and token == ("punct", "("):
            self.take()
            inner = self.either()
            self.take("punct", ")")
            return inner
        left = self.operand()
        if left[0] == "selected":
            return left
        token = self.peek()
        if not token or token[0] != "op":
            raise ExpressionError("a test needs a comparison such as = '1'")
        op = self.take()[1]
        right = self.operand()
        if op in ("+", "-", "*", "div", "mod"):
            raise ExpressionError("arithmetic is not supported")
        if op not in ("=", "!=", "<>"):
            raise ExpressionError(f"the comparison {op} is not supported (only = and {'<>' if '<>' == op else '!='})")
        if left[0] == "lit" and right[0] in ("ref", "field"):
            left, right = right, left
        if left[0] not in ("ref", "field") or right[0] != "lit":
            raise ExpressionError("a test must compare a question with a value, like ${item} = '1'")
        return ("cmp", "=" if op == "=" else "!=", left[1], right[1])

    def operand(self):
        token = self.take()
        if token[0] in ("ref", "field", "lit"):
            return token
        if token[0] == "word" and self.peek() == ("punct", "("):
            if token[1] != "selected":
                raise ExpressionError(f"functions are not supported ({token[1]}())")
            self.take()
            ref = self.take("ref")[1]
            self.take("punct", ",")
            value = self.take("lit")[1]
            self.take("punct", ")")
            return ("selected", ref, value)
        if token[0] == "dot":
            raise ExpressionError("'.' (the answer itself) belongs in a constraint, not a condition")
        raise ExpressionError(f"{token[1]!r} is not supported here")


def _test(node) -> tuple[str, Any, bool] | None:
    """(item, code, negated) for one simple test, else None."""
    if node[0] == "selected":
        return node[1], code_of(node[2]), False
    if node[0] == "cmp":
        name, value, negated = node[2], node[3], node[1] == "!="
        box = re.fullmatch(r"(\w+)\((-?\w+)\)", name)
        if box:  # REDCap checkbox: [field(code)] = '1' ticked, = '0' not ticked
            if value not in ("0", "1"):
                raise ExpressionError(f"a checkbox test [{name}] compares with '1' or '0', not {value!r}")
            return box.group(1), code_of(box.group(2)), negated == (value == "1")
        return name, code_of(value), negated
    if node[0] == "not":
        inner = _test(node[1])
        return (inner[0], inner[1], not inner[2]) if inner else None
    return None


def _condition(node) -> dict:
    simple = _test(node)
    if simple:
        return {"item": simple[0], ("not_in" if simple[2] else "equals"): simple[1]}
    if node[0] == "or":
        tests = [_test(part) for part in node[1]]
        if all(tests) and len({t[0] for t in tests}) == 1 and not any(t[2] for t in tests):
            return {"item": tests[0][0], "in": [t[1] for t in tests]}
        raise ExpressionError("'or' can only join tests of one question for the same answer kind, e.g. "
                              "${a} = '1' or ${a} = '2'")
    if node[0] == "not" and node[1][0] == "or":
        inner = _condition(node[1])
        return {"item": inner["item"], "not_in": inner["in"]}
    raise ExpressionError("this combination of tests cannot be stated")


def parse_condition(text: str) -> dict | None:
    """``show_if`` (a single condition, or ``{all: [...]}``) for an expression; None when empty."""
    if not text or not str(text).strip():
        return None
    node = _Parser(str(text)).parse()
    parts = node[1] if node[0] == "and" else [node]
    conditions: list[dict] = []
    for part in parts:
        condition = _condition(part)
        # not_in tests of one item joined by 'and' are one not_in condition.
        earlier = next((c for c in conditions if "not_in" in c and "not_in" in condition
                        and c["item"] == condition["item"]), None)
        if earlier:
            earlier["not_in"] = _as_list(earlier["not_in"]) + _as_list(condition["not_in"])
        else:
            conditions.append(condition)
    for condition in conditions:
        if isinstance(condition.get("not_in"), list) and len(condition["not_in"]) == 1:
            condition["not_in"] = condition["not_in"][0]
    return conditions[0] if len(conditions) == 1 else {"all": conditions}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def write_condition(conditions, ticked_lists: set[str], flavour: str) -> str:
    """The expression for an item's conditions (``Condition`` objects); ``ticked_lists`` names the
    multiple-choice items, tested with ``selected()`` (XLSForm) or ``[item(code)]`` (REDCap)."""
    parts = []
    for condition in conditions:
        codes = sorted(condition.codes, key=lambda code: (str(type(code)), code))
        ticked = condition.item_id in ticked_lists
        tests = [_write_test(condition.item_id, code, ticked, flavour) for code in codes]
        if condition.negate:
            if ticked and flavour == XLSFORM:
                parts.append(f"not({' or '.join(tests)})")
            else:
                negated = [_write_test(condition.item_id, code, ticked, flavour, negate=True) for code in codes]
                parts.append(" and ".join(negated))
        else:
            parts.append(tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")")
    return " and ".join(parts)


def _write_test(item: str, code, ticked: bool, flavour: str, negate: bool = False) -> str:
    if flavour == XLSFORM:
        if ticked:
            return f"selected(${{{item}}}, '{code}')"
        return f"${{{item}}} {'!=' if negate else '='} '{code}'"
    if ticked:
        return f"[{item}({code})] = '{0 if negate else 1}'"
    return f"[{item}] {'<>' if negate else '='} '{code}'"
