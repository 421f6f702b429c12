"""A bounded probe: the classes of attack from issue 15 replayed against the app, the refusals
counted and printed at the end of the module (``probe:`` lines in the test output).

Each class also has its own detailed tests; this module replays them side by side, as an
attacker's session would, and keeps a tally a reader can compare from run to run: forged webhooks
naming a victim's number, replayed webhooks, session reuse after sign-out and a password change,
guessing across two app processes sharing Redis, oversized uploads, and CR/LF/NUL typed into free
text through to every export format.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from feedback.extensions import db
from feedback.families.models import Member
from feedback.sms.models import InboundMessage
from feedback.staff.models import StaffUser
from tests.conftest import csrf_token, make_app, sign_in
from tests.exports.test_dataset import answered_family
from tests.exports.test_no_csv_line_starts_a_formula import (assert_no_line_starts_a_formula,
                                                               exited_family_answering_on_the_web)
from tests.exports.test_runner import KEY, PROFILE
from tests.imports.test_limits import post_large, zip_bomb
from tests.sms.conftest import fake_twilio, leaving_family, north, twilio_app, webhooks  # noqa: F401,F811 (fixtures)
from tests.sms.test_webhook_limits import PER_MINUTE, forge
from tests.staff.test_sign_in_limits import GUESSER, REDIS_DB, REDIS_URL, attempt, redis_database, second_worker  # noqa: F401,E501

TALLY: dict[str, tuple[int, int, str]] = {}


@pytest.fixture(scope="module", autouse=True)
def print_the_tally(request):
    """The tally is printed in pytest's terminal summary (``pytest_terminal_summary`` in conftest)."""
    request.config.probe_tally = TALLY
    yield


def tally(attack: str, tried: int, refused: int, note: str = "") -> None:
    TALLY[attack] = (tried, refused, note)


def test_forged_webhooks_naming_a_victim_are_refused_and_her_own_stop_still_counts(webhooks, north):  # noqa: F811
    _family, (mother,) = leaving_family(north)
    statuses = [forge(webhooks, mother.phone, body="STOP").status_code for _ in range(PER_MINUTE + 10)]
    statuses += [forge(webhooks, mother.phone, path="/sms/status").status_code for _ in range(5)]
    refused = sum(code in (403, 429) for code in statuses)
    stop = webhooks.text(mother.phone, "STOP")
    db.session.expire_all()
    tally("forged webhooks with a victim's number", len(statuses), refused, "then her signed STOP: "
          f"{stop.status_code}")
    assert refused == len(statuses) and stop.status_code == 200
    assert db.session.get(Member, mother.id).opted_out_at is not None


def test_a_replayed_webhook_is_acted_on_once_and_a_tampered_one_not_at_all(webhooks, north):  # noqa: F811
    _family, (mother,) = leaving_family(north)
    sid = "SM" + "7" * 32
    first = webhooks.text(mother.phone, "hello", sid=sid)
    replays = [webhooks.text(mother.phone, "hello", sid=sid) for _ in range(5)]
    # The same signature over a body changed in transit.
    params = {"MessageSid": "SM" + "8" * 32, "From": mother.phone, "To": "+447700900000", "Body": "hi"}
    signature = webhooks.validator.compute_signature("https://feedback.example.org/sms/inbound", params)
    tampered = [webhooks.post("/sms/inbound", {**params, "Body": "STOP"}, signature=signature).status_code
                for _ in range(5)]
    acted = db.session.scalar(sa.select(sa.func.count()).select_from(InboundMessage))
    ignored = sum(r.status_code == 200 and "<Message>" not in r.get_data(as_text=True) for r in replays)
    tally("replayed and tampered webhooks", len(replays) + len(tampered), ignored + tampered.count(403),
          f"first delivery {first.status_code}; stored once: {acted == 1}")
    assert first.status_code == 200 and acted == 1 and ignored == len(replays) and tampered == [403] * 5


def test_sessions_copied_before_sign_out_or_a_new_password_are_refused(app, world):
    refused = tried = 0
    for ending in ("sign-out", "new password"):
        owner = sign_in(app.test_client(), "manager_north@example.org")
        copies = []
        for _ in range(5):
            copy = app.test_client()
            copy.set_cookie("session", owner.get_cookie("session").value)
            copies.append(copy)
        assert all(copy.get("/staff/").status_code == 200 for copy in copies)
        if ending == "sign-out":
            home = owner.get("/staff/").get_data(as_text=True)
            owner.post("/staff/logout", data={"csrf_token": csrf_token(home)})
        else:
            with app.app_context():
                db.session.scalar(sa.select(StaffUser).filter_by(email="manager_north@example.org")).set_password(
                    "violet-harbour-tide-1987")
                db.session.commit()
        statuses = [copy.get("/staff/").status_code for copy in copies]
        tried += len(statuses)
        refused += statuses.count(302)
        with app.app_context():   # put the password back for the next round
            db.session.scalar(sa.select(StaffUser).filter_by(email="manager_north@example.org")).set_password(
                "correct horse battery staple")
            db.session.commit()
    tally("session reuse after sign-out and a new password", tried, refused)
    assert refused == tried


def test_guesses_spread_over_two_app_processes_share_one_count(app, database_url, questionnaires_dir,
                                                               second_worker):  # noqa: F811
    storage = f"{REDIS_URL}/{REDIS_DB}"
    counts = redis_database(REDIS_DB)
    try:
        first = make_app(database_url, questionnaires_dir, FEEDBACK_RATE_LIMIT_STORAGE=storage).test_client()
        in_second = second_worker(FEEDBACK_RATE_LIMIT_STORAGE=storage)
        statuses = [attempt(first, f"g{n}@example.org", "guess").status_code if n % 2 == 0
                    else in_second(f"g{n}@example.org", "guess", GUESSER) for n in range(20)]
    finally:
        counts.flushdb()
        counts.close()
    tally("guessing across two processes sharing Redis", len(statuses), statuses.count(429),
          f"{statuses.count(401)} checked before the per-address limit")
    assert statuses.count(401) == 10 and statuses.count(429) == 10


def test_oversized_uploads_are_refused_with_a_message(app, world):
    client = sign_in(app.test_client(), "researcher_north@example.org")
    big = b"case_ref,member_ref\n" + b"x,y\n" * 400_000
    statuses = [post_large(client, big).status_code, post_large(client, zip_bomb()).status_code]
    tally("oversized uploads (1.6 MB CSV, a zip bomb)", len(statuses), sum(code >= 400 for code in statuses))
    assert all(code >= 400 for code in statuses)


PAYLOADS = ["More visits\r@SUM(1+1)*cmd|' /C calc'!A0", "ok\r\n=HYPERLINK(\"http://x\")", "nul\x00here\x01\x1b=1"]


def test_cr_lf_and_nul_typed_into_free_text_reach_no_export_format_as_a_formula_or_a_control(app, world, tmp_path):
    with app.app_context():
        answered_family(world, "P-1")
        answered_family(world, "P-2")
        token = exited_family_answering_on_the_web(world, "P-3")
    client = app.test_client()
    for item_id, typed in (("what_made_difference", PAYLOADS[0] + "\n" + PAYLOADS[2]), ("what_could_be_better", PAYLOADS[1])):
        url = f"/s/{token}/q/{item_id}"
        html = client.get(url).get_data(as_text=True)
        assert client.post(url, data={"csrf_token": csrf_token(html), item_id: typed}).status_code == 302
    assert client.post(f"/s/{token}/check", data={"csrf_token": csrf_token(html)}).location.endswith("/done")
    path = tmp_path / "probe.yaml"
    path.write_text(PROFILE.format(id="probe", shape="long", free_text="scrub", extra="")
                    .replace("formats: [csv]", "formats: [csv, xlsx, sav, dta, parquet]"))
    from feedback.exports.profile import load_profile
    from feedback.exports.runner import run_export

    with app.app_context():
        bundle = run_export(load_profile(path), tmp_path / "out", key=KEY)
    checked = 0
    raw = (bundle.directory / "exit-interview.csv").read_bytes()
    assert_no_line_starts_a_formula(raw)
    checked += 1
    sheet = load_workbook(bundle.directory / "exit-interview.xlsx")["data"]
    assert not [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    checked += 1
    texts = [str(v) for v in pd.read_parquet(bundle.directory / "exit-interview.parquet")
             .filter(like="what_").stack().tolist()]
    checked += 1
    import pyreadstat

    for name, read in (("exit-interview.sav", pyreadstat.read_sav), ("exit-interview.dta", pyreadstat.read_dta)):
        frame, _meta = read(str(bundle.directory / name))
        texts += [str(v) for v in frame.filter(like="what_").stack().tolist()]
        checked += 1
    controls = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
    found = [t for t in texts if controls.search(t)] + [b for b in (raw,) if b"\x00" in b]
    tally("CR/LF/NUL through the web survey to every export format", checked, checked - bool(found),
          "formats read back clean: csv, xlsx, parquet, sav, dta")
    assert not found and any("More visits" in t for t in texts)
