"""The cost-benefit report on the demo data shows the SROI tables and the families who avoided an outcome."""
from __future__ import annotations

import json


def test_cost_benefit_on_the_demo_data_shows_sroi_and_families_avoiding_any(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    result = app.test_cli_runner().invoke(args=["report", "cost-benefit", "--programme-cost", "500000",
                                                "--format", "json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    titles = [table["title"] for table in shown["tables"]]
    assert {"Social return on investment", "Social return on investment: totals",
            "Social return on investment: sensitivity", "Families who avoided at least one adverse outcome"} <= set(titles)
    avoiding = next(t for t in shown["tables"] if t["title"] == "Families who avoided at least one adverse outcome")
    value = avoiding["rows"][1]["value"]
    assert isinstance(value, str) or value >= 0
