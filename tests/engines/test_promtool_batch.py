"""The promtool batch itself: each case's outcome is its own, a case that does not hold fails,
and a case's rule file keeps exactly what can change its outcome."""

from __future__ import annotations

import subprocess

import yaml

from tests.engines import promtool
from tests.engines.tool import require

GROUPS = [
    {
        "name": "g",
        "rules": [
            {"record": "job:up:sum", "expr": "sum by (job) (up)"},
            {"record": "unused:sum", "expr": "sum(other)"},
            {"alert": "JobDown", "expr": "job:up:sum == 0", "for": "1m", "labels": {"severity": "page"}},
            {"alert": "Other", "expr": "unused:sum > 1"},
        ],
    }
]


def _case(fires: bool) -> list[dict]:
    exp = [{"exp_labels": {"severity": "page", "job": "api"}}] if fires else []
    return [{"interval": "1m", "input_series": [{"series": 'up{job="api"}', "values": "0x10"}],
             "alert_rule_test": [{"eval_time": "5m", "alertname": "JobDown", "exp_alerts": exp}]}]


def test_a_case_keeps_its_alert_and_the_recording_rules_it_reads():
    (group,) = promtool.rules_for(GROUPS, _case(True))
    assert [r.get("alert") or r.get("record") for r in group["rules"]] == ["job:up:sum", "JobDown"]


def test_a_rule_reading_alerts_keeps_every_rule():
    groups = [{"name": "g", "rules": [*GROUPS[0]["rules"], {"alert": "Meta", "expr": 'ALERTS{alertname="JobDown"}'}]}]
    assert promtool.rules_for(groups, _case(True)) == groups


def test_each_file_of_one_run_gets_its_own_outcome(tmp_path):
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": promtool.rules_for(GROUPS, _case(True))}))
    for name, fires in (("holds.yaml", True), ("wrong.yaml", False)):
        (tmp_path / name).write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": _case(fires)}))
    run = subprocess.run([require("promtool"), "test", "rules", "holds.yaml", "wrong.yaml"], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    outcomes = promtool.parse(run.stdout)
    assert outcomes["holds.yaml"].ok
    assert not outcomes["wrong.yaml"].ok and "JobDown" in outcomes["wrong.yaml"].output
