"""star: for each parenting area of the star chart, the mean parent's and key worker's readings at
the family's first and latest reading, the distance travelled, the share of families who moved up,
stayed or moved down, and the mean gap between the parent's and the key worker's reading.

From ``family-star``: items ``<area>_parent`` and ``<area>_practitioner`` on 1–10. Both readings
are kept side by side (parents often rate themselves higher). A family's first and latest
readings are its first and latest star chart; families with two or more count for change in each
area answered on the 1–10 scale at both; the gap is taken at each family's latest reading.
"""
from __future__ import annotations

import pandas as pd
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .disclosure import Mean, Sum
from .model import Chart, Column, Report, Table, count_and_share, not_enough, share

NAME, TITLE = "star", "Parenting star: distance travelled"
INSTRUMENT = "family-star"
READERS = {"parent": _l("Parent"), "practitioner": _l("Key worker")}  # str() in a report
LOW, HIGH = 1, 10   # the star's scale


def summarise(answers: pd.DataFrame, stems, low: float = LOW, high: float = HIGH) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(moves, gaps) from the star's answers one by one (response_id, family_id, completed_at,
    item_id, value), as ``data.star_summary`` sums them in the database."""
    items = [f"{stem}_{reader}" for stem in stems for reader in READERS]
    answers = answers[answers["item_id"].isin(items)].dropna(subset=["family_id"])
    readings = answers.drop_duplicates("response_id").sort_values(["completed_at", "response_id"], kind="stable")
    first = readings.drop_duplicates("family_id", keep="first").set_index("family_id")["response_id"]
    last = readings.drop_duplicates("family_id", keep="last").set_index("family_id")["response_id"]
    count = readings.groupby("family_id").size()
    values = answers.assign(value=pd.to_numeric(answers["value"], errors="coerce"))
    values = values[values["value"].between(low, high)]
    at_first = values[values["response_id"].isin(first)].set_index(["family_id", "item_id"])["value"]
    at_last = values[values["response_id"].isin(last)].set_index(["family_id", "item_id"])["value"]
    joined = pd.concat({"first": at_first, "latest": at_last}, axis=1).reset_index()
    several = joined[joined["family_id"].map(count) >= 2].dropna(subset=["first", "latest"])
    moves = (several.groupby("item_id")
             .apply(lambda g: pd.Series({"families": len(g), "first_sum": g["first"].sum(),
                                         "latest_sum": g["latest"].sum(), "up": int((g["latest"] > g["first"]).sum()),
                                         "same": int((g["latest"] == g["first"]).sum()),
                                         "down": int((g["latest"] < g["first"]).sum())}), include_groups=False)
             .reset_index() if len(several) else pd.DataFrame(
                 columns=["item_id", "families", "first_sum", "latest_sum", "up", "same", "down"]))
    latest = at_last.unstack("item_id") if len(at_last) else pd.DataFrame()
    gap_rows = []
    for stem in stems:
        parent, practitioner = f"{stem}_parent", f"{stem}_practitioner"
        gap = (latest[parent] - latest[practitioner]).dropna() if {parent, practitioner} <= set(latest.columns) \
            else pd.Series(dtype=float)
        gap_rows.append({"stem": stem, "families": len(gap), "gap_sum": float(gap.sum())})
    return moves, pd.DataFrame(gap_rows, columns=["stem", "families", "gap_sum"])


def compute(moves: pd.DataFrame, gaps: pd.DataFrame, areas: dict[str, str]) -> Report:
    """``moves`` and ``gaps`` as ``data.star_summary`` gives them; ``areas``: area stem (e.g.
    ``health``) → its name."""
    by_item = {row.item_id: row for row in moves.itertuples(index=False)}
    by_stem = {row.stem: row for row in gaps.itertuples(index=False)}
    rows, move_rows = [], []
    # The atoms: families per area and reader who moved up, stayed or moved down. A row's families
    # in the readings table are the same families as its row in the moves table.
    made_of, move_made_of, hidden_with = {}, {}, {}
    for stem, name in areas.items():
        row = {"area": name}
        for reader, label in READERS.items():
            label = str(label)
            found = by_item.get(f"{stem}_{reader}")
            n = int(found.families) if found is not None else 0
            row[f"{reader}_families"] = n
            row[f"{reader}_first"] = round(found.first_sum / n, 2) if n else None
            row[f"{reader}_latest"] = round(found.latest_sum / n, 2) if n else None
            row[f"{reader}_travelled"] = round((found.latest_sum - found.first_sum) / n, 2) if n else None
            if n:
                atoms = {move: (NAME, stem, reader, move) for move in ("up", "same", "down")}
                made_of[(len(rows), f"{reader}_families")] = Sum.of(atoms.values())
                # Readings are whole numbers 1–10: a family that moved up travelled 1 to 9.
                # Readings are whole numbers LOW–HIGH: a family that moved up travelled 1 to 9, started
                # at most at 9 and ended at least at 2; one that moved down the other way round. So
                # each mean bounds how many moved which way. Latest − first is the distance
                # travelled: hidden, it takes the latest with it.
                up, same, down = atoms["up"], atoms["same"], atoms["down"]
                made_of[(len(rows), f"{reader}_travelled")] = Mean(
                    ((up, 1.0, HIGH - LOW), (same, 0.0, 0.0), (down, LOW - HIGH, -1.0)))
                made_of[(len(rows), f"{reader}_first")] = Mean(
                    ((up, LOW, HIGH - 1), (same, LOW, HIGH), (down, LOW + 1, HIGH)))
                made_of[(len(rows), f"{reader}_latest")] = Mean(
                    ((up, LOW + 1, HIGH), (same, LOW, HIGH), (down, LOW, HIGH - 1)))
                hidden_with[(len(rows), f"{reader}_latest")] = [(len(rows), f"{reader}_travelled")]
                move_made_of[(len(move_rows), "families")] = Sum.of(atoms.values())
                move_made_of.update({(len(move_rows), move): Sum.of([atom]) for move, atom in atoms.items()})
                up, same, down = int(found.up), int(found.same), int(found.down)
                move_rows.append({"area": _("%(area)s (%(reader)s)", area=name, reader=label.lower()), "families": n, "up": up, "up_pct": share(up, n),
                                  "same": same, "same_pct": share(same, n), "down": down,
                                  "down_pct": share(down, n)})
        gap = by_stem.get(stem)
        row["gap_families"] = int(gap.families) if gap is not None else 0
        row["gap"] = round(gap.gap_sum / gap.families, 2) if gap is not None and gap.families else None
        if any(row[f"{reader}_families"] for reader in READERS) or row["gap_families"]:
            rows.append(row)
    if not rows:
        return not_enough(NAME, TITLE, _("two star readings"))
    columns = [Column("area", _("Area"), "label")]
    for reader, label in READERS.items():
        label = str(label)
        columns += [Column(f"{reader}_families", _("Families (%(reader)s readings)", reader=label.lower())),
                    Column(f"{reader}_first", _("%(reader)s: first", reader=label), "mean", base=f"{reader}_families"),
                    Column(f"{reader}_latest", _("%(reader)s: latest", reader=label), "mean",
                           base=f"{reader}_families"),
                    Column(f"{reader}_travelled", _("%(reader)s: distance travelled", reader=label), "mean",
                           base=f"{reader}_families")]
    columns += [Column("gap_families", _("Families (gap)")),
                Column("gap", _("Mean gap, parent − key worker"), "mean", base="gap_families")]
    tables = [Table(_("Mean readings at the first and latest reading (1–10)"), columns, rows, made_of=made_of,
                    hidden_with=hidden_with,
                    note=_("Distance travelled = latest − first reading, for families with two readings or more."))]
    if move_rows:
        move_columns = [Column("area", _("Area (reader)"), "label"), Column("families", _("Families"))]
        for key, label in (("up", _("Moved up")), ("same", _("Stayed")), ("down", _("Moved down"))):
            move_columns += count_and_share(key, label, "families")
        tables.append(Table(_("Families who moved up, stayed or moved down"), move_columns, move_rows,
                            made_of=move_made_of))
    return Report(NAME, TITLE, tables, Chart("dumbbell", _("Key worker's mean reading, first and latest"), 0, "area",
                                             {_("First"): "practitioner_first", _("Latest"): "practitioner_latest"},
                                             unit="1–10"))
