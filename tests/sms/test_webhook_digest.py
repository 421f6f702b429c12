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


# -- the digest each spelling of a number was given is remembered (issue 24: parsing cost 0.08 ms) --

def counting_parses(monkeypatch) -> list[str]:
    import feedback.sms.inbound as inbound

    parsed: list[str] = []
    real = inbound.normalise_mobile

    def counted(typed: str) -> str:
        parsed.append(typed)
        return real(typed)

    monkeypatch.setattr(inbound, "normalise_mobile", counted)
    monkeypatch.setattr(inbound, "_SENDERS", {})
    return parsed


def test_a_number_texting_again_is_not_parsed_again_and_gets_the_same_digest(app, monkeypatch):
    from feedback.crypto import lookup_digest
    from feedback.sms.inbound import sender_digest

    parsed = counting_parses(monkeypatch)
    first, again = sender_digest("+447911123456"), sender_digest("+447911123456")
    assert first == again == lookup_digest("+447911123456")
    assert parsed == ["+447911123456"]


def test_each_number_and_spelling_keeps_its_own_answer(app, monkeypatch):
    from feedback.crypto import lookup_digest
    from feedback.sms.inbound import sender_digest

    counting_parses(monkeypatch)
    for _ in range(2):  # the second time from what was remembered
        assert sender_digest("07911 123456") == sender_digest("+447911123456") == lookup_digest("+447911123456")
        assert sender_digest("+447911123457") == lookup_digest("+447911123457")
        assert sender_digest("+15005550006") is None
        assert sender_digest("01632 960000") is None  # a landline: no member's mobile


def test_a_new_data_key_is_never_answered_from_the_old_keys_digests(app, monkeypatch):
    import hashlib

    import feedback.crypto as crypto
    from feedback.sms.inbound import sender_digest

    parsed = counting_parses(monkeypatch)
    before = sender_digest("+447911123456")
    monkeypatch.setattr(crypto, "_digest_key", hashlib.sha256(b"another key").digest())
    after = sender_digest("+447911123456")
    assert after != before and after == crypto.lookup_digest("+447911123456")
    assert len(parsed) == 2


def test_the_remembered_numbers_are_bounded(app, monkeypatch):
    import feedback.sms.inbound as inbound
    from feedback.crypto import lookup_digest

    counting_parses(monkeypatch)
    monkeypatch.setattr(inbound, "SENDERS_KEPT", 3)
    numbers = [f"+4479110000{n:02d}" for n in range(10)]
    for number in numbers * 2:
        assert inbound.sender_digest(number) == lookup_digest(number)
        assert len(inbound._SENDERS) <= 3
