"""All instrument versions in a questionnaires folder: ``<instrument-id>/v<N>.yaml``."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .definition import Instrument
from .language_files import extend_version, language_file_paths, load_language_file
from .loader import InstrumentError, Problem, load_instrument
from .translations import SIDECAR, TranslationStatus, default_status, load_translation_statuses
from .reliability import SIDECAR as RELIABILITY_SIDECAR, load_reliabilities


@dataclass
class Catalogue:
    """The valid instrument versions of a folder, and the problems of the invalid ones."""

    instruments: dict[tuple[str, int], Instrument] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: (instrument id, version, language) → its translation status, from ``<id>/translations.yaml``.
    translations: dict[tuple[str, int, str], TranslationStatus] = field(default_factory=dict)
    #: (instrument id, version, language) → the texts a language file lacks for that version
    #: (text → where it is used), so the version does not offer it: ``flask instruments check``.
    language_gaps: dict[tuple[str, int, str], dict[str, str]] = field(default_factory=dict)

    def get(self, instrument_id: str, version: int) -> Instrument:
        return self.instruments[(instrument_id, version)]

    def latest(self, instrument_id: str) -> Instrument:
        versions = [key[1] for key in self.instruments if key[0] == instrument_id]
        if not versions:
            raise KeyError(instrument_id)
        return self.instruments[(instrument_id, max(versions))]

    def translation_status(self, instrument: Instrument, language: str) -> TranslationStatus:
        """The status of one language of a version; the default for a version not in this folder."""
        found = self.translations.get((instrument.id, instrument.version, language))
        return found or default_status(instrument, language)

    def by_content_hash(self, content_hash: str) -> Instrument | None:
        """The version whose file has this content hash (with its added languages), if loaded."""
        # A dozen versions: a scan costs less than keeping an index in step with ``instruments``.
        return next((instrument for instrument in self.instruments.values()
                     if instrument.content_hash == content_hash), None)

    def __iter__(self):
        return iter(sorted(self.instruments.values(), key=lambda instrument: instrument.key))


def instrument_files(folder: Path) -> list[Path]:
    """Every instrument file: one level of folders, each holding version files.

    ``translations.yaml`` beside them is the versions' translation statuses, not a version, and
    ``languages/`` holds languages added to them (``language_files``).
    Folders whose names start with ``_`` or ``.``, and ``schedules/``, hold other things.
    """
    files = []
    for sub in sorted(folder.iterdir()):
        if sub.is_dir() and not sub.name.startswith(("_", ".")) and sub.name != "schedules":
            files.extend(sorted(path for path in sub.iterdir()
                                if path.suffix in (".yaml", ".yml")
                                and path.name not in (SIDECAR, RELIABILITY_SIDECAR)))
    return files


def load_catalogue(folder: Path | str) -> Catalogue:
    folder = Path(folder)
    catalogue = Catalogue()
    if not folder.is_dir():
        catalogue.problems.append(Problem(str(folder), "", "questionnaires folder not found"))
        return catalogue
    files = instrument_files(folder)
    for path in files:
        display = str(path.relative_to(folder.parent)) if folder.parent in path.parents else str(path)
        try:
            instrument = load_instrument(path, display)
        except InstrumentError as error:
            catalogue.problems.extend(error.problems)
            continue
        catalogue.instruments[instrument.key] = instrument
    for sub in sorted({path.parent for path in files}):
        _add_languages(catalogue, folder, sub)
        versions = [instrument for instrument in catalogue.instruments.values() if instrument.id == sub.name]
        sidecar = sub / SIDECAR
        display = str(sidecar.relative_to(folder.parent)) if folder.parent in sidecar.parents else str(sidecar)
        statuses, problems = load_translation_statuses(sidecar, display, versions)
        catalogue.translations.update(statuses)
        catalogue.problems.extend(problems)
        # Each scale's reliability and direction (``<id>/reliability.yaml``): problems only here;
        # the scale-change report reads the file itself (``reliability.reliabilities_for``).
        scale_ids = {sub.name: {scale.id for instrument in versions for scale in instrument.scales}}
        _, problems = load_reliabilities(sub, _display(folder, sub / RELIABILITY_SIDECAR), scale_ids)
        catalogue.problems.extend(problems)
    return catalogue


def _display(folder: Path, path: Path) -> str:
    return str(path.relative_to(folder.parent)) if folder.parent in path.parents else str(path)


def _add_languages(catalogue: Catalogue, folder: Path, sub: Path) -> None:
    """Add each ``<id>/languages/<code>.yaml`` to the versions whose every text it translates."""
    files = []
    for path in language_file_paths(sub):
        file, problems = load_language_file(path, _display(folder, path))
        catalogue.problems.extend(problems)
        if file is not None:
            files.append(file)
    if not files:
        return
    for key, instrument in list(catalogue.instruments.items()):
        if instrument.id != sub.name:
            continue
        try:
            extended, gaps = extend_version(instrument, files)
        except InstrumentError as error:
            catalogue.problems.extend(error.problems)
            continue
        catalogue.instruments[key] = extended
        for language, missing in gaps.items():
            catalogue.language_gaps[(instrument.id, instrument.version, language)] = missing
