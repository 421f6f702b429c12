"""Validation of an instrument's scoring rules: scales, cut-offs and bands."""
from __future__ import annotations

from typing import Any

from .checks import Checks
from .definition import DIRECTIONS, NUMERIC_TYPES, RELIABILITY_KINDS, Band, Cutoff, Page, Scale, StatedReliability

SCALE_FIELDS = {"id", "label", "items", "method", "reverse", "min_answered", "cutoff", "bands", "reliability",
                "better"}
RELIABILITY_FIELDS = {"value", "kind", "source"}


class ScaleRules(Checks):
    """Builds ``Scale`` objects from the ``scales`` section, reporting every problem."""

    def scales(self, raw: Any, pages: tuple[Page, ...]) -> tuple[Scale, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem("scales", "must be a list of scales")
            return ()
        items = {item.id: item for page in pages for item in page.items}
        scales, seen = [], set()
        for index, entry in enumerate(raw):
            data = self.fields(entry, SCALE_FIELDS, {"id", "label", "items", "method"}, f"scale {index + 1}")
            scale_id = self.identifier(data.get("id"), f"scale {index + 1}", "scale id")
            if not scale_id:
                continue
            where = f"scale '{scale_id}'"
            if scale_id in seen:
                self.problem(where, "duplicate scale id")
            seen.add(scale_id)
            label = self.text(data.get("label"), where, "label")
            members = data.get("items")
            if not isinstance(members, list) or not members:
                self.problem(where, "items must list the item ids the scale is made of")
                continue
            ranges = set()
            for member in members:
                item = items.get(member)
                if item is None:
                    self.problem(where, f"item '{member}' is not an item of this instrument")
                elif item.type != "number" and not item.choices:
                    continue  # its missing choices were reported with the item
                elif item.type not in NUMERIC_TYPES or not all(isinstance(c.code, int) for c in item.choices):
                    self.problem(where, f"item '{member}' is {item.type} with non-numeric answers and cannot be scored")
                elif item.type == "number":
                    ranges.add((item.minimum, item.maximum))
                else:
                    codes = [choice.code for choice in item.choices]
                    ranges.add((min(codes), max(codes)))
            if len(set(members)) != len(members):
                self.problem(where, "lists an item twice")
            reverse = data.get("reverse") or []
            for member in reverse:
                if member not in members:
                    self.problem(where, f"reverse item '{member}' is not in the scale's items")
            if len(ranges) > 1:
                self.problem(where, f"items have different answer ranges {sorted(ranges)}; a scale needs one range")
            method = data.get("method")
            if method not in ("mean", "sum"):
                self.problem(where, f"method {method!r} must be mean or sum")
            min_answered = self.number(data.get("min_answered", 1.0), where, "min_answered")
            if min_answered is not None and not 0 < min_answered <= 1:
                self.problem(where, "min_answered is the share of items that must be answered, above 0 and at most 1")
            cutoff = self.cutoff(data.get("cutoff"), where)
            bands = self.bands(data.get("bands"), where)
            self.check_bands_do_not_overlap(bands, where)
            reliability = self.reliability(data.get("reliability"), where)
            better = data.get("better")
            if better is not None and better not in DIRECTIONS:
                self.problem(where, f"better {better!r} must be higher or lower (which way is improvement)")
                better = None
            if len(ranges) == 1 and label and method in ("mean", "sum") and min_answered:
                low, high = ranges.pop()
                scales.append(Scale(scale_id, label, tuple(members), method, frozenset(reverse),
                                    float(min_answered), low, high, cutoff, bands, reliability, better))
        return tuple(scales)

    def cutoff(self, raw, where) -> Cutoff | None:
        if raw is None:
            return None
        data = self.fields(raw, {"at_or_above", "at_or_below", "label"}, {"label"}, f"{where} cutoff")
        directions = [key for key in ("at_or_above", "at_or_below") if key in data]
        if len(directions) != 1:
            self.problem(where, "cutoff needs exactly one of at_or_above or at_or_below")
            return None
        value = self.number(data[directions[0]], where, "cutoff")
        label = self.text(data.get("label"), where, "cutoff label")
        return Cutoff(float(value), directions[0], label) if value is not None and label else None

    def reliability(self, raw, where) -> StatedReliability | None:
        """``reliability: {value: 0.87, kind: alpha, source: "..."}``: value in (0, 1], a source,
        kind (optional) one of ``RELIABILITY_KINDS``. A sidecar ``reliability.yaml`` overrides it."""
        if raw is None:
            return None
        spot = f"{where} reliability"
        data = self.fields(raw, RELIABILITY_FIELDS, {"value", "source"}, spot)
        if not data:
            return None
        ok = set(data) <= RELIABILITY_FIELDS and {"value", "source"} <= set(data)
        value, kind, source = data.get("value"), data.get("kind"), data.get("source")
        if "value" in data and (isinstance(value, bool) or not isinstance(value, (int, float))
                                or not 0 < value <= 1):
            self.problem(spot, f"value must be a reliability coefficient above 0 and at most 1, not {value!r}")
            ok = False
        if "source" in data and (not isinstance(source, str) or not source.strip()):
            self.problem(spot, "source must say where the figure comes from (a manual, a paper, a local study)")
            ok = False
        if kind is not None and kind not in RELIABILITY_KINDS:
            self.problem(spot, f"kind {kind!r} must be one of {', '.join(RELIABILITY_KINDS)}")
            ok = False
        return StatedReliability(float(value), source.strip(), kind) if ok else None

    def check_bands_do_not_overlap(self, bands: tuple[Band, ...], where: str) -> None:
        ordered = sorted(bands, key=lambda band: band.minimum)
        for lower, upper in zip(ordered, ordered[1:]):
            if upper.minimum <= lower.maximum:
                self.problem(where, f"bands '{lower.id}' and '{upper.id}' overlap; a score must fall in one band")

    def bands(self, raw, where) -> tuple[Band, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem(where, "bands must be a list of {id, min, max, label}")
            return ()
        bands = []
        for index, entry in enumerate(raw):
            spot = f"{where} band {index + 1}"
            data = self.fields(entry, {"id", "min", "max", "label"}, {"id", "min", "max", "label"}, spot)
            band_id = self.identifier(data.get("id"), spot, "band id")
            low = self.number(data.get("min"), spot, "min")
            high = self.number(data.get("max"), spot, "max")
            label = self.text(data.get("label"), spot, "label")
            if low is not None and high is not None and low > high:
                self.problem(spot, f"min {low} is above max {high}")
            elif band_id and low is not None and high is not None and label:
                bands.append(Band(band_id, float(low), float(high), label))
        return tuple(bands)
