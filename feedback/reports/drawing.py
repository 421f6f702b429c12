"""Which chart function draws which kind of report chart, with the number formats each unit needs.

Above each chart the page puts one line in words made from the drawn values (``headline``). A
chart whose every value is hidden is not drawn at all: the page says in one sentence that the
numbers are too small to show as a chart and how many families it covers (``too_small``), which
is itself given as "fewer than" the threshold when it is small (the report page counts its families
and says so: ``reports.views``; drawn without a page, the sentence gives no count). A chart that could still give a
hidden value away is left out by ``protect`` (the chart functions refuse it), as before.
"""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from . import charts

FORMATS = {"%": "{:.0f}%", "£": "£{:,.0f}", "1–10": "{:.1f}"}


class ChartSummary(list):
    """The chart's sentences, one per category (for the caption and the SVG's description), with
    ``headline``: one line above the chart; and ``too_small``: the sentence shown instead of a
    chart whose every value is hidden."""

    def __init__(self, sentences=(), headline: str | None = None, too_small: str | None = None):
        super().__init__(sentences)
        self.headline = headline
        self.too_small = too_small


def _format(unit: str) -> str:
    return FORMATS.get(unit, "{:g}")


def _drawn(kind: str, series: dict[str, list]) -> list[list]:
    return list(series.values())[:2] if kind == "dumbbell" else list(series.values())


def render_chart(kind: str, title: str, categories: list[str], series: dict[str, list], unit: str,
                 suppressed_label: str) -> Markup:
    """The chart as SVG; empty when every value is hidden (``chart_summary`` then gives the
    sentence shown instead)."""
    if categories and series and charts.all_hidden(*_drawn(kind, series)):
        return Markup("")
    fmt = _format(unit)
    if kind == "stacked":
        return charts.stacked_bar_chart(categories, series, title=title, value_format=fmt,
                                        suppressed_label=suppressed_label)
    if kind == "dumbbell":
        (before_name, before), (after_name, after) = list(series.items())[:2]
        return charts.dumbbell_chart(categories, before, after, title=title, scale=(1, 10) if unit == "1–10" else None,
                                     before_name=before_name, after_name=after_name, value_format=fmt,
                                     suppressed_label=suppressed_label)
    return charts.bar_chart(categories, series, title=title, value_format=fmt, maximum=100 if unit == "%" else None,
                            suppressed_label=suppressed_label)


def chart_summary(kind: str, title: str, categories: list[str], series: dict[str, list], unit: str,
                  suppressed_label: str) -> ChartSummary:
    if categories and series and charts.all_hidden(*_drawn(kind, series)):
        return ChartSummary(too_small=too_small_text(None, None))
    fmt = _format(unit)
    if kind == "stacked":
        return ChartSummary(
            charts.stacked_bar_chart_summary(categories, series, value_format=fmt, suppressed_label=suppressed_label),
            charts.stacked_bar_chart_headline(categories, series, value_format=fmt))
    if kind == "dumbbell":
        (before_name, before), (after_name, after) = list(series.items())[:2]
        scale = (1, 10) if unit == "1–10" else None
        return ChartSummary(
            charts.dumbbell_chart_summary(categories, before, after, before_name=before_name, after_name=after_name,
                                          value_format=fmt, suppressed_label=suppressed_label, scale=scale),
            charts.dumbbell_chart_headline(categories, before, after, before_name=before_name, after_name=after_name,
                                           value_format=fmt, scale=scale))
    return ChartSummary(charts.bar_chart_summary(categories, series, value_format=fmt, suppressed_label=suppressed_label),
                        charts.bar_chart_headline(categories, series, value_format=fmt))


def too_small_text(families: int | None, threshold: int | None, exact: bool = False) -> str:
    """The sentence in place of a chart whose every value is hidden. ``families``: how many the
    page covers (None when not known, as outside a report page); below ``threshold`` it is
    given as "fewer than" the threshold unless ``exact`` (small numbers are shown)."""
    if families is None or threshold is None:
        return _("The numbers are too small to show as a chart.")
    if exact:
        return _("The numbers are too small to show as a chart: this page covers %(count)s families.", count=families)
    if families < threshold:
        return _("The numbers are too small to show as a chart: this page covers fewer than %(threshold)s "
                 "families.", threshold=threshold)
    # Rounded to the nearest ten: the cohort's exact size is no figure of the disclosure audit, and
    # beside a table whose hidden total it equals it would give that total away; ten wide is wider
    # than any interval the audit must keep.
    return _("The numbers are too small to show as a chart: this page covers about %(count)s families.",
             count=max(threshold, 10 * int(families / 10 + 0.5)))
