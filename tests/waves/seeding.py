"""Many families at once, for the concurrent-dispatcher test and the dispatch benchmark.

Families, members and consent go in with bulk inserts (Faker names, valid UK mobiles); their
invitations are then planned by the real planner, family by family.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from faker import Faker

from feedback.crypto import lookup_digest
from feedback.extensions import db
from feedback.families.models import Consent, Family, Member
from feedback.waves.service import replan_family

LONDON = ZoneInfo("Europe/London")


def migrated_with_bench_site(app) -> int:
    """Migrate a benchmark's fresh database and add its one site; returns the site's id.
    Call inside the app's context."""
    from flask_migrate import upgrade

    from feedback.staff.models import Site

    upgrade(directory=app.extensions["migrate"].directory)
    site = Site(code="bench", name="Benchmark Family Support")
    db.session.add(site)
    db.session.commit()
    return site.id


def seed_exiting_families(site_id: int, key_worker_id: int | None, families: int, exit_on: date,
                          adults_per_family: int = 2, seed: int = 7, channel: str = "sms_link") -> list[int]:
    """Families leaving support on ``exit_on``, each with consenting adults who have mobiles and
    prefer ``channel``."""
    fake = Faker("en_GB")
    Faker.seed(seed)
    family_rows = [{"site_id": site_id, "case_ref": f"BULK-{seed}-{n:06d}", "key_worker_id": key_worker_id,
                    "entry_date": exit_on - timedelta(days=180), "exit_date": exit_on, "status": "open",
                    "version": 1, "created_at": datetime(2026, 1, 1)} for n in range(families)]
    ids = db.session.execute(sa.insert(Family).returning(Family.id), family_rows).scalars().all()
    member_rows = []
    for family_id in ids:
        for n in range(adults_per_family):
            phone = f"+44791{(family_id * 10 + n) % 10_000_000:07d}"
            # The column type encrypts the number on the way in, as it does for single rows.
            member_rows.append({"family_id": family_id, "role": ("mother", "father")[n % 2],
                                "name": fake.first_name(), "birth_year": 1985, "birth_month": 5, "language": "en",
                                "channel": channel, "phone": phone, "phone_digest": lookup_digest(phone),
                                "phone_invalid": False, "version": 1, "created_at": datetime(2026, 1, 1)})
    member_ids = db.session.execute(sa.insert(Member).returning(Member.id), member_rows).scalars().all()
    consent_rows = [{"member_id": member_id, "purpose": purpose, "party": "self", "given": True,
                     "text_version": "v1", "recorded_at": datetime(2026, 1, 1)}
                    for member_id in member_ids for purpose in ("participation", "sms")]
    db.session.execute(sa.insert(Consent), consent_rows)
    db.session.commit()
    for family_id in ids:
        replan_family(db.session.get(Family, family_id), "bulk seeding")
        db.session.commit()
        db.session.expunge_all()
    return ids


def sending_moment(after: date) -> datetime:
    """A weekday noon in London on or after ``after`` (outside quiet hours), as naive UTC."""
    day = after
    while day.weekday() >= 5:
        day += timedelta(days=1)
    local = datetime.combine(day, time(12, 0), tzinfo=LONDON)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
