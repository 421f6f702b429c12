"""response-rates: who was asked and who answered, per wave and channel; how long answers took;
and how many families kept answering from one wave to the next.

From the cohort's invitations. "Asked" leaves out invitations cancelled before anyone was asked
(an opt-out, withdrawn consent, a paused family); the completion rate is completed ÷ sent, where
"sent" counts a link texted, a conversation started, a telephone interview or a key worker's task
handed over. Days to complete run from sending to completion; the median resists the few who
answer months late.
"""
from __future__ import annotations

import pandas as pd
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..staff.words import CHANNEL_LABELS, channel_label
from .disclosure import Sum
from .model import Chart, Column, Report, Table, count_and_share, not_enough, share

NAME, TITLE = "response-rates", "Response rates by wave and channel"
#: The channels' rows in this order, in the words every staff page uses (``staff.words``).
CHANNELS = {code: CHANNEL_LABELS[code] for code in ("sms_link", "sms_conversation", "email_link", "interview",
                                                    "staff_task")}
REACHED = ("sent", "opened", "started", "completed", "expired")
ALL = _l("All channels")  # a row label: str(ALL) when a report is computed, in the page's language


def summarise(invitations: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(counts, medians, wave_sets) from invitations one by one, as ``data.invitation_figures``
    and ``data.wave_sets`` count them in the database."""
    from .data import medians_of

    frame = invitations.copy()
    frame["is_asked"] = frame["state"] != "cancelled"
    frame["is_sent"] = frame["is_asked"] & (frame["sent_at"].notna() | frame["state"].isin(REACHED[1:4]))
    frame["is_opened"] = frame["is_asked"] & frame["opened"].astype(bool)
    frame["is_done"] = frame["state"] == "completed"
    frame["is_expired"] = frame["state"] == "expired"
    counts = (frame.groupby(["wave", "channel"])[["is_asked", "is_sent", "is_opened", "is_done", "is_expired"]].sum()
              .astype(int).reset_index()
              .rename(columns={"is_asked": "asked", "is_sent": "sent", "is_opened": "opened", "is_done": "completed",
                               "is_expired": "expired"}))
    finished = frame[frame["is_done"] & frame["sent_at"].notna() & frame["completed_at"].notna()]
    medians = medians_of(finished[["wave", "channel", "sent_at", "completed_at"]])
    answered = frame.loc[frame["is_done"]].groupby("family_id")["wave"].agg(frozenset)
    sets = answered.value_counts().rename_axis("waves").reset_index(name="families")
    return counts, medians, sets


def compute(counts: pd.DataFrame, medians: pd.DataFrame, wave_sets: pd.DataFrame, waves: list[str],
            titles: dict[str, str]) -> Report:
    """``counts``: per wave and channel, asked, sent, opened, completed, expired; ``medians``: median
    days per wave and channel (channel None: all channels); ``wave_sets``: how many families
    (``families``) completed something at exactly which waves (``waves``, a frozenset); ``waves``
    in schedule order with their ``titles``."""
    if counts.empty or not counts["asked"].sum():
        return not_enough(NAME, TITLE, _("an invitation"))
    present = set(counts["wave"])
    order = [w for w in waves if w in present] + sorted(present - set(waves))
    channels = [c for c in CHANNELS if c in set(counts["channel"])] + sorted(set(counts["channel"]) - set(CHANNELS))
    every_channel = str(ALL)
    median = {(row.wave, row.channel if isinstance(row.channel, str) else None): row.median_days
              for row in medians.itertuples(index=False) if not pd.isna(row.median_days)}
    columns = [Column("group", _("Channel"), "label"), Column("asked", _("Asked")), Column("sent", _("Sent")),
               Column("opened", _("Opened")), Column("completed", _("Completed")), Column("expired", _("Expired")),
               Column("rate", _("Completion rate %"), "percent", base="sent", numerator="completed"),
               Column("median_days", _("Median days to complete"), "mean", base="completed")]
    # One table per wave, its channels adding up to an "All channels" total row (so secondary
    # suppression protects a channel's small count); the summary restates those total rows.
    tables, summary_rows, follows = [], [], {}
    for wave in order:
        at_wave = counts[counts["wave"] == wave]
        rows, made_of = [], {}
        for channel in channels:
            part = at_wave[at_wave["channel"] == channel]
            if not part.empty:
                made_of.update({(len(rows), name): sums for name, sums in _invitation_sums(wave, channel).items()})
                rows.append(_row(channel_label(channel), part, median.get((wave, channel))))
        rows.append(_row(every_channel, at_wave, median.get((wave, None))))
        follows[len(summary_rows)] = (len(tables) + 1, every_channel)  # +1: the summary goes first
        summary_rows.append({**rows[-1], "group": titles.get(wave, wave)})
        tables.append(Table(_("%(wave)s: invitations by channel", wave=titles.get(wave, wave)), columns, rows,
                            total_row=every_channel,
                            made_of=made_of,
                            note=_("Asked = not cancelled before anyone was asked; completion rate = completed ÷ sent.")))
    summary = Table(_("Invitations by wave, all channels"), [Column("group", _("Wave"), "label"), *columns[1:]],
                    summary_rows, follows=follows)
    tables.insert(0, summary)
    retention, retention_made_of = [], {}
    sets = list(zip(wave_sets["waves"], wave_sets["families"]))
    # The atoms: families by the set of waves they answered, which every step counts from.
    answered_sets = {frozenset(answered) & frozenset(order) for answered, _ in sets}

    def families_who(test) -> Sum:
        return Sum.of((NAME, "answered", tuple(sorted(answered))) for answered in answered_sets if test(answered))

    for before, after in zip(order, order[1:]):
        earlier = sum(n for answered, n in sets if before in answered)
        if not earlier:
            continue
        kept = sum(n for answered, n in sets if before in answered and after in answered)
        step = len(retention)
        retention_made_of.update({
            (step, "families"): families_who(lambda answered: before in answered),
            (step, "kept"): families_who(lambda answered: before in answered and after in answered),
            (step, "lost"): families_who(lambda answered: before in answered and after not in answered)})
        retention.append({"step": f"{titles.get(before, before)} → {titles.get(after, after)}",
                          "families": earlier, "kept": kept, "kept_pct": share(kept, earlier),
                          "lost": earlier - kept, "lost_pct": share(earlier - kept, earlier)})
    if retention:
        tables.append(Table(_("Attrition: families answering one wave who answered the next"), [
            Column("step", _("From → to"), "label"), Column("families", _("Families answering the first")),
            *count_and_share("kept", _("Also answered the next"), "families", _("% answered the next")),
            *count_and_share("lost", _("Did not answer the next"), "families", _("% attrition"))], retention,
            made_of=retention_made_of))
    return Report(NAME, TITLE, tables, Chart("bars", _("Completion rate by wave"), 0, "group",
                                             {_("Completion rate"): "rate"}, unit="%"))


def _invitation_sums(wave: str, channel: str) -> dict[str, Sum]:
    """A channel's counts as sums of its invitations by state (completed, expired or other), sent
    or not, and opened or not: what a reader knows ties them (completed ones were sent; every
    count is part of those asked), without assuming more than the definitions say."""
    kinds = [(state, sent, opened) for state in ("completed", "expired", "other") for sent in (True, False)
             for opened in (True, False) if sent or state != "completed"]
    atom = {kind: (NAME, wave, channel, *kind) for kind in kinds}

    def of(test) -> Sum:
        return Sum.of(atom[kind] for kind in kinds if test(*kind))

    return {"asked": of(lambda *_: True), "sent": of(lambda state, sent, opened: sent),
            "opened": of(lambda state, sent, opened: opened),
            "completed": of(lambda state, sent, opened: state == "completed"),
            "expired": of(lambda state, sent, opened: state == "expired")}


def _row(label: str, part: pd.DataFrame, median_days) -> dict:
    totals = {name: int(part[name].sum()) for name in ("asked", "sent", "opened", "completed", "expired")}
    return {"group": label, **totals, "rate": share(totals["completed"], totals["sent"]),
            "median_days": None if median_days is None else round(float(median_days), 1)}
