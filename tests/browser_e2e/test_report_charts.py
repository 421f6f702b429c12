"""A report chart's text reads at about the page's text size on a phone and on a desktop, and
the chart fits a phone's screen: measured in real Chromium, as a manager sees it."""
from __future__ import annotations

import pytest

from tests.browser_e2e.conftest import serious_violations
from tests.browser_e2e.test_staff_pages import sign_in
from tests.reports.seeding import assessed_family

pytestmark = pytest.mark.browser

SCREENS = {
    "phone": {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "print": {"viewport": {"width": 1280, "height": 800}},  # with print styles: what a meeting gets on paper
}

# Rendered size of one line of chart text, in CSS pixels: its font size times the chart's scale,
# and the height of its box on screen (a little more than the font size: ascenders, descenders).
MEASURE = """() => {
  const svg = document.querySelector("svg.report-chart");
  const text = svg.querySelector("text.value");
  const chart = svg.getBoundingClientRect();
  const box = svg.viewBox.baseVal;
  const scale = chart.width / box.width;
  return {
    fontSize: parseFloat(getComputedStyle(text).fontSize) * scale,
    textHeight: text.getBoundingClientRect().height,
    chartLeft: chart.left, chartRight: chart.right, viewport: document.documentElement.clientWidth,
    heightToWidth: chart.height / chart.width, drawnHeightToWidth: box.height / box.width,
  };
}"""


@pytest.mark.parametrize("screen", SCREENS, ids=list(SCREENS))
def test_chart_text_is_about_body_text_size_and_the_chart_fits_the_screen(app, world, live_server, browser, screen):
    with app.app_context():
        for n in range(11):
            assessed_family(world, f"N-{n}", "north", 3, 2)
    # JavaScript on only so the test can measure; the page itself has none.
    context = browser.new_context(**SCREENS[screen])
    context.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    page = context.new_page()
    if screen == "print":
        page.emulate_media(media="print")
    try:
        sign_in(page, live_server, "manager_north@example.org")
        page.goto(f"{live_server}/staff/reports/need-flow")
        page.wait_for_load_state("load")
        assert page.locator("svg.report-chart").count() == 1
        seen = page.evaluate(MEASURE)
    finally:
        context.close()
    print(f"{screen}: {seen}")
    assert 11 <= seen["fontSize"] <= 20, f"chart text renders at {seen['fontSize']:.1f}px on the {screen}"
    assert 11 <= seen["textHeight"] <= 20, f"a line of chart text is {seen['textHeight']:.1f}px tall on the {screen}"
    assert 0 <= seen["chartLeft"] and seen["chartRight"] <= seen["viewport"], f"the chart overflows the {screen}"
    # Narrowed as a whole, not squashed into a box of another shape with blank space around it.
    assert seen["heightToWidth"] == pytest.approx(seen["drawnHeightToWidth"], rel=0.02)


# Every text of the chart (categories, values, legend, ticks), rendered: computed size times scale.
ALL_TEXT = """() => {
  const svg = document.querySelector("svg.report-chart");
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const body = parseFloat(getComputedStyle(document.body).fontSize);
  const sizes = [...svg.querySelectorAll("text")].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  // One line each: a wrapped category label is measured by its lines (tspans), not as a block.
  const lines = [...svg.querySelectorAll("text, tspan")].filter(t => !t.querySelector("tspan"));
  const heights = lines.map(t => t.getBoundingClientRect().height);
  const line = document.querySelector(".chart-headline");
  return {sizes, heights, body, headline: line ? line.textContent : null,
          headlineAboveChart: !!line && line.getBoundingClientRect().bottom <= svg.getBoundingClientRect().top};
}"""


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_every_chart_text_reads_at_body_size_with_a_line_in_words_above_and_axe_passes(
        app, world, live_server, browser, screen):
    """The need-flow chart: every text in it 11–20 px, a line in words above it, and axe-core
    finds nothing serious at 1280 and 375 px."""
    with app.app_context():
        for n, (entry, exit_) in enumerate([(3, 2)] * 11 + [(3, 3)] * 12):
            assessed_family(world, f"N-{n}", "north", entry, exit_)
    context = browser.new_context(**SCREENS[screen])
    context.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    axe_context = browser.new_context(bypass_csp=True, **SCREENS[screen])
    axe_context.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    page, axe_page = context.new_page(), axe_context.new_page()
    try:
        sign_in(page, live_server, "manager_north@example.org")
        page.goto(f"{live_server}/staff/reports/need-flow")
        page.wait_for_load_state("load")
        seen = page.evaluate(ALL_TEXT)
        axe_page.goto(f"{live_server}/")
        problems = serious_violations(page, axe_page)
    finally:
        axe_context.close()
        context.close()
    print(f"{screen}: body {seen['body']}px, chart text {min(seen['sizes']):.1f}–{max(seen['sizes']):.1f}px, "
          f"boxes {min(seen['heights']):.1f}–{max(seen['heights']):.1f}px; {seen['headline']!r}")
    assert all(11 <= size <= 20 for size in seen["sizes"]), seen["sizes"]
    assert all(11 <= height <= 20 for height in seen["heights"] if height), seen["heights"]
    assert seen["headline"] and seen["headlineAboveChart"]
    assert seen["headline"].startswith("Highest") and "[c]" not in seen["headline"]
    assert not problems, "\n".join(problems)


def test_a_chart_that_would_be_all_hidden_is_one_sentence_on_a_phone(app, world, live_server, browser):
    with app.app_context():
        for n, (entry, exit_) in enumerate([(3, 2)] * 5 + [(3, 3)] * 5 + [(3, 4)] * 2):
            assessed_family(world, f"N-{n}", "north", entry, exit_)
    context = browser.new_context(**SCREENS["phone"])
    context.set_default_timeout(30000)  # generous: CI runs two suites side by side on two cores
    axe_context = browser.new_context(bypass_csp=True, **SCREENS["phone"])
    page, axe_page = context.new_page(), axe_context.new_page()
    try:
        sign_in(page, live_server, "manager_north@example.org")
        page.goto(f"{live_server}/staff/reports/need-flow")
        page.wait_for_load_state("load")
        assert page.locator("svg.report-chart").count() == 0
        assert page.locator("p.chart-too-small").inner_text() == (
            "The numbers are too small to show as a chart: this page covers about 10 families.")
        axe_page.goto(f"{live_server}/")
        problems = serious_violations(page, axe_page)
    finally:
        axe_context.close()
        context.close()
    assert not problems, "\n".join(problems)
