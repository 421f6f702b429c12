"""The ``feedback`` console script: ``flask --app wsgi`` for this app, its --help in two sections."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup


class FeedbackGroup(FlaskGroup):
    """``feedback …`` does what ``flask --app wsgi …`` does (the same commands, options and app), but
    its --help lists the app's own commands ("Feedback commands") apart from Flask's and its
    extensions' ("Flask commands": run, shell, routes, db), each with its whole short help.

    ``flask --help`` itself cannot be grouped: Flask's ``flask`` command is its own FlaskGroup, which
    loads the app (``--app``/``FLASK_APP``) for its commands but never a group from the app's module,
    so only replacing Flask's code would change its listing. Hence this entry point."""

    def __init__(self, create_app=None, **extra):
        if create_app is None:
            from . import create_app
        extra.setdefault("help", "Run a command of the feedback service: the app's own (Feedback commands) "
                                 "or Flask's (Flask commands). Settings come from the environment, as for "
                                 "the web app.")
        super().__init__(create_app=create_app, **extra)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        commands = [(name, command) for name, command in commands if command is not None and not command.hidden]
        for title, wanted in (("Feedback commands", True), ("Flask commands", False)):
            # The whole short help: a long line is wrapped by the formatter, never cut with "…".
            rows = [(name, command.get_short_help_str(limit=1000)) for name, command in commands
                    if _ours(command) == wanted]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _ours(command: click.Command) -> bool:
    """Whether the app defines the command (``flask db``, added to the app by Flask-Migrate, is Flask's
    side, as are the commands of Flask itself and of its extensions)."""
    if command.callback is None:  # a group made without a function (``export``): by its commands
        return any(_ours(sub) for sub in getattr(command, "commands", {}).values())
    module = getattr(command.callback, "__module__", "") or ""
    return module == __package__ or module.startswith(f"{__package__}.")


def main() -> None:
    """The ``feedback`` console script (pyproject.toml ``[project.scripts]``)."""
    FeedbackGroup(name="feedback").main(prog_name="feedback")
