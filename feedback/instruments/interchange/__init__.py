"""Instruments in and out of other survey tools' formats: ODK/Kobo XLSForm workbooks and REDCap
data dictionaries. Each import builds a version file's content and lists what it could not carry
over, by place; each export lists what the other format cannot hold. Pure Python: no Flask
(except ``cli``)."""
from .common import ImportRefused, ImportResult, Unsupported, write_version

__all__ = ["ImportRefused", "ImportResult", "Unsupported", "write_version"]
