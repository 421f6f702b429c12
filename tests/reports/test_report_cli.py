"""``flask report``: small numbers hidden by default; ``--show-small-numbers`` for internal use, audited
and marked not for publication."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from tests.reports.seeding import north_need_flow


@pytest.fixture
def north(app, world):
    """North: 11 families improved (specialist → targeted), 15 stayed specialist and one escalated
    (specialist → statutory), a count of 1 that is hidden unless small numbers are shown."""
    with app.app_context():
        north_need_flow(world)
    return world


def unsuppressed_views(app) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent).filter_by(action="report.unsuppressed")).all()


def specialist_row(csv_text: str) -> list[str]:
    """Families who were at specialist level at entry, by level at exit (universal … statutory), in the CSV."""
    flow = csv_text.split("Families by level of need")[1]
    return next(line for line in flow.splitlines() if line.startswith("Specialist,")).split(",")[1:5]


def test_without_the_flag_small_numbers_are_hidden_and_nothing_is_audited(app, north):
    result = app.test_cli_runner().invoke(args=["report", "need-flow", "--site", "north"])
    assert result.exit_code == 0, result.output
    assert not result.stdout.startswith("NOT FOR PUBLICATION") and result.stderr == ""
    assert specialist_row(result.stdout)[3] == "<10"   # the one escalated family
    data = json.loads(app.test_cli_runner().invoke(args=["report", "need-flow", "--format", "json"]).stdout)
    assert data["not_for_publication"] is False
    assert unsuppressed_views(app) == []


def test_show_small_numbers_prints_them_under_a_not_for_publication_line_and_warns(app, north):
    result = app.test_cli_runner().invoke(args=["report", "need-flow", "--site", "north", "--show-small-numbers"])
    assert result.exit_code == 0, result.output
    first_line, rest = result.stdout.split("\n", 1)
    assert first_line == "NOT FOR PUBLICATION: small numbers are shown (internal use only)"
    assert rest.startswith("Level of need: entry to exit\n")   # the report follows, as without the flag
    assert specialist_row(rest) == ["0", "11", "15", "1"]   # the one escalated family shown
    assert "not for publication" in result.stderr.lower() and len(result.stderr.splitlines()) == 1


def test_show_small_numbers_writes_one_audit_record_naming_the_report_and_the_command_line(app, north):
    result = app.test_cli_runner().invoke(args=["report", "need-flow", "--show-small-numbers", "--from", "2026-01-01"])
    assert result.exit_code == 0, result.output
    [event] = unsuppressed_views(app)
    assert event.actor_id is None
    assert event.detail == {"report": "need-flow", "via": "cli", "sites": "all", "start": "2026-01-01", "end": "",
                            "cohort": "exit"}


def test_show_small_numbers_marks_json_not_for_publication(app, north):
    result = app.test_cli_runner().invoke(args=["report", "need-flow", "--format", "json", "--show-small-numbers"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["not_for_publication"] is True
    specialist = next(row for row in data["tables"][0]["rows"] if row["entry"] == "Specialist")
    assert specialist["exit_4"] == 1
    assert len(unsuppressed_views(app)) == 1
