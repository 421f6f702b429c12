"""Staff pages of reports and exports in Welsh (issue 20): every string they wrap has Welsh in
translations/cy_staff/, and a researcher who chooses Welsh reads them in it.

The Welsh tables are merged into the staff catalogue by hand; until then the page test builds a
catalogue of its own from them (a copy of translations/ with the tables added to cy's staff.po).
"""
from __future__ import annotations

import re

import yaml
from babel.messages.extract import extract_from_dir

from tests.conftest import ROOT, csrf_token, sign_in

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def extracted(area: str) -> dict[str, str | tuple[str, ...]]:
    """Each msgid wrapped in feedback/<area>/, keyed by its (singular) msgid."""
    method_map = [(f"feedback/{area}/**.py", "python"), (f"feedback/{area}/**/templates/**.html", "jinja2")]
    found = {}
    for _filename, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map=method_map,
                                                                             keywords=KEYWORDS):
        found[message[0] if isinstance(message, tuple) else message] = message
    return found


def table(area: str) -> dict:
    return yaml.safe_load((ROOT / "translations" / "cy_staff" / f"{area}.yaml").read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_the_shown_titles_are_the_reports_own_titles(app):
    """The report list's (translated) titles, in English, are each report's TITLE (which downloads keep)."""
    from feedback.reports import (cost_benefit, exit_feedback, family_functioning, follow_up, need_flow,
                                  partner_survey, resilience, response_rates, risk_change, star)
    from feedback.reports import scale_change
    from feedback.reports.catalogue import REPORTS

    modules = (cost_benefit, exit_feedback, family_functioning, follow_up, need_flow, partner_survey, resilience,
               response_rates, risk_change, star)
    modules += (scale_change,)
    with app.test_request_context("/staff/reports"):
        assert {name: str(kind.title) for name, kind in REPORTS.items()} == {m.NAME: m.TITLE for m in modules}


def in_welsh(client, back: str):
    page = client.get(back).get_data(as_text=True)
    response = client.post("/staff/language", data={"csrf_token": csrf_token(page), "language": "cy",
                                                     "next": back})
    assert response.status_code == 302, response.status_code
    return client


def main(html: str) -> str:
    return html.split("<main", 1)[1]


def test_a_researcher_reads_a_report_in_welsh(app, world):
    client = sign_in(app.test_client(), "researcher_north@example.org")
    assert "Level of need: entry to exit" in client.get("/staff/reports/need-flow").get_data(as_text=True)
    in_welsh(client, "/staff/reports")
    index = main(client.get("/staff/reports").get_data(as_text=True))
    assert "Adroddiadau" in index and "Lefel yr angen: o’r dechrau i’r diwedd" in index
    assert "Cyfnod" in index and "Dangos" in index and "Period" not in index
    html = main(client.get("/staff/reports/need-flow?start=2000-01-01").get_data(as_text=True))
    assert "Lefel yr angen: o’r dechrau i’r diwedd" in html and "Pob adroddiad" in html
    assert "Safleoedd: North Family Support. Teuluoedd y daeth eu cymorth i ben ar 01 Ionawr 2000 neu wedi hynny." in html
    assert "Dim digon o ddata" in html  # no family assessed yet
    # A download stays English whatever the page's language: it is data that leaves the app.
    download = client.get("/staff/reports/need-flow/download/csv?start=2000-01-01").get_data(as_text=True)
    assert "Families whose support ended on or after 01 January 2000." in download and "Not enough data" in download
    assert "Teuluoedd" not in download and "Ionawr" not in download


def test_a_report_s_tables_are_in_welsh_and_protected_as_in_english(app, world):
    from tests.reports.seeding import north_need_flow

    with app.app_context():
        north_need_flow(world)
    client = sign_in(app.test_client(), "researcher_north@example.org")
    english = main(client.get("/staff/reports/need-flow").get_data(as_text=True))
    in_welsh(client, "/staff/reports/need-flow")
    html = main(client.get("/staff/reports/need-flow").get_data(as_text=True))
    assert "Teuluoedd yn ôl lefel yr angen ar y dechrau (rhesi) ac ar y diwedd (colofnau)" in html
    assert "Cyfanswm" in html and "Newid yn lefel yr angen" in html and "Dangosir niferoedd o dan 10" in html
    # The same cells hidden in either language (the Welsh total row is still the total row).
    assert html.count('class="suppressed"') == english.count('class="suppressed"') > 0
    download = client.get("/staff/reports/need-flow/download/csv").get_data(as_text=True)
    assert "Families by level of need at entry (rows) and exit (columns)" in download and "Cyfanswm" not in download


def test_a_researcher_reads_the_exports_page_in_welsh(app, world):
    client = sign_in(app.test_client(), "researcher_north@example.org")
    in_welsh(client, "/staff/exports")
    html = main(client.get("/staff/exports").get_data(as_text=True))
    assert "Setiau data ar gyfer gwerthuswyr" in html and "Eich allforion blaenorol" in html
    assert "Proffil" in html and "Datasets for evaluators" not in html


def test_without_a_choice_the_pages_stay_english(app, world):
    client = sign_in(app.test_client(), "researcher_north@example.org")
    assert "Datasets for evaluators" in client.get("/staff/exports").get_data(as_text=True)
    assert "All reports" in client.get("/staff/reports/need-flow").get_data(as_text=True)
