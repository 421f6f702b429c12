"""Command-line commands: ``flask instruments``, ``flask users``, ``flask sites``, ``flask dispatch``,
``flask invitations``, ``flask demo``, ``flask export``, ``flask import-responses``, ``flask partners``,
``flask translations``."""
from __future__ import annotations

import re
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
    from .instruments.interchange.cli import add_interchange_commands

    add_interchange_commands(instruments)  # import-/export-xlsform, import-/export-redcap
    app.cli.add_command(users)
    app.cli.add_command(sites)
    from .waves.cli import dispatch, invitations, invite

    app.cli.add_command(dispatch)
    app.cli.add_command(invitations)
    app.cli.add_command(invite)
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
    for command in app.cli.commands.values():
        _complete_short_help(command)


def _complete_short_help(command: click.Command) -> None:
    """``flask --help`` cuts a command's help short at about 45 characters ("…") unless the command
    has a ``short_help``: give every app command without one its help's first sentence, in full
    (Click wraps it rather than cutting it)."""
    if command.short_help is None and command.help:
        command.short_help = _first_sentence(" ".join(command.help.strip().split("\n\n")[0].split()))
    for sub in getattr(command, "commands", {}).values():
        _complete_short_help(sub)


def _first_sentence(text: str, longest: int = 90) -> str:
    """Up to the first ". ", "; " or ": " outside brackets, ending with a full stop; a sentence
    longer than ``longest`` without what it says in brackets."""
    depth, kept = 0, []
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char in ".;:" and text[index + 1:index + 2] in (" ", ""):
            break
        kept.append(char if depth == 0 and char != ")" else "\0" + char)
    sentence = "".join(c[-1] for c in kept).rstrip(".") + "."
    if len(sentence) > longest:
        sentence = re.sub(r"\s+([,.;:])", r"\1", " ".join("".join(c for c in kept if not c.startswith("\0")).split()))
        sentence = sentence.rstrip(".") + "."
    return sentence


@click.group(cls=AppGroup, help="Check, list and publish instrument versions.",
             short_help="Check, list and publish instrument versions.")
def instruments():
    pass


@instruments.command("check", short_help="Validate every instrument and schedule file.",
                     help="Validate every instrument and schedule file; exit non-zero on any problem.")
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
        click.echo(f"warning: {line}" if not line.startswith((" ", "note: ")) else line, err=True)
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


@instruments.command("list", short_help="List instrument versions, languages, published or draft.",
                     help="List the instrument versions, whether each is published, and their languages.")
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


@instruments.command("publish", help="Publish every valid version not yet published.",
                     short_help="Publish every valid version not yet published.")
def instruments_publish():
    settings = current_app.config["FEEDBACK_SETTINGS"]
    catalogue = load_catalogue(settings.questionnaires_dir)
    for instrument in catalogue:
        publish(instrument)
    db.session.commit()
    click.echo(f"{len(catalogue.instruments)} instrument version(s) published")


@click.group(cls=AppGroup, short_help="Staff accounts: create, list, passwords, sign-out, deactivate.",
             help="Staff accounts: create, list, set a password, sign out everywhere, reset two-step sign-in, "
                  "deactivate and reactivate. Changes are audited against --by.")
def users():
    pass


@users.command("create", short_help="Create a staff account (name, role, sites, password).",
               help="Create a staff account. The password is asked for (typed twice, not shown) unless --password "
                    "gives it, which leaves it in your shell history and the process list: prefer the prompt.")
@click.argument("email")
@click.option("--name", prompt=True, help="How colleagues know them (asked for if not given).")
@click.option("--role", type=click.Choice(ROLES), default="practitioner", show_default=True,
              help="What the account may do.")
@click.option("--site", "site_codes", multiple=True, help="Site code the account may work with (repeatable; "
                                                          "every role but admin needs one).")
@click.password_option(help="The password, instead of the prompt: given here it stays in your shell history "
                            "and the process list.")
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


@users.command("set-password", short_help="Set a new password for an account; its sessions end.",
               help="Set a new password for an account (an admin resetting a forgotten one). The password is asked "
                    "for (typed twice, not shown) unless --password gives it, which leaves it in your shell "
                    "history. Every session the account has ends. Audited.")
@click.argument("email")
@click.option("--by", "by_email", help="The email of the admin doing this, for the audit log.")
@click.password_option(help="The password (asked for if not given; given here it stays in your shell history).")
def users_set_password(email: str, by_email: str | None, password: str):
    from .staff.accounts import account

    user = account(email)
    problem = password_problem(password, (user.email, user.name))
    if problem:
        raise click.ClickException(problem)
    _change_account(user, by_email, "staff.password_set", lambda: user.set_password(password))  # ends sessions
    click.echo(f"new password set for {user.email}; every session it had has ended")


@users.command("sign-out", short_help="Sign an account out everywhere, on every device. Audited.",
               help="Sign an account out everywhere: every session it has, on every device, stops "
                    "working at once (a lost phone, a shared computer, someone leaving). Audited.")
@click.argument("email")
@click.option("--by", "by_email", help="The email of the admin doing this, for the audit log.")
def users_sign_out(email: str, by_email: str | None):
    from .staff.accounts import account

    user = account(email)
    _change_account(user, by_email, "staff.signed_out", user.end_sessions)
    click.echo(f"{user.email} is signed out everywhere")


@users.command("reset-two-factor", short_help="Turn off an account's two-step sign-in (a lost phone). Audited.",
               help="Turn off an account's two-step sign-in (a lost phone and lost recovery "
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


def _change_account(user: StaffUser, by_email: str | None, action: str, change, **detail) -> None:
    """An admin's change to an account from the command line: made, audited against ``--by``, saved."""
    from .staff.accounts import recorded_by

    actor = recorded_by(by_email)
    change()
    record(action, user, actor_id=actor.id if actor else None, via="cli", **detail)
    db.session.commit()


@users.command("list", short_help="List staff accounts: role, sites, active, two-step, last sign-in.",
               help="List staff accounts, one a line: email, name, role, sites, active or not, two-step sign-in on "
                    "or off, and the last successful sign-in (UTC). No password hash or secret is shown.")
@click.option("--site", "site_code", help="Only accounts granted this site (admins work with every site: "
                                          "they are listed too).")
@click.option("--role", type=click.Choice(ROLES), help="Only accounts with this role.")
@click.option("--inactive", is_flag=True, help="Only deactivated accounts (default: every account).")
def users_list(site_code: str | None, role: str | None, inactive: bool):
    from .staff.models import LoginAttempt

    query = sa.select(StaffUser).order_by(StaffUser.email)
    if role:
        query = query.where(StaffUser.role == role)
    if inactive:
        query = query.where(StaffUser.active.is_(False))
    if site_code:
        site = _site(site_code)
        query = query.where(sa.or_(StaffUser.role == "admin", StaffUser.sites.any(Site.id == site.id)))
    found = db.session.scalars(query).all()
    last = dict(db.session.execute(
        sa.select(LoginAttempt.email, sa.func.max(LoginAttempt.attempted_at))
        .where(LoginAttempt.succeeded.is_(True), LoginAttempt.email.in_([user.email for user in found]))
        .group_by(LoginAttempt.email)).all()) if found else {}
    rows = [(user.email, user.name, user.role,
             ",".join(site.code for site in user.sites) or ("(all)" if user.is_admin else "-"),
             "active" if user.active else "inactive", "two-step on" if user.has_two_factor else "two-step off",
             f"{last[user.email]:%Y-%m-%d %H:%M}" if user.email in last else "never signed in") for user in found]
    _table(("email", "name", "role", "sites", "state", "two-step", "last sign-in (UTC)"), rows)
    click.echo(f"{len(rows)} account(s)", err=True)


@users.command("deactivate", short_help="Deactivate an account: signed out everywhere, no sign-in. Audited.",
               help="Deactivate an account (someone leaving): every session it has ends at once and it can no "
                    "longer sign in; nothing it did is removed. Undo with `flask users reactivate`. Audited.")
@click.argument("email")
@click.option("--by", "by_email", required=True, help="The email of the admin doing this, for the audit log.")
def users_deactivate(email: str, by_email: str):
    from .staff.accounts import account

    user = account(email)
    if not user.active:
        raise click.ClickException(f"{user.email} is already deactivated")

    def deactivate():
        user.active = False
        user.end_sessions()

    # One action of its own: the audit log's words for it say every session ended as well.
    _change_account(user, by_email, "staff.deactivated", deactivate)
    click.echo(f"{user.email} is deactivated: signed out everywhere, and it can no longer sign in")


@users.command("reactivate", short_help="Let a deactivated account sign in again. Audited.",
               help="Let a deactivated account sign in again (with its existing password and two-step sign-in). "
                    "Audited.")
@click.argument("email")
@click.option("--by", "by_email", required=True, help="The email of the admin doing this, for the audit log.")
def users_reactivate(email: str, by_email: str):
    from .staff.accounts import account

    user = account(email)
    if user.active:
        raise click.ClickException(f"{user.email} is active already")

    def reactivate():
        user.active = True
        user.end_sessions()  # none can be left: a fresh start

    _change_account(user, by_email, "staff.reactivated", reactivate)
    click.echo(f"{user.email} may sign in again")


def _site(code: str) -> Site:
    found = db.session.scalar(sa.select(Site).filter_by(code=code.strip().lower()))
    if found is None:
        raise click.ClickException(f"no site with code {code}: see `flask sites list`")
    return found


def _table(headings: tuple[str, ...], rows: list[tuple]) -> None:
    """Plain text in aligned columns (two spaces apart), headings first."""
    widths = [max(len(str(row[i])) for row in [headings, *rows]) for i in range(len(headings))]
    for row in [headings, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


@click.group(cls=AppGroup, short_help="Sites: create and list them.",
             help="Sites: the services or local authorities families belong to.")
def sites():
    pass


@sites.command("create", help="Create a site with a short code (lower case) and a name.",
               short_help="Create a site with a short code and a name.")
@click.argument("code")
@click.argument("name")
def sites_create(code: str, name: str):
    code = code.strip().lower()
    if db.session.scalar(sa.select(Site).filter_by(code=code)):
        raise click.ClickException(f"a site with code {code} already exists")
    db.session.add(Site(code=code, name=name.strip()))
    db.session.commit()
    click.echo(f"created site {code}")


@sites.command("list", short_help="List sites: code, name, families, staff.",
               help="List the sites, one a line: code, name, how many families (erased ones not counted) and how "
                    "many staff accounts are granted it (admins, who work with every site, not counted).")
def sites_list():
    from .families.models import Family

    families = dict(db.session.execute(sa.select(Family.site_id, sa.func.count()).where(Family.erased_at.is_(None))
                                       .group_by(Family.site_id)).all())
    from .staff.models import staff_sites

    staff = dict(db.session.execute(sa.select(staff_sites.c.site_id, sa.func.count())
                                    .group_by(staff_sites.c.site_id)).all())
    rows = [(site.code, site.name, families.get(site.id, 0), staff.get(site.id, 0))
            for site in db.session.scalars(sa.select(Site).order_by(Site.code))]
    _table(("code", "name", "families", "staff"), rows)
    click.echo(f"{len(rows)} site(s)", err=True)
