"""The words of a link's page, looked up in one catalogue found once per page.

Flask-Babel's template ``_()``/``gettext``/``ngettext`` find the catalogue again for every string
(the context, the locale, the locale's name, the cache): about five times on a question's page,
the largest part of each lookup (issue 24). A link's page is drawn in one language, chosen before
drawing starts, so its templates get the catalogue once, when the page is drawn
(``page_translations``), and these two functions look their strings up in it. They behave as
Jinja's i18n extension's (``newstyle``): the translation is markup-escaped and always formatted
with its ``%(name)s`` values. Nothing is kept beyond the page: the next page, in whatever language,
finds its own catalogue.

Macros imported without the page's context (``{% from … import … %}``) still use Flask-Babel's.
"""
from __future__ import annotations

from flask_babel import get_translations
from jinja2 import pass_context
from markupsafe import Markup

#: The context variable holding the page's catalogue.
CATALOGUE = "page_translations"


@pass_context
def gettext(context, string: str, /, **variables) -> str:
    # Positional-only, as Jinja's: a template's values may have any name (``num``, ``string``).
    words = context[CATALOGUE].ugettext(string)
    if context.eval_ctx.autoescape:
        words = Markup(words)
    return words % variables


@pass_context
def ngettext(context, singular: str, plural: str, number: int, /, **variables) -> str:
    variables.setdefault("num", number)
    words = context[CATALOGUE].ungettext(singular, plural, number)
    if context.eval_ctx.autoescape:
        words = Markup(words)
    return words % variables


def page_translations() -> dict:
    """What a link's templates need to look their words up in the page's one catalogue."""
    return {CATALOGUE: get_translations(), "gettext": gettext, "ngettext": ngettext}
