"""All instrument versions in a questionnaires folder: ``<instrument-id>/v<N>.yaml``."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .definition import Instrument
from .loader import InstrumentError, Problem, load_instrument


@dataclass
class Catalogue:
    """The valid instrument versions of a folder, and the problems of the invalid ones."""

    instruments: dict[tuple[str, int], Instrument] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def get(self, instrument_id: str, version: int) -> Instrument:
        return self.instruments[(instrument_id, version)]

    def latest(self, instrument_id: str) -> Instrument:
        versions = [key[1] for key in self.instruments if key[0] == instrument_id]
        if not versions:
            raise KeyError(instrument_id)
        return self.instruments[(instrument_id, max(versions))]

    def __iter__(self):
        return iter(sorted(self.instruments.values(), key=lambda instrument: instrument.key))


def instrument_files(folder: Path) -> list[Path]:
    """Every instrument file: one level of folders, each holding version files.

    Folders whose names start with ``_`` or ``.``, and ``schedules/``, hold other things.
    """
    files = []
    for sub in sorted(folder.iterdir()):
        if sub.is_dir() and not sub.name.startswith(("_", ".")) and sub.name != "schedules":
            files.extend(sorted(path for path in sub.iterdir() if path.suffix in (".yaml", ".yml")))
    return files


def load_catalogue(folder: Path | str) -> Catalogue:
    folder = Path(folder)
    catalogue = Catalogue()
    if not folder.is_dir():
        catalogue.problems.append(Problem(str(folder), "", "questionnaires folder not found"))
        return catalogue
    for path in instrument_files(folder):
        display = str(path.relative_to(folder.parent)) if folder.parent in path.parents else str(path)
        try:
            instrument = load_instrument(path, display)
        except InstrumentError as error:
            catalogue.problems.extend(error.problems)
            continue
        catalogue.instruments[instrument.key] = instrument
    return catalogue
