"""Texts sent through Twilio: what the real ``twilio`` library sends, and what each refusal means."""
from __future__ import annotations

import base64
import re
import socket
from types import SimpleNamespace

import pytest

from feedback.config import ConfigurationError
from feedback.sms.twilio_backend import (ApiBaseUrlHttpClient, TwilioBackend, TwilioSendFailed, TwilioSettings,
                                         twilio_backend_from_settings)
from feedback.waves.channels import SendFailed
from tests.sms.fake_twilio import HANG_UP, FakeTwilio

SERVICE = "MG" + "ab" * 16
CALLBACK = "https://feedback.example.org/sms/status"
MOTHER = "+447700900123"
TEXT = "Hello from Northbridge Family Support: tell us how it went https://feedback.example.org/s/abc"


@pytest.fixture
def twilio():
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def make_backend(twilio):
    backends = []

    def make(**overrides) -> TwilioBackend:
        options = dict(status_callback_url=CALLBACK, api_base_url=twilio.base_url)
        options.update(overrides)
        if "from_number" not in options:
            options.setdefault("messaging_service_sid", SERVICE)
        backend = TwilioBackend(options.pop("account_sid", twilio.account_sid),
                                options.pop("auth_token", twilio.auth_token), **options)
        backends.append(backend)
        return backend

    yield make
    for backend in backends:
        backend.close()


def failure_of(backend: TwilioBackend, to: str = MOTHER, body: str = TEXT) -> TwilioSendFailed:
    with pytest.raises(TwilioSendFailed) as caught:
        backend.send(to, body, 7, "invitation")
    return caught.value


def test_a_text_reaches_twilio_as_the_library_sends_it(twilio, make_backend):
    sid = make_backend().send(MOTHER, TEXT, 7, "invitation")

    [request] = twilio.sent()
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json"
    credentials = base64.b64encode(f"{twilio.account_sid}:{twilio.auth_token}".encode()).decode()
    assert request.header("Authorization") == f"Basic {credentials}"
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    assert request.header("User-Agent").startswith("twilio-python/")
    assert request.form == {"To": MOTHER, "Body": TEXT, "MessagingServiceSid": SERVICE, "StatusCallback": CALLBACK}
    assert re.fullmatch(r"SM[0-9a-f]{32}", sid)
    assert sid == twilio.created[0]["sid"]


def test_a_from_number_is_sent_instead_of_a_messaging_service(twilio, make_backend):
    sid = make_backend(from_number="+447700900999").send(MOTHER, "Danke schön — ça va?", None, "reminder")

    [request] = twilio.sent()
    assert request.form == {"To": MOTHER, "Body": "Danke schön — ça va?", "From": "+447700900999",
                            "StatusCallback": CALLBACK}
    assert sid == twilio.created[0]["sid"]
    assert twilio.created[0]["status"] == "queued"


def test_each_text_gets_its_own_message_sid(make_backend):
    backend = make_backend()
    assert len({backend.send(MOTHER, TEXT, n, "invitation") for n in range(3)}) == 3


@pytest.mark.parametrize("code, status, permanent, kind", [
    (21610, 400, True, "opted_out"),
    (21211, 400, True, "invalid_number"),
    (21614, 400, True, "invalid_number"),
    (20429, 429, False, "temporary"),
    (20500, 500, False, "temporary"),
    (20503, 503, False, "temporary"),
])
def test_twilio_refusals_say_whether_trying_again_can_help(twilio, make_backend, code, status, permanent, kind):
    twilio.fail_number(MOTHER, code)

    failure = failure_of(make_backend())

    assert isinstance(failure, SendFailed)
    assert (failure.code, failure.status, failure.permanent, failure.kind) == (code, status, permanent, kind)
    assert f"Twilio error {code}" in str(failure)
    assert len(twilio.sent()) == 1


def test_a_refusal_never_repeats_the_phone_number(twilio, make_backend):
    """Staff see the reason in the invitation's history, where numbers must not appear unencrypted."""
    failure = failure_of(make_backend(), to="+4477")  # too short: Twilio's answer quotes it

    assert failure.code == 21211 and failure.kind == "invalid_number"
    assert "+4477" not in str(failure)


def test_a_failing_number_does_not_stop_texts_to_others(twilio, make_backend):
    backend = make_backend()
    twilio.fail_number(MOTHER, 21610)

    backend.send("+447700900456", TEXT, 8, "invitation")

    assert failure_of(backend).kind == "opted_out"
    assert [request.form["To"] for request in twilio.sent()] == ["+447700900456", MOTHER]
    assert len(twilio.created) == 1


def test_after_a_busy_spell_texts_go_again(twilio, make_backend):
    backend = make_backend()
    twilio.fail_next(20429, times=2)

    assert [failure_of(backend).kind for _ in range(2)] == ["temporary", "temporary"]
    assert backend.send(MOTHER, TEXT, 7, "invitation") == twilio.created[0]["sid"]
    assert len(twilio.sent()) == 3


def test_a_text_twilio_would_refuse_for_any_number_is_rejected(twilio, make_backend):
    failure = failure_of(make_backend(), body="")  # Twilio: 21602, a body is required

    assert (failure.code, failure.permanent, failure.kind) == (21602, True, "rejected")
    assert twilio.sent()[0].form["Body"] == ""


def test_wrong_credentials_fail_no_family_and_are_tried_again(twilio, make_backend):
    """A wrong auth token is our mistake: no family's invitation may fail for it."""
    failure = failure_of(make_backend(auth_token="not-the-token"))

    assert (failure.status, failure.code, failure.permanent, failure.kind) == (401, 20003, False, "configuration")
    assert "TWILIO_" in str(failure)
    [request] = twilio.sent()
    assert request.header("Authorization") == "Basic " + base64.b64encode(
        f"{twilio.account_sid}:not-the-token".encode()).decode()
    assert twilio.created == []


def test_twilio_unreachable_means_nothing_was_sent_and_it_is_tried_again(make_backend):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"

    failure = failure_of(make_backend(api_base_url=closed))

    assert (failure.permanent, failure.kind, failure.code) == (False, "temporary", None)


def test_a_lost_answer_is_never_retried_because_the_text_may_have_gone(twilio, make_backend):
    twilio.fail_next(HANG_UP)

    failure = failure_of(make_backend())

    assert (failure.permanent, failure.kind) == (True, "unknown")
    assert [request.form["To"] for request in twilio.sent()] == [MOTHER]  # Twilio did receive it


def test_the_base_url_override_only_replaces_twilios_address():
    client = ApiBaseUrlHttpClient("https://gateway.example.org/twilio/")
    try:
        assert client.rewrite("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=5") == \
            "https://gateway.example.org/twilio/2010-04-01/Accounts/AC1/Messages.json?PageSize=5"
        assert client.rewrite("https://api.dublin.ie1.twilio.com/2010-04-01/x.json") == \
            "https://gateway.example.org/twilio/2010-04-01/x.json"
        with pytest.raises(ValueError, match="only stands in for api.twilio.com"):
            client.rewrite("https://messaging.twilio.com/v1/Services")
    finally:
        client.session.close()


def test_send_failed_still_works_without_code_and_kind():
    failure = SendFailed("outbox is full", False)
    assert (str(failure), failure.permanent, failure.code, failure.kind) == ("outbox is full", False, None, None)


ENV = {"TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2, "TWILIO_AUTH_TOKEN": "secret-token",
       "TWILIO_MESSAGING_SERVICE_SID": SERVICE}


def test_the_backend_from_settings_reports_delivery_to_the_public_address(twilio):
    settings = SimpleNamespace(production=True, public_base_url="https://feedback.example.org")
    environ = ENV | {"TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token,
                     "TWILIO_API_BASE_URL": twilio.base_url + "/"}
    with pytest.raises(ConfigurationError, match="https:// in production"):  # the fake speaks plain HTTP
        twilio_backend_from_settings(settings, environ)
    with pytest.raises(ConfigurationError, match="FEEDBACK_PUBLIC_BASE_URL"):
        twilio_backend_from_settings(SimpleNamespace(production=False, public_base_url=None), environ)

    backend = twilio_backend_from_settings(SimpleNamespace(production=False, public_base_url=settings.public_base_url),
                                           environ)
    try:
        backend.send(MOTHER, TEXT, 7, "invitation")
    finally:
        backend.close()
    assert twilio.sent()[0].form["StatusCallback"] == "https://feedback.example.org/sms/status"


@pytest.mark.parametrize("change, complaint", [
    ({"TWILIO_ACCOUNT_SID": "ACnope"}, "TWILIO_ACCOUNT_SID"),
    ({"TWILIO_AUTH_TOKEN": " "}, "TWILIO_AUTH_TOKEN"),
    ({"TWILIO_FROM_NUMBER": "+447700900999"}, "exactly one"),
    ({"TWILIO_MESSAGING_SERVICE_SID": ""}, "exactly one"),
    ({"TWILIO_MESSAGING_SERVICE_SID": "", "TWILIO_FROM_NUMBER": "07700 900999"}, "international form"),
    ({"TWILIO_API_BASE_URL": "http://gateway.internal"}, "https:// in production"),
    ({"TWILIO_API_BASE_URL": "gateway.internal"}, "TWILIO_API_BASE_URL"),
])
def test_bad_twilio_settings_stop_the_app_with_the_fix(change, complaint):
    with pytest.raises(ConfigurationError, match=complaint):
        TwilioSettings.from_env(ENV | change, production=True)


def test_good_twilio_settings_are_read():
    settings = TwilioSettings.from_env(ENV | {"TWILIO_MESSAGING_SERVICE_SID": "", "TWILIO_FROM_NUMBER": "Northbridge",
                                              "TWILIO_API_BASE_URL": "https://gateway.internal/"}, production=True)
    assert (settings.from_number, settings.messaging_service_sid, settings.api_base_url) == \
        ("Northbridge", None, "https://gateway.internal")
