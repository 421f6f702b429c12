"""A report chart's text reads at about the page's text size on a phone and on a desktop, and
the chart fits a phone's screen: measured in real Chromium, as a manager sees it."""
from __future__ import annotations

import pytest

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
    context.set_default_timeout(15000)
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
    assert 11 <= seen["fontSize"] <= 22, f"chart text renders at {seen['fontSize']:.1f}px on the {screen}"
    assert 11 <= seen["textHeight"] <= 22, f"a line of chart text is {seen['textHeight']:.1f}px tall on the {screen}"
    assert 0 <= seen["chartLeft"] and seen["chartRight"] <= seen["viewport"], f"the chart overflows the {screen}"
    # Narrowed as a whole, not squashed into a box of another shape with blank space around it.
    assert seen["heightToWidth"] == pytest.approx(seen["drawnHeightToWidth"], rel=0.02)
