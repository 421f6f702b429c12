"""``POST /staff/language``: the language a member of staff reads staff pages in, kept in their
session. Signed in or not (the sign-in page offers it too); a code staff pages are not written in
is refused, and the page they came from is shown again."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, redirect, request, session, url_for

from ..languages import STAFF_LANGUAGE, staff_page_languages
from .blueprint import bp


@bp.post("/language")
def choose_language():
    chosen = request.form.get("language")
    if chosen not in staff_page_languages():
        abort(400)
    session[STAFF_LANGUAGE] = chosen
    back = request.form.get("next", "")
    # Only a staff page of this site: never an address elsewhere.
    parts = urlsplit(back)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff"):
        back = url_for("staff.home")
    return redirect(back)
