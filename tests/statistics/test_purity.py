"""feedback.statistics must stay pure: no Flask, no database (issue 21).

``feedback/__init__.py`` itself imports Flask (it builds the app), so importing
``feedback.statistics`` the usual way always loads Flask. The check therefore runs in a fresh
interpreter with a bare stand-in for the ``feedback`` package, so that only the statistics modules
and what they import are loaded.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "feedback"

SCRIPT = f"""
import sys, types
stub = types.ModuleType("feedback")
stub.__path__ = [{str(PACKAGE)!r}]
sys.modules["feedback"] = stub
import feedback.statistics.change, feedback.statistics.reliable_change, feedback.statistics.proportions
banned = sorted(name for name in sys.modules
                if name.split(".")[0] in {{"flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "psycopg"}}
                or (name.startswith("feedback.") and not name.startswith("feedback.statistics")))
print(",".join(banned))
"""


def test_statistics_imports_no_flask_and_no_database():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
