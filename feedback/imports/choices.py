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
    """Every instrument version in the catalogue that families, key workers or partner agencies' staff answer."""
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
        raise ImportChoiceError(f"{instrument_id} is answered by no one the app keeps answers for, so it cannot be "
                                "imported.")
    return instrument


def known_waves() -> list[str]:
    return sorted(wave_names(current_schedules()))


def wave_titles() -> dict[str, str]:
    """Every wave's name and its title in the schedules (the first schedule naming it)."""
    titles: dict[str, str] = {}
    for schedule in current_schedules().values():
        for wave in schedule.waves:
            titles.setdefault(wave.name, wave.title)
    return dict(sorted(titles.items()))


def waves_for(instrument: Instrument) -> list[str]:
    """The waves an instrument's responses may be imported as: the partner survey's at the waves
    that ask partner agencies' contacts (``annual``), a family instrument's at the waves that ask
    families or key workers. A family wave on a partner survey (or the reverse) would put its
    responses where no report or dataset looks for them."""
    partner = answered_for(instrument) == "partner"
    return sorted({wave.name for schedule in current_schedules().values() for wave in schedule.waves
                   if any((send.to == "partner_contacts") == partner for send in wave.sends)})


def scheduled_waves(instrument: Instrument) -> list[str]:
    """The waves whose sends ask this instrument, in the schedules' order (the exit interview: ``exit``)."""
    found: list[str] = []
    for schedule in current_schedules().values():
        for wave in schedule.waves:
            if wave.name not in found and any(send.instrument == instrument.id for send in wave.sends):
                found.append(wave.name)
    return found


def default_wave(instrument: Instrument | None) -> str:
    """The wave the page chooses for an instrument: the one wave that asks it, if exactly one does;
    otherwise none ("" – staff must choose), as a guess would file forms under the wrong wave."""
    if instrument is None:
        return ""
    waves = [wave for wave in scheduled_waves(instrument) if wave in waves_for(instrument)]
    return waves[0] if len(waves) == 1 else ""


def check_wave(wave: str, instrument: Instrument | None = None) -> None:
    """Refuse a wave no schedule names: datasets group responses by wave, so a typo would split them;
    and, given the instrument, a wave that asks other people than those who answer it."""
    if wave not in known_waves():
        raise ImportChoiceError(f"There is no wave {wave!r} in the schedules. Waves: {', '.join(known_waves())}.")
    fitting = waves_for(instrument) if instrument is not None else None
    if fitting is not None and wave not in fitting:
        who = "partner agencies' staff" if answered_for(instrument) == "partner" else "families and key workers"
        raise ImportChoiceError(f"{instrument.id} is answered by {who}; wave {wave!r} asks others. Choose one of: "
                                f"{', '.join(fitting)}.")
