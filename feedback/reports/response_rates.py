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

from .model import Chart, Column, Report, Table, not_enough, share

NAME, TITLE = "response-rates", "Response rates by wave and channel"
CHANNELS = {"sms_link": "Link by text", "sms_conversation": "Answered by text", "interview": "Telephone interview",
            "staff_task": "Key worker task"}
REACHED = ("sent", "opened", "started", "completed", "expired")
ALL = "All channels"


def compute(invitations: pd.DataFrame, waves: list[str], titles: dict[str, str]) -> Report:
    """``invitations``: family_id, wave, channel, state, sent_at, opened, completed_at; ``waves`` in
    schedule order with their ``titles``."""
    if invitations.empty:
        return not_enough(NAME, TITLE, "an invitation")
    frame = invitations.copy()
    frame["sent"] = frame["sent_at"].notna() | frame["state"].isin(REACHED[1:4])
    frame["done"] = frame["state"].eq("completed")
    frame["days"] = (pd.to_datetime(frame["completed_at"]) - pd.to_datetime(frame["sent_at"])).dt.total_seconds() / 86400
    order = [w for w in waves if w in set(frame["wave"])] + sorted(set(frame["wave"]) - set(waves))
    channels = [c for c in CHANNELS if c in set(frame["channel"])] + sorted(set(frame["channel"]) - set(CHANNELS))
    columns = [Column("group", "Channel", "label"), Column("asked", "Asked"), Column("sent", "Sent"),
               Column("opened", "Opened"), Column("completed", "Completed"), Column("expired", "Expired"),
               Column("rate", "Completion rate %", "percent", base="sent", numerator="completed"),
               Column("median_days", "Median days to complete", "mean", base="completed")]
    # One table per wave, its channels adding up to an "All channels" total row (so secondary
    # suppression protects a channel's small count); the summary restates those total rows.
    tables, summary_rows, follows = [], [], {}
    for wave in order:
        at_wave = frame[frame["wave"] == wave]
        rows = [_row(CHANNELS.get(channel, channel), at_wave[at_wave["channel"] == channel])
                for channel in channels if (at_wave["channel"] == channel).any()]
        rows.append(_row(ALL, at_wave))
        follows[len(summary_rows)] = (len(tables) + 1, ALL)  # +1: the summary goes first
        summary_rows.append({**rows[-1], "group": titles.get(wave, wave)})
        tables.append(Table(f"{titles.get(wave, wave)}: invitations by channel", columns, rows, total_row=ALL,
                            note="Asked = not cancelled before anyone was asked; completion rate = completed ÷ sent."))
    summary = Table("Invitations by wave, all channels", [Column("group", "Wave", "label"), *columns[1:]],
                    summary_rows, follows=follows)
    tables.insert(0, summary)
    retention = []
    answered = frame[frame["done"]].groupby("wave")["family_id"].apply(set)
    for before, after in zip(order, order[1:]):
        earlier, later = answered.get(before, set()), answered.get(after, set())
        if not earlier:
            continue
        kept = len(earlier & later)
        retention.append({"step": f"{titles.get(before, before)} → {titles.get(after, after)}",
                          "families": len(earlier), "kept": kept, "kept_pct": share(kept, len(earlier)),
                          "lost": len(earlier) - kept, "lost_pct": share(len(earlier) - kept, len(earlier))})
    if retention:
        tables.append(Table("Attrition: families answering one wave who answered the next", [
            Column("step", "From → to", "label"), Column("families", "Families answering the first"),
            Column("kept", "Also answered the next"),
            Column("kept_pct", "% answered the next", "percent", base="families", numerator="kept"),
            Column("lost", "Did not answer the next"),
            Column("lost_pct", "% attrition", "percent", base="families", numerator="lost")], retention))
    return Report(NAME, TITLE, tables, Chart("bars", "Completion rate by wave", 0, "group",
                                             {"Completion rate": "rate"}, unit="%"))


def _row(label: str, part: pd.DataFrame) -> dict:
    asked = part[part["state"] != "cancelled"]
    sent, completed = int(asked["sent"].sum()), int(asked["done"].sum())
    days = asked.loc[asked["done"] & asked["sent"], "days"].dropna()
    return {"group": label, "asked": len(asked), "sent": sent, "opened": int(asked["opened"].astype(bool).sum()),
            "completed": completed, "expired": int(asked["state"].eq("expired").sum()),
            "rate": share(completed, sent), "median_days": round(float(days.median()), 1) if len(days) else None}
