"""Items an import may compute when its file has no column for them (``derive`` in the file).

The rule set is small and fixed: each rule is a pure function of answers and facts the import
knows, and ``DerivationRules`` checks a file's ``derive`` declarations. No Flask, no database.

- ``higher_than_entry`` (a yes/no item, ``from`` an ordered item): 1 when the ``from`` answer of
  this response is higher than the same family's answer at the start of support, else 0. When
  either answer is unknown (no entry assessment, or a missing code) the item is not collected.
- ``point_of_wave`` (a single-choice item with codes 1 start and 2 end of support): 1 for a wave
  anchored on the start of support, 2 for one anchored on its end (with no offset), otherwise
  not collected.
"""
from __future__ import annotations

from typing import Any, Mapping

from .checks import Checks
from .definition import DERIVATION_RULES, NOT_COLLECTED, Derivation, Item

#: Rules that read the family's entry assessment, so an import applies them after reading every row.
NEEDS_ENTRY = frozenset({"higher_than_entry"})
#: ``point_of_wave``: the code for a wave at the start and at the end of support.
POINT_CODES = {"entry": 1, "exit": 2}


def _level(value: Any) -> int | float | None:
    """A comparable answer, or None for no answer, "not collected" or an instrument's missing code."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None  # missing codes are negative whole numbers (the loader refuses others)
    return value


def higher_than_entry(now: Any, at_entry: Any) -> int:
    """1 when ``now`` is above ``at_entry``, 0 when not, ``NOT_COLLECTED`` when either is unknown."""
    now, at_entry = _level(now), _level(at_entry)
    if now is None or at_entry is None:
        return NOT_COLLECTED
    return 1 if now > at_entry else 0


def point_of_wave(wave_point: str | None) -> int:
    """1 for a wave at the start of support, 2 for one at its end, else ``NOT_COLLECTED``."""
    return POINT_CODES.get(wave_point or "", NOT_COLLECTED)


def derived_value(item: Item, answers: Mapping[str, Any], wave_point: str | None = None,
                  entry_answers: Mapping[str, Any] | None = None) -> Any:
    """The value of a derived item: ``answers`` are this response's, ``wave_point`` says whether its
    wave is at the start (``entry``) or end (``exit``) of support, ``entry_answers`` are the same
    family's answers at the start of support (None when there are none)."""
    rule = item.derive
    if rule is None:
        raise ValueError(f"Item {item.id!r} is not derived.")
    if rule.rule == "higher_than_entry":
        return higher_than_entry(answers.get(rule.source), (entry_answers or {}).get(rule.source))
    return point_of_wave(wave_point)


class DerivationRules(Checks):
    """Checks an item's ``derive`` declaration for the loader, reporting every problem."""

    def derivation(self, raw, where, item_type, choices, earlier: dict, on_this_page: dict) -> Derivation | None:
        """``derive: {rule: higher_than_entry, from: level_of_need}`` or ``derive: {rule: point_of_wave}``."""
        if raw is None:
            return None
        data = self.fields(raw, {"rule", "from"}, {"rule"}, f"{where} derive")
        if not data:
            return None
        rule, source = data.get("rule"), data.get("from")
        if rule not in DERIVATION_RULES:
            self.problem(where, f"derive rule {rule!r} is not one of {', '.join(DERIVATION_RULES)}")
            return None
        codes = {choice.code for choice in choices}
        if rule == "point_of_wave":
            if source is not None:
                self.problem(where, "derive rule point_of_wave reads the wave, not an item: remove 'from'")
            elif item_type != "single_choice" or not {1, 2} <= codes:
                self.problem(where, "derive rule point_of_wave needs a single_choice item offering codes 1 "
                                    "(start of support) and 2 (end of support)")
            else:
                return Derivation(rule)
            return None
        known = {**earlier, **on_this_page}
        if item_type != "yes_no":
            self.problem(where, f"derive rule {rule} gives yes or no: the item must be yes_no, not {item_type}")
        elif source not in known:
            self.problem(where, f"derive rule {rule} needs 'from': an item on an earlier page or earlier on this "
                                f"page, not {source!r}")
        elif known[source].type not in ("single_choice", "agreement", "scale", "number") or not all(
                isinstance(choice.code, int) for choice in known[source].choices):
            self.problem(where, f"derive rule {rule} compares answers: '{source}' must be a single_choice, agreement, "
                                "scale or number item with whole-number codes, in order")
        else:
            return Derivation(rule, source)
        return None
