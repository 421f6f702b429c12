"""Which chart function draws which kind of report chart, with the number formats each unit needs."""
from __future__ import annotations

from markupsafe import Markup

from . import charts

FORMATS = {"%": "{:.0f}%", "£": "£{:,.0f}", "1–10": "{:.1f}"}


def _format(unit: str) -> str:
    return FORMATS.get(unit, "{:g}")


def render_chart(kind: str, title: str, categories: list[str], series: dict[str, list], unit: str,
                 suppressed_label: str) -> Markup:
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
                  suppressed_label: str) -> list[str]:
    fmt = _format(unit)
    if kind == "stacked":
        return charts.stacked_bar_chart_summary(categories, series, value_format=fmt, suppressed_label=suppressed_label)
    if kind == "dumbbell":
        (before_name, before), (after_name, after) = list(series.items())[:2]
        return charts.dumbbell_chart_summary(categories, before, after, before_name=before_name, after_name=after_name,
                                             value_format=fmt, suppressed_label=suppressed_label,
                                             scale=(1, 10) if unit == "1–10" else None)
    return charts.bar_chart_summary(categories, series, value_format=fmt, suppressed_label=suppressed_label)
