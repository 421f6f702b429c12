"""The staff pages follow one design (issue 22, item 7): every form with fields says what is wrong the one
way — the GOV.UK error summary at the top, each error a link to its field, the error again beside the field —
and no staff page has inline styles, outside scripts or stylesheets, or a table without header scopes.

The static checks read every template that extends ``staff/layout.html`` (with what it includes); the
rendered ones post each form that used to lack the summary, wrongly, and follow its links."""
from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest

from tests.conftest import csrf_token
from tests.staff.scene import build_scene, client_as
from tests.waves.test_views import make_unknown

ROOT = Path(__file__).resolve().parents[2]
FEEDBACK = ROOT / "feedback"

#: Every template by the name ``render_template``/``include`` use, across the app's template folders.
TEMPLATES = {str(path.relative_to(folder)): path
             for folder in sorted(FEEDBACK.glob("**/templates")) for path in folder.glob("**/*.html")}
STAFF_PAGES = sorted(name for name, path in TEMPLATES.items()
                     if re.search(r"""\{%-?\s*extends\s+["']staff/layout\.html["']""", path.read_text()))

#: Staff pages with a POST form with fields that need not show the error summary. Each says why.
WITHOUT_SUMMARY = {
    # The cost-benefit report's unit savings: one small form per table row (amount and source) that
    # redirects back to the report with a flash message ("Not changed: …") at the top of the page, which
    # names the outcome changed; re-rendering the whole report with one row's errors is not worth it.
    # (Left to the reports' owners: issue 22 item 7.)
    "reports/show.html",
}

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
POST = re.compile(r"""method\s*=\s*["']post["']""", re.I)
#: What makes a form one with fields: the field macros, or a control other than a hidden token or a button.
FIELDS = re.compile(r"\bfield\(|\bchoices\(|<select\b|<textarea\b"
                    r"""|<input\b(?![^>]*\btype\s*=\s*["'](?:hidden|submit)["'])""", re.I)
INCLUDE = re.compile(r"""\{%-?\s*(?:include|import|from)\s+["']([^"']+)["']""")


def source(name: str) -> str:
    return TEMPLATES[name].read_text(encoding="utf-8")


def with_parts(name: str, seen: set[str] | None = None) -> dict[str, str]:
    """The page and every template it includes or imports (the layout's own shell is checked by its tests)."""
    seen = set() if seen is None else seen
    if name in seen or name not in TEMPLATES:
        return {}
    seen.add(name)
    found = {name: source(name)}
    for part in INCLUDE.findall(found[name]):
        found.update(with_parts(part, seen))
    return found


def post_forms_with_fields(text: str) -> list[str]:
    return [body for attrs, body in FORM.findall(text) if POST.search(attrs) and FIELDS.search(body)]


def test_the_staff_pages_are_found():
    assert len(STAFF_PAGES) >= 30
    assert {"families/import.html", "imports/index.html", "waves/unknown.html"} <= set(STAFF_PAGES)


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_a_staff_page_with_a_form_shows_the_error_summary(name):
    text = source(name)
    if not post_forms_with_fields(text) or name in WITHOUT_SUMMARY:
        return
    assert re.search(r"""\{%-?\s*from\s+["']staff/_error_summary\.html["']\s+import\s+error_summary""", text) \
        and "error_summary(" in text \
        or re.search(r"""\{%-?\s*include\s+["']staff/_error_summary\.html["']""", text), \
        f"{name}: a POST form with fields, but no staff/_error_summary.html"


def test_the_allow_list_holds_only_pages_that_need_it():
    for name in WITHOUT_SUMMARY:
        assert name in STAFF_PAGES and post_forms_with_fields(source(name)), name
        assert "error_summary" not in source(name), f"{name} has the summary now: take it off the list"


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_a_staff_page_has_no_inline_style_nor_outside_script_or_stylesheet(name):
    for part, text in with_parts(name).items():
        assert not re.search(r"\sstyle\s*=", text, re.I), f"{part}: an inline style= attribute"
        assert not re.search(r"""<script\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//""", text, re.I), \
            f"{part}: a script from another site"
        assert not re.search(r"""<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//""", text, re.I), \
            f"{part}: a stylesheet from another site"


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_every_table_on_a_staff_page_has_scoped_headers(name):
    for part, text in with_parts(name).items():
        for table in re.findall(r"<table\b.*?</table>", text, re.S | re.I):
            assert re.search(r"""<th\s+scope\s*=\s*["'](?:col|row|colgroup|rowgroup)["']""", table), \
                f"{part}: a table without <th scope=…>"
            assert not re.search(r"<th\b(?![^>]*\bscope\s*=)", table), f"{part}: a <th> without scope"


def test_a_destructive_button_has_the_warning_style():
    css = (FEEDBACK / "static" / "feedback.css").read_text()
    assert re.search(r"\.button\.warning\s*\{[^}]*background:", css)
    assert 'class="button warning"' in source("families/erase.html")
    assert 'warning=True' in source("waves/invitation.html")  # cancel the invitation


# Rendered: each converted form, posted wrongly --------------------------------------------------

def summary_targets(page: str) -> list[str]:
    """The ids the error summary links to, after checking it is the one summary, at the top."""
    assert page.count('class="error-summary govuk-error-summary"') == 1, page
    start = page.index('class="error-summary govuk-error-summary"')
    summary = page[start:page.index("</div>", start)]
    assert 'role="alert"' in page[page.rindex("<div", 0, start):start + 80] and "There is a problem" in summary
    main = page.index("<main")
    assert page.index("<form", main) > start, "the summary comes before the form"
    return re.findall(r'<a href="#([^"]+)"', summary)


def assert_links_reach_fields(page: str, *expected: str) -> None:
    targets = summary_targets(page)
    assert targets and set(expected) <= set(targets), targets
    for target in targets:
        assert re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{re.escape(target)}"', page), \
            f"the summary links to #{target}, which no field has"
    for target in expected:  # the error beside the field too, for a field that has its own box
        if not target.endswith("-0"):
            assert f'id="{target}-error"' in page, f"no error beside #{target}"


def post(client, url, data, files=False):
    token = csrf_token(client.get(url).get_data(as_text=True))
    kwargs = {"content_type": "multipart/form-data"} if files else {}
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def test_importing_families_without_a_file_links_to_the_file_input(app, world):
    response = post(client_as(app, "practitioner_north"), "/staff/families/import", {}, files=True)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert_links_reach_fields(page, "file")
    assert "Choose the file to import." in page


def test_importing_partner_contacts_without_a_file_links_to_the_file_input(app, world):
    response = post(client_as(app, "admin"), "/staff/partners/import", {}, files=True)
    assert response.status_code == 422
    assert_links_reach_fields(html.unescape(response.get_data(as_text=True)), "file")


def test_importing_responses_without_a_file_or_wave_links_to_each_field(app, world):
    response = post(client_as(app, "researcher_north"), "/staff/imports", {"instrument": "", "wave": ""}, files=True)
    assert response.status_code == 422
    assert_links_reach_fields(html.unescape(response.get_data(as_text=True)), "file", "instrument", "wave")


def test_a_wave_that_does_not_ask_the_instrument_goes_through_the_summary(app, world):
    """The view's own refusal (not the form's) is a field error like the others."""
    response = post(client_as(app, "researcher_north"), "/staff/imports",
                    {"file": (io.BytesIO(b"site,case_ref\n"), "forms.csv"), "instrument": "partner-survey:1",
                     "wave": "entry"}, files=True)
    assert response.status_code == 422
    assert_links_reach_fields(html.unescape(response.get_data(as_text=True)), "wave")


def test_erasing_a_family_with_a_wrong_or_no_reference_links_to_the_box(app, world):
    scene = build_scene(app, world)
    admin = client_as(app, "admin")
    url = f"/staff/families/{scene.family}/erase"
    for typed in ("", "N-2"):
        response = post(admin, url, {"case_ref": typed})
        assert response.status_code == 422
        assert_links_reach_fields(html.unescape(response.get_data(as_text=True)), "case_ref")


def test_resolving_unknown_sends_without_an_outcome_or_reason_links_to_both(app, world):
    scene = build_scene(app, world)
    make_unknown(app, scene.invitation)
    admin = client_as(app, "admin")
    response = post(admin, "/staff/invitations/unknown", {"invitation": [scene.invitation], "reason": "  "})
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert_links_reach_fields(page, "reached-0", "reason")
    assert "Give a reason" in page
    # Nothing chosen: a refusal of the whole form, in the same summary.
    refused = post(admin, "/staff/invitations/unknown", {"reached": "no", "reason": "Checked the Twilio log"})
    assert refused.status_code == 400
    page = html.unescape(refused.get_data(as_text=True))
    assert summary_targets(page) == [] and "Choose at least one unknown invitation" in page


def test_resolving_one_unknown_send_without_an_outcome_links_to_the_choice(app, world):
    scene = build_scene(app, world)
    make_unknown(app, scene.invitation)
    admin = client_as(app, "admin")
    page = admin.get(f"/staff/invitations/{scene.invitation}").get_data(as_text=True)
    assert "There is a problem" not in page
    response = admin.post(f"/staff/invitations/{scene.invitation}/resolve", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert_links_reach_fields(page, "reached-0")
    assert "Choose whether the text was sent." in page


def test_adding_an_api_client_without_anything_links_to_each_field(app, world):
    response = post(client_as(app, "admin"), "/staff/api-clients/new", {})
    assert response.status_code in (400, 422)
    assert_links_reach_fields(html.unescape(response.get_data(as_text=True)), "name", "scopes-0", "site_ids-0")
