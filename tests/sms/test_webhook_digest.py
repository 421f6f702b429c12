"""The inbound webhook works out the sender's number digest once per text: the sender's rate limit
and the handler share it (issue 24: the second digest cost about 0.18 ms a text)."""
from __future__ import annotations

import feedback.sms.views as views
from tests.sms.conftest import reply_of
from tests.sms.test_webhook_limits import PER_MINUTE, forge


def counting_digests(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = views.sender_digest

    def counted(sender: str):
        seen.append(sender)
        return real(sender)

    monkeypatch.setattr(views, "sender_digest", counted)
    return seen


def test_a_signed_text_digests_its_sender_once_and_is_still_answered(webhooks, north, monkeypatch):
    seen = counting_digests(monkeypatch)
    response = webhooks.text("07911 123456", "hello")
    assert response.status_code == 200 and reply_of(response)
    assert seen == ["07911 123456"]


def test_the_shared_digest_still_gives_one_allowance_however_the_number_is_written(webhooks, north, monkeypatch):
    seen = counting_digests(monkeypatch)
    statuses = [webhooks.text("+447911000777" if n % 2 else "07911 000777", "hello").status_code
                for n in range(PER_MINUTE + 1)]
    assert statuses == [200] * PER_MINUTE + [429]
    assert len(seen) == PER_MINUTE + 1


def test_numbers_that_are_no_uk_mobile_keep_their_own_allowance(webhooks, north):
    statuses = [webhooks.text("+15005550006", "hello").status_code for _ in range(PER_MINUTE + 1)]
    assert statuses == [200] * PER_MINUTE + [429]
    assert webhooks.text("+15005550007", "hello").status_code == 200


def test_a_forgery_is_refused_before_any_digest_is_needed(webhooks, north, monkeypatch):
    seen = counting_digests(monkeypatch)
    assert forge(webhooks, "+447911123456").status_code == 403
    assert seen == []
