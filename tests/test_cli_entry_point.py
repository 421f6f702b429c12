"""``feedback --help`` lists the app's own commands apart from Flask's, each with its whole short help;
``feedback`` runs them as ``flask`` does."""
from __future__ import annotations

import re
import tomllib

from click.testing import CliRunner

from feedback.entry_point import FeedbackGroup
from tests.conftest import ROOT


def sections(output: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if re.match(r"^\S.*:$", line):
            current = found.setdefault(line[:-1], [])
        elif current is not None and re.match(r"^  \S", line):
            current.append(line.split()[0])
    return found


def test_help_lists_the_apps_commands_and_flasks_in_two_sections(app):
    result = CliRunner().invoke(FeedbackGroup(create_app=lambda: app, name="feedback"), ["--help"])
    assert result.exit_code == 0, result.output
    listed = sections(result.output)
    own, flask = listed["Feedback commands"], listed["Flask commands"]
    assert {"users", "sites", "invite", "demo", "instruments", "dispatch", "invitations", "export",
            "import-responses", "import-families", "partners", "translations", "report"} <= set(own)
    assert {"run", "shell", "routes", "db"} <= set(flask)
    assert not set(own) & set(flask) and "Commands" not in listed
    assert set(own) | set(flask) >= set(app.cli.commands) - {name for name, c in app.cli.commands.items() if c.hidden}
    assert "…" not in result.output and "..." not in result.output.split("Feedback commands:")[1]
    assert re.search(r"users\s+Staff accounts: create, list, passwords, sign-out,\s+deactivate\.", result.output)


def test_a_command_runs_through_it_as_through_flask(app, world):
    result = CliRunner().invoke(FeedbackGroup(create_app=lambda: app, name="feedback"), ["sites", "list"])
    assert result.exit_code == 0, result.output
    assert "north" in result.output


def test_the_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["feedback"] == "feedback.entry_point:main"


def test_creating_a_user_says_honestly_how_the_password_is_given(app):
    output = app.test_cli_runner().invoke(args=["users", "create", "--help"]).output
    flat = " ".join(output.split())
    assert "--password" in flat
    assert "never shown" not in flat  # typed at the prompt it is not shown; given as --password it is
    assert "asked for (typed twice, not shown) unless --password gives it" in flat
    assert "stays in your shell history" in flat
