"""Item columns across instrument versions: shared only when type and codes agree."""
from __future__ import annotations

import pytest

from feedback.exports.versions import VersionMismatch, item_columns
from feedback.instruments.catalogue import load_catalogue

V1 = """id: mood
version: {version}
languages: [en]
title: {{en: Mood}}
respondents: [{{role: parent_carer}}]
modes: [web]
pages:
  - id: p
    items:
      - {{id: same, type: yes_no, text: {{en: "Same"}}}}
      - id: feeling
        type: single_choice
        text: {{en: "How are you"}}
        choices: {choices}
{extra}"""


def catalogue(tmp_path, second_choices, extra=""):
    folder = tmp_path / "q" / "mood"
    folder.mkdir(parents=True)
    first = "[{code: 1, label: {en: Good}}, {code: 2, label: {en: Bad}}]"
    (folder / "v1.yaml").write_text(V1.format(version=1, choices=first, extra=""))
    (folder / "v2.yaml").write_text(V1.format(version=2, choices=second_choices, extra=extra))
    loaded = load_catalogue(tmp_path / "q")
    assert not loaded.problems, loaded.problems
    return loaded


def test_unchanged_items_share_one_column_and_new_items_are_not_dropped(tmp_path):
    extra = '      - {id: added, type: yes_no, text: {en: "New"}}\n'
    columns = item_columns(catalogue(tmp_path, "[{code: 1, label: {en: Fine}}, {code: 2, label: {en: Poor}}]", extra),
                           "mood")
    assert [(c.name, sorted(c.versions)) for c in columns] == [("same", [1, 2]), ("feeling", [1, 2]), ("added", [2])]
    assert columns[1].item.choices[0].label.get("en") == "Fine"  # the latest wording labels the column


def test_re_coded_items_are_refused_by_name_and_version(tmp_path):
    recoded = "[{code: 1, label: {en: Good}}, {code: 2, label: {en: OK}}, {code: 3, label: {en: Bad}}]"
    with pytest.raises(VersionMismatch, match=r"'feeling' \(v2: single_choice, codes \['1', '2', '3'\]; v1: "):
        item_columns(catalogue(tmp_path, recoded), "mood")


def test_or_kept_apart_in_a_column_per_version(tmp_path):
    recoded = "[{code: 1, label: {en: Good}}, {code: 2, label: {en: OK}}, {code: 3, label: {en: Bad}}]"
    columns = item_columns(catalogue(tmp_path, recoded), "mood", on_mismatch="keep_apart")
    assert [(c.name, sorted(c.versions)) for c in columns] == [("same", [1, 2]), ("feeling_v2", [2]), ("feeling_v1", [1])]
