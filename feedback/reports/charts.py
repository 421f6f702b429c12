"""Report charts drawn on the server as SVG, readable on a phone, in print and by screen readers.

Managers read reports on phones and desktops and print them in black and white for meetings, so
each chart is an inline SVG drawn at its natural size (width and height equal to the viewBox,
one unit a CSS pixel, so its text is about the page's text size) that narrows on a phone (the
stylesheet's max-width), with a white background and near-black text. Series colours
step clearly in lightness, so they stay apart in greyscale and for colour-blind readers, and
every bar carries its value as text. The site's Content-Security-Policy forbids inline styles
and scripts, so there is no <style>, no style attribute and no script: only presentation
attributes, and the generic font family "sans-serif" (no web fonts, nothing fetched).

A value of None is hidden (suppressed, or missing): it is drawn as an empty dashed outline
labelled with the suppression text (default "<10"; pass what the method note uses), never as a
bar of 0. Each chart has a <title> and a <desc> naming every value; the matching
``*_summary`` function returns the same sentences for the page to show beside the chart.

Every function returns ``markupsafe.Markup``, safe to place in a template as it is: all text
from instruments and site names is escaped here. Empty input (no categories or no series) is a
ValueError: the page decides when there is not enough data and says so itself.
"""
from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence

from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH = 360          # viewBox units, drawn one unit per CSS pixel (narrower on a phone)
FONT_SIZE = 14
LINE_HEIGHT = 17
CHAR_WIDTH = 0.6 * FONT_SIZE   # a generous average for sans-serif, so estimated text fits
LABEL_WIDTH = 126
LABEL_LINES = 3
GAP = 8
BAR_HEIGHT = 20
BAR_GAP = 3
BAND_GAP = 12
PADDING = 8

TEXT = "#0b0c0c"
BACKGROUND = "#ffffff"
MUTED = "#505a5f"
GRID = "#b1b4b6"
DASHES = "4 3"

# Navy, blue, teal, gold, cream: relative luminance about 0.04, 0.18, 0.35, 0.51, 0.82, so any
# two series differ in lightness as well as hue (the order of cividis, a colour-blind-safe map).
PALETTE = ("#0b3c5d", "#2a7ab0", "#5aae9c", "#e8b730", "#fbe9b2")
_SPREAD = {1: (0,), 2: (0, 3), 3: (0, 2, 4), 4: (0, 1, 3, 4), 5: (0, 1, 2, 3, 4)}

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

Values = Sequence[float | None]


def series_fills(count: int) -> tuple[str, ...]:
    """The fills for ``count`` series, as far apart in lightness as the palette allows."""
    if count not in _SPREAD:
        raise ValueError(f"a chart shows 1 to {len(PALETTE)} series, not {count}; more cannot be told apart: "
                         "use a table")
    return tuple(PALETTE[k] for k in _SPREAD[count])


# --- Grouped horizontal bars ----------------------------------------------------------------

def bar_chart(categories: Sequence[str], series: Mapping[str, Values], *, title: str, value_format: str = "{:g}",
              maximum: float | None = None, suppressed_label: str = "<10", chart_id: str | None = None) -> Markup:
    """Horizontal bars, one group per category and one bar per series, lengths to scale from 0
    to ``maximum`` (default: the largest value; pass 100 for percentages). Refuses negative
    values and values above ``maximum``."""
    _check_series(categories, series)
    shown = [v for values in series.values() for v in values if v is not None]
    if any(v < 0 for v in shown) or (maximum is not None and any(v > maximum for v in shown)):
        raise ValueError(f"bar lengths run from 0 to {maximum if maximum is not None else 'the largest value'}; "
                         f"{title!r} has values outside that")
    top = maximum if maximum is not None else max(shown, default=0)
    top = top if top > 0 else 1
    texts = [_format(value_format, v) for v in shown] + [suppressed_label]
    value_room = min(max(_width(t) for t in texts) + 6, 96)
    x0 = LABEL_WIDTH + GAP
    plot = WIDTH - x0 - value_room
    fills = series_fills(len(series))
    body, y = _legend([(_swatch(fill), name) for fill, name in zip(fills, series)] if len(series) > 1 else [],
                      PADDING)
    first = y
    count = len(series)
    bars_height = count * BAR_HEIGHT + (count - 1) * BAR_GAP
    for i, category in enumerate(categories):
        band, label = _category(category, y, bars_height)
        body.append(label)
        for k, (values, fill) in enumerate(zip(series.values(), fills)):
            bar_y = y + (band - bars_height) / 2 + k * (BAR_HEIGHT + BAR_GAP)
            value = values[i]
            if value is None:
                body.append(_hidden_box(x0, bar_y, suppressed_label, "bar suppressed"))
                continue
            length = plot * value / top
            body.append(f'<rect class="bar" x="{x0}" y="{_n(bar_y)}" width="{_n(length)}" height="{BAR_HEIGHT}" '
                        f'fill="{fill}" stroke="{TEXT}" stroke-width="1"/>')
            body.append(_label(x0 + length + 4, bar_y, _format(value_format, value), "value"))
        y += band + BAND_GAP
    body.append(f'<line x1="{x0}" y1="{_n(first)}" x2="{x0}" y2="{_n(y - BAND_GAP)}" stroke="{TEXT}" stroke-width="1"/>')
    summary = bar_chart_summary(categories, series, value_format=value_format, suppressed_label=suppressed_label)
    return _svg(title, summary, y - BAND_GAP + PADDING, body, chart_id, (categories, dict(series)))


def bar_chart_summary(categories: Sequence[str], series: Mapping[str, Values], *, value_format: str = "{:g}",
                      suppressed_label: str = "<10") -> list[str]:
    """One sentence per category: "North: invited 40, responded <10." """
    _check_series(categories, series)
    sentences = []
    for i, category in enumerate(categories):
        parts = [_format(value_format, values[i]) if values[i] is not None else suppressed_label
                 for values in series.values()]
        if len(series) == 1:
            sentences.append(f"{_plain(category)}: {parts[0]}.")
        else:
            sentences.append(f"{_plain(category)}: "
                             + ", ".join(f"{_plain(name)} {part}" for name, part in zip(series, parts)) + ".")
    return sentences


# --- 100% stacked horizontal bars -----------------------------------------------------------

def stacked_bar_chart(categories: Sequence[str], parts: Mapping[str, Values], *, title: str,
                      value_format: str = "{:.0f}%", suppressed_label: str = "<10",
                      chart_id: str | None = None) -> Markup:
    """One bar per category split into ``parts`` (percentages, e.g. better / same / worse).

    Shown parts are drawn in order; the hidden ones (None) together fill the rest of the bar
    as one dashed outline labelled ``suppressed_label``: drawing each at a made-up width would
    suggest values nobody may see. The rest is what 100% minus the shown parts reveals
    anyway. It is kept wide enough for its label, the shown parts narrowing to make room;
    a part too narrow for its label carries none (the summary and table still give it).
    Refuses percentages outside 0–100, shown parts adding up to more than 100, and a bar with
    exactly one hidden part (100% minus the others would reveal it).
    """
    _check_parts(categories, parts)
    x0 = LABEL_WIDTH + GAP
    plot = WIDTH - x0 - PADDING
    fills = series_fills(len(parts))
    body, y = _legend([(_swatch(fill), name) for fill, name in zip(fills, parts)], PADDING)
    for i, category in enumerate(categories):
        band, label = _category(category, y, BAR_HEIGHT)
        body.append(label)
        bar_y = y + (band - BAR_HEIGHT) / 2
        shown = [(k, values[i]) for k, values in enumerate(parts.values()) if values[i] is not None]
        hidden = len(shown) < len(parts)
        total = sum(v for _, v in shown)
        if not hidden and total == 0:
            body.append(_label(x0, bar_y, _("No data"), "value"))
        else:
            if hidden:
                rest = max(plot * max(0.0, 100 - total) / 100, _width(suppressed_label) + 8)
                scale = (plot - rest) / total if total else 0.0   # plot / 100 unless the rest was widened
            else:
                scale = plot / total   # the parts may add up to 99 or 101 after rounding
            x = x0
            for k, value in shown:
                width = value * scale
                body.append(f'<rect class="segment" x="{_n(x)}" y="{_n(bar_y)}" width="{_n(width)}" '
                            f'height="{BAR_HEIGHT}" fill="{fills[k]}" stroke="{TEXT}" stroke-width="1"/>')
                text = _format(value_format, value)
                if _width(text) + 6 <= width:
                    body.append(_label(x + 3, bar_y, text, "value", _text_on(fills[k])))
                x += width
            if hidden:
                body.append(_hidden_box(x, bar_y, suppressed_label, "segment suppressed", x0 + plot - x))
        y += band + BAND_GAP
    summary = stacked_bar_chart_summary(categories, parts, value_format=value_format, suppressed_label=suppressed_label)
    return _svg(title, summary, y - BAND_GAP + PADDING, body, chart_id, (categories, dict(parts)))


def stacked_bar_chart_summary(categories: Sequence[str], parts: Mapping[str, Values], *,
                              value_format: str = "{:.0f}%", suppressed_label: str = "<10") -> list[str]:
    """One sentence per category: "Confidence: better 45%, same 30%, worse <10." """
    _check_parts(categories, parts)
    sentences = []
    for i, category in enumerate(categories):
        values = [values[i] for values in parts.values()]
        if all(v is not None and v == 0 for v in values):
            sentences.append(_("%(category)s: no data.", category=_plain(category)))
            continue
        sentences.append(f"{_plain(category)}: " + ", ".join(
            f"{_plain(name)} {suppressed_label if v is None else _format(value_format, v)}"
            for name, v in zip(parts, values)) + ".")
    return sentences


# --- Before and after (dumbbell) ------------------------------------------------------------

def dumbbell_chart(categories: Sequence[str], before: Values, after: Values, *, title: str,
                   scale: tuple[float, float] | None = None, before_name: str = "At entry",
                   after_name: str = "At exit", value_format: str = "{:.1f}", suppressed_label: str = "<10",
                   chart_id: str | None = None) -> Markup:
    """Two points per category on a shared ``scale`` (e.g. (1, 5) for a five-point scale): a
    hollow circle ``before``, a filled circle ``after``, joined by a line. A hidden point is a
    dashed box labelled ``suppressed_label``. Refuses values outside ``scale``."""
    low, high = _check_pairs(categories, before, after, scale)
    x0 = LABEL_WIDTH + GAP
    room = max(_width(_format(value_format, v)) for v in (low, high)) + 12
    left, right = x0 + room, WIDTH - PADDING - room
    body, y = _legend([(_point(7, 8, False), before_name), (_point(7, 8, True), after_name)], PADDING)
    axis_at = len(body)
    first = y

    def at(value: float) -> float:
        return left + (right - left) * (value - low) / (high - low)

    for i, category in enumerate(categories):
        band, label = _category(category, y, BAR_HEIGHT)
        body.append(label)
        middle = y + band / 2
        b, a = before[i], after[i]
        if b is not None and a is not None:
            body.append(f'<line class="change" x1="{_n(at(b))}" y1="{_n(middle)}" x2="{_n(at(a))}" y2="{_n(middle)}" '
                        f'stroke="{MUTED}" stroke-width="3"/>')
        if b is None and a is None:
            body.append(_hidden_box(x0, middle - BAR_HEIGHT / 2, suppressed_label, "point suppressed"))
        for value, other, filled in ((b, a, False), (a, b, True)):
            if value is None:
                if other is not None:  # a box with the hidden point's marker, away from the shown one
                    width = _width(suppressed_label) + 22
                    box_x = x0 if at(other) > (left + right) / 2 else WIDTH - PADDING - width
                    body.append(_hidden_box(box_x, middle - BAR_HEIGHT / 2, suppressed_label, "point suppressed",
                                            width, marker=_point(box_x + 9, middle, filled, radius=4)))
                continue
            x = at(value)
            body.append(_point(x, middle, filled))
            to_left = other is not None and (value < other or (value == other and not filled))
            text = _format(value_format, value)
            body.append(_label(x - 10 - _width(text) if to_left else x + 10, middle - BAR_HEIGHT / 2, text, "value"))
        y += band + BAND_GAP
    body[axis_at:axis_at] = _axis(low, high, at, first, y - BAND_GAP, value_format)  # under the points
    summary = dumbbell_chart_summary(categories, before, after, before_name=before_name, after_name=after_name,
                                     value_format=value_format, suppressed_label=suppressed_label, scale=scale)
    return _svg(title, summary, y - BAND_GAP + LINE_HEIGHT + PADDING + 4, body, chart_id,
                (categories, before, after))


def dumbbell_chart_summary(categories: Sequence[str], before: Values, after: Values, *,
                           before_name: str = "At entry", after_name: str = "At exit", value_format: str = "{:.1f}",
                           suppressed_label: str = "<10", scale: tuple[float, float] | None = None) -> list[str]:
    """One sentence per category: "Confidence: at entry 2.1, at exit 3.4, up 1.3." """
    _check_pairs(categories, before, after, scale)
    sentences = []
    for category, b, a in zip(categories, before, after):
        sentence = (f"{_plain(category)}: {_plain(before_name).lower()} "
                    f"{suppressed_label if b is None else _format(value_format, b)}, {_plain(after_name).lower()} "
                    f"{suppressed_label if a is None else _format(value_format, a)}")
        if a is not None and b is not None:
            change = _format(value_format, abs(a - b))
            sentence += ", " + (_("no change") if change == _format(value_format, 0)
                                else _("up %(change)s", change=change) if a > b else _("down %(change)s", change=change))
        sentences.append(sentence + ".")
    return sentences


# --- One line in words above a chart, from the drawn values only -----------------------------

def all_hidden(*series: Values) -> bool:
    """True when a chart would draw nothing but hidden values: better one sentence than a chart
    of empty outlines."""
    return all(v is None for values in series for v in values)


def bar_chart_headline(categories: Sequence[str], series: Mapping[str, Values], *,
                       value_format: str = "{:g}") -> str | None:
    """One line for above the chart: "Highest: Exit interview, 82%; lowest: 12-month follow-up, 41%."
    Only values drawn as bars take part; when some are hidden it says "highest shown", as a hidden
    one may be higher. None when every value is hidden."""
    _check_series(categories, series)
    many = len(series) > 1
    items = [(value, _item(category, name if many else None, _format(value_format, value)), _format(value_format, value))
             for name, values in series.items() for category, value in zip(categories, values) if value is not None]
    return _headline(items, len(items) < len(categories) * len(series))


def stacked_bar_chart_headline(categories: Sequence[str], parts: Mapping[str, Values], *,
                               value_format: str = "{:.0f}%") -> str | None:
    """One line for above the chart, on the first part with any value shown:
    "Highest: Confidence (Better), 45%; lowest: Routines (Better), 20%." None when every part is
    hidden."""
    _check_parts(categories, parts)
    for name, values in parts.items():
        items = [(value, _item(category, name, _format(value_format, value)), _format(value_format, value))
                 for category, value in zip(categories, values) if value is not None]
        if len(items) == 1:   # one bar: its shown parts, not one of them alone
            i = next(k for k, value in enumerate(values) if value is not None)
            shown = ", ".join(f"{_plain(part)} {_format(value_format, v[i])}" for part, v in parts.items()
                              if v[i] is not None)
            return _("Only one bar is shown: %(category)s, %(parts)s.", category=_plain(categories[i]), parts=shown)
        if items:
            return _headline(items, len(items) < len(categories))
    return None


def dumbbell_chart_headline(categories: Sequence[str], before: Values, after: Values, *,
                            before_name: str = "At entry", after_name: str = "At exit", value_format: str = "{:.1f}",
                            scale: tuple[float, float] | None = None) -> str | None:
    """One line for above the chart: the largest change where both readings are shown,
    "Largest change: Confidence, up 1.3 (from 2.1 to 3.4)."; with no such pair, the highest and
    lowest shown readings. None when every reading is hidden."""
    _check_pairs(categories, before, after, scale)
    pairs = [(category, b, a) for category, b, a in zip(categories, before, after) if b is not None and a is not None]
    if not pairs:
        return bar_chart_headline(categories, {before_name: before, after_name: after}, value_format=value_format)
    category, b, a = max(pairs, key=lambda pair: abs(pair[2] - pair[1]))
    change = _format(value_format, abs(a - b))
    moved = (_("no change") if change == _format(value_format, 0)
             else _("up %(change)s", change=change) if a > b else _("down %(change)s", change=change))
    item = _("%(category)s, %(change)s (from %(before)s to %(after)s)", category=_plain(category), change=moved,
             before=_format(value_format, b), after=_format(value_format, a))
    if len(pairs) == 1:
        return _("Only one change is shown: %(item)s.", item=item)
    if len(pairs) < len(categories):
        return _("Largest change shown: %(item)s.", item=item)
    return _("Largest change: %(item)s.", item=item)


def _item(category: str, series: str | None, value: str) -> str:
    if series is None:
        return _("%(category)s, %(value)s", category=_plain(category), value=value)
    return _("%(category)s (%(series)s), %(value)s", category=_plain(category), series=_plain(series), value=value)


def _headline(items: list[tuple[float, str, str]], some_hidden: bool) -> str | None:
    """``items``: (value, "North, 45%", "45%") for each value drawn."""
    if not items:
        return None
    if len(items) == 1:
        return _("Only one value is shown: %(item)s.", item=items[0][1])
    if len({text for _v, _i, text in items}) == 1:
        return (_("Every value shown is %(value)s.", value=items[0][2]) if some_hidden
                else _("Every value is %(value)s.", value=items[0][2]))
    highest = max(items, key=lambda item: item[0])[1]   # the first of equals, in the chart's order
    lowest = min(items, key=lambda item: item[0])[1]
    return (_("Highest shown: %(highest)s; lowest shown: %(lowest)s.", highest=highest, lowest=lowest)
            if some_hidden else _("Highest: %(highest)s; lowest: %(lowest)s.", highest=highest, lowest=lowest))


# --- Checks ---------------------------------------------------------------------------------

def _check_series(categories: Sequence[str], series: Mapping[str, Values]) -> None:
    if not categories:
        raise ValueError("a chart needs at least one category; show the page's 'not enough data' message instead")
    if not series:
        raise ValueError("a chart needs at least one series of values")
    series_fills(len(series))
    for name, values in series.items():
        if len(values) != len(categories):
            raise ValueError(f"{name!r} has {len(values)} values for {len(categories)} categories; "
                             "give one value (or None) per category")
        for value in values:
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value)):
                raise ValueError(f"{name!r} has the value {value!r}; values are numbers, or None where hidden")


def _check_parts(categories: Sequence[str], parts: Mapping[str, Values]) -> None:
    _check_series(categories, parts)
    for i, category in enumerate(categories):
        values = [values[i] for values in parts.values()]
        if any(v is not None and not 0 <= v <= 100 for v in values):
            raise ValueError(f"{_plain(category)!r}: parts of a 100% bar are percentages from 0 to 100")
        if sum(v for v in values if v is not None) > 100 + 0.5 * len(values):  # rounding may add a little
            raise ValueError(f"{_plain(category)!r}: the parts add up to more than 100%; "
                             "a 100% bar needs percentages of one total")
        if values.count(None) == 1 and len(values) > 1:
            # 100% minus the others would give it away, in the chart and in the table alike.
            raise ValueError(f"{_plain(category)!r}: one hidden part of a 100% bar can be worked out from the "
                             "others; the disclosure audit (reports/protect.py) hides a second part")


def _check_pairs(categories, before, after, scale) -> tuple[float, float]:
    _check_series(categories, {"before": before, "after": after})
    shown = [v for v in (*before, *after) if v is not None]
    low, high = scale if scale is not None else (math.floor(min(shown, default=0)), math.ceil(max(shown, default=1)))
    if high <= low:
        high = low + 1
    if any(not low <= v <= high for v in shown):
        raise ValueError(f"values must lie on the scale {low:g} to {high:g}")
    return low, high


# --- Drawing --------------------------------------------------------------------------------

def _svg(title: str, summary: list[str], height: float, body: list[str], chart_id: str | None, data) -> Markup:
    if not _plain(title).strip():
        raise ValueError("a chart needs a title: screen readers announce it")
    if chart_id is None:
        chart_id = "chart-" + hashlib.sha1(repr((title, data)).encode("utf-8", "replace")).hexdigest()[:10]
    elif not _ID.fullmatch(chart_id):
        raise ValueError(f"chart_id {chart_id!r} must start with a letter and hold only letters, digits, - and _")
    height = _n(height)
    # Width and height equal to the viewBox, so a unit is a CSS pixel and 14-unit text reads like
    # the page's text even without the stylesheet; stretched to a desktop page's width (as with
    # width="100%") it grew past 40 px. The stylesheet narrows it to fit a phone.
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="sans-serif" font-size="{FONT_SIZE}" fill="{TEXT}">'
        f'<title id="{chart_id}-title">{_escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{_escape(" ".join(summary))}</desc>'
        f'<rect width="{WIDTH}" height="{height}" fill="{BACKGROUND}"/>'
        + "".join(body) + "</svg>")


def _category(category: str, y: float, content_height: float) -> tuple[float, str]:
    """The band height for a category and its label, wrapped to at most three lines."""
    lines = _wrap(_plain(category), int(LABEL_WIDTH // CHAR_WIDTH), LABEL_LINES)
    band = max(len(lines) * LINE_HEIGHT, content_height)
    first = y + (band - len(lines) * LINE_HEIGHT) / 2 + LINE_HEIGHT * 0.75
    spans = "".join(f'<tspan x="0" {"y" if n == 0 else "dy"}="{_n(first) if n == 0 else LINE_HEIGHT}">'
                    f"{_escape(line)}</tspan>" for n, line in enumerate(lines))
    return band, f'<text class="category">{spans}</text>'


def _wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Words to lines of at most ``width`` characters; over-long words are cut, and a label
    longer than ``max_lines`` ends in an ellipsis (the summary and table give it in full)."""
    words = []
    for word in text.split():
        while len(word) > width:
            words.append(word[:width - 1] + "-")
            word = word[width - 1:]
        words.append(word)
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:width - 1].rstrip(" -") + "…"
    return lines or [""]


def _legend(items: list[tuple[str, str]], y: float) -> tuple[list[str], float]:
    """Swatch-and-name pairs in rows across the top; returns the drawing and the y below it."""
    body, x = [], 0.0
    if not items:
        return body, y
    for swatch, name in items:
        name = _plain(name)
        room = WIDTH - 2 * PADDING - 20
        if _width(name) > room:
            name = name[:int(room // CHAR_WIDTH) - 1] + "…"
        needed = 20 + _width(name)
        if x and x + needed > WIDTH - PADDING:
            x, y = 0.0, y + LINE_HEIGHT + 4
        body.append(f'<g class="legend" transform="translate({_n(x)} {_n(y)})">{swatch}'
                    f'<text x="20" y="{_n(LINE_HEIGHT * 0.75)}">{_escape(name)}</text></g>')
        x += needed + 16
    return body, y + LINE_HEIGHT + 10


def _swatch(fill: str) -> str:
    return f'<rect x="0" y="1" width="14" height="14" fill="{fill}" stroke="{TEXT}" stroke-width="1"/>'


def _point(x: float, y: float, filled: bool, radius: float = 6) -> str:
    kind = "after" if filled else "before"
    return (f'<circle class="point {kind}" cx="{_n(x)}" cy="{_n(y)}" r="{_n(radius)}" '
            f'fill="{PALETTE[0] if filled else BACKGROUND}" stroke="{TEXT}" stroke-width="2"/>')


def _hidden_box(x: float, y: float, label: str, kind: str, width: float | None = None, marker: str = "") -> str:
    """An empty dashed outline with the suppression text: a hidden value, never a bar of 0."""
    width = width if width is not None else _width(label) + 8
    return (f'<rect class="{kind}" x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{BAR_HEIGHT}" '
            f'fill="{BACKGROUND}" stroke="{TEXT}" stroke-width="1" stroke-dasharray="{DASHES}"/>'
            + marker + _label(x + (18 if marker else 4), y, label, "value suppressed"))


def _label(x: float, bar_y: float, text: str, kind: str, fill: str = TEXT) -> str:
    baseline = bar_y + BAR_HEIGHT / 2 + FONT_SIZE * 0.35
    return f'<text class="{kind}" x="{_n(x)}" y="{_n(baseline)}" fill="{fill}">{_escape(text)}</text>'


def _axis(low: float, high: float, at, top: float, bottom: float, value_format: str) -> list[str]:
    span = high - low
    step = 1 if span <= 10 and float(low).is_integer() else span / 4
    ticks = [low + step * k for k in range(int(round(span / step)) + 1)]
    body = [f'<line x1="{_n(at(t))}" y1="{_n(top)}" x2="{_n(at(t))}" y2="{_n(bottom)}" stroke="{GRID}" '
            f'stroke-width="1"/>' for t in ticks]
    label = "{:g}" if step == 1 else value_format
    return body + [f'<text class="tick" x="{_n(at(t))}" y="{_n(bottom + LINE_HEIGHT)}" text-anchor="middle" '
                   f'fill="{MUTED}">{_escape(_format(label, t))}</text>' for t in ticks]


def _text_on(fill: str) -> str:
    """Black or white text, whichever contrasts more with ``fill``."""
    lum = _luminance(fill)
    return TEXT if (lum + 0.05) / (_luminance(TEXT) + 0.05) >= 1.05 / (lum + 0.05) else BACKGROUND


def _luminance(colour: str) -> float:
    channels = [int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _format(pattern: str, value: float) -> str:
    return pattern.format(value)


def _plain(text) -> str:
    """Text on one line as XML 1.0 allows it: control characters cannot appear even escaped,
    and a parser would turn a carriage return into a line feed."""
    return " ".join(_NOT_XML.sub("", str(text)).split())


def _escape(text: str) -> str:
    return str(escape(_plain(text)))


def _width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def _n(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")
