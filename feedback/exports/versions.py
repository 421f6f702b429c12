"""Which columns an instrument's items get when responses come from several versions of it.

Columns are named by stable item ids. An item keeps one column across versions only while its
type and its codes stay the same, because a column must mean one thing: if version 2 re-coded
"better / same / worse", pooling it with version 1 would silently mix two scales. Otherwise the
export refuses, naming the items and versions, or (as the profile may say) keeps them apart in a
column per version. Nothing is dropped: an item present in any version gets a column.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..instruments.catalogue import Catalogue
from ..instruments.definition import Item


class VersionMismatch(ValueError):
    """Items whose type or codes differ between versions, and the profile says to refuse."""


@dataclass(frozen=True)
class Column:
    name: str
    item: Item
    #: The instrument versions whose answers go in this column.
    versions: frozenset[int]


def signature(item: Item) -> tuple:
    return item.type, tuple(sorted((str(choice.code) for choice in item.all_choices)))


def item_columns(catalogue: Catalogue, instrument_id: str, on_mismatch: str = "refuse",
                 only: tuple[str, ...] | None = None) -> list[Column]:
    """The item columns, in the latest version's order then older items; raises ``VersionMismatch``."""
    versions = sorted((v for (i, v) in catalogue.instruments if i == instrument_id), reverse=True)
    by_item: dict[str, dict[int, Item]] = {}
    for version in versions:
        for item in catalogue.get(instrument_id, version).items:
            by_item.setdefault(item.id, {})[version] = item
    columns, clashes = [], []
    for item_id, per_version in by_item.items():
        if only is not None and item_id not in only:
            continue
        groups: dict[tuple, list[int]] = {}
        for version, item in per_version.items():
            groups.setdefault(signature(item), []).append(version)
        if len(groups) == 1:
            latest = per_version[max(per_version)]
            columns.append(Column(item_id, latest, frozenset(per_version)))
            continue
        clashes.append(f"'{item_id}' ({'; '.join(f'v{min(vs)}' + ('' if len(vs) == 1 else f'–v{max(vs)}') + f': {sig[0]}, codes {list(sig[1])}' for sig, vs in groups.items())})")
        for sig, group_versions in sorted(groups.items(), key=lambda entry: max(entry[1]), reverse=True):
            newest = max(group_versions)
            columns.append(Column(f"{item_id}_v{newest}", per_version[newest], frozenset(group_versions)))
    if clashes and on_mismatch == "refuse":
        raise VersionMismatch(f"{instrument_id}: these items changed type or codes between versions, so their "
                              f"answers cannot share a column: {', '.join(clashes)}. Select one version's "
                              "items, or set versions: {on_mismatch: keep_apart} in the profile.")
    return columns
