"""``/staff/languages``: each instrument version's languages, how far each has been checked, and
what a language file still lacks, for researchers and managers deciding what to send or analyse."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from ..instruments.wording import wording_hash
from ..languages import staff_language_label, ui_languages
from ..publishing.startup import current_catalogue
from ..staff.access import LANGUAGE_PAGES, require_roles

bp = Blueprint("translation", __name__, template_folder="templates")

STATUS_LABELS = {"source": _l("Source wording"), "draft": _l("Draft: not checked by a qualified translator"),
                 "reviewed": _l("Reviewed")}


@bp.get("/staff/languages")
@require_roles(*LANGUAGE_PAGES)
def languages():
    catalogue = current_catalogue()
    spoken = ui_languages()
    versions = []
    for instrument in catalogue:
        rows = []
        for language in instrument.languages:
            status = catalogue.translation_status(instrument, language)
            rows.append({"language": staff_language_label(language), "status": STATUS_LABELS[status.status],
                         "reviewed": status, "hash": wording_hash(instrument, language)[:12],
                         "offered": language in spoken, "added": language in instrument.added_wording})
        gaps = [(staff_language_label(language), len(missing))
                for (instrument_id, version, language), missing in sorted(catalogue.language_gaps.items())
                if (instrument_id, version) == instrument.key]
        versions.append({"instrument": instrument, "rows": rows, "gaps": gaps})
    return render_template("translation/languages.html", versions=versions,
                           interface=[staff_language_label(code) for code in spoken])
