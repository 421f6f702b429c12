"""Report charts: drawn to scale, readable in greyscale and by screen readers, and safe with any label."""
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from feedback.reports.charts import (
    PALETTE, bar_chart, bar_chart_summary, dumbbell_chart, dumbbell_chart_summary, series_fills, stacked_bar_chart,
    stacked_bar_chart_summary,
)

SVG = "{http://www.w3.org/2000/svg}"
SITES = ["North", "South", "East"]


def _parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def _with_class(root: ET.Element, tag: str, *classes: str) -> list[ET.Element]:
    return [e for e in root.iter(SVG + tag) if set(classes) <= set(e.get("class", "").split())]


def _texts(root: ET.Element, *classes: str) -> list[str]:
    return ["".join(e.itertext()) for e in _with_class(root, "text", *classes)]


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    linear = []
    for k in (1, 3, 5):
        c = int(colour[k:k + 2], 16) / 255
        linear.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _every_chart(categories, title="A chart"):
    n = len(categories)
    return [
        bar_chart(categories, {"Invited": [10.0] * n, "Responded": [None] * n}, title=title),
        stacked_bar_chart(categories, {"Better": [50] * n, "Same": [None] * n, "Worse": [None] * n}, title=title),
        dumbbell_chart(categories, [2.0] * n, [None] * n, title=title, scale=(1, 5)),
    ]


# --- Shape and accessibility --------------------------------------------------------------------

@pytest.mark.parametrize("chart", _every_chart(SITES), ids=["bars", "stacked", "dumbbell"])
def test_each_chart_is_an_image_named_and_described_for_screen_readers(chart):
    assert isinstance(chart, Markup)
    root = _parse(chart)
    assert root.tag == SVG + "svg" and root.get("role") == "img"
    title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "A chart" and desc.text.startswith("North: ")


@pytest.mark.parametrize("chart", _every_chart(SITES), ids=["bars", "stacked", "dumbbell"])
def test_each_chart_is_drawn_at_its_natural_size_and_needs_nothing_from_outside(chart):
    root = _parse(chart)
    assert re.fullmatch(r"0 0 \d+ [\d.]+", root.get("viewBox"))
    # One viewBox unit to a CSS pixel, so 14-unit text reads like the page's text on a desktop
    # too (stretched to the page's width it was 40 px); the stylesheet only narrows it on a phone.
    _, _, width, height = root.get("viewBox").split()
    assert (root.get("width"), root.get("height")) == (width, height)
    assert root.get("font-family") == "sans-serif"
    text = str(chart)
    # The Content-Security-Policy blocks inline styles and scripts; nothing is fetched.
    for forbidden in ("<style", " style=", "<script", "href=", "url(", "<image", "<foreignObject"):
        assert forbidden not in text
    assert not re.search(r"\son[a-z]+=", text)
    assert root.find(SVG + "rect").get("fill") == "#ffffff"  # white background for print


def test_two_charts_on_a_page_have_different_ids_and_an_id_can_be_given():
    first, second = (_parse(bar_chart(SITES, {"n": [1, 2, 3]}, title=t)) for t in ("Invited", "Responded"))
    assert first.find(SVG + "title").get("id") != second.find(SVG + "title").get("id")
    named = _parse(bar_chart(SITES, {"n": [1, 2, 3]}, title="Invited", chart_id="invited"))
    assert named.get("aria-labelledby") == "invited-title invited-desc"
    with pytest.raises(ValueError, match="chart_id"):
        bar_chart(SITES, {"n": [1, 2, 3]}, title="Invited", chart_id='x" onload="alert(1)')


# --- Bars to scale, and hidden values ------------------------------------------------------------

def test_there_is_one_bar_per_category_and_series_with_lengths_in_proportion():
    root = _parse(bar_chart(SITES, {"Invited": [40, 20, 10], "Responded": [30, 5, 0]}, title="Response"))
    bars = _with_class(root, "rect", "bar")
    assert len(bars) == 6
    widths = [float(bar.get("width")) for bar in bars]
    values = [40, 30, 20, 5, 10, 0]  # category by category, series in order
    per_unit = widths[0] / 40
    assert widths == [pytest.approx(v * per_unit, abs=0.1) for v in values]
    assert _texts(root, "value") == ["40", "30", "20", "5", "10", "0"]


def test_a_given_maximum_fixes_the_scale_so_percentages_compare_across_charts():
    half = _with_class(_parse(bar_chart(["A"], {"%": [50]}, title="t", maximum=100)), "rect", "bar")[0]
    full = _with_class(_parse(bar_chart(["A"], {"%": [100]}, title="t", maximum=100)), "rect", "bar")[0]
    assert float(half.get("width")) == pytest.approx(float(full.get("width")) / 2, abs=0.1)


def test_a_hidden_value_is_an_empty_dashed_outline_labelled_never_a_bar_of_zero():
    root = _parse(bar_chart(SITES, {"Responded": [30, None, 12]}, title="Response", suppressed_label="<10"))
    assert len(_with_class(root, "rect", "bar")) == 3
    hidden = _with_class(root, "rect", "bar", "suppressed")
    assert len(hidden) == 1
    assert hidden[0].get("fill") == "#ffffff" and hidden[0].get("stroke-dasharray")
    assert float(hidden[0].get("width")) > 0
    assert _texts(root, "value", "suppressed") == ["<10"]
    assert "0" not in _texts(root, "value")


def test_the_suppression_text_follows_the_method_note():
    root = _parse(bar_chart(SITES, {"n": [30, None, 12]}, title="t", suppressed_label="[c]"))
    assert _texts(root, "value", "suppressed") == ["[c]"]


def test_a_chart_where_every_value_is_hidden_is_still_drawn_without_bars_of_zero():
    root = _parse(bar_chart(SITES, {"n": [None, None, None]}, title="t"))
    assert len(_with_class(root, "rect", "bar", "suppressed")) == 3


def test_long_labels_wrap_and_end_in_an_ellipsis_after_three_lines():
    label = "Confidence in managing children's behaviour at home and at school and everywhere else"
    root = _parse(bar_chart([label], {"n": [12]}, title="t"))
    lines = [tspan.text for tspan in root.iter(SVG + "tspan")]
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(len(line) <= 15 for line in lines)
    assert label in root.find(SVG + "desc").text  # the full label is still read out


# --- 100% stacked bars ----------------------------------------------------------------------------

def test_stacked_parts_are_in_proportion_and_fill_the_bar():
    root = _parse(stacked_bar_chart(["Confidence"], {"Better": [50], "Same": [30], "Worse": [20]}, title="Change"))
    widths = [float(s.get("width")) for s in _with_class(root, "rect", "segment")]
    assert widths[0] / widths[1] == pytest.approx(50 / 30, rel=0.01)
    assert widths[0] / widths[2] == pytest.approx(50 / 20, rel=0.01)
    assert _texts(root, "value") == ["50%", "30%", "20%"]


def test_stacked_parts_rounded_to_99_still_fill_the_bar():
    full = _parse(stacked_bar_chart(["a"], {"x": [50], "y": [50]}, title="t"))
    rounded = _parse(stacked_bar_chart(["a"], {"x": [33], "y": [33], "z": [33]}, title="t"))
    assert sum(float(s.get("width")) for s in _with_class(full, "rect", "segment")) == pytest.approx(
        sum(float(s.get("width")) for s in _with_class(rounded, "rect", "segment")), abs=0.2)


def test_hidden_parts_share_one_dashed_outline_over_the_rest_of_the_bar():
    root = _parse(stacked_bar_chart(["Confidence"], {"Better": [60], "Same": [None], "Worse": [None]}, title="t"))
    shown = _with_class(root, "rect", "segment")
    hidden = _with_class(root, "rect", "segment", "suppressed")
    assert len(shown) == 2 and len(hidden) == 1
    assert hidden[0].get("stroke-dasharray") and hidden[0].get("fill") == "#ffffff"
    better = shown[0]
    assert float(hidden[0].get("width")) == pytest.approx(float(better.get("width")) * 40 / 60, rel=0.01)
    assert _texts(root, "value", "suppressed") == ["<10"]


def test_stacked_summary_names_every_part_hidden_or_not():
    parts = {"Better": [45, None], "Same": [30, 50], "Worse": [25, None]}
    assert stacked_bar_chart_summary(["Confidence", "Routines"], parts) == [
        "Confidence: Better 45%, Same 30%, Worse 25%.",
        "Routines: Better <10, Same 50%, Worse <10.",
    ]


def test_text_on_each_part_contrasts_with_its_fill():
    root = _parse(stacked_bar_chart(["a"], {name: [20] for name in "vwxyz"}, title="t"))
    segments, labels = _with_class(root, "rect", "segment"), _with_class(root, "text", "value")
    assert len(segments) == len(labels) == 5
    for segment, label in zip(segments, labels):
        assert _contrast(segment.get("fill"), label.get("fill")) >= 4.5


@pytest.mark.parametrize("parts, message", [
    ({"a": [60], "b": [60]}, "more than 100%"),
    ({"a": [-5], "b": [50]}, "0 to 100"),
    ({"a": [150], "b": [None], "c": [None]}, "0 to 100"),
    ({"a": [60], "b": [30], "c": [None]}, "one hidden part"),
])
def test_stacked_parts_that_are_not_shares_of_one_total_or_give_a_hidden_part_away_are_refused(parts, message):
    with pytest.raises(ValueError, match=message):
        stacked_bar_chart(["x"], parts, title="t")


# --- Before and after ---------------------------------------------------------------------------

def test_before_and_after_points_sit_on_a_shared_scale():
    root = _parse(dumbbell_chart(["Confidence", "Routines"], [1.0, 3.0], [5.0, 2.0], title="t", scale=(1, 5)))
    before = [float(p.get("cx")) for p in _with_class(root, "circle", "point", "before")][1:]  # [0]: legend
    after = [float(p.get("cx")) for p in _with_class(root, "circle", "point", "after")][1:]
    one, five = before[0], after[0]
    assert before[1] == pytest.approx(one + (five - one) / 2, abs=0.1)
    assert after[1] == pytest.approx(one + (five - one) / 4, abs=0.1)
    # Hollow before, filled after: apart in greyscale and without colour.
    assert {p.get("fill") for p in _with_class(root, "circle", "before")} == {"#ffffff"}
    assert _luminance(_with_class(root, "circle", "after")[0].get("fill")) < 0.1
    assert _texts(root, "tick") == ["1", "2", "3", "4", "5"]


def test_a_hidden_mean_is_a_labelled_box_with_its_points_marker():
    root = _parse(dumbbell_chart(["Money"], [None], [4.0], title="t", scale=(1, 5)))
    boxes = _with_class(root, "rect", "point", "suppressed")
    assert len(boxes) == 1 and boxes[0].get("stroke-dasharray")
    assert _texts(root, "value", "suppressed") == ["<10"]
    assert len(_with_class(root, "circle", "before")) == 2  # the legend's and the box's marker


def test_before_and_after_summary_says_which_way_things_moved():
    assert dumbbell_chart_summary(["Confidence", "Routines", "Sleep", "Money"], [2.1, 3.0, 2.0, None],
                                  [3.4, 2.5, 2.0, 4.0]) == [
        "Confidence: at entry 2.1, at exit 3.4, up 1.3.",
        "Routines: at entry 3.0, at exit 2.5, down 0.5.",
        "Sleep: at entry 2.0, at exit 2.0, no change.",
        "Money: at entry <10, at exit 4.0.",
    ]


def test_values_off_the_scale_are_refused():
    with pytest.raises(ValueError, match="scale 1 to 5"):
        dumbbell_chart(["a"], [0.0], [3.0], title="t", scale=(1, 5))


# --- Greyscale and colour -----------------------------------------------------------------------

@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_series_fills_differ_clearly_in_lightness_so_they_survive_greyscale_printing(count):
    fills = series_fills(count)
    assert len(set(fills)) == count
    levels = [_luminance(fill) for fill in fills]
    assert all(abs(a - b) >= 0.12 for a, b in zip(levels, levels[1:]))
    assert levels == sorted(levels)  # the legend's order is also dark to light


def test_every_fill_is_visible_against_the_white_background_through_its_outline():
    root = _parse(bar_chart(SITES, {name: [5, 6, 7] for name in "abcde"}, title="t"))
    assert {bar.get("stroke") for bar in _with_class(root, "rect", "bar")} == {"#0b0c0c"}
    assert {bar.get("fill") for bar in _with_class(root, "rect", "bar")} == set(PALETTE)


def test_more_series_than_can_be_told_apart_are_refused():
    with pytest.raises(ValueError, match="1 to 5 series"):
        bar_chart(["a"], {str(k): [1] for k in range(6)}, title="t")


# --- Escaping -----------------------------------------------------------------------------------

def test_labels_from_instruments_and_sites_are_escaped():
    hostile = '<script>&"'
    chart = bar_chart([hostile], {hostile: [3], "b": [4]}, title=hostile)
    assert "<script" not in str(chart)
    root = _parse(chart)
    assert root.find(SVG + "title").text == hostile
    assert "".join(_with_class(root, "text", "category")[0].itertext()) == hostile
    assert hostile in _texts(root)


def _xml_text(text: str) -> str:
    """The text without the characters XML 1.0 cannot hold at all, even escaped."""
    return re.sub("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "", text)


_ANY_TEXT = st.text(min_size=1, max_size=40).filter(lambda s: _xml_text(s).strip())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=4), _ANY_TEXT, _ANY_TEXT)
def test_any_text_at_all_gives_a_chart_that_parses_as_xml(categories, name, title):
    n = len(categories)
    for chart in (bar_chart(categories, {name: [1.0] * n, name + "2": [None] * n}, title=title),
                  stacked_bar_chart(categories, {name: [40] * n, name + "2": [None] * n, name + "3": [None] * n},
                                    title=title),
                  dumbbell_chart(categories, [1.0] * n, [None] * n, title=title, before_name=name)):
        root = _parse(chart)
        assert root.find(SVG + "title").text == " ".join(_xml_text(title).split())


# --- Refusals and summaries ---------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda: bar_chart([], {"n": []}, title="t"),
    lambda: bar_chart(["a"], {}, title="t"),
    lambda: stacked_bar_chart([], {"n": []}, title="t"),
    lambda: dumbbell_chart([], [], [], title="t"),
    lambda: bar_chart_summary([], {"n": []}),
])
def test_no_data_is_refused_because_the_page_says_not_enough_data_itself(call):
    with pytest.raises(ValueError, match="at least one"):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: bar_chart(["a", "b"], {"n": [1]}, title="t"), "1 values for 2 categories"),
    (lambda: bar_chart(["a"], {"n": [-1]}, title="t"), "from 0"),
    (lambda: bar_chart(["a"], {"n": [120]}, title="t", maximum=100), "from 0 to 100"),
    (lambda: bar_chart(["a"], {"n": ["12"]}, title="t"), "values are numbers"),
    (lambda: bar_chart(["a"], {"n": [float("nan")]}, title="t"), "values are numbers"),
    (lambda: bar_chart(["a"], {"n": [1]}, title=" "), "needs a title"),
    (lambda: bar_chart(["a"], {"n": [1]}, title="\x1b\x00"), "needs a title"),
])
def test_data_a_chart_cannot_show_truthfully_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_bar_summary_reads_each_category_with_its_values():
    assert bar_chart_summary(SITES, {"Invited": [40, 25, 12], "Responded": [22, None, 10]}) == [
        "North: Invited 40, Responded 22.", "South: Invited 25, Responded <10.", "East: Invited 12, Responded 10."]
    assert bar_chart_summary(["North"], {"%": [45.0]}, value_format="{:.0f}%") == ["North: 45%."]


def test_the_description_inside_the_chart_is_the_summary():
    categories, series = SITES, {"Invited": [40, 25, 12]}
    root = _parse(bar_chart(categories, series, title="t"))
    assert root.find(SVG + "desc").text == " ".join(bar_chart_summary(categories, series))
