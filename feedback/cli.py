"""Command-line commands: ``flask instruments``, ``flask users``, ``flask demo``."""
from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from .extensions import db
from .instruments import load_catalogue
from .publishing.service import changed_published_versions, publish
from .staff.models import StaffUser
from .waves.schedule_loader import load_schedules


def register_cli(app: Flask) -> None:
    app.cli.add_command(instruments)
    app.cli.add_command(users)
    from .demo import demo

    app.cli.add_command(demo)


@click.group(cls=AppGroup, help="Check, list and publish instrument versions.")
def instruments():
    pass


@instruments.command("check", help="Validate every instrument and schedule file; exit non-zero on any problem.")
def instruments_check():
    settings = current_app.config["FEEDBACK_SETTINGS"]
    catalogue = load_catalogue(settings.questionnaires_dir)
    schedules, schedule_problems = load_schedules(settings.questionnaires_dir, catalogue)
    problems = catalogue.problems + changed_published_versions(catalogue) + schedule_problems
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {settings.questionnaires_dir}", err=True)
        sys.exit(1)
    click.echo(f"{len(catalogue.instruments)} instrument version(s) OK")
    click.echo(f"{len(schedules)} schedule(s) OK")


@instruments.command("list", help="List the instrument versions and whether each is published.")
def instruments_list():
    from .publishing.models import InstrumentVersion

    settings = current_app.config["FEEDBACK_SETTINGS"]
    catalogue = load_catalogue(settings.questionnaires_dir)
    published = set()
    if sa.inspect(db.engine).has_table(InstrumentVersion.__tablename__):
        published = set(db.session.execute(sa.select(InstrumentVersion.instrument_id, InstrumentVersion.version)))
    for instrument in catalogue:
        state = "published" if instrument.key in published else "draft"
        click.echo(f"{instrument.id:28} v{instrument.version:<3} {state:9} {','.join(instrument.modes):18} "
                   f"{instrument.title.get('en')}")
    for problem in catalogue.problems:
        click.echo(f"error: {problem}", err=True)


@instruments.command("publish", help="Publish every valid version not yet published.")
def instruments_publish():
    settings = current_app.config["FEEDBACK_SETTINGS"]
    catalogue = load_catalogue(settings.questionnaires_dir)
    for instrument in catalogue:
        publish(instrument)
    db.session.commit()
    click.echo(f"{len(catalogue.instruments)} instrument version(s) published")


@click.group(cls=AppGroup, help="Staff accounts.")
def users():
    pass


@users.command("create", help="Create a staff account; the password is asked for, never shown.")
@click.argument("email")
@click.option("--name", prompt=True)
@click.password_option()
def users_create(email: str, name: str, password: str):
    email = email.strip().lower()
    if db.session.scalar(sa.select(StaffUser).filter_by(email=email)):
        raise click.ClickException(f"an account for {email} already exists")
    if len(password) < 12:
        raise click.ClickException("use a password of at least 12 characters")
    user = StaffUser(email=email, name=name)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {email}")
