"""``flask demo``: a database with instruments, made-up families and working survey links."""
from __future__ import annotations

import random
import secrets

import click
import sqlalchemy as sa
from faker import Faker
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .extensions import db
from .instruments import Instrument
from .instruments.definition import Item
from .publishing.startup import current_catalogue
from .staff.models import StaffUser
from .survey import navigation
from .survey.service import complete, create_response, save_answers

DEMO_EMAIL = "demo@example.org"
MEMBER_ROLES = ("mother", "father", "partner", "grandmother", "young person")


def random_answer(item: Item, rng: random.Random):
    """A plausible valid answer to one item (used by the demo, tests and benchmarks)."""
    if item.type in ("single_choice", "agreement", "scale", "yes_no"):
        return rng.choice(item.all_choices).code
    if item.type == "multiple_choice":
        return [choice.code for choice in rng.sample(item.choices, k=rng.randint(1, min(2, len(item.choices))))]
    if item.type == "number":
        return rng.randint(int(item.minimum), int(item.maximum))
    if item.type == "date":
        return f"20{rng.randint(20, 25)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    return rng.choice(["Having someone to talk to.", "More help with school.", "Nothing else, thank you."])


def random_answers(instrument: Instrument, rng: random.Random) -> dict:
    """Valid answers to every item the answers themselves leave visible, page by page."""
    answers: dict = {}
    for page in instrument.pages:
        for item in navigation.visible_items(instrument, page, answers):
            answers[item.id] = random_answer(item, rng)
    return answers


@click.command("demo", help="Create the database, load instruments and make up demo families and links.")
@click.option("--seed", default=2026, show_default=True, help="Random seed, for the same demo each time.")
@with_appcontext
def demo(seed: int):
    upgrade(directory=current_app.extensions["migrate"].directory)
    catalogue = current_catalogue()
    if not catalogue.instruments:
        raise click.ClickException("no valid instruments found; run: flask instruments check")
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    settings = current_app.config["FEEDBACK_SETTINGS"]

    password = secrets.token_urlsafe(12)
    user = db.session.scalar(sa.select(StaffUser).filter_by(email=DEMO_EMAIL)) or StaffUser(email=DEMO_EMAIL, name="Demo Interviewer")
    user.set_password(password)
    db.session.add(user)
    db.session.commit()

    family_instruments = [catalogue.latest(name) for name in ("follow-up", "exit-interview", "family-functioning")
                          if any(key[0] == name for key in catalogue.instruments)]
    # A folder without the shipped family instruments (e.g. a service's own) still gets a demo.
    family_instruments = family_instruments or [instrument for instrument in catalogue if "web" in instrument.modes]
    links = []
    for site in (f"{fake.city()} Family Support" for _ in range(3)):
        for family_number in range(1, 5):
            case = f"{site[:2].upper()}-{rng.randint(1000, 9999)}"
            for role in rng.sample(MEMBER_ROLES, k=2):
                instrument = rng.choice(family_instruments)
                label = f"{site} · case {case} · {role} ({fake.first_name()})"
                response, token = create_response(instrument, settings.link_valid_days, label)
                db.session.commit()
                if family_number <= 2:  # half the families have already answered
                    answers = random_answers(instrument, rng)
                    save_answers(response, answers, mode="web")
                    complete(response, instrument)
                else:
                    links.append((instrument, label, token))
    db.session.commit()

    base = settings.public_base_url or "http://127.0.0.1:5000"
    click.echo("Demo ready. Open one of these survey links on a phone-sized browser:")
    shown = {}
    for instrument, label, token in links:
        shown.setdefault(instrument.id, (label, token))
    for instrument_id, (label, token) in shown.items():
        click.echo(f"  {instrument_id:20} {base}/s/{token}")
    click.echo(f"\nStaff sign-in (interviewer mode): {base}/staff/login")
    click.echo(f"  email: {DEMO_EMAIL}\n  password: {password}")
