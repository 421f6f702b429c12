"""A scale's reliability and direction in its version file, and the reviewed sidecar over it."""
import textwrap

import pytest

from feedback.instruments import InstrumentError, load_instrument
from feedback.instruments.definition import StatedReliability
from feedback.instruments.reliability import (SIDECAR, ScaleReliability, better_direction, reliabilities_for,
                                              reliability_of, with_version_file)

INSTRUMENT = """
id: demo
version: 1
languages: [en]
title: {en: Demo}
respondents: [{role: parent_carer}]
modes: [web]
choice_sets:
  agree:
    - {code: 1, label: {en: Agree}}
    - {code: 2, label: {en: Disagree}}
pages:
  - id: one
    items:
      - {id: q1, type: agreement, choices: agree, text: {en: One}}
      - {id: q2, type: agreement, choices: agree, text: {en: Two}}
scales:
  - id: total
    label: {en: Total}
    items: [q1, q2]
    method: mean
"""
STATED = """\
    better: lower
    reliability: {value: 0.87, kind: alpha, source: "Manual 2019, n = 400"}
"""


def write(tmp_path, scale_extra: str = STATED, folder: str = "demo"):
    path = tmp_path / folder / "v1.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(INSTRUMENT) + scale_extra)
    return path


def problems_for(tmp_path, scale_extra: str) -> list[str]:
    with pytest.raises(InstrumentError) as caught:
        load_instrument(write(tmp_path, scale_extra))
    return [str(problem) for problem in caught.value.problems]


def test_a_version_file_may_give_a_scale_its_reliability_and_direction(tmp_path):
    scale = load_instrument(write(tmp_path)).scales[0]
    assert scale.reliability == StatedReliability(0.87, "Manual 2019, n = 400", "alpha")
    assert scale.better == "lower"
    assert better_direction(scale, None) == "lower"


def test_both_are_optional_and_kind_may_be_left_out(tmp_path):
    scale = load_instrument(write(tmp_path, "")).scales[0]
    assert scale.reliability is None and scale.better is None
    scale = load_instrument(write(tmp_path, '    reliability: {value: 1, source: "Local study"}\n',
                                  folder="x/demo")).scales[0]
    assert scale.reliability == StatedReliability(1.0, "Local study", None)


@pytest.mark.parametrize("extra, expected", [
    ('    reliability: {value: 1.5, kind: alpha, source: "Manual"}\n', "value must be a reliability coefficient"),
    ('    reliability: {value: 0, kind: alpha, source: "Manual"}\n', "value must be a reliability coefficient"),
    ('    reliability: {value: high, kind: alpha, source: "Manual"}\n', "value must be a reliability coefficient"),
    ("    reliability: {value: 0.8, kind: alpha}\n", "missing required field 'source'"),
    ('    reliability: {value: 0.8, kind: alpha, source: "  "}\n', "source must say where the figure comes from"),
    ('    reliability: {value: 0.8, kind: kappa, source: "Manual"}\n', "kind 'kappa' must be one of alpha"),
    ('    reliability: {value: 0.8, kind: alpha, source: "Manual", n: 40}\n', "unknown field 'n'"),
    ('    reliability: {kind: alpha, source: "Manual"}\n', "missing required field 'value'"),
    ("    reliability: 0.8\n", "must be a mapping of fields"),
    ("    better: up\n", "better 'up' must be higher or lower"),
    ("    reliablity: {value: 0.8, source: Manual}\n", "unknown field 'reliablity'"),
])
def test_each_bad_value_is_refused_naming_the_file_and_the_scale(tmp_path, extra, expected):
    problems = problems_for(tmp_path, extra)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{tmp_path / 'demo' / 'v1.yaml'}: scale ")
    assert "'total'" in problems[0] or "scale 1" in problems[0]
    assert expected in problems[0]


def test_a_bad_value_names_the_scale_by_its_id(tmp_path):
    problems = problems_for(tmp_path, '    reliability: {value: 1.5, kind: alpha, source: "Manual"}\n')
    assert problems[0].startswith(f"{tmp_path / 'demo' / 'v1.yaml'}: scale 'total' reliability: ")


def test_the_version_files_value_is_used_when_the_sidecar_has_none(tmp_path):
    scale = load_instrument(write(tmp_path)).scales[0]
    used = reliabilities_for("demo", tmp_path, scales=[scale])["total"]
    assert (used.value, used.kind, used.source, used.better) == (0.87, "alpha", "Manual 2019, n = 400", "lower")
    assert used.origin == "version file"  # pages and codebooks say where the figure is written
    # A sidecar entry that only says which way is better leaves the file's value in use.
    (tmp_path / "demo" / SIDECAR).write_text("total: {better: higher}\n")
    used = reliabilities_for("demo", tmp_path, scales=[scale])["total"]
    assert (used.value, used.source, used.better) == (0.87, "Manual 2019, n = 400", "higher")
    assert better_direction(scale, used) == "higher"


def test_the_sidecar_overrides_the_version_files_value(tmp_path):
    scale = load_instrument(write(tmp_path)).scales[0]
    (tmp_path / "demo" / SIDECAR).write_text(
        'total: {value: 0.79, kind: test-retest, source: "Local study 2025, n = 212"}\n')
    used = reliabilities_for("demo", tmp_path, scales=[scale])["total"]
    assert (used.value, used.kind, used.source) == (0.79, "test-retest", "Local study 2025, n = 212")
    assert used.origin == SIDECAR
    assert used.better == "lower"  # the sidecar is silent on direction, so the file's word stands
    assert better_direction(scale, used) == "lower"


def test_without_either_there_is_nothing_and_alpha_is_computed(tmp_path):
    scale = load_instrument(write(tmp_path, "")).scales[0]
    assert reliabilities_for("demo", tmp_path, scales=[scale]) == {}
    assert reliability_of(scale, None) is None
    only_sidecar = ScaleReliability("total", 0.8, "alpha", "Manual")
    assert reliability_of(scale, only_sidecar) == only_sidecar


def test_without_scales_only_the_sidecar_is_read_as_before(tmp_path):
    write(tmp_path)
    assert reliabilities_for("demo", tmp_path) == {}


def test_what_the_export_is_given_combines_the_sidecar_with_the_version_file(tmp_path):
    scale = load_instrument(write(tmp_path)).scales[0]
    assert with_version_file({}, [scale])["total"].value == 0.87
    sidecar = {"total": ScaleReliability("total", 0.7, "omega", "Review 2026")}
    assert with_version_file(sidecar, [scale])["total"].value == 0.7
    assert with_version_file(sidecar, []) == sidecar


def test_the_report_and_the_codebook_name_where_a_stated_reliability_is_written(tmp_path, app):
    """A value from the version file is not shown as coming from reliability.yaml, and the reverse."""
    from feedback.exports.change import ScaleChange
    from feedback.statistics.reliable_change import choose_reliability

    scale = load_instrument(write(tmp_path)).scales[0]
    for origin, page, codebook in (("version file", "(version file, alpha)", "version file of demo"),
                                   (SIDECAR, "(reliability.yaml, alpha)", "questionnaires/demo/reliability.yaml")):
        given = ScaleReliability("total", 0.87, "alpha", "Manual 2019", "lower", origin=origin)
        note = ScaleChange("demo", "total", "entry", 40, 1.0, choose_reliability(0.87, "Manual 2019", None),
                           "alpha", None, "lower", None, origin)
        assert codebook in note.reliability_text()
        from feedback.reports.scale_change import ScaleData, _reliability

        with app.test_request_context():
            shown = _reliability(ScaleData("demo", scale, "Total", None, reliability=given), 30)[1]
        assert page in shown, shown
