"""The survey emails: an invitation or a reminder, in the recipient's language.

Like the texts (``waves/messages.py``) the words are neutral: they name the organisation asking,
never a family, a member or anything about the support. Each email carries two parts, plain text
and HTML, with the same words, the survey link, the time it takes, and a visible way to stop
emails; the ``List-Unsubscribe`` headers give mail programs a one-click button for the same link
(RFC 2369 and RFC 8058).

The HTML is small on purpose: inline styles only (mail programs drop style sheets), no images and
nothing fetched from elsewhere (a remote image tells its server when the email was opened), a real
link with its address also written out, and dark text on white. Pure: nothing here reads the
database; the words need an app context for Flask-Babel, as the texts do.
"""
from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from markupsafe import Markup, escape
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext

from ..languages import text_direction

KINDS = ("invitation", "reminder")
TEMPLATE = "mail/survey_email.html"
#: Bodies in 7-bit transfer encodings (quoted-printable for Welsh letters): the email then goes
#: unchanged through any server, whether or not it offers 8BITMIME.
SEVEN_BIT = policy.default.clone(cte_type="7bit")


def invitation_email(*, to: str, language: str, kind: str, link: str, minutes: int, organisation: str,
                     sender: str, reply_to: str, unsubscribe_url: str, domain: str) -> EmailMessage:
    """The email inviting ``to`` to answer (``kind`` "invitation") or reminding them ("reminder").

    ``organisation`` is the name in ``language``; ``domain`` is the right-hand side of the
    Message-ID (the app's own domain); an empty ``reply_to`` leaves replies to go to ``sender``.
    Refuses (ValueError) a kind other than those two, so a typo cannot send a wrongly worded email.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown email kind {kind!r}: use one of {', '.join(KINDS)}")
    words = _words(language, kind, minutes, organisation)

    message = EmailMessage(policy=SEVEN_BIT)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = words["subject"]
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=domain)
    if reply_to:
        message["Reply-To"] = reply_to
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Out-of-office replies and other robots should not answer an automatic email (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_plain_text(words, link, unsubscribe_url))
    html = current_app.jinja_env.get_template(TEMPLATE).render(
        words=words, link=link, unsubscribe_url=unsubscribe_url, language=language,
        direction=text_direction(language), minutes=minutes, organisation=organisation)
    message.add_alternative(html, subtype="html")
    return message


def _words(language: str, kind: str, minutes: int, organisation: str) -> dict[str, str]:
    """Every phrase of the email, translated once for both parts."""
    with force_locale(language):
        if kind == "invitation":
            subject = _("We would like to hear your views")
            opening = _("%(organisation)s would like to hear your views.", organisation=_MARK)
        else:
            subject = _("A reminder: we would like to hear your views")
            opening = _("A reminder: %(organisation)s would like to hear your views. Your answers would help.",
                        organisation=_MARK)
        # The survey's welcome page says the same, with the same translation.
        minutes_sentence = ngettext("It takes about %(num)s minute.", "It takes about %(num)s minutes.", minutes)
        return {
            "subject": subject,
            "greeting": _("Hello,"),
            "opening": opening.replace(_MARK, organisation),
            "opening_html": _isolated(opening, organisation),
            "minutes": minutes_sentence,
            # The number is the sentence's only digits: its first appearance is where it went.
            "minutes_html": _isolated(minutes_sentence.replace(str(minutes), _MARK, 1), str(minutes)),
            "choice": _("Answering is up to you."),
            "answer_here": _("Answer the questions here:"),
            "answer_link": _("Answer the questions"),
            "copy_link": _("If the link does not work, copy this address into your web browser:"),
            "stop_question": _("Do not want these emails?"),
            "stop_here": _("Stop these emails here:"),
            "stop_link": _("Stop these emails"),
            "sign_off": organisation,
        }


#: Where a name or number goes in a translated sentence, so the HTML part can isolate it.
_MARK = "\uE000"


def _isolated(sentence: str, value: str) -> Markup:
    """``sentence`` escaped, with ``value`` in a ``<bdi>`` where the mark was: an English
    organisation name or a number inside an Urdu or Arabic sentence then keeps its own direction
    and does not reorder the words around it (Unicode bidirectional algorithm)."""
    return Markup(escape(sentence).replace(_MARK, Markup("<bdi>%s</bdi>") % value))


def _plain_text(words: dict[str, str], link: str, unsubscribe_url: str) -> str:
    return "\n".join([
        words["greeting"], "",
        f"{words['opening']} {words['minutes']} {words['choice']}", "",
        words["answer_here"], link, "",
        words["sign_off"], "",
        "-- ",  # the usual signature separator: mail programs grey out what follows
        words["stop_question"], words["stop_here"], unsubscribe_url, "",
    ])
