"""Every report by name: how to read its data for some filters and compute it.

The one place that knows which instrument, items and waves each report reads; the report modules
themselves stay pure (frames in, tables out). Labels come from the latest published version of
each instrument, in English, so a renamed area reads the same in every report.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..publishing.startup import current_catalogue
from . import (cost_benefit, exit_feedback, family_functioning, follow_up, need_flow, partner_survey, resilience,
               response_rates, risk_change, star)
from . import scale_change, scale_data
from .data import (Filters, distribution, families, invitation_figures, star_summary,
                   transitions, wave_sets)
from .model import Report, not_enough


@dataclass(frozen=True)
class ReportKind:
    name: str
    title: str
    summary: str
    run: Callable[..., Report]
    #: Reports that show the same families and members, so an attacker reads them together:
    #: protected as one publication (``protect(..., alongside=...)``). Set from ``PUBLICATIONS``.
    published_with: tuple[str, ...] = ()


def _instrument(instrument_id: str):
    try:
        return current_catalogue().latest(instrument_id)
    except (KeyError, LookupError):
        return None


def _items(instrument, prefix: str) -> dict[str, str]:
    return {item.id: item.text.get("en") for item in instrument.items if item.id.startswith(prefix)}


def _short(label: str) -> str:
    return label.split(":", 1)[0].strip()


def _need_flow(filters: Filters, **_) -> Report:
    instrument = _instrument(need_flow.INSTRUMENT)
    if instrument is None:
        return not_enough(need_flow.NAME, need_flow.TITLE, gettext("a key worker's assessment"))
    levels = {choice.code: _short(choice.label.get("en")) for choice in instrument.item(need_flow.ITEM).choices}
    return need_flow.compute(transitions(filters, need_flow.INSTRUMENT, [need_flow.ITEM],
                                         kept_with=_entry_exit_items(need_flow.INSTRUMENT)), levels)


#: Where cost-benefit's outcomes are rated, by the outcome's level.
_OUTCOME_INSTRUMENTS = {"member": "member-assessment", "family": "practitioner-assessment"}


def _entry_exit_items(instrument_id: str) -> list[str]:
    """Every item need-flow, risk-change and cost-benefit pair from entry to exit on this
    instrument. The three are one publication, always worked out together (``run_alongside``),
    so they keep these pairs as one keeping and count it once per page (``data.transitions``'
    ``kept_with``) instead of one keeping and one count per report's item list."""
    instrument = _instrument(instrument_id)
    items = set(_items(instrument, "risk_")) if instrument else set()
    items |= {o.item for o in cost_benefit.OUTCOMES if _OUTCOME_INSTRUMENTS[o.level] == instrument_id}
    if instrument_id == need_flow.INSTRUMENT:
        items.add(need_flow.ITEM)
    return sorted(items)


def _risk_change(filters: Filters, **_) -> Report:
    family, member = _instrument(risk_change.FAMILY_INSTRUMENT), _instrument(risk_change.MEMBER_INSTRUMENT)
    family_labels = _items(family, "risk_") if family else {}
    member_labels = _items(member, "risk_") if member else {}
    return risk_change.compute(
        transitions(filters, risk_change.FAMILY_INSTRUMENT, family_labels,
                    kept_with=_entry_exit_items(risk_change.FAMILY_INSTRUMENT)), family_labels,
        transitions(filters, risk_change.MEMBER_INSTRUMENT, member_labels, level="member",
                    kept_with=_entry_exit_items(risk_change.MEMBER_INSTRUMENT)), member_labels)


def _resilience(filters: Filters, **_) -> Report:
    instrument = _instrument(resilience.INSTRUMENT)
    labels = _items(instrument, "resilience_") if instrument else {}
    # The scores paired from those kept per family, as scale-change reads them: at 100,000 families
    # reading every score of every assessment was half of this page (ISSUE24_FINDINGS.md).
    pairs = scale_data.paired_scores(filters, resilience.INSTRUMENT, resilience.SCALE, "family_id",
                                     [("entry", "exit")])[("entry", "exit")]
    return resilience.compute_paired(pairs, transitions(filters, resilience.INSTRUMENT, labels), labels)


def _family_functioning(filters: Filters, **_) -> Report:
    instrument = _instrument(family_functioning.INSTRUMENT)
    scale = next((s for s in instrument.scales if s.id == family_functioning.SCALE), None) if instrument else None
    label = (scale.cutoff.label.get("en") if scale is not None and scale.cutoff is not None
             else gettext("At or above the cut-off"))
    summary = scale_data.latest_score_summary(filters, family_functioning.INSTRUMENT, family_functioning.SCALE,
                                   family_functioning.WAVES, family_functioning.CHANGES)
    return family_functioning.compute_summary(*summary, _short(label), family_functioning.score_ranges(scale))


def _star(filters: Filters, **_) -> Report:
    instrument = _instrument(star.INSTRUMENT)
    if instrument is None:
        return not_enough(star.NAME, star.TITLE, gettext("a star reading"))
    areas = {}
    for page in instrument.pages:
        stems = [item.id[: -len("_parent")] for item in page.items if item.id.endswith("_parent")]
        for stem in stems:
            title = page.title.get("en") if page.title else stem
            areas[stem] = title.split(":", 1)[-1].strip()
    return star.compute(*star_summary(filters, star.INSTRUMENT, list(areas), tuple(star.READERS)), areas)


def _follow_up(filters: Filters, **_) -> Report:
    instrument = _instrument(follow_up.INSTRUMENT)
    labels = _items(instrument, "outcome_") if instrument else {}
    waves = list(follow_up.WAVES)
    return follow_up.compute(distribution(filters, follow_up.INSTRUMENT, labels, waves),
                             distribution(filters, follow_up.INSTRUMENT, [follow_up.HOME], waves, level="family"),
                             labels)


def _exit_feedback(filters: Filters, **_) -> Report:
    instrument = _instrument(exit_feedback.INSTRUMENT)
    if instrument is None:
        return not_enough(exit_feedback.NAME, exit_feedback.TITLE, gettext("an exit interview"))
    questions = {}
    for item in sorted(instrument.items, key=lambda item: item.id != exit_feedback.RATING):
        if item.id == exit_feedback.RATING:
            low, high = int(item.minimum or 1), int(item.maximum or 5)
            questions[item.id] = (item.text.get("en"), {n: str(n) for n in range(low, high + 1)})
        elif item.type in ("yes_no", "single_choice", "agreement"):
            questions[item.id] = (item.text.get("en"), {c.code: c.label.get("en") for c in item.all_choices})
    return exit_feedback.compute(distribution(filters, exit_feedback.INSTRUMENT, list(questions), ["exit"]),
                                 questions)


def _response_rates(filters: Filters, **_) -> Report:
    from ..waves.service import current_schedules

    waves, titles = [], {}
    for schedule in current_schedules().values():
        for wave in schedule.waves:
            if wave.name not in titles:
                waves.append(wave.name)
                titles[wave.name] = wave.title
    counts, medians = invitation_figures(filters)
    present = set(counts["wave"])
    # Attrition over the waves the cohort was asked at, in schedule order (any others after).
    order = [wave for wave in waves if wave in present] + sorted(present - set(waves))
    return response_rates.compute(counts, medians, wave_sets(filters, order), waves, titles)


def _partner_survey(filters: Filters, **_) -> Report:
    instrument = _instrument(partner_survey.INSTRUMENT)
    questions = partner_survey.questions_of(instrument) if instrument else {}
    # Anonymous answers carry no site: only a report for every site shows them.
    answers = (partner_survey.answer_counts(filters, [partner_survey.ROLE_ITEM, *questions])
               if partner_survey.covers_every_site(filters) else None)
    return partner_survey.compute(partner_survey.invitation_counts(filters), answers, questions)


def _cost_benefit(filters: Filters, programme_cost: float | None = None, **_) -> Report:
    from .data import families_avoiding_any
    from .savings import unit_savings

    member_items = sorted({o.item for o in cost_benefit.OUTCOMES if o.level == "member"})
    family_items = sorted({o.item for o in cost_benefit.OUTCOMES if o.level == "family"})
    family_moves = transitions(filters, "practitioner-assessment", family_items + [need_flow.ITEM],
                               kept_with=_entry_exit_items("practitioner-assessment"))
    # Families assessed at both entry and exit: those with a level of need recorded at both, as
    # need-flow counts them (the same count, protected as one with it).
    instrument = _instrument(need_flow.INSTRUMENT)
    codes = [choice.code for choice in instrument.item(need_flow.ITEM).choices] if instrument else []
    member_moves = transitions(filters, "member-assessment", member_items, level="member", by_role=True,
                               kept_with=_entry_exit_items("member-assessment"))
    # Social return on investment: the assumptions file (``valuation.sroi``); a bad one is named
    # on the page, value by value, instead of the SROI tables, and never fails the report.
    from flask import current_app

    from ..valuation.sroi import load_sroi_parameters
    path = current_app.config.get("FEEDBACK_SROI_PARAMETERS", cost_benefit.SROI_PARAMETERS)
    sroi, problems = load_sroi_parameters(path, display=cost_benefit.shown_path(path))
    avoiding = families_avoiding_any(
        filters, [(o.item, o.who) for o in cost_benefit.OUTCOMES if o.level == "member"],
        [o.item for o in cost_benefit.OUTCOMES if o.level == "family"], _entry_exit_items("member-assessment"),
        _entry_exit_items("practitioner-assessment"))
    return cost_benefit.compute(member_moves, family_moves, unit_savings(), need_flow.assessed(family_moves, codes),
                                programme_cost, need_flow.atoms_of(codes), sroi=sroi, sroi_problems=problems,
                                avoiding_any=avoiding)


def _scale_change(filters: Filters, **_) -> Report:
    """Every scale of every instrument (its latest version) with scores, at each pair of waves:
    paired and summed up in the database (``scale_data``), not read score by score."""
    import pandas as pd

    from ..instruments.reliability import reliabilities_for

    labels = {wave: str(label) for wave, label in family_functioning.WAVES.items()}
    wanted = []
    for instrument_id in sorted({key[0] for key in current_catalogue().instruments}):
        instrument = _instrument(instrument_id)
        roles = {respondent.role for respondent in instrument.respondents} if instrument else set()
        if instrument is None or not instrument.scales or roles <= {"partner_staff"}:
            continue  # no scales, or anonymous partner staff: no family to pair
        # Members where each member answers; families where the key worker scores the family.
        unit = "family_id" if instrument_id == star.INSTRUMENT or roles <= {"practitioner"} else "member_id"
        if instrument_id == family_functioning.INSTRUMENT:
            changes = family_functioning.CHANGES
        elif instrument_id == star.INSTRUMENT:
            changes = scale_change.FIRST_LATEST  # readings not tied to waves: first and latest
        else:
            # Whether anything is scored at entry (or at all) tells which. Family functioning's and
            # the star's pairs need no such question: with no scores they are empty, and a scale
            # with no pairs shows nothing.
            scale_ids = [scale.id for scale in instrument.scales]
            if scale_data.scored(filters, instrument_id, scale_ids, "entry"):
                changes = (("entry", "exit"),)
            elif scale_data.scored(filters, instrument_id, scale_ids):
                changes = scale_change.FIRST_LATEST  # readings not tied to waves: first and latest
            else:
                continue
        first = changes[0][0] if changes else None
        sidecar = reliabilities_for(instrument_id, scales=instrument.scales)  # sidecar, else the version file
        paired = {}
        for scale in instrument.scales:
            if changes:
                paired[scale.id] = scale_data.paired_scores(filters, instrument_id, scale.id, unit, changes)
            else:
                paired[scale.id] = {("first", "latest"): scale_data.first_and_latest(filters, instrument_id, scale.id,
                                                                                     unit)}
        # Alpha only where no reliability is stated and someone was paired (the report needs it then).
        unstated = [scale for scale in instrument.scales
                    if (sidecar.get(scale.id) is None or sidecar[scale.id].value is None)
                    and any(not found.empty for found in paired[scale.id].values())]
        sums = scale_data.item_sums(filters, instrument_id, unstated, unit, first)
        for scale in instrument.scales:
            wanted.append(scale_change.ScaleData(
                instrument_id, scale, scale.label.get("en"), pd.DataFrame(), unit, changes, None, sidecar.get(scale.id),
                labels, pairs=paired[scale.id], item_sums=sums.get(scale.id)))
    return scale_change.compute(wanted)


REPORTS: dict[str, ReportKind] = {kind.name: kind for kind in (
    # Title and summary as the staff pages show them (translated; the English title is each
    # module's TITLE, which downloads keep).
    ReportKind(response_rates.NAME, _l("Response rates by wave and channel"),
               _l("Who was asked and who answered, per wave and channel."), _response_rates),
    ReportKind(need_flow.NAME, _l("Level of need: entry to exit"), _l("Level of need at entry against exit."),
               _need_flow),
    ReportKind(risk_change.NAME, _l("Risk factors: entry to exit"),
               _l("Families and members with each risk, entry and exit."), _risk_change),
    ReportKind(resilience.NAME, _l("Resilience factors: entry to exit"),
               _l("Resilience factors present at entry and exit."), _resilience),
    ReportKind(family_functioning.NAME, _l("Family functioning by wave"), _l("Family-functioning scores by wave."),
               _family_functioning),
    ReportKind(star.NAME, _l("Parenting star: distance travelled"),
               _l("Parent's and key worker's star readings, first and latest."), _star),
    ReportKind(follow_up.NAME, _l("Did change last? Follow-up after support"),
               _l("Better, the same or worse 3, 6 and 12 months after support."), _follow_up),
    ReportKind(exit_feedback.NAME, _l("What families said at the end of support"),
               _l("Ratings and answers from exit interviews."), _exit_feedback),
    ReportKind(cost_benefit.NAME, _l("Cost and benefit: adverse outcomes avoided"),
               _l("Adverse outcomes avoided, savings and net benefit."), _cost_benefit),
    ReportKind(scale_change.NAME, _l("Change on each scale: reliable change and effect sizes"),
               _l("Mean change, effect sizes and reliable change on every scale measured twice."), _scale_change),
    ReportKind(partner_survey.NAME, _l("Partner agency survey"),
               _l("Partner agencies' staff asked and answering the yearly survey, and their answers by role."),
               _partner_survey),
)}


def run_report(name: str, filters: Filters, **options) -> Report:
    """The named report for those filters (``KeyError`` for an unknown name)."""
    return REPORTS[name].run(filters, **options)


#: Reports protected as one publication, whichever of them is opened: cost-benefit counts, child
#: and adult apart, the outcomes risk-change counts per risk factor, and its families assessed at
#: entry and exit are need-flow's total. Each hides the same cells as the others would.
PUBLICATIONS = ((need_flow.NAME, risk_change.NAME, cost_benefit.NAME),)
REPORTS.update({name: replace(REPORTS[name], published_with=tuple(other for other in group if other != name))
                for group in PUBLICATIONS for name in group})


def run_alongside(name: str, filters: Filters, **options) -> list[Report]:
    """The reports published with the named one, for the same filters: its companions in the
    disclosure audit (cost-benefit counts the outcomes risk-change counts, member by member)."""
    return [run_report(other, filters, **options) for other in REPORTS[name].published_with]


__all__ = ["REPORTS", "ReportKind", "run_alongside", "run_report", "families"]
