"""Dates typed as day, month and year (issue 22 item 4): the GOV.UK date input field, its one message per
problem, the family forms' date order, and the report filter's period in three boxes."""
from __future__ import annotations

import html as markup
import re
from datetime import date, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from feedback.extensions import db
from feedback.families.models import Family
from feedback.staff.date_input import DateInputField
from tests.conftest import csrf_token, sign_in, table_count
from tests.staff.scene import build_scene, client_as, snapshot


def make_form(app, data=None, obj=None, required=False, past=False):
    from flask_wtf import FlaskForm

    class Form(FlaskForm):
        class Meta:
            csrf = False
        entry_date = DateInputField("Entry date (support started)", subject="Entry date", required=required,
                                    past=past)

    return Form(formdata=MultiDict(data) if data is not None else None, obj=obj)


def boxes(day="", month="", year="", name="entry_date"):
    return {f"{name}-day": day, f"{name}-month": month, f"{name}-year": year}


@pytest.mark.parametrize("parts, expected", [
    (("27", "3", "2026"), date(2026, 3, 27)),
    (("03", "09", "2026"), date(2026, 9, 3)),
    (("3", "9", "2026"), date(2026, 9, 3)),
    ((" 29 ", "2", "2024"), date(2024, 2, 29)),
])
def test_good_dates_are_read_from_the_three_boxes(app, parts, expected):
    with app.test_request_context(method="POST"):
        form = make_form(app, boxes(*parts))
        assert form.validate(), form.errors
        assert form.entry_date.data == expected


@pytest.mark.parametrize("parts, message", [
    (("", "3", "2026"), "Entry date must include a day"),
    (("27", "", "2026"), "Entry date must include a month"),
    (("27", "3", ""), "Entry date must include a year"),
    (("", "", "2026"), "Entry date must include a day and month"),
    (("27", "", ""), "Entry date must include a month and year"),
    (("31", "2", "2026"), "Entry date must be a real date"),
    (("27", "13", "2026"), "Entry date must be a real date"),
    (("0", "3", "2026"), "Entry date must be a real date"),
    (("twenty", "3", "2026"), "Entry date must be a real date"),
    (("27", "3", "26"), "Entry date must include a year with 4 numbers, for example 2026"),
])
def test_each_wrong_date_has_its_own_message(app, parts, message):
    with app.test_request_context(method="POST"):
        form = make_form(app, boxes(*parts))
        assert not form.validate()
        assert form.entry_date.errors == [message]
        assert form.entry_date.data is None
        html = str(form.entry_date())
        assert message in html and 'id="entry_date-error"' in html
        # What was typed stays in its box.
        for part, value in zip(("day", "month", "year"), parts):
            assert f'name="entry_date-{part}" type="text" inputmode="numeric" autocomplete="off" ' \
                   f'value="{markup.escape(value.strip())}"' in html


def test_an_optional_date_left_blank_is_none_and_a_required_one_is_asked_for(app):
    with app.test_request_context(method="POST"):
        blank = make_form(app, boxes())
        assert blank.validate() and blank.entry_date.data is None
        required = make_form(app, boxes(), required=True)
        assert not required.validate() and required.entry_date.errors == ["Enter the entry date"]


def test_a_date_that_must_be_past_refuses_tomorrow(app):
    with app.test_request_context(method="POST"):
        form = make_form(app, boxes("1", "1", str(date.today().year + 1)), past=True)
        assert not form.validate()
        assert form.entry_date.errors == ["Entry date must be today or in the past"]


def test_editing_shows_the_stored_date_in_three_boxes(app):
    class Stored:
        entry_date = date(2026, 3, 7)

    with app.test_request_context():
        html = str(make_form(app, obj=Stored()).entry_date(hint="A hint."))
    assert '<legend class="govuk-fieldset__legend">Entry date (support started)</legend>' in html
    assert "A hint. For example, 27 3 2026" in html
    assert re.search(r'<label class="govuk-label" for="entry_date-day">Day</label>'
                     r'<input class="width-2" id="entry_date-day" name="entry_date-day"[^>]*value="7"', html)
    assert re.search(r'for="entry_date-month">Month</label><input class="width-2"[^>]*value="3"', html)
    assert re.search(r'for="entry_date-year">Year</label><input class="width-4"[^>]*value="2026"', html)
    assert html.count('inputmode="numeric"') == 3 and "error" not in html


# The family pages



def month_year_form(data=None, obj_date=None):
    from flask_wtf import FlaskForm

    from feedback.staff.date_input import MONTH_YEAR

    class Form(FlaskForm):
        class Meta:
            csrf = False
        birth = DateInputField("Month and year of birth", subject="Date of birth", parts=MONTH_YEAR, past=True,
                               messages={"month": "Enter the month of birth as a number from 1 to 12",
                                         "past_year": "Year of birth must be in the past"})

    return Form(formdata=MultiDict(data) if data is not None else None, birth=obj_date)


def test_a_month_and_year_only_date_has_two_boxes_and_is_the_first_of_the_month(app):
    with app.test_request_context(method="POST"):
        form = month_year_form(boxes(month="06", year="1988", name="birth"))
        assert form.validate(), form.errors
        assert form.birth.data == date(1988, 6, 1)
        html = str(form.birth())
        assert 'name="birth-month"' in html and 'name="birth-year"' in html and "birth-day" not in html
        assert "For example, 3 2026" in html and form.birth.anchor_id == "birth-month"
        blank = month_year_form(boxes(name="birth"))
        assert blank.validate() and blank.birth.data is None
    with app.test_request_context():
        shown = str(month_year_form(obj_date=date(2019, 5, 1)).birth())
        assert re.search(r'name="birth-month"[^>]*value="5"', shown)
        assert re.search(r'name="birth-year"[^>]*value="2019"', shown)


@pytest.mark.parametrize("month, year, message, wrong", [
    ("13", "2015", "Enter the month of birth as a number from 1 to 12", "month"),
    ("0", "2015", "Enter the month of birth as a number from 1 to 12", "month"),
    ("June", "2015", "Enter the month of birth as a number from 1 to 12", "month"),
    ("", "2015", "Date of birth must include a month", "month"),
    ("6", "", "Date of birth must include a year", "year"),
    ("6", "88", "Date of birth must include a year with 4 numbers, for example 2026", "year"),
    ("6", str(date.today().year + 1), "Year of birth must be in the past", "year"),
])
def test_each_wrong_month_and_year_has_its_own_message_at_the_wrong_box(app, month, year, message, wrong):
    with app.test_request_context(method="POST"):
        form = month_year_form(boxes(month=month, year=year, name="birth"))
        assert not form.validate()
        assert form.birth.errors == [message]
        assert form.birth.wrong_parts == {wrong}
        assert 'govuk-input--error" id="birth-' + wrong in str(form.birth())


def test_without_its_own_messages_a_month_and_year_says_what_a_date_says(app):
    from flask_wtf import FlaskForm

    from feedback.staff.date_input import MONTH_YEAR

    class Form(FlaskForm):
        class Meta:
            csrf = False
        start = DateInputField("Start", parts=MONTH_YEAR, past=True)

    with app.test_request_context(method="POST"):
        wrong = Form(formdata=MultiDict(boxes(month="13", year="2020", name="start")))
        assert not wrong.validate() and wrong.start.errors == ["Start must be a real date"]
        later = date.today().replace(day=1) + timedelta(days=40)
        future = Form(formdata=MultiDict(boxes(month=str(later.month), year=str(later.year), name="start")))
        assert not future.validate() and future.start.errors == ["Start must be today or in the past"]
        this_month = Form(formdata=MultiDict(boxes(month=str(date.today().month), year=str(date.today().year),
                                                   name="start")))
        assert this_month.validate(), this_month.errors


def test_only_whole_dates_or_month_and_year_are_asked_for(app):
    from flask_wtf import FlaskForm

    class Form(FlaskForm):
        class Meta:
            csrf = False
        odd = DateInputField("Odd", parts=("day", "month"))

    with app.test_request_context(), pytest.raises(ValueError):
        Form()


def post_form(client, url, **data):
    page = client.get(url)
    assert page.status_code == 200, url
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def test_an_exit_before_the_entry_is_refused_beside_the_date_and_in_the_summary(app, world):
    practitioner = client_as(app, "practitioner_north")
    result = post_form(practitioner, "/staff/families/new", site_id=world["north"], case_ref="N-8", key_worker_id="0",
                       **boxes("1", "3", "2026"), **boxes("1", "2", "2026", name="exit_date"))
    html = result.get_data(as_text=True)
    assert result.status_code == 422
    summary = html[html.index('class="error-summary'):html.index("</div>", html.index('class="error-summary'))]
    assert '<a href="#exit_date-day">Exit date must be after the entry date</a>' in summary
    beside = html[html.rindex('<div class="question', 0, html.index('id="exit_date-day"')):]
    assert "Exit date must be after the entry date" in beside[:beside.index("</fieldset>")]
    with app.app_context():
        assert table_count(Family) == 0


def test_a_wrong_date_on_the_change_page_changes_nothing(app, world):
    scene = build_scene(app, world)
    practitioner = client_as(app, "practitioner_north")
    page = practitioner.get(f"/staff/families/{scene.family}/edit").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    with app.app_context():
        family = db.session.get(Family, scene.family)
        entry = family.entry_date
        before = snapshot()
    # The stored entry date is shown in its three boxes.
    assert re.search(rf'name="entry_date-day"[^>]*value="{entry.day}"', page)
    assert re.search(rf'name="entry_date-year"[^>]*value="{entry.year}"', page)
    result = practitioner.post(f"/staff/families/{scene.family}/edit", data={
        "csrf_token": csrf_token(page), "version": version, "key_worker_id": "0", "status": "open",
        **boxes(str(entry.day), str(entry.month), str(entry.year)), **boxes("31", "2", "2027", name="exit_date")})
    html = result.get_data(as_text=True)
    assert result.status_code == 422
    assert '<a href="#exit_date-day">Exit date must be a real date</a>' in html
    with app.app_context():
        assert snapshot() == before


def test_an_entry_before_the_referral_is_refused_at_the_entry_date(app, world):
    practitioner = client_as(app, "practitioner_north")
    result = post_form(practitioner, "/staff/families/new", site_id=world["north"], case_ref="N-9", key_worker_id="0",
                       **boxes("10", "3", "2026", name="referral_date"), **boxes("1", "3", "2026"))
    html = result.get_data(as_text=True)
    assert result.status_code == 422
    assert '<a href="#entry_date-day">Entry date must be after the referral date</a>' in html


# The report filter


def test_the_report_period_in_three_boxes_filters_as_the_old_links_did(app, world):
    from tests.reports.seeding import assessed_family, north_need_flow
    with app.app_context():
        north_need_flow(world)
        for n in range(12):
            assessed_family(world, f"S-{n}", "south", 2, 2)
    client = sign_in(app.test_client(), "admin@example.org")

    def page(query):
        response = client.get(f"/staff/reports/need-flow?{query}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    both = "start-day=1&start-month=3&start-year=2026&end-day=30&end-month=04&end-year=2026"
    assert ">39<" in page(both) and ">39<" in page("start=2026-03-01&end=2026-04-30")
    html = page("start-day=1&start-month=4&start-year=2026")
    assert "Not enough data" in html
    assert re.search(r'name="start-month"[^>]*value="4"', html)  # the period chosen stays in the boxes
    html = page("start-day=1&start-month=5&start-year=2026&end-day=1&end-month=4&end-year=2026")
    assert "must not be before its start" in html
    html = page("start-day=31&start-month=4&start-year=2026")
    assert '<a href="#start-day">Start date must be a real date</a>' in html
