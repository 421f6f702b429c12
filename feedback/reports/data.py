"""What the reports read from the database: a cohort of families and, for them, narrow tables of
answers, scores and invitations.

Every report is a pure function of these frames (see ``definitions``), so each can be checked
against a small hand-computed fixture without a database. Queries ask only for the items and
columns a report uses, and read answer values as text (``CAST(value AS TEXT)``) rather than
decoding JSON row by row: a service with 20,000 families has millions of answers, and a report must
render in under two seconds.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..families.models import Family, Member
from ..survey.models import Answer, Response, Score
from ..waves.models import (COMPLETED_WHERE, OPENED_STATES, OPENING_WHERE, UNOPENED_WHERE, Invitation,
                           InvitationEvent)
from . import pair_store
from .medians import Bin, median, merged, middle
from .models import KeptAnswer

COHORTS = ("exit", "entry")
#: Whether an invitation was ever opened. Every change of state records an event and states only
#: move forward, so an invitation now opened, started or completed was; only the others (one
#: that expired after it was opened, say: a few percent) have their events looked up, an index
#: probe each. CASE makes sure the lookup comes second.
_OPENED_BEFORE = sa.exists().where(InvitationEvent.invitation_id == Invitation.id, sa.text(OPENING_WHERE))
_OPENED = sa.case((Invitation.state.in_(OPENED_STATES), sa.true()), else_=_OPENED_BEFORE)


@dataclass(frozen=True)
class Filters:
    """Which families a report covers.

    ``site_ids`` None means every site (an admin's view); an empty tuple means none. The period
    selects a cohort: families whose support ended (``cohort="exit"``, the default: outcomes and
    follow-ups belong to leavers) or started (``"entry"``) between ``start`` and ``end``
    inclusive; either end may be open.
    """

    site_ids: tuple[int, ...] | None = None
    start: date | None = None
    end: date | None = None
    cohort: str = "exit"

    def __post_init__(self):
        if self.cohort not in COHORTS:
            raise ValueError(f"a cohort is chosen by {' or '.join(COHORTS)} date, not {self.cohort!r}")
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"the period starts ({self.start}) after it ends ({self.end})")


#: Reports whose rows are not families, with what the period chooses for them.
SUBJECTS = {"partner-survey": _l("Partner-agency contacts invited to yearly waves due")}


def _day(day: date) -> str:
    """A date as "01 March 2025", its month named in the page's language (English outside a request)."""
    return format_date(day, "dd MMMM y", locale=get_locale() or "en")


def describe(filters: Filters, site_names: dict[int, str], report: str | None = None) -> str:
    """The filters in words, printed above every report and download (a download is made in
    English: ``views.download``; a page in the staff page's language)."""
    if filters.site_ids is None:
        sites = _("All sites")
    else:
        names = sorted(site_names.get(site_id, f"site {site_id}") for site_id in filters.site_ids)
        sites = _("Sites: %(names)s", names=", ".join(names)) if names else _("No sites")
    if filters.start and filters.end:
        period = _("between %(start)s and %(end)s", start=_day(filters.start), end=_day(filters.end))
    elif filters.start:
        period = _("on or after %(start)s", start=_day(filters.start))
    elif filters.end:
        period = _("on or before %(end)s", end=_day(filters.end))
    else:
        period = _("at any time")
    if report in SUBJECTS:
        return f"{sites}. {SUBJECTS[report]} {period}."
    if filters.cohort == "exit":
        return f"{sites}. " + _("Families whose support ended %(period)s.", period=period)
    return f"{sites}. " + _("Families whose support started %(period)s.", period=period)


def cohort(filters: Filters):
    """A select of the cohort's family ids (for ``IN`` in the other queries)."""
    column = Family.exit_date if filters.cohort == "exit" else Family.entry_date
    query = sa.select(Family.id)
    if filters.site_ids is not None:
        query = query.where(Family.site_id.in_(filters.site_ids))
    if filters.start is not None:
        query = query.where(column >= filters.start)
    if filters.end is not None:
        query = query.where(column <= filters.end)
    if filters.start is not None or filters.end is not None:
        query = query.where(column.is_not(None))
    return query


def in_cohort(family_id: sa.Column, filters: Filters):
    """The condition that a row with this ``family_id`` (a kept row of ``pair_store`` or
    ``kept_sums``, an invitation) belongs to the cohort. For every family (every site, no period:
    an admin's first view) on PostgreSQL it is only that the row has a family: the column is a
    foreign key there, so a family id that is set is an existing family's, and ``IN (every
    family)`` cost a hash lookup per row (at 100,000 families, 3.75 million kept pairs: 0.8 s of a
    2.1 s count; 2.3 million invitations). A row with no family (an invitation to a partner
    agency's staff) stays out either way. SQLite enforces no foreign keys unless asked, so there
    the test stays."""
    if (filters.site_ids is None and filters.start is None and filters.end is None
            and db.session.get_bind().dialect.name == "postgresql"):
        return family_id.is_not(None)
    return family_id.in_(cohort(filters))


def families(filters: Filters) -> pd.DataFrame:
    """The cohort: family_id, site_id, entry_date, exit_date."""
    query = (sa.select(Family.id, Family.site_id, Family.entry_date, Family.exit_date)
             .where(Family.id.in_(cohort(filters))))
    return _frame(query, ("family_id", "site_id", "entry_date", "exit_date"))


def answers(filters: Filters, instrument_id: str, item_ids, waves=None) -> pd.DataFrame:
    """Completed answers to those items by the cohort, long: response_id, family_id, member_id,
    member_role, wave, completed_at, item_id, value (a number where the stored value is one,
    otherwise the decoded value)."""
    query = (sa.select(Response.id, Response.family_id, Response.member_id, Member.role, Response.wave,
                       Response.completed_at, Answer.item_id, sa.cast(Answer.value, sa.Text))
             .join(Answer, Answer.response_id == Response.id)
             .outerjoin(Member, Member.id == Response.member_id)
             .where(Response.status == "completed", Response.instrument_id == instrument_id,
                    Answer.item_id.in_(list(item_ids)), Response.family_id.in_(cohort(filters))))
    if waves is not None:
        query = query.where(Response.wave.in_(list(waves)))
    frame = _frame(query, ("response_id", "family_id", "member_id", "member_role", "wave", "completed_at",
                           "item_id", "value"))
    frame["value"] = _decoded(frame["value"])
    return frame


def transitions(filters: Filters, instrument_id: str, item_ids, level: str = "family", before: str = "entry",
                after: str = "exit", by_role: bool = False, kept_with=()) -> pd.DataFrame:
    """How answers moved between two waves, counted in the database: item_id, [child,] before,
    after, n — the number of families (``level="family"``) or members (``"member"``) whose latest
    answer at ``before`` and latest answer at ``after`` were those values. Only those answered at
    both count. ``by_role`` splits members into children (True) and adults (False).

    The same as ``pairs.transitions`` over the rows ``answers`` returns. A 20,000-family
    service's member assessments are millions of answers, so the pairs are kept per family
    (``pair_store``, brought up to date first) and only counted here; a member's pairs hold the
    member's role, kept again when it is corrected, so a corrected role counts at once.

    ``kept_with``: the other items of the instrument that reports shown on the same page pair the
    same way. They are kept and counted with these, once per page (``pair_store.one_page``): at
    100,000 families need-flow's page (with risk-change and cost-benefit) counted the member
    assessments' 3.75 million pairs twice and the key worker's three times, one keeping per item
    list. At member level the count always splits by the role kept with each pair, so the split
    and the unsplit counts are one count.
    """
    if by_role and level != "member":
        raise ValueError("only members' pairs split by role")
    item_ids = sorted(set(item_ids))
    kept_items = sorted(set(item_ids) | set(kept_with))
    pairing = pair_store.refresh(instrument_id, kept_items, level, before, after)
    with_role = by_role or level == "member"
    page, key = pair_store.page_memo("pair counts", pairing, with_role, cohort(filters))
    counted = page.get(key) if page is not None else None
    if counted is None:
        counted = _pair_counts(filters, pairing, with_role)
        if page is not None:
            page[key] = counted
            # The (before, after) texts of each item, as kept: ``families_avoiding_any`` on this
            # page needs them for the same pairing and cohort, and need not read them again.
            page[pair_store.page_memo("texts", pairing, cohort(filters))[1]] = set(
                zip(counted["item_id"], counted["before"], counted["after"]))
    frame = counted[counted["item_id"].isin(item_ids)]
    if by_role:
        # A pair whose member is no longer on record has no role to split by: left out, as the
        # join to the members always left it out.
        frame = frame[frame["child"].notna()]
    elif with_role:
        frame = frame.groupby(["item_id", "before", "after"], as_index=False, dropna=False, sort=False)["n"].sum()
    frame = frame.reset_index(drop=True)
    frame["before"], frame["after"] = _decoded(frame["before"]), _decoded(frame["after"])
    if by_role:
        frame["child"] = frame["child"].astype(bool)
    return frame


def _pair_counts(filters: Filters, pairing: int, with_role: bool) -> pd.DataFrame:
    """The cohort's kept pairs of one pairing counted by item_id, [child,] before and after (the
    values as kept: JSON text). ``child`` comes from the pair's slot, the member's role as kept
    (None for a member not on record, so the counts without it are those of every pair)."""
    pairs = KeptAnswer.__table__
    columns = [pairs.c.item_id, *([pairs.c.slot] if with_role else []), pairs.c.before, pairs.c.after]
    query = (sa.select(*columns, sa.func.count().label("n"))
             .where(pairs.c.keeping == pairing, in_cohort(pairs.c.family_id, filters))
             .group_by(*columns))
    with pair_store.reading_kept():
        counted = _frame(query, ["item_id", *(["slot"] if with_role else []), "before", "after", "n"])
    if with_role:
        roles = {slot: child for child, slot in pair_store.ROLE_SLOTS.items()}
        counted.insert(1, "child", counted.pop("slot").map(roles).astype(object))
        counted["child"] = counted["child"].where(counted["child"].notna(), None)
    return counted


def distribution(filters: Filters, instrument_id: str, item_ids, waves, level: str = "member") -> pd.DataFrame:
    """How the cohort answered, counted in the database: wave, item_id, value, n — over each
    member's latest response at each wave; or, with ``level="family"``, over each family's latest
    answer to each item at each wave (whichever member gave it: one answer per household).

    The latest answers are kept per family (``pair_store.refresh_latest``) and only counted here.
    """
    keeping = pair_store.refresh_latest(instrument_id, item_ids, waves, level)
    kept = KeptAnswer.__table__
    query = (sa.select(kept.c.slot, kept.c.item_id, kept.c.after, sa.func.count())
             .where(kept.c.keeping == keeping, in_cohort(kept.c.family_id, filters))
             .group_by(kept.c.slot, kept.c.item_id, kept.c.after))
    with pair_store.reading_kept():
        frame = _frame(query, ("wave", "item_id", "value", "n"))
    frame["value"] = _decoded(frame["value"])
    return frame


def star_summary(filters: Filters, instrument_id: str, stems, readers=("parent", "practitioner"),
                 low: float = 1, high: float = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The star chart summed up in the database, over each family's first and latest reading
    (response), for families with two readings or more:

    - ``moves``: item_id, families, first_sum, latest_sum, up, same, down — for each
      ``<stem>_<reader>`` item answered on the scale (``low``–``high``) at both readings;
    - ``gaps``: stem, families, gap_sum — parent minus practitioner at each family's latest
      reading, where both are on the scale.

    Sums rather than means, so the report divides by counts it also protects. Each family's moves
    and gaps are kept (``pair_store.refresh_star``), so this is one pass adding up the cohort's
    rows of one keeping by item and slot.
    """
    stems = list(stems)
    keeping = pair_store.refresh_star(instrument_id, stems, readers, low, high)
    kept = KeptAnswer.__table__
    query = (sa.select(kept.c.item_id, kept.c.slot, sa.func.count(), sa.func.sum(sa.cast(kept.c.before, sa.Float)),
                       sa.func.sum(sa.cast(kept.c.after, sa.Float)))
             .where(kept.c.keeping == keeping, in_cohort(kept.c.family_id, filters))
             .group_by(kept.c.item_id, kept.c.slot))
    with pair_store.reading_kept():
        sums = _frame(query, ("item_id", "slot", "n", "before_sum", "after_sum"))
    return _star_moves(sums[sums["slot"].isin(pair_store.MOVES)]), _star_gaps(sums[sums["slot"] == "gap"], stems)


def _star_moves(sums: pd.DataFrame) -> pd.DataFrame:
    """``star_summary``'s moves from the kept moves added up by item and slot (up, same, down)."""
    columns = ["item_id", "families", "first_sum", "latest_sum", "up", "same", "down"]
    if sums.empty:
        return pd.DataFrame(columns=columns)
    counts = sums.pivot(index="item_id", columns="slot", values="n").reindex(columns=list(pair_store.MOVES))
    counts = counts.fillna(0).astype(int)
    totals = sums.groupby("item_id")[["n", "before_sum", "after_sum"]].sum()
    moves = pd.DataFrame({"families": totals["n"].astype(int), "first_sum": totals["before_sum"].astype(float),
                          "latest_sum": totals["after_sum"].astype(float), "up": counts["up"],
                          "same": counts["same"], "down": counts["down"]})
    return moves.rename_axis("item_id").reset_index()[columns]


def _star_gaps(sums: pd.DataFrame, stems) -> pd.DataFrame:
    """``star_summary``'s gaps: one row per stem asked for (0 families where none had a gap)."""
    by_stem = sums.set_index("item_id")
    rows = [{"stem": stem, "families": int(by_stem.at[stem, "n"]) if stem in by_stem.index else 0,
             "gap_sum": float(by_stem.at[stem, "after_sum"] or 0) if stem in by_stem.index else 0.0}
            for stem in stems]
    return pd.DataFrame(rows, columns=["stem", "families", "gap_sum"])


def scores(filters: Filters, instrument_id: str, scale_ids, waves=None) -> pd.DataFrame:
    """Scale scores of the cohort's completed responses: response_id, family_id, member_id, wave,
    completed_at, scale_id, value, flagged (at or beyond the cut-off)."""
    query = (sa.select(Response.id, Response.family_id, Response.member_id, Response.wave, Response.completed_at,
                       Score.scale_id, Score.value, Score.flagged)
             .join(Score, Score.response_id == Response.id)
             .where(Response.status == "completed", Response.instrument_id == instrument_id,
                    Score.scale_id.in_(list(scale_ids)), Response.family_id.in_(cohort(filters))))
    if waves is not None:
        query = query.where(Response.wave.in_(list(waves)))
    frame = _frame(query, ("response_id", "family_id", "member_id", "wave", "completed_at", "scale_id", "value",
                           "flagged"))
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def invitations(filters: Filters) -> pd.DataFrame:
    """The cohort's invitations one by one: invitation_id, family_id, wave, instrument_id, channel,
    state, due_on, sent_at, opened (ever opened), completed_at (of its response, if completed).
    For tests and small services; the report itself reads the counts below."""
    query = (sa.select(Invitation.id, Invitation.family_id, Invitation.wave, Invitation.instrument_id,
                       Invitation.channel, Invitation.state, Invitation.due_on, Invitation.sent_at, _OPENED,
                       Response.completed_at)
             .outerjoin(Response, sa.and_(Response.id == Invitation.response_id, Response.status == "completed"))
             .where(Invitation.family_id.in_(cohort(filters))))
    return _frame(query, ("invitation_id", "family_id", "wave", "instrument_id", "channel", "state", "due_on",
                          "sent_at", "opened", "completed_at"))


COUNTED = ("asked", "sent", "opened", "completed", "expired")


def invitation_figures(filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(counts, medians), worked out in the database.

    ``counts``: per wave and channel, asked (not cancelled), sent, opened, completed, expired.
    ``medians``: median days from sending to completing, per wave and channel and per wave
    (channel None), over the completed invitations that were sent (``FINISHED_WHERE``; the
    completion time is the response's, which the database copies onto the invitation).

    PostgreSQL counts everything in one parallel pass that also bins the completed invitations'
    times by whole hour (how many, the least and the greatest per bin); the one or two middle
    values of each median are then read by their place in the index of times
    (``reports.medians``), all on one snapshot. Sorting every time for ``percentile_cont`` cost
    2 s of 3.7 at 100,000 families. SQLite, the small embedded default, reads the times and takes
    the medians here.
    """
    chosen = in_cohort(Invitation.family_id, filters)
    if db.session.get_bind().dialect.name == "postgresql":
        counts, medians = _figures_by_place(chosen)
    else:
        asked = Invitation.state != "cancelled"
        sent = sa.and_(asked, sa.or_(Invitation.sent_at.is_not(None), Invitation.state.in_(OPENED_STATES)))

        def count(condition):
            return sa.func.sum(sa.case((condition, 1), else_=0))

        counted = [count(asked), count(sent), count(sa.and_(asked, _OPENED)), count(Invitation.state == "completed"),
                   count(Invitation.state == "expired")]
        counts = _frame(sa.select(Invitation.wave, Invitation.channel, *counted).where(chosen)
                        .group_by(Invitation.wave, Invitation.channel), ("wave", "channel", *COUNTED))
        rows = _frame(sa.select(Invitation.wave, Invitation.channel, Invitation.sent_at, Invitation.completed_at)
                      .where(_FINISHED, chosen), ("wave", "channel", "sent_at", "completed_at"))
        medians = medians_of(rows)
    for column in COUNTED:
        counts[column] = counts[column].fillna(0).astype(int)
    medians["median_days"] = pd.to_numeric(medians["median_days"]).round(1)
    return counts, medians


#: ``FINISHED_WHERE`` as an expression, its constant written out (not a parameter) so that the
#: planner can see it implies the partial index's predicate whatever the plan.
_FINISHED = sa.and_(Invitation.state == sa.literal_column("'completed'"), Invitation.sent_at.is_not(None),
                    Invitation.completed_at.is_not(None))
#: A completed invitation's time to complete, as ``ix_invitations_time_to_complete`` holds it.
_TOOK = sa.type_coerce(Invitation.completed_at - Invitation.sent_at, sa.Interval())


def _figures_by_place(chosen) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PostgreSQL's counts and medians (see ``invitation_figures``): one grouped pass with the
    finished invitations binned by whole hour, then one statement for the middle values that
    their bins cannot tell. All run on one REPEATABLE READ snapshot of their own, so that the
    places worked out from the first are the places the second reads.

    The pass groups invitations by wave, channel, state, whether sent, and hours to complete,
    and only counts them (with the least and greatest time of each group): the five counts are
    added up from the groups here, which costs a tenth of summing five conditions per row. It
    counts as opened only invitations now opened, started or completed: a correlated look-up of
    the events in it would keep PostgreSQL from counting in parallel (an expression over a
    SubPlan cannot be split between workers), so the others once opened (an invitation that
    expired after it was opened, say) are counted by a second statement, through the partial
    index of invitations not opened (``ix_invitations_unopened``)."""
    # The bin: whole hours of the time to complete. Written exactly as the statistics on it are
    # (migration a6c8e0f2b4d7), its constants literal, so that the planner knows a few hundred
    # bins come out and counts them in parallel, not by sorting 2.3 million rows.
    hours = sa.func.floor(sa.func.date_part(sa.literal_column("'epoch'"), _TOOK) / sa.literal_column("3600"))
    was_sent = Invitation.sent_at.is_not(None)
    keys = (Invitation.wave, Invitation.channel, Invitation.state, was_sent, hours)
    query = (sa.select(*keys, sa.func.count(), sa.func.min(_TOOK), sa.func.max(_TOOK))
             .where(chosen).group_by(*keys))
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        rows = [tuple(row) for row in connection.execute(query)]
        opened_before = dict(((wave, channel), n) for wave, channel, n in connection.execute(
            sa.select(Invitation.wave, Invitation.channel, sa.func.count())
            .where(sa.text("invitations." + UNOPENED_WHERE), _OPENED_BEFORE, chosen)
            .group_by(Invitation.wave, Invitation.channel)))
        counts = _counts_of(rows, opened_before)
        groups = {}
        for wave, channel, state, sent, hours, n, least, most in rows:
            if state == "completed" and sent and hours is not None:  # FINISHED_WHERE
                groups.setdefault((wave, channel), []).append(Bin(int(hours), n, least, most))
        for wave in sorted({wave for wave, _channel in groups}):  # every channel's bins of the wave
            groups[(wave, None)] = merged([part for (at, channel), bins in groups.items()
                                           if at == wave and channel is not None for part in bins])
        places = {key: middle(bins) for key, bins in groups.items()}
        values = _values_at(connection, chosen, {(key, place) for key, pair in places.items() for place in pair
                                                 if not place.known})
    found = []
    for (wave, channel), pair in places.items():
        days = [(values[((wave, channel), place)] if not place.known else place.value).total_seconds() / 86400
                for place in pair]
        found.append({"wave": wave, "channel": channel, "median_days": median(*days)})
    return counts, pd.DataFrame(found, columns=["wave", "channel", "median_days"])


def _counts_of(rows, opened_before: dict) -> pd.DataFrame:
    """``COUNTED`` per wave and channel from the grouped pass's rows (wave, channel, state, sent,
    hours, n, ...) and the invitations once opened that are no longer (``opened_before``)."""
    totals: dict = {}
    for wave, channel, state, sent, _hours, n, *_times in rows:
        figures = totals.setdefault((wave, channel), dict.fromkeys(COUNTED, 0))
        if state != "cancelled":
            figures["asked"] += n
            figures["sent"] += n if sent or state in OPENED_STATES else 0
            figures["opened"] += n if state in OPENED_STATES else 0
        figures["completed"] += n if state == "completed" else 0
        figures["expired"] += n if state == "expired" else 0
    for key, n in opened_before.items():
        totals[key]["opened"] += n
    return pd.DataFrame([{"wave": wave, "channel": channel, **figures} for (wave, channel), figures in totals.items()],
                        columns=["wave", "channel", *COUNTED])


def _values_at(connection, chosen, wanted) -> dict:
    """Each wanted place's time to complete, read in one statement: per place, the group's
    finished invitations within its bin's least and greatest times (an index range of the bin's
    own values: bins do not overlap), in order, at the place's offset."""
    wanted = sorted(wanted, key=lambda item: (item[0][0], item[0][1] or "", item[1].bin.number, item[1].offset))
    if not wanted:
        return {}
    parts = []
    for number, ((wave, channel), place) in enumerate(wanted):
        part = (sa.select(sa.literal(number).label("n"), _TOOK.label("took"))
                .where(_FINISHED, Invitation.wave == wave, _TOOK >= place.bin.least, _TOOK <= place.bin.most, chosen))
        if channel is not None:
            part = part.where(Invitation.channel == channel)
        parts.append(part.order_by(_TOOK).offset(place.offset).limit(1))
    found = dict(tuple(row) for row in connection.execute(sa.union_all(*parts)))
    if len(found) != len(wanted):
        # One snapshot for both statements: a place the first found is always there.
        raise RuntimeError("an invitation's time to complete was not where its bin said")
    return {item: found[number] for number, item in enumerate(wanted)}


def medians_of(rows: pd.DataFrame) -> pd.DataFrame:
    """Median days per wave and channel and per wave (channel None), from sent_at and completed_at."""
    rows = rows.assign(days=(pd.to_datetime(rows["completed_at"]) - pd.to_datetime(rows["sent_at"]))
                       .dt.total_seconds() / 86400)
    by_channel = rows.groupby(["wave", "channel"])["days"].median().reset_index(name="median_days")
    by_wave = rows.groupby("wave")["days"].median().reset_index(name="median_days").assign(channel=None)
    return pd.concat([by_channel, by_wave[["wave", "channel", "median_days"]]], ignore_index=True)


def wave_sets(filters: Filters, waves) -> pd.DataFrame:
    """For attrition: how many families completed something at exactly which of ``waves``
    (waves: a frozenset; families: how many). One flag per wave and family, then families
    counted per combination, so only a handful of rows leave the database."""
    waves = list(waves)
    if not waves:
        return pd.DataFrame({"waves": pd.Series(dtype=object), "families": pd.Series(dtype=int)})
    flags = [sa.func.max(sa.case((Invitation.wave == wave, 1), else_=0)).label(f"w{n}") for n, wave in enumerate(waves)]
    per_family = (sa.select(Invitation.family_id, *flags)
                  .where(sa.text("invitations." + COMPLETED_WHERE), Invitation.wave.in_(waves),
                         in_cohort(Invitation.family_id, filters))
                  .group_by(Invitation.family_id).subquery("per_family"))
    columns = [per_family.c[f"w{n}"] for n in range(len(waves))]
    rows = db.session.execute(sa.select(*columns, sa.func.count()).group_by(*columns))
    return pd.DataFrame([{"waves": frozenset(wave for wave, flag in zip(waves, row[:-1]) if flag),
                          "families": int(row[-1])} for row in rows], columns=["waves", "families"])


def _decoded(texts: pd.Series) -> pd.Series:
    """JSON texts as values: each distinct text decoded once (a handful of codes, many rows)."""
    decoded = {text: json.loads(text) for text in texts.dropna().unique()}
    return texts.map(decoded)


def _frame(query, columns) -> pd.DataFrame:
    rows = [tuple(row) for row in db.session.execute(query)]
    return pd.DataFrame.from_records(rows, columns=list(columns))


def families_avoiding_any(filters: Filters, member_outcomes, family_outcomes, member_items, family_items) -> int:
    """How many of the cohort's families avoided at least one adverse outcome: the family (on a
    family factor) or one of its members (on a member factor, children or adults as the outcome
    says) rated at some concern at entry (code above 0) and no concern (0) at exit.

    ``member_outcomes``: (item, "child" / "adult" / None) per member outcome; ``family_outcomes``:
    the family outcomes' items; ``member_items`` / ``family_items``: the items each pairing keeps,
    as ``transitions`` kept them (its items with ``kept_with``: the same pairs, so nothing is paired
    again). The kept
    values are JSON text: the few distinct (entry, exit) texts are read and decoded first, and the
    families counted in the database over the pairs that qualify."""
    moved_families = []
    pairs = KeptAnswer.__table__
    for instrument_id, level, items, wanted in (
            ("member-assessment", "member", member_items, list(member_outcomes)),
            ("practitioner-assessment", "family", family_items, [(item, None) for item in family_outcomes])):
        if not wanted:
            continue
        pairing = pair_store.refresh(instrument_id, items, level, "entry", "exit")
        in_pairing = sa.and_(pairs.c.keeping == pairing, in_cohort(pairs.c.family_id, filters),
                             pairs.c.item_id.in_(sorted({item for item, _who in wanted})))
        items = {item for item, _who in wanted}
        page, key = pair_store.page_memo("texts", pairing, cohort(filters))
        if page is not None and key in page:
            # ``transitions`` counted this pairing's pairs for the same cohort on this page: its
            # texts, every pair's (a member no longer on record included; the query below asks
            # for a role's slot, so such a pair's text only adds a candidate that matches no one).
            texts = sorted({(before, after) for item, before, after in page[key] if item in items},
                           key=lambda pair: tuple("" if text is None else text for text in pair))
        else:
            texts = db.session.execute(sa.select(pairs.c.before, pairs.c.after).where(in_pairing).distinct()).all()

        def code(text):
            try:
                value = json.loads(text) if text is not None else None
            except (TypeError, ValueError):
                return None
            return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and value in (0, 1, 2, 3) else None

        avoided = [(before, after) for before, after in texts
                   if code(before) is not None and code(before) > 0 and code(after) == 0]
        if not avoided:
            continue
        moved = sa.tuple_(pairs.c.before, pairs.c.after).in_(avoided)
        conditions = []
        for item, who in wanted:
            condition = pairs.c.item_id == item
            if level == "member":
                # The member's role as kept with the pair; a member not on record counts for none.
                slots = [pair_store.ROLE_SLOTS[who == "child"]] if who is not None else \
                    list(pair_store.ROLE_SLOTS.values())
                condition = sa.and_(condition, pairs.c.slot.in_(slots))
            conditions.append(condition)
        moved_families.append(sa.select(pairs.c.family_id).where(in_pairing, moved, sa.or_(*conditions)))
    if not moved_families:
        return 0
    # Counted where they are, over both instruments at once: at 100,000 families, some 50,000 ids
    # no longer travel to be put in a set. (The pairs that moved to no concern are found by their
    # own index, ``ix_report_kept_answers_to_none``.)
    either = sa.union(*moved_families).subquery("avoided") if len(moved_families) > 1 \
        else moved_families[0].distinct().subquery("avoided")
    with pair_store.reading_kept():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(either)))
