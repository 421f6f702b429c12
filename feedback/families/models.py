"""Families (cases), their members, consent records and contact pauses."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import DIGEST, Encrypted
from ..extensions import db
from ..staff.models import Site, StaffUser
from ..timeutil import utcnow

IDENTIFYING = {"identifying": True}

FAMILY_STATUSES = ("open", "closed", "erased")
CHANNELS = ("sms_link", "sms_conversation", "email_link", "interview", "none")
#: ``sms`` and ``email``: consent to be contacted that way (the same rules for both).
CONSENT_PURPOSES = ("participation", "sms", "email")
CONSENT_PARTIES = ("self", "parent")


class Family(db.Model):
    """A case: one family supported by one site, with the dates every wave is anchored to."""

    __tablename__ = "families"
    __table_args__ = (UniqueConstraint("site_id", "case_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    case_ref: Mapped[str] = mapped_column(String(64), info=IDENTIFYING)
    key_worker_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    referral_date: Mapped[date | None] = mapped_column(Date)
    entry_date: Mapped[date | None] = mapped_column(Date)
    exit_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Optimistic locking: two staff saving the same family at once cannot silently overwrite each other.
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: How many times one of the family's answering members had their role corrected or was
    #: removed, counted by the database's triggers (never by the app): reports' kept pairs hold
    #: members' roles and are stamped with this count (``reports.pair_store``).
    member_changes: Mapped[int] = mapped_column(Integer, server_default="0")

    site: Mapped[Site] = relationship()
    key_worker: Mapped[StaffUser | None] = relationship()
    members: Mapped[list[Member]] = relationship(back_populates="family", order_by="Member.id",
                                                 cascade="all, delete-orphan")
    pauses: Mapped[list[ContactPause]] = relationship(back_populates="family", order_by="ContactPause.id",
                                                      cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    def active_pauses(self) -> list[ContactPause]:
        return [pause for pause in self.pauses if pause.lifted_at is None]


class Member(db.Model):
    """A person in a family. Fathers and other adults are members like anyone else."""

    __tablename__ = "members"
    # NULLs never clash, so only members that came with a reference need distinct ones.
    __table_args__ = (UniqueConstraint("family_id", "member_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    #: The member's reference within the family in another record (a paper form, an older
    #: system), e.g. ``M2``; imports find the member by it. Marked: an older system's ids identify.
    member_ref: Mapped[str | None] = mapped_column(String(64), info=IDENTIFYING)
    #: How staff know the person (a first name or initials).
    name: Mapped[str | None] = mapped_column(String(120), info=IDENTIFYING)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    birth_month: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8), default="en")
    channel: Mapped[str] = mapped_column(String(24), default="sms_link")
    #: E.164, encrypted at rest; ``phone_digest`` finds a member by number without decrypting.
    phone: Mapped[str | None] = mapped_column(Encrypted, info=IDENTIFYING)
    phone_digest: Mapped[str | None] = mapped_column(DIGEST, index=True, info=IDENTIFYING)
    phone_invalid: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: Encrypted at rest; ``email_digest`` (of the lower-cased address) finds the member without decrypting.
    email: Mapped[str | None] = mapped_column(Encrypted, info=IDENTIFYING)
    email_digest: Mapped[str | None] = mapped_column(DIGEST, index=True, info=IDENTIFYING)
    #: The mail server refused the address outright (a 5xx at send).
    email_invalid: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The member used an email's unsubscribe link: no more email until staff clear it.
    email_opted_out_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: When a telephone interview suits the member ("weekday mornings"), in their words. Marked:
    #: free text may say more about someone's life than it should.
    interview_times: Mapped[str | None] = mapped_column(String(200), info=IDENTIFYING)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    family: Mapped[Family] = relationship(back_populates="members")
    consents: Mapped[list[Consent]] = relationship(back_populates="member", order_by="Consent.id",
                                                   cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}


class Consent(db.Model):
    """One consent decision: given or withdrawn, for one purpose, by the member or their parent.

    Decisions are never edited; the latest one for a purpose and party is the one in force, so a
    withdrawal takes effect the moment it is recorded and the history stays.
    """

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    party: Mapped[str] = mapped_column(String(8))
    given: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))

    member: Mapped[Member] = relationship(back_populates="consents")
    recorded_by: Mapped[StaffUser | None] = relationship()


class ContactPause(db.Model):
    """A safety flag: no message to the member (or, with no member, the whole family) until lifted."""

    __tablename__ = "contact_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    #: Why (e.g. domestic abuse): shown only to staff of the family's site.
    reason: Mapped[str | None] = mapped_column(Text, info=IDENTIFYING)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    #: The last day the pause lasts; none means until a member of staff lifts it. The dispatcher
    #: lifts a pause the day after it ends.
    ends_on: Mapped[date | None] = mapped_column(Date)
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))

    family: Mapped[Family] = relationship(back_populates="pauses")

    def covers(self, member_id: int | None) -> bool:
        return self.lifted_at is None and (self.member_id is None or self.member_id == member_id)
