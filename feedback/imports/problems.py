"""One thing wrong with an imported file, as every import (responses, families, partner contacts)
reports it: by row and column, with what to do."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from .reading import HEADING_ROW


@dataclass(frozen=True)
class Problem:
    #: The spreadsheet's row number (1 is the headings); None for the file as a whole.
    row: int | None
    #: The column's heading; None for the whole row.
    column: str | None
    message: str
    #: What sort of problem it is ("blank", "not_a_choice", …: ``summary.KIND_TEXT``), so a summary
    #: can count alike problems together; None when only the message says.
    kind: str | None = None

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        where = _("Row 1 (headings)") if self.row == HEADING_ROW else _("Row %(row)s", row=self.row)
        if self.column:
            return _("%(where)s, %(column)s: %(message)s", where=where, column=self.column, message=self.message)
        return _("%(where)s: %(message)s", where=where, message=self.message)
