"""Configuration is read from the environment and checked at start-up."""
from pathlib import Path

import pytest

from feedback.config import ConfigurationError, Settings

STRONG = "k" * 20 + "Q7x!pZ2mV9rT4wY8bN3c"
DATA_KEY = "0" * 43 + "="  # 32 bytes, urlsafe base64: a well-formed Fernet key


def settings(tmp_path, **environ):
    return Settings.from_env(environ, Path(tmp_path))


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        settings(tmp_path, FEEDBACK_ENV="production", DATABASE_URL="postgresql://db/feedback")


@pytest.mark.parametrize("weak", ["dev", "changeme", "short-but-random-9"])
def test_production_refuses_a_weak_secret_key(tmp_path, weak):
    with pytest.raises(ConfigurationError, match="too weak"):
        settings(tmp_path, FEEDBACK_ENV="production", SECRET_KEY=weak, DATABASE_URL="postgresql://db/feedback")


def test_production_needs_a_database_url(tmp_path):
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        settings(tmp_path, FEEDBACK_ENV="production", SECRET_KEY=STRONG)


def test_production_settings_use_psycopg_and_secure_cookies(tmp_path):
    config = settings(tmp_path, FEEDBACK_ENV="production", SECRET_KEY=STRONG, DATABASE_URL="postgres://u@db/feedback",
                      FEEDBACK_DATA_KEY=DATA_KEY)
    assert config.database_url == "postgresql+psycopg://u@db/feedback"
    flask = config.flask_config()
    assert flask["SESSION_COOKIE_SECURE"] and flask["SESSION_COOKIE_HTTPONLY"] and flask["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_defaults_to_sqlite_in_the_instance_folder_and_a_kept_random_key(tmp_path):
    first = settings(tmp_path)
    second = settings(tmp_path)
    assert first.database_url == f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    assert len(first.secret_key) >= 32 and first.secret_key == second.secret_key


@pytest.mark.parametrize("name, value, message", [
    ("FEEDBACK_ENV", "staging", "FEEDBACK_ENV"),
    ("FEEDBACK_LINK_VALID_DAYS", "soon", "whole number"),
    ("FEEDBACK_LINK_VALID_DAYS", "0", "at least 1"),
    ("FEEDBACK_DATA_KEY", "not-a-key", "Fernet key"),
    ("FEEDBACK_ERASURE_RESPONSES", "shred", "FEEDBACK_ERASURE_RESPONSES"),
    ("FEEDBACK_CHANNEL_BACKEND", "pigeon", "FEEDBACK_CHANNEL_BACKEND"),
    ("FEEDBACK_REPORT_PROTECTION_WIDTH", "0", "FEEDBACK_REPORT_PROTECTION_WIDTH='0': use a whole number, at least 1"),
    ("FEEDBACK_REPORT_PROTECTION_WIDTH", "x", "FEEDBACK_REPORT_PROTECTION_WIDTH='x': use a whole number, at least 1"),
    ("FEEDBACK_TWO_FACTOR_ROLES", "admin,admins", "FEEDBACK_TWO_FACTOR_ROLES names 'admins', which is not a staff role"),
])
def test_a_bad_setting_names_the_variable(tmp_path, name, value, message):
    with pytest.raises(ConfigurationError, match=message):
        settings(tmp_path, **{name: value})


def test_two_step_sign_in_is_required_of_admins_and_researchers_unless_set_otherwise(tmp_path):
    assert settings(tmp_path).two_factor_roles == ("admin", "researcher")
    assert settings(tmp_path, FEEDBACK_TWO_FACTOR_ROLES=" Admin, manager ,").two_factor_roles == ("admin", "manager")
    assert settings(tmp_path, FEEDBACK_TWO_FACTOR_ROLES="").two_factor_roles == ()


def test_report_settings_default_to_hiding_counts_below_10_with_a_protection_width_of_3(tmp_path):
    config = settings(tmp_path)
    assert (config.report_threshold, config.report_protection_width) == (10, 3)
    assert settings(tmp_path, FEEDBACK_REPORT_THRESHOLD="5").report_threshold == 5   # the lowest the width allows


@pytest.mark.parametrize("threshold, could_be", [("1", "it hides no count at all"),
                                                 ("2", "a count shown as '<2' can only be 1,"),
                                                 ("4", "a count shown as '<4' can only be 1 to 3,")])
def test_a_report_threshold_too_low_for_the_protection_width_is_refused(tmp_path, threshold, could_be):
    """A count shown as "<t" is 1 to t-1 (zeros are shown): an interval t-2 wide, too narrow below width + 2."""
    with pytest.raises(ConfigurationError) as refused:
        settings(tmp_path, FEEDBACK_REPORT_THRESHOLD=threshold)
    message = str(refused.value)
    assert message.startswith(f"FEEDBACK_REPORT_THRESHOLD={threshold} cannot be honoured: {could_be}")
    assert "FEEDBACK_REPORT_PROTECTION_WIDTH" in message and message.endswith("Use a threshold of at least 5.")


def test_a_wider_protection_width_needs_a_higher_threshold(tmp_path):
    with pytest.raises(ConfigurationError, match="FEEDBACK_REPORT_THRESHOLD=6 cannot be honoured.*at least 7"):
        settings(tmp_path, FEEDBACK_REPORT_THRESHOLD="6", FEEDBACK_REPORT_PROTECTION_WIDTH="5")
    config = settings(tmp_path, FEEDBACK_REPORT_THRESHOLD="7", FEEDBACK_REPORT_PROTECTION_WIDTH="5")
    assert (config.report_threshold, config.report_protection_width) == (7, 5)


def test_production_refuses_to_start_without_a_data_key(tmp_path):
    with pytest.raises(ConfigurationError, match="FEEDBACK_DATA_KEY"):
        settings(tmp_path, FEEDBACK_ENV="production", SECRET_KEY=STRONG, DATABASE_URL="postgresql://db/feedback")


def test_development_derives_a_stable_data_key_from_the_secret(tmp_path):
    first = settings(tmp_path, SECRET_KEY=STRONG).data_key
    assert first == settings(tmp_path, SECRET_KEY=STRONG).data_key
    assert first != settings(tmp_path, SECRET_KEY=STRONG + "x").data_key


def test_postgresql_connections_run_without_jit(app):
    """Reports' queries run faster without JIT compilation (see ``extensions.without_jit``)."""
    import sqlalchemy as sa

    from feedback.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("JIT is PostgreSQL's; .ci/run runs this on PostgreSQL")
        assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"
        db.session.rollback()
        assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"  # still off in the next transaction
