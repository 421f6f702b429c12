"""The suite, as a package: a dependency (textstat) installs a top-level ``tests`` package of its
own, which would otherwise shadow this folder in ``from tests.… import``."""
