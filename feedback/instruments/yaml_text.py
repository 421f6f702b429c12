"""YAML text parsed as the instrument, schedule, profile and valuation files are: safe types only.

Through libyaml (PyYAML's C parser) where PyYAML was built with it, which its wheels are: the
pure-Python parser spent about 1 s of CPU on every app start reading the shipped instruments and
their languages (147 files), 90% of ``create_app``, and the test suite starts an app for each test.
Both parsers build the same values from the same text (PyYAML's resolvers decide the types either
way). A file that does not parse is parsed again by the pure-Python parser, whose error messages
and positions the problems shown to authors were written against.
"""
from __future__ import annotations

import yaml

FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str):
    """The text's one document as Python values; ``yaml.YAMLError`` as the pure-Python parser words it."""
    try:
        return yaml.load(text, Loader=FAST_LOADER)  # noqa: S506  (a safe loader: libyaml's SafeLoader)
    except yaml.YAMLError:
        if FAST_LOADER is yaml.SafeLoader:
            raise
    return yaml.safe_load(text)  # raises the pure-Python parser's error (or, if they ever disagree, parses)
