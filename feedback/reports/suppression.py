"""Secondary suppression driven by the disclosure audit: which figures of a report to hide.

Counts below the threshold are hidden first. Then, component by component (figures sharing
atoms, across every table of the page), while the audit finds a hidden count an attacker could
work out or narrow too far, one more group of figures is hidden: the first, in order of least
information lost (shares of differences and means first, then small counts before large, cells
before totals, sums of money last), that protects it, or else the one that widens it most. A
group is every figure of one shape (a figure and its restatements), so nothing is hidden in one
place and shown in another; a percentage or mean is hidden with what it divides or is based on.
When nothing is left to hide and the marks themselves still give a count away, the component's
counts are all marked alike (withheld). Figures a table declares derived (``Table.derived``) are
hidden whenever anything they follow from is, and otherwise shown; they take no part in the audit.
Pure: no Flask.
"""
from __future__ import annotations

import logging

from .disclosure import Figure, InconsistentFigures, Mean, ProtectionRule, Ratio, Sum, audit, components
from .figures import Cell

log = logging.getLogger(__name__)


def hidden_figures(cells: dict[tuple, Cell], rule: ProtectionRule) -> set[tuple] | None:
    """The keys of every figure to hide, or None when the report cannot be protected at all."""
    figures = {key: cell.figure for key, cell in cells.items() if cell.figure.expression is not None}
    for cell in cells.values():
        f = cell.figure
        f.small = f.count and f.value is not None and rule.is_small(f.value)
    # Groups hidden together: sums of one shape (a figure and its restatements), and on their own
    # the shares of differences (a net change), which may give away what neither count does.
    shape_of: dict[tuple, tuple] = {}
    groups: dict[tuple, list[tuple]] = {}
    for key, f in figures.items():
        if isinstance(f.expression, Sum):
            shape_of[key] = f.expression.shape()
            groups.setdefault(shape_of[key], []).append(key)
    ratios = {key: (f.expression.numerator.shape(), f.expression.denominator.shape())
              for key, f in figures.items() if isinstance(f.expression, Ratio)}
    for key, (numerator, denominator) in ratios.items():
        if numerator not in groups or denominator not in groups:
            groups[("figure", key)] = [key]
    for key, f in figures.items():
        if isinstance(f.expression, Mean):
            groups[("figure", key)] = [key]
    follows = {key: cell.follows for key, cell in cells.items() if cell.follows}
    # Derived figures (totals of shown rows, and the like) are shown only with everything they
    # follow from, and then say nothing more: the audit leaves them out.
    component_of = components(f for key, f in figures.items() if not cells[key].derived)
    members: dict[int, dict[tuple, Figure]] = {}
    for key, number in component_of.items():
        members.setdefault(number, {})[key] = figures[key]

    def hidden_keys(hidden_groups: set) -> set[tuple]:
        """What hiding these groups hides: their figures, the shares and means that follow them,
        and everywhere a figure hidden that way is restated."""
        keys: set[tuple] = set()
        while True:
            for group in hidden_groups:
                keys.update(groups[group])
            more = set()
            for key, (numerator, denominator) in ratios.items():
                if key not in keys and (numerator in hidden_groups or denominator in hidden_groups):
                    more.add(key)
            for key, depends in follows.items():
                if key not in keys and any(k in keys for k in depends):
                    more.add(key)
            if not more:
                return keys
            keys |= more
            hidden_groups = hidden_groups | {shape_of[k] for k in more if k in shape_of}

    def cost(group: tuple) -> tuple:
        if group and group[0] == "figure":
            return (-1, 0, 0, 0)
        counts = [figures[k].value for k in groups[group] if figures[k].count]
        if counts:
            return (0, len(group) > 1, min(counts), len(group))
        return (1, 0, min(abs(figures[k].value or 0) for k in groups[group]), len(group))

    hidden_groups = {shape_of[key] for key, f in figures.items() if f.small}
    try:
        for component in sorted(members):
            figures_here = members[component]
            if not any(f.small for f in figures_here.values()):
                continue
            left, before = None, set()
            while True:
                keys = hidden_keys(hidden_groups)
                # Hiding more only widens intervals: what passed once passes still, so only the
                # counts still failing, and those just hidden, are audited again.
                only = None if left is None else left + [k for k in keys - before if k in figures_here]
                left, before = audit(figures_here, keys, rule, only=only, linked=True).failing, keys
                if not left:
                    break
                target = left[0]
                candidates = sorted(
                    (group for group, group_keys in groups.items() if group not in hidden_groups
                     and any(k in figures_here for k in group_keys)
                     and all(not figures[k].count or (figures[k].value or 0) > 0 for k in group_keys)), key=cost)
                if not candidates:
                    # The marks themselves give the count away ("<10" beside "[c]"s of 10 or more
                    # adding to a shown total): mark every count here alike, saying nothing more.
                    for key, f in figures_here.items():
                        if f.count and (f.value or 0) > 0:
                            f.withheld = True
                            hidden_groups.add(shape_of[key])
                    break
                chosen, widest = None, None
                for group in candidates[:24]:
                    trial = hidden_keys(hidden_groups | {group})
                    width = audit(figures_here, trial, rule, only=[target], linked=True).intervals[target].width
                    if width >= rule.required_width(figures[target]):
                        chosen = group
                        break
                    if widest is None or width > widest[0]:
                        widest = (width, group)
                hidden_groups.add(chosen or (widest[1] if widest and widest[0] > 0 else candidates[0]))
    except InconsistentFigures:
        log.exception("report figures contradict each other; withholding the report")
        return None
    return hidden_keys(hidden_groups)


