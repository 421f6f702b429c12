"""Command-line commands: ``flask instruments``, ``flask users``, ``flask sites``, ``flask dispatch``,
``flask invitations``, ``flask demo``, ``flask export``, ``flask import-responses``, ``flask partners``,
``flask translations``."""
from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from .extensions import db
from .instruments import load_catalogue
from .instruments.layout import catalogue_warnings
from .publishing.service import changed_published_versions, publish
from .audit.service import record
from .staff.models import ROLES, Site, StaffUser
from .staff.passwords import password_problem
from .waves.schedule_loader import load_schedules


def register_cli(app: Flask) -> None:
    app.cli.add_command(instruments)
    app.cli.add_command(users)
    app.cli.add_command(sites)
    from .waves.cli import dispatch, invitations

    app.cli.add_command(dispatch)
    app.cli.add_command(invitations)
    from .demo import demo

    app.cli.add_command(demo)
    from .exports.cli import export

    app.cli.add_command(export)
    from .reports.cli import report, report_refresh

    app.cli.add_command(report)
    app.cli.add_command(report_refresh)
    from .imports.cli import import_responses_command

    app.cli.add_command(import_responses_command)
    from .families.import_cli import import_families_command

    app.cli.add_command(import_families_command)
    from .partners.cli import partners

    app.cli.add_command(partners)
    from .translation.cli import translations

    app.cli.add_command(translations)


@click.group(cls=AppGroup, help="Check, list and publish instrument versions.")
def instruments():
    pass


@instruments.command("check", help="Validate every instrument and schedule file; exit non-zero on any problem.")
def instruments_check():
    settings = current_app.config["FEEDBACK_SETTINGS"]
    catalogue = load_catalogue(settings.questionnaires_dir)
    schedules, schedule_problems = load_schedules(settings.questionnaires_dir, catalogue)
    problems = catalogue.problems + changed_published_versions(catalogue) + schedule_problems
    # Plain words: family-facing English above a reading age of 11 is a warning, not an error (a
    # service's own instrument may need a long word); the test suite holds the shipped wording to it.
    from .instruments.readability import report_lines as plain_words

    for line in plain_words(catalogue):
        click.echo(line, err=True)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    for warning in catalogue_warnings(catalogue):  # screens that would not suit a phone
        click.echo(f"warning: {warning}", err=True)
    # A language file short of a version's texts is not an error (the version simply does not
    # offer that language) but the author should see what is missing.
    from .translation.cli import language_gap_lines

    for line in language_gap_lines(catalogue):
        click.echo(f"warning: {line}" if not line.startswith(" ") else line, err=True)
    # Each text should cost at most 2 segments in every language (UCS-2 ones hold 67 characters);
    # more is allowed up to FEEDBACK_SMS_SEGMENT_BUDGET, but is said here (costs: /staff/texts/costs).
    from .languages import staff_language_label
    from .waves.messages import over_budget_templates

    for template, language, count in over_budget_templates(limit=2):
        click.echo(f"warning: the {template} text in {staff_language_label(language)} needs {count} segments "
                   f"(more than 2); shorten its translation", err=True)
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
        # Each language with its translation status (questionnaires/<id>/translations.yaml).
        click.echo("    languages: " + ", ".join(
            f"{language} {catalogue.translation_status(instrument, language).status}" for language in instrument.languages))
        # The hash a reviewer records in translations.yaml (wording_hash) with the review.
        from .instruments.wording import wording_hash

        for language in instrument.languages[1:]:
            click.echo(f"    {language} wording_hash: {wording_hash(instrument, language)}")
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
@click.option("--role", type=click.Choice(ROLES), default="practitioner", show_default=True)
@click.option("--site", "site_codes", multiple=True, help="Site code the account may work with (repeatable).")
@click.password_option()
def users_create(email: str, name: str, role: str, site_codes: tuple[str, ...], password: str):
    email = email.strip().lower()
    if db.session.scalar(sa.select(StaffUser).filter_by(email=email)):
        raise click.ClickException(f"an account for {email} already exists")
    problem = password_problem(password, (email, name))
    if problem:
        raise click.ClickException(problem)
    granted = db.session.scalars(sa.select(Site).where(Site.code.in_(site_codes))).all()
    unknown = set(site_codes) - {site.code for site in granted}
    if unknown:
        raise click.ClickException(f"no site with code {', '.join(sorted(unknown))}: create it with `flask sites create`")
    if role != "admin" and not granted:
        raise click.ClickException(f"a {role} needs at least one --site")
    user = StaffUser(email=email, name=name, role=role, sites=list(granted))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("staff.created", user, actor_id=None, role=role, sites=sorted(site_codes))
    db.session.commit()
    click.echo(f"created {email} ({role})")


@users.command("set-password", help="Set a new password for an account (an admin resetting a forgotten one); "
                                    "it is asked for, never shown, and every session the account has ends.")
@click.argument("email")
@click.option("--by", "by_email", help="The email of the admin doing this, for the audit log.")
@click.password_option()
def users_set_password(email: str, by_email: str | None, password: str):
    from .staff.accounts import account

    user = account(email)
    problem = password_problem(password, (user.email, user.name))
    if problem:
        raise click.ClickException(problem)
    _change_account(user, by_email, "staff.password_set", lambda: user.set_password(password))  # ends sessions
    click.echo(f"new password set for {user.email}; every session it had has ended")


@users.command("sign-out", help="Sign an account out everywhere: every session it has, on every device, stops "
                                "working at once (a lost phone, a shared computer, someone leaving).")
@click.argument("email")
@click.option("--by", "by_email", help="The email of the admin doing this, for the audit log.")
def users_sign_out(email: str, by_email: str | None):
    from .staff.accounts import account

    user = account(email)
    _change_account(user, by_email, "staff.signed_out", user.end_sessions)
    click.echo(f"{user.email} is signed out everywhere")


@users.command("reset-two-factor", help="Turn off an account's two-step sign-in (a lost phone and lost recovery "
                                        "codes): its authenticator and recovery codes stop working, every session "
                                        "ends, and if its role requires two-step sign-in it enrols again next time.")
@click.argument("email")
@click.option("--by", "by_email", help="The email of the admin doing this, for the audit log.")
def users_reset_two_factor(email: str, by_email: str | None):
    from .staff import two_factor
    from .staff.accounts import account

    user = account(email)

    def reset():
        two_factor.remove(user)
        user.end_sessions()

    _change_account(user, by_email, "staff.two_factor_reset", reset)
    click.echo(f"two-step sign-in is off for {user.email}; every session it had has ended")


def _change_account(user: StaffUser, by_email: str | None, action: str, change) -> None:
    """An admin's change to an account from the command line: made, audited against ``--by``, saved."""
    from .staff.accounts import recorded_by

    actor = recorded_by(by_email)
    change()
    record(action, user, actor_id=actor.id if actor else None, via="cli")
    db.session.commit()


@click.group(cls=AppGroup, help="Sites: the services or local authorities families belong to.")
def sites():
    pass


@sites.command("create", help="Create a site with a short code and a name.")
@click.argument("code")
@click.argument("name")
def sites_create(code: str, name: str):
    code = code.strip().lower()
    if db.session.scalar(sa.select(Site).filter_by(code=code)):
        raise click.ClickException(f"a site with code {code} already exists")
    db.session.add(Site(code=code, name=name.strip()))
    db.session.commit()
    click.echo(f"created site {code}")
