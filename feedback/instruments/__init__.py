"""Instruments: the YAML format, its validation, the catalogue and scoring. Pure Python."""
from .catalogue import Catalogue, load_catalogue
from .definition import Instrument, Item, Page, Scale, Text
from .loader import InstrumentError, Problem, content_hash, load_instrument
from .scoring import SCORING_VERSION, ScaleScore, score_instrument, score_scale

__all__ = [
    "Catalogue", "Instrument", "InstrumentError", "Item", "Page", "Problem", "SCORING_VERSION",
    "Scale", "ScaleScore", "Text", "content_hash", "load_catalogue", "load_instrument",
    "score_instrument", "score_scale",
]
