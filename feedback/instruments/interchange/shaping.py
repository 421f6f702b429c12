"""Building a version file's content row by row, shared by the XLSForm and REDCap imports:
pages, items, choice sets and missing codes, and the list of what could not be carried over."""
from __future__ import annotations

from ..definition import CHOICE_TYPES
from ..loader import BUILT_IN_YES_NO
from .common import ImportResult, Unsupported, identifier


class InstrumentShaper:
    """Collects pages and items in file order; a subclass reads its format's rows into them."""

    def __init__(self, instrument_id: str, languages: list[str], sheet: str):
        self.instrument_id, self.languages, self.sheet = instrument_id, list(languages), sheet
        self.unsupported: list[Unsupported] = []
        self.notes: list[str] = []
        self.title: dict = {language: instrument_id for language in languages}
        self.description: dict | None = None
        self.pages: list[dict] = []
        self.page: dict | None = None
        self.items: dict[str, dict] = {}  # every item so far, by id
        self.choice_sets: dict[str, list] = {}
        self.missing_codes: dict[int, dict] = {}

    def refuse(self, row: int | None, column: str, value, reason: str, sheet: str | None = None) -> None:
        self.unsupported.append(Unsupported(sheet or self.sheet, row, column, str(value or ""), reason))

    def set_title(self, texts: dict, sheet: str, row: int, column: str) -> None:
        self.title = self.complete(texts, sheet, row, column)

    def complete(self, texts: dict, sheet: str, row: int | None, column: str) -> dict:
        """``texts`` in every language; a language without one is reported and takes the first's."""
        first = texts.get(self.languages[0]) or next(iter(texts.values()), "")
        for language in self.languages:
            if not texts.get(language):
                self.refuse(row, column, first, f"has no '{language}' text; the '{self.languages[0]}' text is "
                                                "used unless you translate it", sheet)
        return {language: texts.get(language) or first for language in self.languages}

    # -- pages -------------------------------------------------------------------------------
    def start_page(self, page_id: str, title: dict | None = None, together: bool = False) -> None:
        ids = {page["id"] for page in self.pages}
        base, counter = page_id, 2
        while page_id in ids:
            page_id, counter = f"{base}_{counter}", counter + 1
        self.page = {"id": page_id}
        if title:
            self.page["title"] = title
        if together:
            self.page["together"] = True
        self.page["items"] = []
        self.pages.append(self.page)

    def end_page(self) -> None:
        if self.page is not None and not self.page["items"]:
            self.pages.remove(self.page)
        self.page = None

    def note(self, texts: dict, row: int) -> None:
        """A note at the top of a page is its intro; one before any page, the description."""
        if self.page is None and not self.pages and self.description is None:
            self.description = texts
        elif self.page is not None and not self.page["items"] and "intro" not in self.page:
            self.page["intro"] = texts
        else:
            self.refuse(row, "type", "note", "a note can only be a page's introduction (first in a group) or "
                                             "the description (before the first group)")

    def add_item(self, item: dict, row: int) -> None:
        if item["id"] in self.items:
            self.refuse(row, "name", item["id"], "the same name is used twice")
            return
        condition = item.get("show_if")
        if condition:
            for test in condition.get("all", [condition]):
                target = self.items.get(test["item"])
                if target is None:
                    self.refuse(row, self.condition_column, test["item"], f"tests '{test['item']}', which is not an "
                                                                          "earlier question")
                    del item["show_if"]
                    break
                if target["type"] not in CHOICE_TYPES + ("multiple_choice",):
                    self.refuse(row, self.condition_column, test["item"], f"tests '{test['item']}', a "
                                f"{target['type']} question; only choice questions can be tested")
                    del item["show_if"]
                    break
            else:
                if self.page is not None and any(test["item"] in {i["id"] for i in self.page["items"]}
                                                 for test in condition.get("all", [condition])):
                    old = self.page
                    self.start_page(old["id"], old.get("title"), old.get("together", False))
                    self.notes.append(f"page '{old['id']}' is split before '{item['id']}' (new page "
                                      f"'{self.page['id']}'): its condition tests a question on the same page")
        if self.page is None:
            self.start_page(f"page_{len(self.pages) + 1}")
        self.page["items"].append(item)
        self.items[item["id"]] = item

    condition_column = "relevant"

    # -- choices -----------------------------------------------------------------------------
    def add_choice_item(self, item: dict, list_name: str, entries: list, row: int) -> None:
        """``entries``: (row, code, {language: label}) of the item's list. Negative whole-number
        codes are missing codes; a list named yes_no… of 1 and 0 makes a yes_no item; a list of
        consecutive whole numbers labelled with themselves, a scale."""
        choices, missing = [], []
        for choice_row, code, label in entries:
            if isinstance(code, int) and code < 0:
                if item["type"] == "multiple_choice":
                    self.refuse(choice_row, "name", code, "a tick-all-that-apply question cannot offer missing "
                                                         "codes; offer a 'none' choice instead", self.choices_sheet)
                    continue
                known = self.missing_codes.setdefault(code, {"code": code, "label": label})
                if known["label"] != label:
                    self.refuse(choice_row, "label", code, "missing code labelled differently from an earlier "
                                                          "list; the first label is kept", self.choices_sheet)
                missing.append(code)
            else:
                choices.append({"code": code, "label": label})
        codes = [choice["code"] for choice in choices]
        if missing:
            item["missing"] = missing
        if item["type"] == "single_choice" and list_name.startswith("yes_no") and sorted(map(str, codes)) == ["0", "1"]:
            item["type"] = "yes_no"
            self._yes_no_labels(choices, row)
        elif (item["type"] == "single_choice" and len(codes) > 1 and all(isinstance(code, int) for code in codes)
              and codes == list(range(codes[0], codes[0] + len(codes)))
              and all(set(choice["label"].values()) == {str(choice["code"])} for choice in choices)):
            item.update(type="scale", min=codes[0], max=codes[-1])
        else:
            item["choices"] = self._choice_set(list_name, choices)
        self.add_item(item, row)

    choices_sheet = "choices"

    def _choice_set(self, list_name: str, choices: list) -> str:
        for name, existing in self.choice_sets.items():
            if existing == choices:
                return name
        name, counter = identifier(list_name, "choices"), 2
        while name in self.choice_sets:
            name, counter = f"{identifier(list_name, 'choices')}_{counter}", counter + 1
        self.choice_sets[name] = choices
        return name

    def _yes_no_labels(self, choices: list, row: int) -> None:
        # The built-in labels serve when they are the file's; otherwise the file's become the
        # instrument's yes_no set (which every yes_no item then uses).
        built_in = all(BUILT_IN_YES_NO[int(choice["code"])].get(language) == text
                       for choice in choices for language, text in choice["label"].items())
        wanted = sorted(({"code": int(c["code"]), "label": c["label"]} for c in choices), key=lambda c: -c["code"])
        if not built_in and "yes_no" not in self.choice_sets:
            self.choice_sets["yes_no"] = wanted
        elif not built_in and self.choice_sets["yes_no"] != wanted:
            self.refuse(row, "type", "yes_no", "yes/no labels differ from an earlier yes/no question; the first "
                                               "are used")

    # -- the result --------------------------------------------------------------------------
    def result(self) -> ImportResult:
        raw = {"id": self.instrument_id, "version": 1, "languages": self.languages, "title": self.title}
        if self.description:
            raw["description"] = self.description
        raw["respondents"] = [{"role": "family_member"}]
        raw["modes"] = ["web"]
        if self.choice_sets:
            raw["choice_sets"] = self.choice_sets
        if self.missing_codes:
            raw["missing_codes"] = sorted(self.missing_codes.values(), key=lambda entry: -entry["code"])
        raw["pages"] = [page for page in self.pages if page["items"]]
        self.notes.append("respondents are set to [family_member] and modes to [web]: change them if needed")
        return ImportResult(raw, self.unsupported, self.notes)
