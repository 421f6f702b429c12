"""What each text costs, per language: the figures staff see and the check `flask instruments check`
prints, counted as the networks count them."""
from __future__ import annotations

import pytest

from feedback.languages import ui_languages
from feedback.waves import messages
from feedback.waves.messages import over_budget_templates, template_costs
from tests.conftest import app_under_test
from tests.sms.counting import independent_count
from tests.staff.scene import client_as

SAMPLE = messages.SAMPLE_LINK


def rendered(template: str, language: str) -> str:
    """The text each template name stands for, rendered here from the message functions."""
    return {
        "invitation": lambda: messages.invitation_text(language, SAMPLE, 10),
        "reminder": lambda: messages.reminder_text(language, SAMPLE),
        "opted out": lambda: messages.opted_out_text(language),
        "opted in": lambda: messages.opted_in_text(language),
        "help": lambda: messages.help_text(language),
        "nothing open": lambda: messages.nothing_open_text(language),
        "already answered": lambda: messages.already_answered_text(language),
        "language changed": lambda: messages.language_changed_text(language),
        "conversation opening (before the question)": lambda: messages.conversation_opening(language, "").rstrip(),
        "conversation reminder (before the question)": lambda: messages.conversation_reminder(language, "").rstrip(),
    }[template]()


def test_every_template_is_priced_in_every_language_the_app_speaks(ctx):
    costs = template_costs()
    templates = {cost.template for cost in costs}
    assert {(cost.template, cost.language) for cost in costs} == {(t, code) for t in templates for code in ui_languages()}
    assert {"invitation", "reminder", "help", "language changed"} <= templates
    for cost in costs:
        assert cost.text == rendered(cost.template, cost.language)
        assert (cost.encoding, cost.units, cost.segments) == independent_count(cost.text)
        assert cost.characters == len(cost.text)


@pytest.fixture
def branded(schema, database_url, questionnaires_dir):
    """Texts that start with a sender wording GSM-7 cannot carry (ŵ), so every text goes as UCS-2."""
    with app_under_test(database_url, questionnaires_dir, FEEDBACK_SMS_SENDER_WORDING="Gwasanaeth Tŵf: ",
                        FEEDBACK_SMS_SEGMENT_BUDGET="6") as app, app.app_context():
        yield app


def test_templates_over_two_segments_are_listed_for_the_instruments_check(branded):
    costs = template_costs()
    assert {cost.encoding for cost in costs} == {"UCS-2"}
    over = over_budget_templates()
    assert over == [(cost.template, cost.language, cost.segments) for cost in costs if cost.segments > 2]
    assert ("invitation", "en", independent_count(messages.invitation_text("en", SAMPLE, 10))[2]) in over
    assert all(segments > 2 for _template, _language, segments in over)
    assert ("help", "en") not in {(template, language) for template, language, _segments in over_budget_templates(6)}


def test_the_cost_page_lists_each_text_in_words(app, world):
    page = client_as(app, "researcher_north").get("/staff/texts/costs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Welsh (Cymraeg)" in html and "English" in html and "Standard (GSM-7)" in html
    assert "Language changed" in html and ">cy<" not in html
    assert client_as(app, "admin").get("/staff/texts/costs").status_code == 200


@pytest.mark.parametrize("role", ["practitioner_north", "manager_north"])
def test_the_cost_page_is_refused_to_practitioners_and_managers(app, world, role):
    assert client_as(app, role).get("/staff/texts/costs").status_code == 403


def test_the_cost_page_sends_the_signed_out_to_sign_in(app, world):
    response = client_as(app, "anonymous").get("/staff/texts/costs")
    assert response.status_code == 302 and "/staff/login" in response.location
