"""star: for each parenting area of the star chart, the mean parent's and key worker's readings at
the family's first and latest reading, the distance travelled, the share of families who moved up,
stayed or moved down, and the mean gap between the parent's and the key worker's reading.

From ``family-star``: items ``<area>_parent`` and ``<area>_practitioner`` on 1–10. Both readings
are kept side by side (parents often rate themselves higher). Families with two or more readings
of an area count for its change; the gap is taken at each family's latest reading.
"""
from __future__ import annotations

import pandas as pd

from .model import Chart, Column, Report, Table, count_and_share, not_enough, share

NAME, TITLE = "star", "Parenting star: distance travelled"
INSTRUMENT = "family-star"
READERS = {"parent": "Parent", "practitioner": "Key worker"}


def _first_and_latest(readings: pd.DataFrame) -> pd.DataFrame:
    ordered = readings.sort_values("completed_at", kind="stable")
    grouped = ordered.groupby("family_id")["value"]
    both = pd.DataFrame({"first": grouped.first(), "latest": grouped.last(), "readings": grouped.size()})
    return both[both["readings"] >= 2]


def compute(answers: pd.DataFrame, areas: dict[str, str]) -> Report:
    """``answers``: family_id, completed_at, item_id, value for the star items; ``areas``: area stem
    (e.g. ``health``) → its name."""
    valid = answers[pd.to_numeric(answers["value"], errors="coerce").between(1, 10)].copy()
    valid["value"] = valid["value"].astype(float)
    rows, moves = [], []
    for stem, name in areas.items():
        row = {"area": name}
        travelled = {}
        for reader in READERS:
            readings = valid[valid["item_id"] == f"{stem}_{reader}"]
            both = _first_and_latest(readings)
            travelled[reader] = both
            row[f"{reader}_families"] = len(both)
            row[f"{reader}_first"] = round(float(both["first"].mean()), 2) if len(both) else None
            row[f"{reader}_latest"] = round(float(both["latest"].mean()), 2) if len(both) else None
            row[f"{reader}_travelled"] = round(float((both["latest"] - both["first"]).mean()), 2) if len(both) else None
        parent = valid[valid["item_id"] == f"{stem}_parent"].sort_values("completed_at", kind="stable")
        practitioner = valid[valid["item_id"] == f"{stem}_practitioner"]
        same_reading = parent.merge(practitioner, on=["response_id", "family_id"], suffixes=("_p", "_k"))
        latest = same_reading.sort_values("completed_at_p", kind="stable").drop_duplicates("family_id", keep="last")
        row["gap_families"] = len(latest)
        row["gap"] = round(float((latest["value_p"] - latest["value_k"]).mean()), 2) if len(latest) else None
        if any(row[f"{reader}_families"] for reader in READERS) or len(latest):
            rows.append(row)
        for reader, label in READERS.items():
            both = travelled[reader]
            if both.empty:
                continue
            up, same, down = (int((both["latest"] > both["first"]).sum()), int((both["latest"] == both["first"]).sum()),
                              int((both["latest"] < both["first"]).sum()))
            moves.append({"area": f"{name} ({label.lower()})", "families": len(both), "up": up,
                          "up_pct": share(up, len(both)), "same": same, "same_pct": share(same, len(both)),
                          "down": down, "down_pct": share(down, len(both))})
    if not rows:
        return not_enough(NAME, TITLE, "two star readings")
    columns = [Column("area", "Area", "label")]
    for reader, label in READERS.items():
        columns += [Column(f"{reader}_families", f"Families ({label.lower()} readings)"),
                    Column(f"{reader}_first", f"{label}: first", "mean", base=f"{reader}_families"),
                    Column(f"{reader}_latest", f"{label}: latest", "mean", base=f"{reader}_families"),
                    Column(f"{reader}_travelled", f"{label}: distance travelled", "mean", base=f"{reader}_families")]
    columns += [Column("gap_families", "Families (gap)"),
                Column("gap", "Mean gap, parent − key worker", "mean", base="gap_families")]
    tables = [Table("Mean readings at the first and latest reading (1–10)", columns, rows,
                    note="Distance travelled = latest − first reading, for families with two readings or more.")]
    if moves:
        move_columns = [Column("area", "Area (reader)", "label"), Column("families", "Families")]
        for key, label in (("up", "Moved up"), ("same", "Stayed"), ("down", "Moved down")):
            move_columns += count_and_share(key, label, "families")
        tables.append(Table("Families who moved up, stayed or moved down", move_columns, moves))
    return Report(NAME, TITLE, tables, Chart("dumbbell", "Key worker's mean reading, first and latest", 0, "area",
                                             {"First": "practitioner_first", "Latest": "practitioner_latest"},
                                             unit="1–10"))
