"""Email pages: the unsubscribe link (and its one-click POST) and the admins' record of emails.

``/u/<token>`` is public: the token in an email's link is the only thing that says whose emails
to stop, and it is unguessable (192 random bits, only its hash stored), so an unknown one is the
same 404 as any missing page. Its form is CSRF-protected like every other. One POST is not: the
exact RFC 8058 body ``List-Unsubscribe=One-Click``, which mail programs (Gmail's and Outlook's
"Unsubscribe" button) send from their own servers, with no cookie and so no CSRF token to carry.
A forged cross-site request could do no more than the link's own holder may: it still needs the
token, and unsubscribing is what the link is for. Both are rate-limited per address, so the link
cannot be used to probe for tokens in bulk.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, g, render_template, request
from flask_babel import get_locale
from sqlalchemy.orm.exc import StaleDataError

from ..audit.service import record
from ..extensions import csrf, db, limiter
from ..staff.access import ADMIN_ONLY, require_roles
from ..timeutil import utcnow
from .models import EmailMessage
from .unsubscribe import find_email, unsubscribe

bp = Blueprint("mail", __name__, template_folder="templates")

#: Per client address, the page and the POST counted together.
per_address = limiter.shared_limit("30 per minute", scope="unsubscribe")
ONE_CLICK = {"List-Unsubscribe": ["One-Click"]}


def _email_or_404(token: str) -> EmailMessage:
    email = find_email(token)
    if email is None:
        abort(404)
    member = email.invitation.member if email.invitation is not None else None
    if member is not None and member.language:
        g.locale = member.language  # the language the email was written in
    return email


def _family_page(template: str, **context):
    """A family-facing page: the ``mail`` blueprint is not among those that get the contact line
    automatically, so it is given here."""
    settings = current_app.config["FEEDBACK_SETTINGS"]
    return render_template(template, contact=settings.contact.in_language(str(get_locale())), **context)


@bp.get("/u/<token>")
@per_address
def unsubscribe_page(token: str):
    _email_or_404(token)
    return _family_page("mail/unsubscribe.html", token=token)


@bp.post("/u/<token>")
@csrf.exempt  # checked below, unless the body is exactly RFC 8058's one-click form
@per_address
def unsubscribe_post(token: str):
    _email_or_404(token)
    one_click = not request.files and request.form.to_dict(flat=False) == ONE_CLICK
    if not one_click:
        csrf.protect()  # raises CSRFError (the "page had expired" 400) without a valid token
    for attempt in (1, 2):
        try:
            unsubscribe(token, utcnow())
            db.session.commit()
            break
        except StaleDataError:
            # A mail program may post twice at once: the other request changed the member first
            # (members carry a version). Once more finds the work done, and changes nothing.
            db.session.rollback()
            if attempt == 2:
                raise
    if one_click:
        return Response("Unsubscribed.\n", mimetype="text/plain")
    return _family_page("mail/unsubscribed.html")


@bp.get("/staff/emails")
@require_roles(*ADMIN_ONLY)
def emails():
    """Every email the app sent, newest first: addresses are personal data, so viewing is audited."""
    page = db.paginate(sa.select(EmailMessage).order_by(EmailMessage.created_at.desc(), EmailMessage.id.desc()),
                       per_page=50, max_per_page=50, error_out=False)
    record("emails.viewed", None, None, page=page.page)
    db.session.commit()
    return render_template("mail/emails.html", page=page)


@bp.get("/staff/emails/<int:message_id>")
@require_roles(*ADMIN_ONLY)
def email(message_id: int):
    """One email in full. Its HTML part is shown as escaped source, never drawn into this page:
    it holds whatever went into the email, and an admin's page must not run any of it."""
    message = db.session.get(EmailMessage, message_id)
    if message is None:
        abort(404)
    invitation = message.invitation
    site_id = invitation.family.site_id if invitation is not None and invitation.family is not None else None
    record("emails.viewed", message, site_id)
    db.session.commit()
    return render_template("mail/email.html", message=message, invitation=invitation)
