"""``flask demo``: a database with instruments, made-up families and working survey links."""
from __future__ import annotations

import math
import random
import secrets
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from faker import Faker
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .crypto import lookup_digest
from .extensions import db
from .mail.backends import OutboxMailer
from .partners.models import PartnerAgency, PartnerContact
from .survey.anonymous import mark, new_unlinked_response
from .waves.planning import occurrence
from .families.models import Family
from .families.service import add_member, create_family, pause_contact, record_consent
from .instruments import Instrument
from .instruments.definition import Item
from .publishing.startup import current_catalogue
from .staff.models import Site, StaffUser
from .survey import navigation
from .survey.service import complete, create_response, find_by_token, instrument_for, save_answers
from .timeutil import utcnow
from .waves.channels import OutboxBackend
from .waves.dispatcher import dispatch_once, public_base_url
from .waves.models import Invitation
from .waves.service import current_schedules

DEMO_EMAIL = "demo@example.org"
#: Families per site who left support months ago with their records complete: enough (above the
#: reports' threshold of 10) for the manager reports to show figures rather than "not enough data".
PAST_FAMILIES = 14
UTC = ZoneInfo("UTC")
#: (code, name): three services, so site scoping shows on every staff page.
DEMO_SITES = (("demo-north", "North Family Support (demo)"), ("demo-valley", "Valley Early Help (demo)"),
              ("demo-coast", "Coast Family Hub (demo)"))


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


#: Drawn uniformly, a missing code is as likely as any answer (a fifth of the family-functioning
#: answers, a third of the yes/no ones), far more than people leave out, and so few would answer
#: every item that Cronbach's alpha could not be computed: the demo keeps this share of them.
MISSING_KEPT = 0.2
#: Where each resilience factor sits (log-odds of "present" for a family of average level): some
#: strengths are common (no offending), some rare (financial stability), in the scale's order.
RESILIENCE_OFFSETS = (0.2, 0.8, 0.0, -1.4, -0.6, 0.1, -0.4, -0.7, -1.0, -0.1, -0.2, -0.9)
#: The eight areas of the family star, each reading ``<area>_parent`` and ``<area>_practitioner``.
STAR_SUFFIXES = ("_parent", "_practitioner")


def demo_change(rng: random.Random) -> float:
    """How far a family moves between entry and exit, in SDs of the level (higher = better off):
    most improve a little, some a lot, a few get worse."""
    kind = rng.random()
    if kind < 0.12:
        return rng.gauss(-1.1, 0.4)
    if kind < 0.35:
        return rng.gauss(1.6, 0.4)
    return rng.gauss(0.45, 0.35)


def coherent_answers(instrument: Instrument, answers: dict, level: float, rng: random.Random,
                     star: dict | None = None) -> dict:
    """``answers`` with the items of the demo's multi-item scales (family functioning, the family
    star, the resilience factors) answered around one ``level`` (SDs from the average family,
    higher = better off) with each item's own noise, so a scale's items agree as real answers do.

    Reverse-scored items go the other way; an item ``answers`` left unasked stays so, and one it
    answered with a missing code stays missing ``MISSING_KEPT`` of the time. ``star`` holds one
    family's reading of each area that parent and key worker share (``star_areas``), so their
    readings agree; the parent reads a little higher on average. Every other answer is kept.
    """
    answers = dict(answers)
    for scale in instrument.scales:
        if instrument.id == "family-functioning" and scale.id == "general_functioning":
            # Mean of 1-4 at entry about 2.35, above the 2.0 cut-off for most referred families.
            def score(item_id: str) -> float:
                return 2.35 - 0.45 * level + rng.gauss(0, 0.6)
        elif instrument.id == "family-star" and star is not None:
            def score(item_id: str) -> float:
                area, lift = (item_id.removesuffix("_parent"), star["parent_lift"]) if item_id.endswith(
                    "_parent") else (item_id.removesuffix("_practitioner"), 0.0)
                return 4.6 + 1.2 * level + star.get(area, 0.0) + lift + rng.gauss(0, 0.9)
        elif instrument.id == "practitioner-assessment" and scale.id == "resilience_count":
            offsets = dict(zip(scale.items, RESILIENCE_OFFSETS))

            def score(item_id: str) -> float:
                odds = offsets.get(item_id, 0.0) + 1.6 * level
                return scale.high if rng.random() < 1 / (1 + math.exp(-odds)) else scale.low
        else:
            continue
        for item_id in scale.items:
            if item_id not in answers:
                continue
            item = instrument.item(item_id)
            if answers[item_id] in item.missing_code_values and rng.random() < MISSING_KEPT:
                continue
            value = int(min(max(round(score(item_id)), scale.low), scale.high))
            answers[item_id] = int(scale.low + scale.high - value) if item_id in scale.reverse else value
    return answers


def star_areas(instrument: Instrument, rng: random.Random) -> dict:
    """One family's own strengths and difficulties on the family star's areas (points up or down
    from its level, shared by the parent's and the key worker's readings), and how much higher the
    parent reads than the key worker."""
    areas = {item.id.removesuffix(suffix) for item in instrument.items for suffix in STAR_SUFFIXES
             if item.id.endswith(suffix)}
    shared = {area: rng.gauss(0, 1.0) for area in sorted(areas)}
    return {**shared, "parent_lift": rng.gauss(0.4, 0.4)}



@click.command("demo", help="Create the database, and demo sites, staff and families whose follow-up waves have been sent.")
@click.option("--seed", default=2026, show_default=True, help="Random seed, for the same demo each time.")
@click.option("--base-url", help="The address the app will be served at, for the survey links the demo prints and "
              "sends (default: FEEDBACK_PUBLIC_BASE_URL, else http://FLASK_RUN_HOST:FLASK_RUN_PORT, else "
              "http://127.0.0.1:5000).")
@click.option("--verbose", is_flag=True, help="Show each database migration as it runs.")
@with_appcontext
def demo(seed: int, base_url: str | None, verbose: bool):
    upgrade(directory=current_app.extensions["migrate"].directory, x_arg=None if verbose else ["quiet=1"])
    if base_url:
        # Texts, emails and the printed links all take the address from the settings.
        settings = current_app.config["FEEDBACK_SETTINGS"]
        current_app.config["FEEDBACK_SETTINGS"] = replace(settings, public_base_url=base_url.rstrip("/"))
    if not current_catalogue().instruments:
        raise click.ClickException("no valid instruments found; run: flask instruments check")
    if "family-support" not in current_schedules():
        raise click.ClickException("the demo needs the shipped family-support schedule in questionnaires/schedules/")
    rng = random.Random(seed)
    # The scales' answers come from a stream of their own, so the rest of the demo (who answers
    # what, when, and every other answer) is drawn as it always was.
    levels = random.Random(f"{seed}-levels")
    fake = Faker("en_GB")
    fake.seed_instance(seed)

    sites, new_sites = [], []
    for code, name in DEMO_SITES:
        site = db.session.scalar(sa.select(Site).filter_by(code=code))
        if site is None:
            site = Site(code=code, name=name)
            db.session.add(site)
            new_sites.append(site)
        sites.append(site)
    db.session.flush()
    password = secrets.token_urlsafe(12)
    logins = _staff(sites, password)
    db.session.commit()
    partner_wave = None
    if "partner-survey" in current_schedules() and not db.session.scalar(sa.select(sa.func.count(PartnerAgency.id))):
        # Before any family exists, so the wave's pass (as at its date) sends only the emails.
        _partner_agencies(sites, rng, fake)
        partner_wave = _send_last_partner_wave(rng)
    for site in new_sites:
        key_worker = logins[f"keyworker.{site.code.removeprefix('demo-')}@example.org"]
        for shape in ("exiting", "followed_up", "starting", "paused"):
            _family(site, key_worker, shape, rng, fake)
        for _ in range(PAST_FAMILIES):
            _past_family(site, key_worker, rng, fake, levels)
        db.session.commit()

    # Send what is due, as the dispatcher would. At night or on a Sunday the schedule's quiet
    # hours hold every text back, so the demo sends as at the moment they end.
    quiet = current_schedules()["family-support"].quiet_hours
    now = utcnow()
    if not quiet.allows(now.replace(tzinfo=UTC)):
        now = quiet.next_allowed(now.replace(tzinfo=UTC)).replace(tzinfo=None)
        click.echo(f"Quiet hours now: the demo sends texts as at {now:%a %H:%M} UTC, when they end.")
    result = dispatch_once(OutboxBackend(), now=now)
    answered = _answer_some(rng, levels)
    click.echo(f"Dispatcher: {result.sent} texts to the outbox, {result.tasks} staff tasks, "
               f"{result.cancelled} held back by contact rules at sending; {answered} surveys answered.")
    if partner_wave:
        day, emailed, responded = partner_wave
        click.echo(f"Partner survey: the yearly wave of {day:%d %B %Y} went by email to {emailed} partner-agency "
                   f"contacts ({responded} answered, anonymously); admins read the emails at /staff/emails.")

    base = public_base_url(current_app.config["FEEDBACK_SETTINGS"])
    click.echo("\nDemo ready. Open one of these survey links on a phone-sized browser:")
    shown: dict[str, str] = {}
    for invitation in db.session.scalars(sa.select(Invitation).where(Invitation.state == "sent",
                                                                     Invitation.channel == "sms_link")
                                         .order_by(Invitation.id)):
        shown.setdefault(invitation.instrument_id, f"{base}/s/{invitation.link_token}")
    for instrument_id, link in sorted(shown.items()):
        click.echo(f"  {instrument_id:20} {link}")
    click.echo(f"\nStaff sign-in at {base}/staff/login — one account per role, all with the password below:")
    for email, user in logins.items():
        where = ", ".join(site.code for site in user.sites) or "all sites"
        click.echo(f"  {user.role:12} {email:32} {where}")
    click.echo(f"  password: {password}")
    roles = current_app.config["FEEDBACK_SETTINGS"].two_factor_roles
    if roles:
        click.echo(f"  ({', '.join(sorted(roles))} accounts set up an authenticator app at their first sign-in: "
                   "FEEDBACK_TWO_FACTOR_ROLES)")


def _staff(sites: list[Site], password: str) -> dict[str, StaffUser]:
    """One account per role; each practitioner is the key worker of one site's families."""
    wanted = {DEMO_EMAIL: ("Demo Admin", "admin", []),
              "researcher@example.org": ("Rhiannon Researcher", "researcher", sites),
              "manager@example.org": ("Manon Manager", "manager", sites[:1])}
    for site in sites:
        short = site.code.removeprefix("demo-")
        wanted[f"keyworker.{short}@example.org"] = (f"Key Worker ({short})", "practitioner", [site])
    logins = {}
    for email, (name, role, user_sites) in wanted.items():
        user = db.session.scalar(sa.select(StaffUser).filter_by(email=email)) or StaffUser(email=email, name=name)
        user.role, user.sites = role, list(user_sites)
        user.set_password(password)
        db.session.add(user)
        logins[email] = user
    db.session.flush()
    return logins


def _family(site: Site, key_worker: StaffUser, shape: str, rng: random.Random, fake: Faker) -> Family:
    """A made-up family whose dates put one of the schedule's waves in its window today.

    ``exiting`` left support this week (exit wave); ``followed_up`` left three months ago (the
    3-month follow-up, with the exit wave expired); ``starting`` began ten days ago (entry wave);
    ``paused`` left three months ago but a key worker paused all contact.
    """
    today = date.today()
    entry, exit_ = {
        "exiting": (today - timedelta(days=190), today - timedelta(days=3)),
        "followed_up": (today - timedelta(days=280), today - timedelta(days=88)),
        "starting": (today - timedelta(days=10), None),
        "paused": (today - timedelta(days=300), today - timedelta(days=90)),
    }[shape]
    case_ref = f"{site.code.removeprefix('demo-')[:3].upper()}-{rng.randint(1000, 9999)}"
    while db.session.scalar(sa.select(Family.id).filter_by(site_id=site.id, case_ref=case_ref)):
        case_ref = f"{case_ref}-{rng.randint(0, 9)}"
    family = create_family(site.id, case_ref, key_worker.id, referral_date=entry - timedelta(days=21),
                           entry_date=entry, exit_date=exit_, actor_id=key_worker.id)
    # A few mothers read another language, so the demo's links show Welsh, Polish and Urdu
    # (right-to-left) pages and texts; everyone else reads English.
    language = {("demo-valley", "exiting"): "cy", ("demo-north", "exiting"): "pl",
                ("demo-coast", "followed_up"): "ur"}.get((site.code, shape), "en")
    people = [("mother", today.year - rng.randint(28, 44), "sms_link"),
              ("father", today.year - rng.randint(30, 50), "interview" if shape == "followed_up" else "sms_link")]
    if shape in ("exiting", "starting"):
        people.append(("young_person", today.year - 14, "sms_link"))  # needs a parent's consent too
        people.append(("child", today.year - 6, "none"))  # too young to be asked
    for role, birth_year, channel in people:
        member = add_member(family, role, fake.first_name_female() if role == "mother" else fake.first_name(),
                            birth_year, rng.randint(1, 12), language if role == "mother" else "en", channel,
                            f"07912 {rng.randint(100000, 999999)}" if channel != "none" else None,
                            actor_id=key_worker.id)
        if channel == "none":
            continue
        parties = ("self", "parent") if role in ("child", "young_person") else ("self",)
        for purpose in ("participation", "sms"):
            for party in parties:
                record_consent(member, purpose, party, True, "consent-2026-1", key_worker.id)
    if shape == "paused":
        pause_contact(family, None, "Safety concern raised at the last visit: no contact until reviewed.",
                      key_worker.id)
    return family


def _past_family(site: Site, key_worker: StaffUser, rng: random.Random, fake: Faker,
                 levels: random.Random) -> Family:
    """A family that left support 4 to 11 months ago, with what its support recorded: the key
    worker's assessments and star readings at entry and exit, the family-functioning questionnaire,
    the exit interview and the 3-month follow-up (made-up answers, dated when they were given).
    No phone numbers: nobody is contacted.

    The scales are answered around the family's level (``levels``, ``coherent_answers``): each
    member's own, near the family's, and each moved at exit by the family's change."""
    today = date.today()
    exit_ = today - timedelta(days=rng.randint(120, 330))
    entry = exit_ - timedelta(days=rng.randint(120, 260))
    case_ref = f"{site.code.removeprefix('demo-')[:3].upper()}-P{rng.randint(1000, 9999)}"
    while db.session.scalar(sa.select(Family.id).filter_by(site_id=site.id, case_ref=case_ref)):
        case_ref = f"{case_ref}{rng.randint(0, 9)}"
    family = create_family(site.id, case_ref, key_worker.id, entry_date=entry, exit_date=exit_, actor_id=key_worker.id)
    members = [add_member(family, "mother", fake.first_name_female(), today.year - rng.randint(28, 44),
                          rng.randint(1, 12), "en", "none", None, actor_id=key_worker.id)]
    if rng.random() < 0.6:
        members.append(add_member(family, "young_person", fake.first_name(), today.year - rng.randint(11, 16),
                                  rng.randint(1, 12), "en", "none", None, actor_id=key_worker.id))
    catalogue = current_catalogue()
    level, change = levels.gauss(0, 1), demo_change(levels)
    star = star_areas(catalogue.latest("family-star"), levels)
    own = [(0.75 * level + levels.gauss(0, 0.66), change + levels.gauss(0, 0.3)) for _member in members]

    def record(instrument_id: str, wave: str, member, day: date) -> None:
        instrument = catalogue.latest(instrument_id)
        response, _token = create_response(instrument, 1)
        response.family_id, response.member_id, response.wave = family.id, getattr(member, "id", None), wave
        at, moved = own[members.index(member)] if member is not None else (level, change)
        at = at + (moved if wave != "entry" else 0.0)
        answers = coherent_answers(instrument, random_answers(instrument, rng), at, levels, star)
        save_answers(response, answers, mode="staff" if member is None else "web")
        complete(response, instrument, commit=False)
        response.completed_at = datetime.combine(day, time(11, rng.randint(0, 59)))

    for wave, day in (("entry", entry), ("exit", exit_)):
        record("practitioner-assessment", wave, None, day)
        record("family-star", wave, None, day)
        for member in members:
            record("member-assessment", wave, member, day)
            record("family-functioning", wave, member, day)
    for member in members:
        record("exit-interview", "exit", member, exit_)
        if rng.random() < 0.7:
            record("follow-up", "exit-3m", member, exit_ + timedelta(days=rng.randint(85, 100)))
    return family


#: (name, sector, site codes, email domain): the partner agencies the demo's services work with.
DEMO_AGENCIES = (
    ("Hill Street Primary School", "education", ("demo-north", "demo-valley"), "hillstreet.example"),
    ("Valley Health Visiting Team", "health", ("demo-valley",), "valleyhealth.example"),
    ("North Neighbourhood Policing", "police", ("demo-north",), "northpolice.example"),
    ("Coast Housing Association", "housing", ("demo-coast",), "coasthousing.example"),
    ("Children's Services Early Help", "social_care", ("demo-north", "demo-valley", "demo-coast"), "council.example"),
    ("Family Action Volunteers", "voluntary", ("demo-coast",), "volunteers.example"),
)


def _partner_agencies(sites: list[Site], rng: random.Random, fake: Faker) -> None:
    """Six agencies with four contacts each: a manager and three practitioners, one of whom has not
    agreed to be surveyed (so the contact rules show), all reached by email."""
    by_code = {site.code: site for site in sites}
    for name, sector, codes, domain in DEMO_AGENCIES:
        agency = PartnerAgency(name=name, sector=sector, sites=[by_code[code] for code in codes])
        db.session.add(agency)
        for n, role in enumerate(("manager", "practitioner", "practitioner", "practitioner")):
            person = fake.name()
            address = f"{person.lower().replace(' ', '.').replace(chr(39), '')}@{domain}"
            agreed = n != 3 or rng.random() < 0.5
            db.session.add(PartnerContact(agency=agency, name=person, role=role, email=address,
                                          email_digest=lookup_digest(address), consent=agreed,
                                          consent_recorded_at=utcnow(), active=True))
    db.session.commit()


def _send_last_partner_wave(rng: random.Random) -> tuple[date, int, int]:
    """Send the partner survey's latest yearly wave as the dispatcher did on its first day (to the
    outbox), and have some contacts answer it: the partner-survey report then has a year to show.
    Returns the wave's date, the emails sent and the answers."""
    schedule = current_schedules()["partner-survey"]
    wave = next(wave for wave in schedule.waves if wave.anchor == "date")
    when = occurrence(wave, date.today() - timedelta(days=365))
    if when.opens_on > date.today():  # pragma: no cover - a wave dated more than a year ahead
        return when.due_on, 0, 0
    local = datetime.combine(when.opens_on, time(10, 0), tzinfo=ZoneInfo(schedule.quiet_hours.timezone))
    moment = schedule.quiet_hours.next_allowed(local.astimezone(UTC)).astimezone(UTC).replace(tzinfo=None)
    result = dispatch_once(OutboxBackend(), now=moment, mailer=OutboxMailer())
    responded = 0
    for invitation in db.session.scalars(sa.select(Invitation).where(Invitation.contact_id.is_not(None),
                                                                     Invitation.state == "sent")
                                         .order_by(Invitation.id)).all():
        if rng.random() < 0.4:
            continue  # as in the seed evaluation, not everyone answers
        token = new_unlinked_response(invitation)
        db.session.commit()
        response = find_by_token(token)
        instrument = instrument_for(response)
        save_answers(response, random_answers(instrument, rng), mode="web")
        complete(response, instrument)
        # Dated to the wave's first day, as anonymous answers are kept: to the day only.
        response = find_by_token(token)
        day = datetime.combine(when.opens_on, time(0))
        response.created_at = response.started_at = response.updated_at = response.completed_at = day
        db.session.commit()
        mark(invitation, "completed")  # in a transaction of its own (survey/anonymous.py)
        db.session.commit()
        responded += 1
    return when.due_on, result.sent, responded


def _answer_some(rng: random.Random, levels: random.Random) -> int:
    """Families at all but the first site answer their texts, so summaries and status pages show
    completions; the first site's links stay open for whoever runs the demo."""
    first_site = db.session.scalar(sa.select(Site.id).filter_by(code=DEMO_SITES[0][0]))
    invitations = db.session.scalars(
        sa.select(Invitation).join(Family).where(Invitation.state == "sent", Invitation.channel == "sms_link",
                                                 Family.site_id != first_site)
        .order_by(Invitation.id)
    ).all()
    answered = 0
    for invitation in invitations:
        if rng.random() < 0.35:
            continue  # some families never answer
        response = invitation.response
        instrument = instrument_for(response)
        # Each member's own level: by exit, a typical family has moved up a little.
        level = levels.gauss(0, 1) + (0.5 if response.wave not in (None, "entry") else 0.0)
        save_answers(response, coherent_answers(instrument, random_answers(instrument, rng), level, levels), mode="web")
        complete(response, instrument)
        answered += 1
    return answered
