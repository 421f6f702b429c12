"""risk-change: for each risk factor, families (or members) with a concern at entry and at exit,
the reduction, and how levels of concern were spread at entry and exit.

From the key worker's assessments: family-level factors in ``practitioner-assessment``, each
member's own factors in ``member-assessment``; items ``risk_*`` rated 0 no concern, 1 low,
2 medium, 3 high. "A concern" is any level above no concern. Only those assessed on a factor at
both entry and exit count for it, so the reduction compares like with like; "not known" and
"does not apply" (missing codes) are not ratings.

Each factor is also a yes/no outcome (a concern or none): the shares at entry and exit carry 95%
Wilson intervals, and McNemar's exact test asks whether the share changed among those assessed at
both (issue 21). ``binary_columns`` and ``binary_values`` are shared with ``resilience``.
"""
from __future__ import annotations

import pandas as pd
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..statistics.proportions import mcnemar_table, wilson_interval
from .disclosure import Ratio, Sum
from .model import Chart, Column, Report, Table, count_and_share, not_enough, p_text, share

NAME, TITLE = "risk-change", "Risk factors: entry to exit"
FAMILY_INSTRUMENT, MEMBER_INSTRUMENT = "practitioner-assessment", "member-assessment"
LEVELS = {0: _l("No concern"), 1: _l("Low"), 2: _l("Medium"), 3: _l("High")}  # str() in a report


def atoms_of(who: str, item: str, before: int, after: int, age: str | None = None) -> tuple:
    """The atoms of those ``who`` ("families" or "members") rated ``before`` at entry and ``after``
    at exit on ``item``. Members are split into children and adults, as cost-benefit counts them:
    both reports describe the same families and members with the same atoms, so that auditing them
    as one publication needs only their tables put together (not done yet: see issue 14's note)."""
    if who == "families":
        return ((NAME, who, item, before, after),)
    ages = (age,) if age else ("child", "adult")
    return tuple((NAME, who, item, before, after, each) for each in ages)


def wilson_percent(count: int, n: int) -> tuple[float | None, float | None]:
    """The 95% Wilson interval of ``count`` of ``n`` as percentages to one decimal (None, None with n 0)."""
    interval = wilson_interval(count, n)
    return (None, None) if interval is None else tuple(round(100.0 * end, 1) for end in interval)


def binary_note(who: str) -> str:
    """What the intervals and the test are, for a table note (``who``: "families" or "members")."""
    if who == "families":
        return _("95% CI: the Wilson score interval of the percentage, the range within which the share among all "
                 "families like these plausibly lies. McNemar exact p: the two-sided exact (binomial) test of "
                 "whether the share with a concern changed from entry to exit among the families assessed at both; "
                 "it compares those with a concern only at entry with those with a concern only at exit. With few "
                 "families changing either way the test has little power, and a large p says little. '–': no "
                 "family changed.")
    return _("95% CI: the Wilson score interval of the percentage, the range within which the share among all "
             "members like these plausibly lies. McNemar exact p: the two-sided exact (binomial) test of "
             "whether the share with a concern changed from entry to exit among the members assessed at both; "
             "it compares those with a concern only at entry with those with a concern only at exit. With few "
             "members changing either way the test has little power, and a large p says little. '–': no "
             "member changed.")


def interval_columns(count: str, base: str, when: str) -> list[Column]:
    """The two ends of the 95% Wilson interval of ``count``'s share of ``base`` (``when``: "entry" or "exit").

    Percentages of ``base`` (hidden when it is), but with no ``numerator``: the model would take
    that to mean count ÷ base and give the audit a ratio the interval's ends are not. The report
    declares instead, in ``Table.hidden_with`` (``interval_hiding``), that they hide with their
    count and its percentage."""
    words = ({"low": _("95% CI at entry, lower"), "high": _("95% CI at entry, upper")} if when == "entry"
             else {"low": _("95% CI at exit, lower"), "high": _("95% CI at exit, upper")})
    return [Column(f"{count}_ci_{end}", words[end], "percent", base=base) for end in ("low", "high")]


def interval_hiding(r: int, count: str) -> dict[tuple[int, str], list[tuple]]:
    """Row ``r``'s interval ends hide with the count and the percentage they bracket (and, by their
    column's ``base``, with the base). No ``made_of`` for them: an interval is a function of its
    count and base, both shown whenever it is, so it tells an attacker nothing more and the audit
    (already slow for risk-change read with cost-benefit) need not know it. Were the count hidden,
    the interval would give it back exactly (its ends rise with the count): it never shows alone."""
    return {(r, f"{count}_ci_{end}"): [(r, count), (r, f"{count}_pct")] for end in ("low", "high")}


def p_column(base: str) -> Column:
    """McNemar's exact p for the change, text ("0.031", "<0.001"); hidden with its base (below the
    threshold) and, through ``Table.hidden_with``, whenever a count of its 2 × 2 table is."""
    return Column("change_p", _("Change: McNemar exact p"), "number", base=base)


def _words(who: str) -> dict[str, str]:
    """The tables' words for ``who`` ("families" or "members"), whole, so each language says them its own way."""
    if who == "families":
        return {"title": _("Families with a concern at entry and at exit"), "assessed": _("Families assessed at both"),
                "entry_pct": _("% of families assessed, at entry"), "exit_pct": _("% of families assessed, at exit"),
                "net": _("Net change in families at risk (% of families assessed)"),
                "note": _("Families assessed on the factor at both entry and exit; a concern is any level above no "
                          "concern. 'No longer at risk' counts those with a concern at entry and none at exit, as "
                          "published evaluations do; the net change (exit − entry) ÷ all assessed also counts "
                          "concerns that arose during support."),
                "levels": _("Level of concern at entry and exit (families)"),
                "where": _("Where families at risk at entry were at exit")}
    return {"title": _("Members with a concern at entry and at exit"), "assessed": _("Members assessed at both"),
            "entry_pct": _("% of members assessed, at entry"), "exit_pct": _("% of members assessed, at exit"),
            "net": _("Net change in members at risk (% of members assessed)"),
            "note": _("Members assessed on the factor at both entry and exit; a concern is any level above no "
                      "concern. 'No longer at risk' counts those with a concern at entry and none at exit, as "
                      "published evaluations do; the net change (exit − entry) ÷ all assessed also counts "
                      "concerns that arose during support."),
            "levels": _("Level of concern at entry and exit (members)"),
            "where": _("Where members at risk at entry were at exit")}


def factor_tables(moves: pd.DataFrame, labels: dict[str, str], who: str, first: int = 0) -> list[Table]:
    """Three tables for one kind of factor, from its transition counts (see ``data.transitions``):
    who had a concern at entry and at exit, with both published measures of change, the shares'
    95% intervals and McNemar's test; how levels of concern were spread; and where those at risk at
    entry were at exit. ``first``: where the first of them will be among the report's tables."""
    change_rows, level_rows, path_rows = [], [], []
    change_made_of, level_made_of, path_made_of, hidden_with = {}, {}, {}, {}
    codes = list(LEVELS)
    for item, label in labels.items():
        rated = moves[(moves["item_id"] == item) & moves["before"].isin(codes) & moves["after"].isin(codes)]
        if not rated["n"].sum():
            continue
        before, after, n = rated["before"].astype(int), rated["after"].astype(int), rated["n"]
        # The atoms: those assessed at both, by level of concern at entry and at exit.
        atom = {(b, a): atoms_of(who, item, b, a) for b in codes for a in codes}

        def of(test) -> Sum:
            return Sum.of(cell for (b, a), cells in atom.items() if test(b, a) for cell in cells)

        assessed, at_entry, at_exit = int(n.sum()), int(n[before > 0].sum()), int(n[after > 0].sum())
        gone = int(n[(before > 0) & (after == 0)].sum())
        entry_sum, exit_sum = of(lambda b, a: b > 0), of(lambda b, a: a > 0)
        r = len(change_rows)
        change_made_of.update({
            (r, "assessed"): of(lambda b, a: True), (r, "concern_entry"): entry_sum, (r, "concern_exit"): exit_sum,
            (r, "gone"): of(lambda b, a: b > 0 and a == 0),
            (r, "net"): Ratio(exit_sum - entry_sum, of(lambda b, a: True), 100.0)})
        # A concern (any level) or none, at entry and at exit: the paired 2 × 2 table, every cell a
        # sum of the counts on this row (both = at entry − gone, and so on).
        both = at_entry - gone
        test = mcnemar_table(both, gone, at_exit - both, assessed - at_entry - (at_exit - both))
        entry_low, entry_high = wilson_percent(at_entry, assessed)
        exit_low, exit_high = wilson_percent(at_exit, assessed)
        change_rows.append({"factor": label, "assessed": assessed,
                            "concern_entry": at_entry, "concern_entry_pct": share(at_entry, assessed),
                            "concern_entry_ci_low": entry_low, "concern_entry_ci_high": entry_high,
                            "concern_exit": at_exit, "concern_exit_pct": share(at_exit, assessed),
                            "concern_exit_ci_low": exit_low, "concern_exit_ci_high": exit_high,
                            "gone": gone, "gone_pct": share(gone, at_entry),
                            "net": share(at_exit - at_entry, assessed), "change_p": p_text(test.p_exact)})
        hidden_with.update(interval_hiding(r, "concern_entry"))
        hidden_with.update(interval_hiding(r, "concern_exit"))
        # The p is a function of this row's counts, so it is shown only with all of them (and no
        # made_of: shown, it tells an attacker nothing they do not have). It is hidden, too, with
        # any count of the factor's levels (the next table's row r), sums of the same 4 × 4 atoms,
        # so that no cell hidden there sits beside a test of the counts it is made of.
        hidden_with[(r, "change_p")] = (
            [(r, name) for name in ("assessed", "concern_entry", "concern_entry_pct", "concern_exit",
                                    "concern_exit_pct", "gone", "gone_pct", "net")]
            + [(first + 1, r, f"{when}_{code}") for when in ("entry", "exit") for code in codes])
        row = {"factor": label}
        for code, level in LEVELS.items():
            row[f"entry_{code}"] = int(n[before == code].sum())
            row[f"exit_{code}"] = int(n[after == code].sum())
            level_made_of[(len(level_rows), f"entry_{code}")] = of(lambda b, a, code=code: b == code)
            level_made_of[(len(level_rows), f"exit_{code}")] = of(lambda b, a, code=code: a == code)
        level_rows.append(row)
        for code in codes[1:]:
            if not int(n[before == code].sum()):
                continue
            path = {"path": _("%(factor)s: %(level)s at entry", factor=label, level=str(LEVELS[code]).lower())}
            for later in codes:
                path[f"to_{later}"] = int(n[(before == code) & (after == later)].sum())
                path_made_of[(len(path_rows), f"to_{later}")] = Sum.of(atom[code, later])
            path["total"] = int(n[before == code].sum())
            path_made_of[(len(path_rows), "total")] = of(lambda b, a, code=code: b == code)
            path_rows.append(path)
    if not change_rows:
        return []
    words = _words(who)
    change = Table(words["title"], [
        Column("factor", _("Risk factor"), "label"), Column("assessed", words["assessed"]),
        *count_and_share("concern_entry", _("With a concern at entry"), "assessed", words["entry_pct"]),
        *interval_columns("concern_entry", "assessed", "entry"),
        *count_and_share("concern_exit", _("With a concern at exit"), "assessed", words["exit_pct"]),
        *interval_columns("concern_exit", "assessed", "exit"),
        *count_and_share("gone", _("At risk at entry, no longer at exit"), "concern_entry",
                         _("% of those at risk at entry no longer at risk at exit")),
        Column("net", words["net"], "percent", base="assessed", numerator="concern_exit"),
        p_column("assessed")],
        change_rows, made_of=change_made_of, hidden_with=hidden_with, note=f"{words['note']} {binary_note(who)}")
    columns = [Column("factor", _("Risk factor"), "label")]
    columns += [Column(f"entry_{code}", _("Entry: %(level)s", level=level)) for code, level in LEVELS.items()]
    columns += [Column(f"exit_{code}", _("Exit: %(level)s", level=level)) for code, level in LEVELS.items()]
    levels = Table(words["levels"], columns, level_rows, made_of=level_made_of)
    tables = [change, levels]
    if path_rows:
        tables.append(Table(words["where"], [
            Column("path", _("Risk factor and level at entry"), "label"),
            Column("to_0", _("No longer a concern")),
            *(Column(f"to_{code}", _("Exit: %(level)s", level=LEVELS[code])) for code in codes[1:]),
            Column("total", _("Total"))], path_rows, made_of=path_made_of))
    return tables


def compute(family_moves: pd.DataFrame, family_labels: dict[str, str], member_moves: pd.DataFrame,
            member_labels: dict[str, str]) -> Report:
    tables = factor_tables(family_moves, family_labels, "families")
    unit = "families" if tables else "members"
    tables += factor_tables(member_moves, member_labels, "members", first=len(tables))
    if not tables:
        return not_enough(NAME, TITLE, _("a risk factor assessed at both entry and exit"))
    # The first table is the families' factors when there are any, otherwise the members'.
    return Report(NAME, TITLE, tables, Chart("bars", _words(unit)["title"], 0, "factor",
                                             {_("Entry"): "concern_entry", _("Exit"): "concern_exit"}, unit=unit))
