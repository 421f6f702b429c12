"""partner-survey: who in partner agencies was asked and who answered the yearly survey, and how
managers, practitioners and others answered each closed question.

Two sources that are never joined, because the survey is anonymous:

- invitations of ``partner-survey`` to contacts (by their agency's sector and their role as
  recorded): invited = sent (an email went, whatever happened after, expiry included), responded
  = completed. An invitation counts for the chosen sites when the contact's agency works with any
  of them, and for the period when it was due in it.
- completed ``partner-survey`` responses (anonymous or not, from the web or imported) completed in
  the period, split by the respondent's own answer to ``role``. Anonymous responses carry no site,
  so these cover every site and are shown only in a report for every site (``covers_every_site``):
  a manager choosing their own site would otherwise read other sites' partners' answers as theirs.

Every required item is answered by every respondent, so each question's answers by one role add
up to that role's respondents: the disclosure audit is told so (``_answer_sums``), and so a count
hidden in one question cannot be worked out from the same role's total in another. Where the
respondents of a role are exactly as many as the invitations answered by contacts of that role,
they are counted as the same people, so the rate table and the questions are protected together.
"""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from ..extensions import db
from ..instruments.definition import NOT_COLLECTED
from ..partners.models import CONTACT_ROLES, SECTORS, PartnerAgency, PartnerContact, agency_sites
from ..staff.models import Site
from ..survey.models import Answer, Response
from ..waves.models import Invitation
from .data import Filters
from .disclosure import Sum
from .model import Chart, Column, Report, Table, share

NAME, TITLE = "partner-survey", "Partner agency survey"
INSTRUMENT, ROLE_ITEM = "partner-survey", "role"
#: The ``role`` item's codes, as the respondent's role: the instrument's choice set ``role``.
ROLE_CODES = {1: "manager", 2: "practitioner", 3: "other"}
ROLES = {"manager": _l("Managers"), "practitioner": _l("Practitioners"), "other": _l("Other staff")}  # str() in a report
#: Items that describe who answered rather than what they think: ``role`` is the breakdown itself,
#: and ``agency_type`` restates the sector the invitation table counts (a question hidden there
#: could be read back from it).
NOT_SHOWN = (ROLE_ITEM, "agency_type")
CLOSED_TYPES = ("single_choice", "agreement", "yes_no", "scale")
ALL_SECTORS, ALL_ROLES = _l("All sectors"), _l("All roles")  # str() in a report
SENT_STATES = ("sent", "opened", "started", "completed")

# The notes, in the page's language where a report is computed (str()); ANSWERS_WITHHELD is the
# English of the note ``withheld_text`` gives.
INVITED_NOTE = _l("Invitations due in the period to contacts of partner agencies working with the chosen sites. "
                  "Invited = sent (including those that later expired unanswered); responded = answered; "
                  "response rate = responded ÷ invited. The period and sites choose invitations; the cohort "
                  "choice does not apply.")
ANSWERS_NOTE = _l("Every partner-survey response completed in the period, at every site: answers are anonymous "
                  "and carry no site. Role is the respondent's own answer; “Don't know” is counted on its own line.")
ANSWERS_WITHHELD = ("The answers to the survey's questions are shown only in a report for every site: they are "
                    "anonymous and carry no site, so they cannot be limited to the sites chosen here.")
NOTHING = _l("Not enough data: no partner-agency contacts were invited to the survey, and no responses were "
             "completed, in this selection. Choose a wider period or more sites.")


def withheld_text() -> str:
    return _("The answers to the survey's questions are shown only in a report for every site: they are "
             "anonymous and carry no site, so they cannot be limited to the sites chosen here.")


# --- Reading --------------------------------------------------------------------------------------

def covers_every_site(filters: Filters) -> bool:
    """Whether the report is for every site (so answers that carry no site may be shown in it)."""
    if filters.site_ids is None:
        return True
    return set(db.session.scalars(sa.select(Site.id))) <= set(filters.site_ids)


def invitation_counts(filters: Filters) -> pd.DataFrame:
    """Per sector and contact role: invited (sent) and responded (completed), counted in the database."""
    sent = sa.or_(Invitation.state.in_(SENT_STATES),
                  sa.and_(Invitation.state == "expired", Invitation.sent_at.is_not(None)))

    def count(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    query = (sa.select(PartnerAgency.sector, PartnerContact.role, count(sent), count(Invitation.state == "completed"))
             .select_from(Invitation)
             .join(PartnerContact, PartnerContact.id == Invitation.contact_id)
             .join(PartnerAgency, PartnerAgency.id == PartnerContact.agency_id)
             .where(Invitation.instrument_id == INSTRUMENT)
             .group_by(PartnerAgency.sector, PartnerContact.role))
    if filters.site_ids is not None:
        query = query.where(sa.exists().where(agency_sites.c.agency_id == PartnerAgency.id,
                                              agency_sites.c.site_id.in_(filters.site_ids)))
    if filters.start is not None:
        query = query.where(Invitation.due_on >= filters.start)
    if filters.end is not None:
        query = query.where(Invitation.due_on <= filters.end)
    rows = [(sector, role, int(invited or 0), int(responded or 0)) for sector, role, invited, responded
            in db.session.execute(query)]
    return pd.DataFrame(rows, columns=["sector", "role", "invited", "responded"])


def answer_counts(filters: Filters, item_ids) -> pd.DataFrame:
    """Per respondent role (their own answer), item and answer: how many completed responses in the
    period gave it (role, item_id, value, n). Every site: responses carry none. ``role`` itself is
    among the items, so its rows count the respondents of each role."""
    role = aliased(Answer)
    who, value = sa.cast(role.value, sa.Text).label("who"), sa.cast(Answer.value, sa.Text).label("value")
    query = (sa.select(who, Answer.item_id, value, sa.func.count())
             .select_from(Response)
             .join(Answer, Answer.response_id == Response.id)
             .join(role, sa.and_(role.response_id == Response.id, role.item_id == ROLE_ITEM))
             .where(Response.instrument_id == INSTRUMENT, Response.status == "completed",
                    Answer.item_id.in_(list(item_ids)))
             .group_by(who, Answer.item_id, value))
    if filters.start is not None:
        query = query.where(Response.completed_at >= datetime.combine(filters.start, time()))
    if filters.end is not None:
        query = query.where(Response.completed_at < datetime.combine(filters.end + timedelta(days=1), time()))
    rows = []
    for role_text, item_id, value_text, n in db.session.execute(query):
        who = ROLE_CODES.get(_decoded(role_text))
        if who is not None:
            rows.append((who, item_id, _decoded(value_text), int(n)))
    frame = pd.DataFrame(rows, columns=["role", "item_id", "value", "n"])
    return frame.groupby(["role", "item_id", "value"], as_index=False)["n"].sum() if not frame.empty else frame


def _decoded(text):
    try:
        return json.loads(text) if text is not None else None
    except ValueError:
        return text


def questions_of(instrument) -> dict[str, tuple[str, dict]]:
    """The closed questions shown, in questionnaire order: item id → (question, {code: answer})."""
    return {item.id: (item.text.get("en"), {c.code: c.label.get("en") for c in item.all_choices})
            for item in instrument.items if item.type in CLOSED_TYPES and item.id not in NOT_SHOWN}


# --- Computing ------------------------------------------------------------------------------------

def compute(invited: pd.DataFrame, answers: pd.DataFrame | None, questions: dict[str, tuple[str, dict]]) -> Report:
    """``invited``: sector, role, invited, responded (per contact sector and role); ``answers``:
    role, item_id, value, n (the ``role`` item's own rows counting respondents), or None when the
    report is not for every site and so may not show them; ``questions``: item id → (question,
    {code: answer label}) in questionnaire order."""
    invited = invited[invited["invited"] > 0] if not invited.empty else invited
    tables: list[Table] = []
    responded: dict[str, tuple[Sum, int]] = {}
    if not invited.empty:
        by_sector, by_role, responded = _invitation_tables(invited, answers is None)
        tables += [by_sector, by_role]
    if answers is not None and not answers.empty:
        tables += _answer_tables(answers, questions, responded)
    if not tables:
        return Report(NAME, TITLE, empty=str(NOTHING))
    chart = Chart("bars", _("Response rate by sector"), 0, "group", {_("Response rate"): "rate"}, unit="%") \
        if not invited.empty else None
    return Report(NAME, TITLE, tables, chart)


def _invitation_tables(invited: pd.DataFrame, withheld: bool) -> tuple[Table, Table, dict[str, tuple[Sum, int]]]:
    """Invited and responded by sector, and by role, each with its total; both tables are margins of
    one sector × role table, so the audit is given its cells as atoms. Also each role's responded
    count, as a sum of those atoms and as a number."""
    sectors = [s for s in SECTORS if s in set(invited["sector"])] + sorted(set(invited["sector"]) - set(SECTORS))
    roles = [r for r in CONTACT_ROLES if r in set(invited["role"])] + sorted(set(invited["role"]) - set(CONTACT_ROLES))

    def atoms(state: str, sector=None, role=None) -> Sum:
        return Sum.of((NAME, "invited", s, r, state) for s in sectors for r in roles
                      if sector in (None, s) and role in (None, r))

    def table(title: str, label: str, keys: list[str], names: dict, column: str, total: str, note: str) -> Table:
        rows, made_of = [], {}
        for key in keys:
            part = invited[invited[column] == key]
            selector = {column: key}
            made_of[(len(rows), "invited")] = atoms("responded", **selector) + atoms("not", **selector)
            made_of[(len(rows), "responded")] = atoms("responded", **selector)
            rows.append(_rate_row(str(names.get(key, key)), part))
        rows.append(_rate_row(total, invited))
        columns = [Column("group", label, "label"), Column("invited", _("Invited")),
                   Column("responded", _("Responded")),
                   Column("rate", _("Response rate %"), "percent", base="invited", numerator="responded")]
        return Table(title, columns, rows, total_row=total, made_of=made_of, note=note)

    note = str(INVITED_NOTE) + (" " + withheld_text() if withheld else "")
    by_sector = table(_("Invited and responded by sector"), _("Sector"), sectors, SECTORS, "sector", str(ALL_SECTORS),
                      note)
    by_role = table(_("Invited and responded by role"), _("Role"), roles, CONTACT_ROLES, "role", str(ALL_ROLES),
                    _("Role as recorded for the contact invited."))
    responded = {role: (atoms("responded", role=role), int(invited.loc[invited["role"] == role, "responded"].sum()))
                 for role in roles}
    return by_sector, by_role, responded


def _rate_row(label: str, part: pd.DataFrame) -> dict:
    invited, responded = int(part["invited"].sum()), int(part["responded"].sum())
    return {"group": label, "invited": invited, "responded": responded, "rate": share(responded, invited)}


def _answer_tables(answers: pd.DataFrame, questions: dict, responded: dict[str, tuple[Sum, int]]) -> list[Table]:
    """One table per question: its answers (rows) by the respondent's role (columns), with each
    role's total and shares."""
    respondents = {role: int(answers.loc[(answers["item_id"] == ROLE_ITEM) & (answers["role"] == role), "n"].sum())
                   for role in ROLES}
    roles = [role for role in ROLES if respondents[role]]
    # The respondents of each role: the same sum in every question they all answered. Counted as
    # the contacts who responded when they are as many (the same people, as far as a reader knows).
    base = {role: responded[role][0] if responded.get(role, (None, None))[1] == respondents[role]
            else Sum.of([(NAME, "respondents", role)]) for role in roles}
    columns, total_label = [Column("answer", _("Answer"), "label")], _("Total")
    for role in roles:
        columns += [Column(role, str(ROLES[role])), Column(f"{role}_pct", "%", "percent", base="all", numerator=role)]
    tables = []
    for item, (question, choices) in questions.items():
        # "Not collected" (an imported file without the question) is no answer, nor a category.
        given = answers[(answers["item_id"] == item) & (answers["value"] != NOT_COLLECTED)]
        if given.empty:
            continue
        codes = list(choices) + sorted(set(given["value"]) - set(choices), key=str)
        counts = {(role, code): int(given.loc[(given["role"] == role) & (given["value"] == code), "n"].sum())
                  for role in roles for code in codes}
        rows = []
        for code in codes:
            row = {"answer": choices.get(code, str(code))}
            for role in roles:
                total = sum(counts[(role, c)] for c in codes)
                row |= {role: counts[(role, code)], f"{role}_pct": share(counts[(role, code)], total)}
            rows.append(row)
        totals = {role: sum(counts[(role, c)] for c in codes) for role in roles}
        rows.append({"answer": total_label, **{key: value for role in roles for key, value in (
            (role, totals[role]), (f"{role}_pct", share(totals[role], totals[role])))}})
        made_of = _answer_sums(item, codes, roles, counts, respondents, base)
        tables.append(Table(question, columns, rows, total_row=total_label, made_of=made_of, note=str(ANSWERS_NOTE)))
    return tables


def _answer_sums(item: str, codes: list, roles: list[str], counts: dict, respondents: dict, base: dict) -> dict:
    """Each role's answers as atoms of their own but the last, which is the role's respondents less
    the others: so the audit knows every question's answers add up to the same respondents. A
    question some did not answer (a later version's item) keeps its own total."""
    made_of = {}
    for role in roles:
        if sum(counts[(role, c)] for c in codes) != respondents[role]:
            continue
        own = [Sum.of([(NAME, item, role, code)]) for code in codes[:-1]]
        for r, expression in enumerate(own):
            made_of[(r, role)] = expression
        rest = base[role]
        for expression in own:
            rest = rest - expression
        made_of[(len(codes) - 1, role)] = rest
        made_of[(len(codes), role)] = base[role]
    return made_of
