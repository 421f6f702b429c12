"""The instrument files are parsed by libyaml, with the pure-Python parser's values and errors."""
from __future__ import annotations

import pytest
import yaml

from feedback.instruments.checks import yaml_problem
from feedback.instruments.yaml_text import FAST_LOADER, parse
from tests.conftest import FIXTURES, ROOT

SHIPPED = sorted(path for folder in (ROOT / "questionnaires", ROOT / "exports", FIXTURES)
                 for pattern in ("*.yaml", "*.yml") for path in folder.rglob(pattern))


def test_the_c_parser_is_used_where_pyyaml_has_it():
    # Losing it would not break anything but every app start (about 1 s of CPU more each).
    assert FAST_LOADER is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)


def test_every_shipped_file_parses_to_the_same_values_as_the_pure_python_parser():
    assert len(SHIPPED) > 40
    for path in SHIPPED:
        text = path.read_text(encoding="utf-8")
        expected = yaml.safe_load(text)
        assert parse(text) == expected and repr(parse(text)) == repr(expected), path


@pytest.mark.parametrize("text", [
    "title: one\n  bad: indentation\n",
    "items:\n  - id: a\n    text: \"unclosed\n",
    "a: 1\n\tb: 2\n",
    "a: [1, 2\n",
    "key: value\nkey2: @reserved\n",
])
def test_a_malformed_file_is_reported_as_the_pure_python_parser_reports_it(text):
    with pytest.raises(yaml.YAMLError) as expected:
        yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError) as found:
        parse(text)
    assert yaml_problem("x.yaml", found.value) == yaml_problem("x.yaml", expected.value)
    assert str(found.value) == str(expected.value)


@pytest.mark.parametrize("text, value", [
    ("n: 007\nm: 0x1F\nf: 1e3\nb: yes\nd: 2026-12-07\nnull_: ~\n", None),
    ("- !!python/object:os.system [echo]\n", yaml.constructor.ConstructorError),
])
def test_types_are_the_safe_loaders(text, value):
    if value is yaml.constructor.ConstructorError:
        with pytest.raises(yaml.constructor.ConstructorError):
            parse(text)
        return
    assert parse(text) == yaml.safe_load(text)
