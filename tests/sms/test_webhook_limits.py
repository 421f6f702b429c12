"""Rate limits on Twilio's webhooks: nobody can use up a member's allowance with forged requests.

The signature is checked first. Forged (unsigned) requests count against the address they come
from, whatever number they name; signed texts count against their sender's number.
"""
from __future__ import annotations

import sqlalchemy as sa

from feedback.extensions import db
from feedback.families.models import Member
from feedback.sms.models import InboundMessage
from tests.sms.conftest import FROM_NUMBER, TWILIO_ADDRESS, leaving_family, reply_of

PER_MINUTE = 30  # both limits: forged requests per address, signed texts per number
FORGER = "203.0.113.66"


def forge(webhooks, sender: str, body: str = "hello", address: str = FORGER, path: str = "/sms/inbound"):
    """A request naming ``sender`` that no one signed, from ``address``."""
    params = {"MessageSid": "SM" + "e" * 32, "From": sender, "To": FROM_NUMBER, "Body": body}
    return webhooks.client.post(path, data=params, environ_base={"REMOTE_ADDR": address})


def test_forged_texts_naming_a_member_do_not_block_her_stop(webhooks, north):
    """Before the fix a forger's 30 unsigned texts with the mother's number used up her allowance,
    and her own STOP got 429 and was lost."""
    made, (mother,) = leaving_family(north)
    forged = [forge(webhooks, mother.phone).status_code for _ in range(PER_MINUTE + 5)]
    assert set(forged) <= {403, 429}

    stop = webhooks.text(mother.phone, "STOP")

    assert stop.status_code == 200 and "no more texts" in reply_of(stop)
    db.session.expire_all()
    assert db.session.get(Member, mother.id).opted_out_at is not None
    assert db.session.scalars(sa.select(InboundMessage.handled_as)).all() == ["opt_out"]


def test_forgeries_from_twilios_own_address_do_not_block_a_signed_stop_either(webhooks, north):
    """Behind a proxy every request may seem to come from one address: forgeries still cannot
    refuse a signed text, which never counts against the address limit."""
    made, (mother,) = leaving_family(north)
    forged = [forge(webhooks, mother.phone, address=TWILIO_ADDRESS).status_code for _ in range(PER_MINUTE + 5)]
    assert forged[-1] == 429

    assert webhooks.text(mother.phone, "STOP").status_code == 200
    db.session.expire_all()
    assert db.session.get(Member, mother.id).opted_out_at is not None


def test_a_flood_of_forgeries_is_refused_by_the_address_it_comes_from(webhooks, north):
    senders = [f"+4479110{n:05d}" for n in range(PER_MINUTE + 1)]  # a new number each time
    statuses = [forge(webhooks, sender).status_code for sender in senders]
    assert statuses == [403] * PER_MINUTE + [429]
    assert forge(webhooks, senders[0], path="/sms/status").status_code == 429  # one allowance for both webhooks
    assert forge(webhooks, senders[0], address="198.51.100.7").status_code == 403  # other addresses unaffected
    assert webhooks.text(senders[0], "hello", remote_addr=FORGER).status_code == 200  # signed: never by address
    assert db.session.scalars(sa.select(InboundMessage.handled_as)).all() == ["no_conversation"]


def test_one_number_cannot_flood_the_webhook_however_it_is_written(webhooks, north):
    statuses = [webhooks.text("+447911000555", "hello").status_code for _ in range(PER_MINUTE + 1)]
    assert statuses == [200] * PER_MINUTE + [429]
    assert webhooks.text("07911 000555", "hello").status_code == 429
    assert webhooks.text("+447911000556", "hello").status_code == 200  # other numbers are unaffected


def test_webhook_answers_carry_no_rate_limit_headers_and_both_limits_still_bite(webhooks, north):
    """Twilio reads no X-RateLimit or Retry-After header, so none is written (each cost the limiter's
    storage two reads a text); the sender's and the address's limits refuse as before."""
    texts = [webhooks.text("+447911000888", "hello") for _ in range(PER_MINUTE + 1)]
    forged = [forge(webhooks, f"+4479110{n:05d}") for n in range(PER_MINUTE + 1)]
    assert [r.status_code for r in texts] == [200] * PER_MINUTE + [429]
    assert [r.status_code for r in forged] == [403] * PER_MINUTE + [429]
    status = forge(webhooks, "+447911000888", path="/sms/status")
    assert status.status_code == 429
    for response in texts + forged + [status]:
        assert not [name for name in response.headers.keys() if name.lower().startswith(("x-ratelimit", "retry-after"))]


def test_other_limited_pages_keep_their_rate_limit_headers(twilio_app):
    import re

    client = twilio_app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/staff/login").get_data(as_text=True))
    response = client.post("/staff/login", data={"email": "nobody@example.org", "password": "wrong",
                                                  "csrf_token": token.group(1)})
    assert response.headers.get("X-RateLimit-Limit") == "10"
