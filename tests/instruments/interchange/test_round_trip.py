"""Every shipped instrument (latest version, with its added languages) survives an export to
XLSForm or REDCap and an import back: same pages, items, codes, conditions and (XLSForm) texts in
every language. What the formats cannot hold is reported by the export, never silently dropped:
scales and scoring, respondents and modes, anchors, sms: false and derive (both formats), and
every language but the one exported plus the title and description (REDCap, which writes each
language as a dictionary of its own)."""
from pathlib import Path

import pytest

from feedback.instruments import load_catalogue, load_instrument
from feedback.instruments.interchange import write_version
from feedback.instruments.interchange.redcap import export_redcap, import_redcap
from feedback.instruments.interchange.xlsform_export import export_xlsform
from feedback.instruments.interchange.xlsform_import import import_xlsform

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = load_catalogue(ROOT / "questionnaires")
SHIPPED = sorted({instrument.id for instrument in CATALOGUE})
ITEM_FIELDS = ("id", "type", "required", "minimum", "maximum", "integer", "max_length", "conditions",
               "earliest", "latest_today", "identifying")


def _page_shape(instrument, language=None):
    def text(value):
        return None if value is None else (value.get(language) if language else value)

    return [(page.id, text(page.title), text(page.intro), page.together, [item.id for item in page.items])
            for page in instrument.pages]


def _item_shape(item, language=None):
    def text(value):
        return None if value is None else (value.get(language) if language else value)

    shape = {field: getattr(item, field) for field in ITEM_FIELDS}
    shape.update(text=text(item.text), hint=text(item.hint),
                 choices=[(choice.code, text(choice.label), choice.missing) for choice in item.all_choices])
    return shape


def _imported(tmp_path, result):
    return load_instrument(write_version(tmp_path, result))


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_xlsform_round_trip_keeps_items_codes_pages_conditions_and_translations(instrument_id, tmp_path):
    original = CATALOGUE.latest(instrument_id)
    workbook, lost = export_xlsform(original)
    workbook.save(tmp_path / "form.xlsx")
    result = import_xlsform(tmp_path / "form.xlsx", instrument_id)
    assert result.unsupported == []
    back = _imported(tmp_path / "q", result)
    assert back.languages == original.languages
    assert back.title == original.title and back.description == original.description
    assert _page_shape(back) == _page_shape(original)
    for before, after in zip(original.items, back.items, strict=True):
        # XLSForm has no column for "identifying": the export says so (below).
        assert _item_shape(after) == _item_shape(before) | {"identifying": False}
        assert after.error == before.error
        if before.identifying:
            assert f"item '{before.id}': identifying" in "\n".join(lost)
    _assert_reports_what_cannot_travel(original, lost)


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_redcap_round_trip_keeps_items_codes_pages_and_conditions_in_the_first_language(instrument_id, tmp_path):
    original = CATALOGUE.latest(instrument_id)
    text, lost = export_redcap(original)
    (tmp_path / "dictionary.csv").write_text(text, encoding="utf-8")
    result = import_redcap(tmp_path / "dictionary.csv", instrument_id)
    assert result.unsupported == []
    back = _imported(tmp_path / "q", result)
    first = original.languages[0]
    assert _page_shape(back, first) == _page_shape(original, first)
    for before, after in zip(original.items, back.items, strict=True):
        expected = _item_shape(before, first)
        if before.max_length not in (None, 200, 2000):  # a data dictionary has no length limit
            assert f"item '{before.id}': max_length {before.max_length}" in lost
            expected["max_length"] = after.max_length
        assert _item_shape(after, first) == expected
        if before.error:
            assert f"item '{before.id}': its own error message" in lost
    _assert_reports_what_cannot_travel(original, lost)
    if len(original.languages) > 1:
        assert any(line.startswith("translations (") and original.languages[1] in line for line in lost)


@pytest.mark.parametrize("instrument_id, language", [(instrument_id, language) for instrument_id in SHIPPED
                                                      for language in CATALOGUE.latest(instrument_id).languages[1:]])
def test_redcap_exports_each_translation_as_a_dictionary_of_its_own(instrument_id, language, tmp_path):
    """A data dictionary holds one language: each translation is exported on its own, with the same
    variables, codes, pages and conditions, and read back in that language."""
    original = CATALOGUE.latest(instrument_id)
    text, lost = export_redcap(original, language)
    first, _ = export_redcap(original)
    # The same variables, rows and codes as the first language's dictionary: only the words differ.
    names = [line.split(",", 1)[0] for line in text.splitlines()]
    assert names == [line.split(",", 1)[0] for line in first.splitlines()]
    (tmp_path / "dictionary.csv").write_text(text, encoding="utf-8")
    result = import_redcap(tmp_path / "dictionary.csv", instrument_id, language)
    back = _imported(tmp_path / "q", result)
    assert back.languages == (language,)
    assert _page_shape(back, language) == _page_shape(original, language)
    for before, after in zip(original.items, back.items, strict=True):
        expected = _item_shape(before, language)
        expected["max_length"] = after.max_length  # a data dictionary has no length limit (see above)
        assert _item_shape(after, language) == expected
    others = [other for other in original.languages if other != language]
    assert any(line.startswith(f"translations ({', '.join(others)})") and f"here '{language}'" in line
               for line in lost)


def test_redcap_refuses_a_language_the_instrument_does_not_have():
    with pytest.raises(ValueError, match="no 'fr' texts; its languages are en, cy"):
        export_redcap(CATALOGUE.latest("partner-survey"), "fr")


def _assert_reports_what_cannot_travel(original, lost):
    text = "\n".join(lost)
    for scale in original.scales:
        assert scale.id in text, f"scale {scale.id} dropped without a word"
    assert "respondents, modes" in text
    for item in original.items:
        if item.anchors:
            assert f"item '{item.id}': anchors" in text or f"item '{item.id}': " in text
        if item.derive:
            assert "derive" in next(line for line in lost if line.startswith(f"item '{item.id}'"))
