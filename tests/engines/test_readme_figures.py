"""The README's table of engine tests states figures that drift as alerts and panels change:
they are recomputed here from the cases the tests run."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import EKS_STACKS, STACKS
from tests.engines import test_alert_rules, test_alertmanager, test_chart_alerts, test_finops_queries

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _row(start: str) -> str:
    (line,) = [line for line in README.splitlines() if line.startswith(start)]
    return line


def test_alert_case_counts_match_the_readme():
    kind = [s for s in STACKS if s not in EKS_STACKS]
    per_kind = len(test_alert_rules.stack_cases(kind[0]))
    per_eks = len(test_alert_rules.stack_cases(EKS_STACKS[0]))
    total = sum(len(test_alert_rules.stack_cases(s)) for s in STACKS)
    row = _row("| every alert of `platform-rules`")
    assert f"kind: {per_kind} cases" in row and f"eks: {per_eks} cases" in row and row.endswith(f"| {total} |")
    assert _row("| the chart's `KubeNodeNotReady`").endswith(f"| {len(test_chart_alerts.CASES)} |")


def test_finops_and_routing_counts_match_the_readme():
    queries = sum(len(test_finops_queries.expected(s)) for s in STACKS)
    assert _row("| every query of \"FinOps Cost Analysis\"").endswith(f"| {queries} |")
    routes = sum(len(test_alertmanager.routing_cases(s)) * len(test_alertmanager.MODES) for s in STACKS)
    assert _row("| where each kind of alert goes").endswith(f"| {routes} |")
