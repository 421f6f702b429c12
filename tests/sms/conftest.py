"""An app configured for Twilio, with the real ``twilio`` client talking to a fake Twilio API on
127.0.0.1, and helpers to post webhooks signed exactly as Twilio signs them."""
from __future__ import annotations

import itertools
import secrets
from datetime import date, datetime, timedelta

import pytest
from twilio.request_validator import RequestValidator

from feedback.extensions import db
from tests.conftest import app_under_test
from tests.sms.fake_twilio import FakeTwilio

PUBLIC = "https://feedback.example.org"
FROM_NUMBER = "+447700900123"
#: Where Twilio's webhook requests reach the app from, unless a test says otherwise.
TWILIO_ADDRESS = "127.0.0.1"
SIDS = (f"SM{n:032x}" for n in itertools.count(1))


@pytest.fixture
def fake_twilio():
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def twilio_app(schema, database_url, questionnaires_dir, fake_twilio):
    with app_under_test(database_url, questionnaires_dir, FEEDBACK_CHANNEL_BACKEND="twilio",
                        TWILIO_ACCOUNT_SID=fake_twilio.account_sid, TWILIO_AUTH_TOKEN=fake_twilio.auth_token,
                        TWILIO_FROM_NUMBER=FROM_NUMBER, TWILIO_API_BASE_URL=fake_twilio.base_url,
                        FEEDBACK_PUBLIC_BASE_URL=PUBLIC, FEEDBACK_SMS_HELP_CONTACT="call 01632 960000") as app:
        yield app


class Webhooks:
    """Posts to the app's webhooks as Twilio does: form-encoded, signed over the public URL."""

    def __init__(self, client, auth_token: str):
        self.client, self.validator = client, RequestValidator(auth_token)

    def post(self, path: str, params: dict, signature: str | None = None, signed_url: str | None = None,
             remote_addr: str = TWILIO_ADDRESS):
        signature = signature if signature is not None else self.validator.compute_signature(
            signed_url or PUBLIC + path, params)
        return self.client.post(path, data=params, headers={"X-Twilio-Signature": signature},
                                environ_base={"REMOTE_ADDR": remote_addr})

    def text(self, sender: str, body: str, sid: str | None = None, remote_addr: str = TWILIO_ADDRESS, **extra):
        params = {"MessageSid": sid or next(SIDS), "AccountSid": "AC" + secrets.token_hex(16), "From": sender,
                  "To": FROM_NUMBER, "Body": body, "NumMedia": "0", **extra}
        return self.post("/sms/inbound", params, remote_addr=remote_addr)

    def status(self, sid: str, status: str, error_code: str | None = None):
        params = {"MessageSid": sid, "MessageStatus": status, "To": "+447911100000", "From": FROM_NUMBER}
        if error_code:
            params["ErrorCode"] = error_code
        return self.post("/sms/status", params)


@pytest.fixture
def webhooks(twilio_app, fake_twilio):
    return Webhooks(twilio_app.test_client(), fake_twilio.auth_token)


def reply_of(response) -> str:
    """The text of the TwiML reply ('' when the app sends nothing)."""
    import re
    from html import unescape

    match = re.search(r"<Message>(.*?)</Message>", response.get_data(as_text=True), re.S)
    return unescape(match.group(1)) if match else ""


@pytest.fixture
def north(twilio_app):
    """One site and its key worker; yields (site id, key worker id) inside an app context."""
    from feedback.staff.models import Site, StaffUser

    with twilio_app.app_context():
        site = Site(code="north", name="North Family Support")
        worker = StaffUser(email="kw@example.org", name="Kim Worker", role="practitioner", sites=[site])
        worker.password_hash = "x"
        db.session.add_all([site, worker])
        db.session.commit()
        yield site.id, worker.id


def leaving_family(north, channel="sms_link", exit_: date | None = None, case="C-1", members=(("mother", 1988, 3),)):
    """A family recorded through the services, leaving support on ``exit_`` (today by default)."""
    from feedback.families.service import update_family
    from tests.families.helpers import family_with_members

    exit_ = exit_ or date.today()
    site, worker = north
    family, made = family_with_members(site, worker, case_ref=case, entry=exit_ - timedelta(days=150),
                                       members=members, channel=channel)
    update_family(family, family.version, exit_date=exit_)
    db.session.commit()
    return family, made


def dispatch(app, now: datetime | None = None):
    """One dispatcher pass with the app's own backend (Twilio, through the fake), at ``now``."""
    from feedback.waves.channels import backend_for
    from feedback.waves.dispatcher import dispatch_once
    from tests.waves.seeding import sending_moment

    return dispatch_once(backend_for(app.config["FEEDBACK_SETTINGS"]), now=now or sending_moment(date.today()))
