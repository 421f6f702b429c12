"""Read an instrument version from YAML and refuse anything malformed, naming file and item.

Validation collects every problem it can find rather than stopping at the first, so an author
fixes a file in one pass.  The format is documented in ``questionnaires/README.md``.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from .definition import (
    CHOICE_TYPES, ITEM_TYPES, MODES, NOT_COLLECTED, NOT_COLLECTED_LABEL, RESPONDENT_ROLES, Choice,
    Condition, Instrument, Item, Page, Respondent, Text,
)
from .checks import Problem, yaml_problem
from .derivation import DerivationRules
from .scale_rules import ScaleRules
from .yaml_text import parse as parse_yaml

INSTRUMENT_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")

#: Labels for ``yes_no`` items when the instrument defines no ``yes_no`` choice set.
#: Every language the app ships has them, so a language file need not translate them.
BUILT_IN_YES_NO = {
    1: {"en": "Yes", "cy": "Ie", "pl": "Tak", "ro": "Da", "ur": "ہاں", "ar": "نعم", "bn": "হ্যাঁ", "so": "Haa"},
    0: {"en": "No", "cy": "Na", "pl": "Nie", "ro": "Nu", "ur": "نہیں", "ar": "لا", "bn": "না", "so": "Maya"},
}

INSTRUMENT_FIELDS = {
    "id", "version", "title", "description", "languages", "estimated_minutes", "source",
    "respondents", "modes", "one_question_per_page", "choice_sets", "missing_codes", "pages",
    "scales",
}
PAGE_FIELDS = {"id", "title", "intro", "items", "together"}
ITEM_FIELDS = {
    "id", "type", "text", "hint", "required", "choices", "missing", "min", "max", "integer",
    "max_length", "identifying", "sms", "show_if", "anchors", "earliest", "not_in_future", "error", "derive",
}
#: Said wherever a file uses the reserved code.
RESERVED = (f"{NOT_COLLECTED} is reserved for \"{NOT_COLLECTED_LABEL.lower()}\" (an item an import's file had no "
            "column for) and cannot be declared by an instrument; choose another code")
DEFAULT_MAX_LENGTH = {"text": 200, "long_text": 2000}


class InstrumentError(Exception):
    """Raised with every problem found in one or more instrument files."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def content_hash(raw: Any) -> str:
    """SHA-256 of the parsed content, so comments and layout may change but meaning may not."""
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_instrument(path: Path | str, display_path: str | None = None) -> Instrument:
    """Parse and validate one ``v<N>.yaml`` file; raise ``InstrumentError`` listing every problem."""
    path = Path(path)
    name = display_path or str(path)
    try:
        raw = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise InstrumentError([yaml_problem(name, error)])
    except (OSError, UnicodeDecodeError) as error:
        raise InstrumentError([Problem(name, "", f"cannot be read ({error})")])
    return build_instrument(raw, name, path_version=_version_from_filename(path), folder=path.parent.name)


def _version_from_filename(path: Path) -> int | None:
    match = re.fullmatch(r"v(\d+)\.ya?ml", path.name)
    return int(match.group(1)) if match else None


def build_instrument(raw: Any, name: str, path_version: int | None = None, folder: str | None = None) -> Instrument:
    builder = _Builder(name)
    instrument = builder.instrument(raw, path_version, folder)
    if builder.problems:
        raise InstrumentError(builder.problems)
    return instrument


class _Builder(ScaleRules, DerivationRules):
    # -- the instrument -------------------------------------------------------------------
    def instrument(self, raw: Any, path_version: int | None, folder: str | None) -> Instrument | None:
        data = self.fields(raw, INSTRUMENT_FIELDS,
                           {"id", "version", "title", "languages", "respondents", "modes", "pages"}, "")
        if not data:
            return None
        languages = data.get("languages")
        if (not isinstance(languages, list) or not languages
                or not all(isinstance(code, str) and re.fullmatch(r"[a-z]{2,3}", code) for code in languages)):
            self.problem("languages", "must be a list of language codes such as [en, cy]")
        else:
            if len(set(languages)) != len(languages):
                self.problem("languages", "lists a language twice")
            self.languages = tuple(dict.fromkeys(languages))
        instrument_id = data.get("id")
        if not isinstance(instrument_id, str) or not INSTRUMENT_ID_PATTERN.match(instrument_id):
            self.problem("id", f"{instrument_id!r} must be lower-case letters, digits and hyphens")
        elif folder is not None and folder != instrument_id:
            self.problem("id", f"is '{instrument_id}' but the file is in folder '{folder}'; they must match")
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self.problem("version", f"{version!r} must be a whole number from 1")
        elif path_version is not None and path_version != version:
            self.problem("version", f"is {version} but the file is named v{path_version}.yaml; they must match")
        elif path_version is None and folder is not None:
            self.problem("", "file name must be v<N>.yaml, where N is the version")

        title = self.text(data.get("title"), "title", "title")
        description = self.text(data.get("description"), "description", "description", optional=True)
        minutes = self.number(data.get("estimated_minutes", 5), "estimated_minutes", "estimated_minutes", integer=True)
        if minutes is not None and minutes < 1:
            self.problem("estimated_minutes", "must be at least 1")
        source = data.get("source", "")
        if not isinstance(source, str):
            self.problem("source", "must be a sentence saying where the wording comes from and its licence")
            source = ""
        respondents = self.respondents(data.get("respondents"))
        modes = data.get("modes")
        if not isinstance(modes, list) or not modes or not set(modes) <= set(MODES):
            self.problem("modes", f"must be a list drawn from {', '.join(MODES)}, not {modes!r}")
            modes = []
        missing_codes = self.missing_codes(data.get("missing_codes"))
        choice_sets = self.choice_sets(data.get("choice_sets"), missing_codes)
        # Once the way to ask for one question per page; every item is now a screen of its own
        # unless its page says ``together``. Still read, so versions published with it load.
        self.boolean(data.get("one_question_per_page"), "one_question_per_page", "one_question_per_page", False)
        pages = self.pages(data.get("pages"), choice_sets, missing_codes)
        if "sms" in modes:
            self.check_sms(pages)
        scales = self.scales(data.get("scales"), pages)
        if self.problems:
            return None
        return Instrument(
            id=instrument_id, version=version, title=title,
            description=description or Text({language: "" for language in self.languages}),
            languages=self.languages, estimated_minutes=minutes or 5, source=source,
            respondents=respondents, modes=tuple(modes), pages=pages, scales=scales,
            content_hash=content_hash(raw), path=self.name, raw=raw,
        )

    def respondents(self, raw: Any) -> tuple[Respondent, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem("respondents", "must list who may answer, e.g. [{role: parent_carer}]")
            return ()
        result = []
        for index, entry in enumerate(raw):
            where = f"respondents[{index + 1}]"
            data = self.fields(entry, {"role", "min_age", "max_age"}, {"role"}, where)
            role = data.get("role")
            if role is not None and role not in RESPONDENT_ROLES:
                self.problem(where, f"role '{role}' is not one of {', '.join(RESPONDENT_ROLES)}")
            result.append(Respondent(role, self.number(data.get("min_age"), where, "min_age", True),
                                     self.number(data.get("max_age"), where, "max_age", True)))
        return tuple(result)

    def choice_list(self, raw: Any, where: str, missing: bool = False) -> tuple[Choice, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem(where, "must be a list of choices, each {code: ..., label: ...}")
            return ()
        choices, seen = [], set()
        for index, entry in enumerate(raw):
            spot = f"{where} choice {index + 1}"
            data = self.fields(entry, {"code", "label"}, {"code", "label"}, spot)
            code = data.get("code")
            if isinstance(code, bool) or not isinstance(code, (int, str)):
                self.problem(spot, f"code {code!r} must be a whole number or a short word")
                continue
            if code in seen:
                self.problem(spot, f"duplicate code {code!r}")
            if code == NOT_COLLECTED and not isinstance(code, bool):
                self.problem(spot, f"code {RESERVED}")
            seen.add(code)
            label = self.text(data.get("label"), spot, "label")
            if label:
                choices.append(Choice(code, label, missing))
        return tuple(choices)

    def missing_codes(self, raw: Any) -> dict:
        if raw is None:
            return {}
        result = {}
        for choice in self.choice_list(raw, "missing_codes", missing=True):
            if choice.code == NOT_COLLECTED:
                continue  # reported by choice_list
            if not isinstance(choice.code, int) or choice.code >= 0:
                self.problem("missing_codes", f"code {choice.code!r} must be a negative whole number, e.g. -9")
            result[choice.code] = choice
        return result

    def choice_sets(self, raw: Any, missing_codes: dict) -> dict[str, tuple[Choice, ...]]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem("choice_sets", "must map a set name to its list of choices")
            return {}
        sets = {}
        for name, choices in raw.items():
            where = f"choice set '{name}'"
            self.identifier(name, where, "name")
            sets[name] = self.choice_list(choices, where)
            for choice in sets[name]:
                if choice.code in missing_codes:
                    self.problem(where, f"code {choice.code} is already a missing code")
        return sets

    def pages(self, raw: Any, choice_sets: dict, missing_codes: dict) -> tuple[Page, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem("pages", "must be a list of pages, each with an id and items")
            return ()
        pages, page_ids, earlier = [], set(), {}
        for index, entry in enumerate(raw):
            where = f"page {index + 1}"
            data = self.fields(entry, PAGE_FIELDS, {"id", "items"}, where)
            page_id = self.identifier(data.get("id"), where, "page id")
            if page_id:
                where = f"page '{page_id}'"
                if page_id in page_ids:
                    self.problem(where, "duplicate page id")
                page_ids.add(page_id)
            title = self.text(data.get("title"), where, "title", optional=True)
            intro = self.text(data.get("intro"), where, "intro", optional=True)
            together = self.boolean(data.get("together"), where, "together", False)
            items_raw = data.get("items")
            if not isinstance(items_raw, list) or not items_raw:
                self.problem(where, "must have a list of items")
                continue
            on_this_page = {}
            items = []
            for item_index, item_raw in enumerate(items_raw):
                item = self.item(item_raw, f"{where} item {item_index + 1}", choice_sets, missing_codes, earlier, on_this_page)
                if item is not None:
                    if item.id in earlier or item.id in on_this_page:
                        self.problem(f"item '{item.id}'", "duplicate item id")
                    on_this_page[item.id] = item
                    items.append(item)
            earlier.update(on_this_page)
            pages.append(Page(page_id or f"page_{index + 1}", tuple(items), title, intro, together))
        return tuple(pages)

    def item(self, raw, where, choice_sets, missing_codes, earlier, on_this_page) -> Item | None:
        data = self.fields(raw, ITEM_FIELDS, {"id", "type", "text"}, where)
        if not data:
            return None
        item_id = self.identifier(data.get("id"), where, "item id")
        if not item_id:
            return None
        where = f"item '{item_id}'"
        item_type = data.get("type")
        if item_type not in ITEM_TYPES:
            self.problem(where, f"type {item_type!r} is not one of {', '.join(ITEM_TYPES)}")
            return None
        text = self.text(data.get("text"), where, "text")
        hint = self.text(data.get("hint"), where, "hint", optional=True)
        required = self.boolean(data.get("required"), where, "required", True)
        choices: tuple[Choice, ...] = ()
        choices_raw = data.get("choices")
        if item_type in ("single_choice", "multiple_choice", "agreement"):
            if isinstance(choices_raw, str):
                if choices_raw not in choice_sets:
                    self.problem(where, f"choices '{choices_raw}' is not a choice set defined in choice_sets")
                choices = choice_sets.get(choices_raw, ())
            elif choices_raw is None:
                self.problem(where, f"a {item_type} item needs choices: a choice set name or a list")
            else:
                choices = self.choice_list(choices_raw, where)
        elif item_type == "yes_no":
            if choices_raw is not None:
                self.problem(where, "a yes_no item has fixed choices (1 yes, 0 no); use single_choice for others")
            choices = choice_sets.get("yes_no") or self.built_in_yes_no(where)
        elif choices_raw is not None:
            self.problem(where, f"a {item_type} item cannot have choices")

        minimum = self.number(data.get("min"), where, "min")
        maximum = self.number(data.get("max"), where, "max")
        if item_type == "scale":
            minimum = 1 if minimum is None else minimum
            maximum = 10 if maximum is None else maximum
            if not (isinstance(minimum, int) and isinstance(maximum, int) and minimum < maximum <= minimum + 20):
                self.problem(where, "a scale item needs whole-number min and max, min below max, at most 21 steps")
            else:
                choices = tuple(Choice(step, Text({language: str(step) for language in self.languages}))
                                for step in range(minimum, maximum + 1))
        elif item_type == "number":
            if minimum is None or maximum is None:
                self.problem(where, "a number item needs min and max so impossible answers are refused")
            elif minimum >= maximum:
                self.problem(where, f"min {minimum} must be below max {maximum}")
        elif minimum is not None or maximum is not None:
            self.problem(where, f"a {item_type} item cannot have min or max")
        if (item_type in ("scale", "number") and isinstance(minimum, (int, float)) and isinstance(maximum, (int, float))
                and minimum <= NOT_COLLECTED <= maximum):
            self.problem(where, f"min {minimum} and max {maximum} take in {NOT_COLLECTED}, which is reserved for "
                                f"\"{NOT_COLLECTED_LABEL.lower()}\" and cannot be an answer; keep answers above it")

        missing = ()
        missing_raw = data.get("missing")
        if missing_raw is not None:
            if not isinstance(missing_raw, list):
                missing_raw = [missing_raw]
            missing = []
            for code in missing_raw:
                if code == NOT_COLLECTED and not isinstance(code, bool):
                    self.problem(where, f"missing code {RESERVED}")
                elif code not in missing_codes:
                    self.problem(where, f"missing code {code!r} is not defined in missing_codes")
                else:
                    missing.append(missing_codes[code])
            if item_type == "multiple_choice" and missing:
                self.problem(where, "a multiple_choice item cannot offer missing codes; offer a 'none' choice instead")
            missing = tuple(missing)

        # A missing code that is also an answer (a choice code, or a step or number in range)
        # would be scored as an answer: refuse the clash.
        for choice in missing:
            clashes = any(option.code == choice.code for option in choices) or (
                item_type == "number" and minimum is not None and maximum is not None
                and minimum <= choice.code <= maximum)
            if clashes:
                self.problem(where, f"missing code {choice.code} is also a possible answer; use a code outside the answers")

        max_length = None
        if item_type in DEFAULT_MAX_LENGTH:
            max_length = self.number(data.get("max_length", DEFAULT_MAX_LENGTH[item_type]), where, "max_length", True)
        elif "max_length" in data:
            self.problem(where, f"a {item_type} item cannot have max_length")

        anchors = self.anchors(data.get("anchors"), where, item_type, minimum, maximum)
        earliest, not_in_future = None, False
        if item_type == "date":
            earliest = data.get("earliest")
            if isinstance(earliest, str):
                # A published definition comes back from the database with dates as ISO strings.
                try:
                    earliest = date.fromisoformat(earliest)
                except ValueError:
                    pass
            if earliest is not None and not isinstance(earliest, date):
                self.problem(where, f"earliest must be a date like 2020-01-31, not {earliest!r}")
                earliest = None
            not_in_future = self.boolean(data.get("not_in_future"), where, "not_in_future", False)
        elif "earliest" in data or "not_in_future" in data:
            self.problem(where, f"a {item_type} item cannot have earliest or not_in_future")

        conditions = self.conditions(data.get("show_if"), where, earlier, on_this_page)
        error = self.text(data.get("error"), where, "error", optional=True)
        derive = self.derivation(data.get("derive"), where, item_type, choices, earlier, on_this_page)
        return Item(
            id=item_id, type=item_type, text=text, hint=hint, required=required, choices=choices,
            missing_codes=missing, minimum=minimum, maximum=maximum,
            integer=self.boolean(data.get("integer"), where, "integer", True),
            max_length=max_length,
            identifying=self.boolean(data.get("identifying"), where, "identifying", False),
            sms=self.boolean(data.get("sms"), where, "sms", True),
            conditions=conditions, anchors=anchors, earliest=earliest, latest_today=not_in_future, error=error,
            derive=derive,
        )

    def built_in_yes_no(self, where: str) -> tuple[Choice, ...]:
        choices = []
        for code, labels in BUILT_IN_YES_NO.items():
            missing = [language for language in self.languages if language not in labels]
            if missing:
                self.problem(where, f"no built-in yes/no labels in {', '.join(missing)}; define choice set 'yes_no'")
                return ()
            choices.append(Choice(code, Text({language: labels[language] for language in self.languages})))
        return tuple(choices)

    def anchors(self, raw, where, item_type, minimum, maximum) -> tuple:
        if raw is None:
            return ()
        if item_type != "scale":
            self.problem(where, "only a scale item can have anchors")
            return ()
        if not isinstance(raw, list):
            self.problem(where, "anchors must be a list of {from, to, label}")
            return ()
        anchors = []
        for index, entry in enumerate(raw):
            spot = f"{where} anchor {index + 1}"
            data = self.fields(entry, {"from", "to", "label"}, {"from", "to", "label"}, spot)
            low, high = data.get("from"), data.get("to")
            if not (isinstance(low, int) and isinstance(high, int) and minimum is not None
                    and maximum is not None and minimum <= low <= high <= maximum):
                self.problem(spot, f"from and to must be steps within {minimum}–{maximum}")
                continue
            label = self.text(data.get("label"), spot, "label")
            if label:
                anchors.append((low, high, label))
        return tuple(anchors)

    def conditions(self, raw, where, earlier: dict, on_this_page: dict) -> tuple[Condition, ...]:
        if raw is None:
            return ()
        entries = raw.get("all") if isinstance(raw, dict) and set(raw) == {"all"} else [raw]
        if not isinstance(entries, list):
            self.problem(where, "show_if 'all' must be a list of conditions")
            return ()
        conditions = []
        for entry in entries:
            data = self.fields(entry, {"item", "equals", "in", "not_in"}, {"item"}, f"{where} show_if")
            target = data.get("item")
            if not data:
                continue
            if target in on_this_page:
                self.problem(where, f"show_if refers to '{target}' on the same page; it must be on an earlier page "
                                    "so the page can be shown without JavaScript")
                continue
            if target not in earlier:
                self.problem(where, f"show_if refers to unknown item '{target}' (it must be an item on an earlier page)")
                continue
            operators = [key for key in ("equals", "in", "not_in") if key in data]
            if len(operators) != 1:
                self.problem(where, "show_if needs exactly one of equals, in or not_in")
                continue
            value = data[operators[0]]
            codes = value if isinstance(value, list) else [value]
            referenced = earlier[target]
            known = {choice.code for choice in referenced.all_choices}
            if referenced.type not in CHOICE_TYPES + ("multiple_choice",):
                self.problem(where, f"show_if can only test a choice item; '{target}' is {referenced.type}")
                continue
            unknown = [code for code in codes if code not in known]
            if unknown:
                self.problem(where, f"show_if tests code(s) {unknown} that item '{target}' does not offer")
                continue
            conditions.append(Condition(target, frozenset(codes), negate=operators[0] == "not_in"))
        return tuple(conditions)

    def check_sms(self, pages: tuple[Page, ...]) -> None:
        for page in pages:
            for item in page.items:
                if item.sms and item.type in ("long_text", "multiple_choice", "date"):
                    self.problem(f"item '{item.id}'", f"a {item.type} item cannot be asked by SMS; mark it sms: false")
                if not item.sms and item.required:
                    self.problem(f"item '{item.id}'", "an item left out of SMS (sms: false) must be optional")

