"""Hand-made XLSForm and REDCap files: each supported construct arrives, each unsupported one is
named by sheet (or data dictionary), row and column, and the import refuses until told to skip."""
import pytest
from openpyxl import Workbook

from feedback.instruments import load_instrument
from feedback.instruments.interchange import ImportRefused, write_version
from feedback.instruments.interchange.redcap import HEADERS, import_redcap
from feedback.instruments.interchange.xlsform_import import import_xlsform

SURVEY = ["type", "name", "label::English (en)", "label::Welsh (cy)", "hint::English (en)", "hint::Welsh (cy)",
          "required", "relevant", "constraint", "appearance", "parameters", "calculation"]
ROWS = [  # row 2 onwards
    ["note", "intro_note", "About this form", "Am y ffurflen"],
    ["begin group", "about", "About you", "Amdanoch chi", None, None, None, None, None, "field-list"],
    ["select_one yes_no", "has_children", "Any children?", "Plant?", None, None, "yes"],
    ["select_one agree", "happy", "I am happy", "Rwy'n hapus", None, None, "yes", None, None, "likert"],
    ["end group"],
    ["begin group", "details", "Details", "Manylion"],
    ["integer", "children", "How many?", "Faint?", "Count them", "Cyfrwch", "yes", "${has_children} = '1'",
     ". >= 0 and . <= 20"],
    ["select_multiple help", "helped", "Who helped?", "Pwy?", None, None, "no", "${happy} != '-9'"],
    ["decimal", "hours", "Hours", "Oriau", None, None, "no", None, ". >= 0 and . <= 99.5"],
    ["date", "started", "Start date", "Dyddiad", None, None, "no", None, ". >= date('2020-01-01') and . <= today()"],
    ["text", "name_of_school", "School", "Ysgol", None, None, "no", None, "string-length(.) <= 80"],
    ["text", "story", "Tell us more", "Dywedwch", None, None, "no", None, None, "multiline"],
    ["range", "rating", "Rating", "Sgôr", None, None, "yes", None, None, None, "start=0 end=10 step=1"],
    ["end group"],
]
UNSUPPORTED = [
    ["begin group", "more", "More", "Mwy"],
    ["begin repeat", "kids", "Each child", "Pob plentyn"],           # row 17
    ["text", "kid_name", "Name", "Enw"],
    ["end repeat"],
    ["calculate", "total", None, None, None, None, None, None, None, None, None, "${children} * 2"],  # row 20
    ["integer", "age", "Age", "Oed", None, None, "yes", "${children} > 5 and count(${helped}) = 2",
     ". >= 0 and . <= 18"],                                          # row 21
    ["end group"],
]
CHOICES = [["yes_no", "1", "Yes", "Ie"], ["yes_no", "0", "No", "Na"],
           ["agree", "1", "Agree", "Cytuno"], ["agree", "2", "Disagree", "Anghytuno"],
           ["agree", "-9", "Prefer not to say", "Gwell peidio"],
           ["help", "family", "Family", "Teulu"], ["help", "school", "School", "Ysgol"]]


def make_workbook(path, rows):
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(SURVEY)
    for row in rows:
        survey.append(row)
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::Welsh (cy)"])
    for row in CHOICES:
        choices.append(row)
    settings = workbook.create_sheet("settings")
    settings.append(["form_title", "form_title::Welsh (cy)", "form_id", "default_language"])
    settings.append(["Family form", "Ffurflen teulu", "family_form", "English (en)"])
    workbook.save(path)
    return path


@pytest.fixture
def supported_form(tmp_path):
    return make_workbook(tmp_path / "supported.xlsx", ROWS)


@pytest.fixture
def mixed_form(tmp_path):
    return make_workbook(tmp_path / "mixed.xlsx", ROWS + UNSUPPORTED)


def test_every_supported_xlsform_construct_arrives_and_passes_the_loader(supported_form, tmp_path):
    result = import_xlsform(supported_form, "family-form")
    assert result.unsupported == []
    instrument = load_instrument(write_version(tmp_path / "q", result))
    assert instrument.languages == ("en", "cy")
    assert instrument.title.get("cy") == "Ffurflen teulu" and instrument.description.get("en") == "About this form"
    about, details = instrument.pages
    assert about.title.get("cy") == "Amdanoch chi" and about.together
    kinds = {item.id: item.type for item in instrument.items}
    assert kinds == {"has_children": "yes_no", "happy": "agreement", "children": "number", "helped": "multiple_choice",
                     "hours": "number", "started": "date", "name_of_school": "text", "story": "long_text",
                     "rating": "scale"}
    children = instrument.item("children")
    assert (children.minimum, children.maximum, children.hint.get("cy")) == (0, 20, "Cyfrwch")
    assert children.conditions[0].item_id == "has_children" and children.conditions[0].codes == {1}
    helped = instrument.item("helped")
    assert helped.conditions[0].negate and helped.conditions[0].codes == {-9} and not helped.required
    assert instrument.item("happy").missing_code_values == {-9}
    assert not instrument.item("hours").integer and instrument.item("hours").maximum == 99.5
    started = instrument.item("started")
    assert started.earliest.isoformat() == "2020-01-01" and started.latest_today
    assert instrument.item("name_of_school").max_length == 80
    assert (instrument.item("rating").minimum, instrument.item("rating").maximum) == (0, 10)


def test_what_xlsform_states_that_the_format_cannot_is_named_by_sheet_row_and_column(mixed_form):
    lines = [str(entry) for entry in import_xlsform(mixed_form, "family-form").unsupported]
    assert any(line.startswith("survey sheet, row 17, column type: begin repeat") and "repeats" in line
               for line in lines)
    assert any(line.startswith("survey sheet, row 20, column calculation: ${children} * 2") for line in lines)
    assert ("survey sheet, row 21, column relevant: ${children} > 5 and count(${helped}) = 2 — "
            "the comparison > is not supported (only = and !=)") in lines
    assert not any("kid_name" in line for line in lines)  # inside the repeat: reported once, by the repeat


def test_a_broken_relevant_names_its_row(tmp_path):
    rows = ROWS[:-1] + [["text", "why", "Why?", "Pam?", None, None, "no", "count(${helped}) > 1"], ["end group"]]
    lines = [str(entry) for entry in import_xlsform(make_workbook(tmp_path / "f.xlsx", rows), "f").unsupported]
    assert lines == ["survey sheet, row 15, column relevant: count(${helped}) > 1 — functions are not supported (count())"]


def test_the_import_refuses_unsupported_constructs_unless_told_to_skip_them(mixed_form, tmp_path):
    result = import_xlsform(mixed_form, "family-form")
    with pytest.raises(ImportRefused) as refused:
        write_version(tmp_path / "q", result)
    assert "survey sheet, row 17" in str(refused.value) and "--skip-unsupported" in str(refused.value)
    assert not (tmp_path / "q").exists()
    instrument = load_instrument(write_version(tmp_path / "q", result, skip_unsupported=True))
    assert "total" not in {item.id for item in instrument.items}
    assert instrument.item("age").conditions == ()


def test_a_workbook_pyxform_rejects_is_refused_with_its_reason(tmp_path):
    rows = [["select_one missing_list", "q", "Q?", "Q?"]]
    with pytest.raises(ImportRefused) as refused:
        import_xlsform(make_workbook(tmp_path / "bad.xlsx", rows), "bad")
    assert "not a valid XLSForm" in str(refused.value)


# -- REDCap -----------------------------------------------------------------------------------

REDCAP_ROWS = [  # row 2 onwards; columns: name, form, section, type, label, choices, note, validation, min, max,
                 # identifier, branching, required, alignment, number, matrix, ranking, annotation
    ["intro", "family", "About you", "descriptive", "Please answer for your family"],
    ["has_children", "family", "", "yesno", "Any children?", "", "", "", "", "", "", "", "y"],
    ["children", "family", "", "text", "How many?", "", "Count them", "integer", "0", "20", "", "[has_children] = '1'", "y"],
    ["started", "family", "", "text", "Start date", "", "", "date_ymd", "2020-01-01", "today"],
    ["helped", "family", "Help", "checkbox", "Who helped?", "1, Family | 2, School"],
    ["school_help", "family", "Your school", "radio", "Did school help?", "1, Yes | 2, No | -9, Prefer not to say",
     "", "", "", "", "", "[helped(2)] = '1'"],
    ["notes_box", "family", "", "notes", "Anything else?"],
    ["email", "family", "", "text", "Your email", "", "", "", "", "", "y"],
    ["q1", "family", "Feelings", "radio", "I feel calm", "1, Agree | 2, Disagree", "", "", "", "", "", "", "", "", "", "feel"],
    ["q2", "family", "", "radio", "I feel safe", "1, Agree | 2, Disagree", "", "", "", "", "", "", "", "", "", "feel"],
]
REDCAP_UNSUPPORTED = [
    ["score", "family", "", "calc", "Score", "[q1] + [q2]"],                                        # row 12
    ["later", "family", "", "text", "Later", "", "", "", "", "", "", "[children] > 2 or [q1] = '1'"],  # row 13
    ["phone", "family", "", "text", "Phone", "", "", "phone"],                                      # row 14
]


def write_dictionary(path, rows):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(row + [""] * (len(HEADERS) - len(row)) for row in rows)
    return path


def test_every_supported_redcap_construct_arrives_and_passes_the_loader(tmp_path):
    result = import_redcap(write_dictionary(tmp_path / "d.csv", REDCAP_ROWS), "family")
    assert result.unsupported == []
    instrument = load_instrument(write_version(tmp_path / "q", result))
    # "How many?" tests an answer on its own page, so the page is split where it starts.
    about, about_2, help_page, school, feelings = instrument.pages
    assert about.title.get("en") == "About you" and about.intro.get("en") == "Please answer for your family"
    assert (about_2.id, about_2.title.get("en"), about_2.items[0].id) == ("about_you_2", "About you", "children")
    assert any("split before 'children'" in note for note in result.notes)
    assert feelings.together and [item.id for item in feelings.items] == ["q1", "q2"]
    assert {item.id: item.type for item in instrument.items} == {
        "has_children": "yes_no", "children": "number", "started": "date", "helped": "multiple_choice",
        "school_help": "single_choice", "notes_box": "long_text", "email": "text", "q1": "single_choice",
        "q2": "single_choice"}
    assert instrument.item("children").conditions[0].codes == {1}
    assert instrument.item("school_help").conditions[0].item_id == "helped"
    assert instrument.item("school_help").missing_code_values == {-9}
    assert instrument.item("email").identifying and instrument.item("started").latest_today


def test_what_redcap_states_that_the_format_cannot_is_named_by_row_and_column(tmp_path):
    path = write_dictionary(tmp_path / "d.csv", REDCAP_ROWS + REDCAP_UNSUPPORTED)
    result = import_redcap(path, "family")
    lines = [str(entry) for entry in result.unsupported]
    assert lines == [
        "data dictionary, row 12, column Field Type: calc — calculated fields are not supported",
        "data dictionary, row 13, column Branching Logic (Show field only if...): [children] > 2 or [q1] = '1' — "
        "the comparison > is not supported (only = and !=)",
        "data dictionary, row 14, column Text Validation Type OR Show Slider Number: phone — this validation type "
        "is not supported",
    ]
    with pytest.raises(ImportRefused):
        write_version(tmp_path / "q", result)
    assert load_instrument(write_version(tmp_path / "q", result, skip_unsupported=True)).item("later").conditions == ()
