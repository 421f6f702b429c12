"""The instrument versions and waves a file may be imported as, for the page and the command."""
from __future__ import annotations

from ..exports.profile import wave_names
from ..instruments import Instrument
from ..publishing.startup import current_catalogue
from ..waves.service import current_schedules
from .validation import answered_for


class ImportChoiceError(ValueError):
    """The instrument, version or wave named does not exist; the message lists what does."""


def importable_instruments() -> list[Instrument]:
    """Every instrument version in the catalogue that families or key workers answer."""
    return [instrument for instrument in current_catalogue() if answered_for(instrument) is not None]


def chosen_instrument(instrument_id: str, version: int) -> Instrument:
    catalogue = current_catalogue()
    instrument = catalogue.instruments.get((instrument_id, version))
    if instrument is None:
        versions = sorted(v for (i, v) in catalogue.instruments if i == instrument_id)
        if versions:
            raise ImportChoiceError(f"{instrument_id} has no version {version}; its versions are "
                                    f"{', '.join(map(str, versions))}.")
        raise ImportChoiceError(f"There is no instrument {instrument_id}. Instruments: "
                                f"{', '.join(sorted({i for i, _v in catalogue.instruments}))}.")
    if answered_for(instrument) is None:
        raise ImportChoiceError(f"{instrument_id} is answered by partner agencies' staff, not for a family, "
                                "so it cannot be imported.")
    return instrument


def known_waves() -> list[str]:
    return sorted(wave_names(current_schedules()))


def check_wave(wave: str) -> None:
    """Refuse a wave no schedule names: datasets group responses by wave, so a typo would split them."""
    if wave not in known_waves():
        raise ImportChoiceError(f"There is no wave {wave!r} in the schedules. Waves: {', '.join(known_waves())}.")
