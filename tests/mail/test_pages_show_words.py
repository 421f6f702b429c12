"""The emails pages say what an email was and where it went in words, never the stored codes."""
from __future__ import annotations

import re

from tests.conftest import sign_in
from tests.mail.test_staff_pages import stored_emails  # noqa: F401 (a fixture)


def cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<(?:td|dd)[^>]*>(.*?)</(?:td|dd)>", html, re.S)]


def test_the_list_and_an_email_show_kinds_and_backends_as_words(app, client, world, stored_emails):  # noqa: F811
    sign_in(client, "admin@example.org")
    listed = cells(client.get("/staff/emails").get_data(as_text=True))
    assert {"Reminder", "Invitation", "Kept in the outbox", "The mail server: sent"} <= set(listed)
    older, newer = stored_emails
    shown = cells(client.get(f"/staff/emails/{newer}").get_data(as_text=True))
    assert "Reminder" in shown and "The mail server: sent" in shown
    for code in ("reminder", "invitation", "outbox", "smtp"):
        assert code not in listed + shown
