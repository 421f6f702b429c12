"""Two-step sign-in: for the roles in FEEDBACK_TWO_FACTOR_ROLES the right password leads only to
enrolling an authenticator app, or to typing its code; no staff page opens before that.

The suite's app turns two-step sign-in off (tests/conftest.py); here it is on for admins and
researchers, as in a deployment's default.
"""
from __future__ import annotations

import re
import time

import pyotp
import pytest
import sqlalchemy as sa

from feedback.config import ConfigurationError
from feedback.extensions import db
from feedback.staff.models import RecoveryCode, StaffUser
from tests.conftest import app_under_test, csrf_token, make_app

ADMIN = "admin@example.org"
RESEARCHER = "researcher_north@example.org"
MANAGER = "manager_north@example.org"
PASSWORD = "correct horse battery staple"
ENROL, CODE = "/staff/two-factor/enrol", "/staff/login/code"


@pytest.fixture
def app(schema, database_url, questionnaires_dir):
    with app_under_test(database_url, questionnaires_dir, FEEDBACK_TWO_FACTOR_ROLES="admin,researcher") as app:
        yield app


def password_step(client, email: str = ADMIN, password: str = PASSWORD):
    page = client.get("/staff/login")
    return client.post("/staff/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                             "email": email, "password": password})


def post_code(client, url: str, code: str):
    page = client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "code": code})


def code_of(secret: str, steps_ahead: int = 0) -> str:
    """The app's code now, or for a later 30-second step (still accepted: one step either side of
    now is), so that a test need not wait for a fresh code after one was used."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def reaches_staff_pages(client) -> bool:
    return client.get("/staff/").status_code == 200


def sign_out(client) -> None:
    home = client.get("/staff/").get_data(as_text=True)
    assert client.post("/staff/logout", data={"csrf_token": csrf_token(home)}).status_code == 302


def enrol(client, email: str = ADMIN) -> tuple[str, list[str]]:
    """Password, then the enrolment page's secret and a code made from it. The secret and the
    recovery codes shown."""
    assert password_step(client, email).location.endswith(ENROL)
    page = client.get(ENROL).get_data(as_text=True)
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    shown = post_code(client, ENROL, code_of(secret))
    assert shown.status_code == 200, shown.get_data(as_text=True)
    return secret, re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", shown.get_data(as_text=True))


def test_a_required_role_without_an_authenticator_reaches_only_the_enrolment_page(app, world):
    client = app.test_client()
    response = password_step(client, RESEARCHER)
    assert response.status_code == 302 and response.location.endswith(ENROL)
    assert not reaches_staff_pages(client)
    assert "/staff/login" in client.get("/staff/reports").location
    page = client.get(ENROL)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in text and re.search(r'<code id="secret">[A-Z2-7 ]{32,}</code>', text)
    assert "style=" not in text and "<script" not in text   # the Content-Security-Policy allows neither


def test_enrolling_with_a_right_code_signs_in_and_shows_ten_recovery_codes_once(app, world):
    client = app.test_client()
    _, codes = enrol(client)
    assert len(set(codes)) == 10
    assert reaches_staff_pages(client)
    again = client.get(ENROL)
    assert again.status_code == 302 and not re.search(r"[0-9a-f]{5}-[0-9a-f]{5}", client.get("/staff/").get_data(as_text=True))
    with app.app_context():
        hashes = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
        assert len(hashes) == 10 and not any(code.replace("-", "") in h or code in h for h in hashes for code in codes)


def test_a_wrong_code_at_enrolment_is_refused(app, world):
    client = app.test_client()
    password_step(client)
    assert post_code(client, ENROL, "123456").status_code == 401
    assert not reaches_staff_pages(client)


def test_once_enrolled_signing_in_needs_the_code_after_the_password(app, world):
    client = app.test_client()
    secret, _ = enrol(client)
    sign_out(client)
    response = password_step(client)
    assert response.status_code == 302 and response.location.endswith(CODE)
    assert not reaches_staff_pages(client)
    assert post_code(client, CODE, code_of(secret, 1)).status_code == 302
    assert reaches_staff_pages(client)


def test_a_wrong_code_is_refused(app, world):
    client = app.test_client()
    secret, _ = enrol(client)
    sign_out(client)
    password_step(client)
    wrong = f"{(int(code_of(secret, 1)) + 1) % 1_000_000:06d}"
    response = post_code(client, CODE, wrong)
    assert response.status_code == 401 and "not right" in response.get_data(as_text=True)
    assert not reaches_staff_pages(client)


def test_a_code_already_used_is_refused_even_within_its_time(app, world):
    client = app.test_client()
    secret, _ = enrol(client)
    sign_out(client)
    password_step(client)
    code = code_of(secret, 1)
    assert post_code(client, CODE, code).status_code == 302
    sign_out(client)
    password_step(client)
    assert post_code(client, CODE, code).status_code == 401           # the same code again
    assert post_code(client, CODE, code_of(secret, 0)).status_code == 401   # an earlier step's
    assert not reaches_staff_pages(client)


def test_a_recovery_code_signs_in_once(app, world):
    client = app.test_client()
    _, codes = enrol(client)
    sign_out(client)
    password_step(client)
    used = post_code(client, CODE, codes[0].upper())   # as someone might type it
    assert used.status_code == 302
    home = client.get("/staff/")
    assert home.status_code == 200 and "9 left" in home.get_data(as_text=True)
    sign_out(client)
    password_step(client)
    assert post_code(client, CODE, codes[0]).status_code == 401
    assert post_code(client, CODE, codes[1]).status_code == 302


def test_the_secret_is_not_stored_in_plain_text(app, world):
    secret, _ = enrol(app.test_client())
    with app.app_context():
        stored = db.session.execute(sa.text("SELECT totp_secret FROM staff_users WHERE email = :email"),
                                    {"email": ADMIN}).scalar_one()
        assert secret not in stored
        assert db.session.scalar(sa.select(StaffUser.totp_secret).filter_by(email=ADMIN)) == secret


def test_code_attempts_are_limited_per_account(app, world):
    client = app.test_client()
    secret, _ = enrol(client)
    sign_out(client)
    password_step(client)
    wrong = f"{(int(code_of(secret, 1)) + 1) % 1_000_000:06d}"
    statuses = [post_code(client, CODE, wrong).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_the_password_step_lapses_when_the_accounts_sessions_are_ended(app, world):
    client = app.test_client()
    secret, _ = enrol(client)
    sign_out(client)
    password_step(client)
    token = csrf_token(client.get(CODE).get_data(as_text=True))
    with app.app_context():   # as a password change or "sign out everywhere" would
        db.session.scalar(sa.select(StaffUser).filter_by(email=ADMIN)).end_sessions()
        db.session.commit()
    response = client.post(CODE, data={"csrf_token": token, "code": code_of(secret, 1)})
    assert response.status_code == 302 and "/staff/login" in response.location
    assert not reaches_staff_pages(client)


def test_a_role_not_in_the_setting_signs_in_with_the_password_alone(app, world):
    client = app.test_client()
    response = password_step(client, MANAGER)
    assert response.status_code == 302 and response.location.endswith("/staff/")
    assert reaches_staff_pages(client)


def test_a_session_begun_with_the_password_alone_ends_once_the_role_needs_a_second_step(app, world, database_url,
                                                                                       questionnaires_dir):
    before = make_app(database_url, questionnaires_dir, FEEDBACK_TWO_FACTOR_ROLES="").test_client()
    assert password_step(before).location.endswith("/staff/")
    after = app.test_client()
    after.set_cookie("session", before.get_cookie("session").value)
    response = after.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.location


def test_the_setting_refuses_a_name_that_is_not_a_role(schema, database_url, questionnaires_dir):
    with pytest.raises(ConfigurationError, match="'reseacher'.*not a staff role"):
        make_app(database_url, questionnaires_dir, FEEDBACK_TWO_FACTOR_ROLES="admin, reseacher")


def test_an_admins_reset_turns_the_second_step_off_and_the_next_sign_in_enrols_again(app, world):
    client = app.test_client()
    enrol(client)
    result = app.test_cli_runner().invoke(args=["users", "reset-two-factor", ADMIN, "--by", ADMIN])
    assert result.exit_code == 0, result.output
    assert not reaches_staff_pages(client)      # every session ended
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    assert password_step(client).location.endswith(ENROL)
