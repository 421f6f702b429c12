"""Building families for tests through the same services staff pages use."""
from __future__ import annotations

from datetime import date

from feedback.extensions import db
from feedback.families.service import add_member, create_family, record_consent

MOBILES = iter(f"+4479111{n:05d}" for n in range(100000))


def consent_all(member, actor_id=None, parent=False):
    for purpose in ("participation", "sms"):
        record_consent(member, purpose, "self", True, "v1", actor_id)
        if parent:
            record_consent(member, purpose, "parent", True, "v1", actor_id)


def family_with_members(site_id: int, key_worker_id: int | None, case_ref: str = "C-1",
                        entry: date | None = date(2026, 1, 5), exit_: date | None = None,
                        members=(("mother", 1990, 4), ("child", 2019, 6)), consent=True, channel="sms_link"):
    """A family with consenting members who each have a mobile number; returns (family, members)."""
    family = create_family(site_id, case_ref, key_worker_id, entry_date=entry, exit_date=exit_)
    made = []
    for role, year, month in members:
        member = add_member(family, role, role.title(), year, month, "en", channel, next(MOBILES))
        if consent:
            consent_all(member, parent=role in ("child", "young_person"))
        made.append(member)
    db.session.commit()
    return family, made
