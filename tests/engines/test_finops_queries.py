"""Every query of the rendered "FinOps Cost Analysis" dashboard, evaluated by promtool
(``promql_expr_test``) against synthetic kube-state-metrics and cAdvisor series, through
kube-prometheus-stack's recording rules, and compared with figures computed by hand here.

The cluster (requests / usage, cores and MiB):
- cloudmart/product-service   0.25 / 0.0625 cores, 256 / 96 MiB
- cloudmart/user-service      0.125 / 0.0625 cores, 128 / 64 MiB
- trip-service-dev/service-currency  0.125 / 0.015625 cores, 256 / 128 MiB
- trip-service-dev/service-dataingestor  finished (Succeeded): 0.5 cores, 512 MiB, never counted
- monitoring/prometheus-0     0.5 / 0.25 cores, 1024 / 512 MiB: outside the selected namespaces

The dashboard's ``$namespace`` is set to cloudmart and trip-service-dev, as Grafana
interpolates a multi-value variable into a regex: ``(cloudmart|trip-service-dev)``.
CPU figures are binary fractions, so sums and differences are exact in floating point; a
ratio or a price is computed here with the same operations in the same order as PromQL.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import STACKS, rendered
from tests.engines import promtool
from tests.engines.series import MIB, Pod, pod_series

SELECTED = "(cloudmart|trip-service-dev)"
GIB = 1024 * MIB
CPU_H, MEM_GIB_H, HOURS = 0.031611, 0.004237, 730  # the stacks' default prices

PODS = (
    Pod("cloudmart", "product-service-6f7c9-abcde", "product-service", 0.25, 256 * MIB, 0.0625, 96 * MIB),
    Pod("cloudmart", "user-service-5d8b7-fghij", "user-service", 0.125, 128 * MIB, 0.0625, 64 * MIB),
    Pod("trip-service-dev", "service-currency-7c9d-klmno", "service-currency", 0.125, 256 * MIB, 0.015625, 128 * MIB),
    Pod("trip-service-dev", "service-dataingestor-29411-pqrst", "service-dataingestor", 0.5, 512 * MIB, phase="Succeeded"),
    Pod("monitoring", "prometheus-kube-prometheus-stack-prometheus-0", "prometheus", 0.5, GIB, 0.25, 512 * MIB),
)

CM, TRIP = '{namespace="cloudmart"}', '{namespace="trip-service-dev"}'


def monthly(cores: float, memory_bytes: int) -> float:
    """The cost formula in PromQL's order: (cores x $/core-h + bytes / GiB x $/GiB-h) x 730."""
    return (cores * CPU_H + memory_bytes / GIB * MEM_GIB_H) * HOURS


# (panel title prefix, refId) -> {labels: value}, all by hand.
EXPECTED: dict[tuple[str, str], dict[str, float]] = {
    ("Total CPU Requests", "A"): {"{}": 0.5},  # 0.25 + 0.125 + 0.125; the finished pod is out
    ("Total Memory Requests", "A"): {"{}": 640 * MIB},  # 256 + 128 + 256 MiB
    ("Overall CPU Efficiency", "A"): {"{}": 0.28125},  # (0.0625 + 0.0625 + 0.015625) / 0.5
    ("Wasted CPU Cores", "A"): {"{}": 0.359375},  # 0.5 - 0.140625
    ("Wasted Memory", "A"): {"{}": 352 * MIB},  # 640 - (96 + 64 + 128) MiB
    ("CPU Efficiency by Namespace", "A"): {CM: 0.125 / 0.375, TRIP: 0.015625 / 0.125},  # 33.3%, 12.5%
    ("Top 10 Over-Provisioned Pods", "A"): {
        '{namespace="cloudmart", pod="product-service-6f7c9-abcde"}': 0.1875,  # 0.25 - 0.0625
        '{namespace="cloudmart", pod="user-service-5d8b7-fghij"}': 0.0625,  # 0.125 - 0.0625
        '{namespace="trip-service-dev", pod="service-currency-7c9d-klmno"}': 0.109375,  # 0.125 - 0.015625
    },
    ("Resource Usage Trend", "A"): {CM: 0.125, TRIP: 0.015625},
    ("Resource Usage Trend", "B"): {CM: 0.375, TRIP: 0.125},
    # cloudmart: (0.375 x 0.031611 + 0.375 GiB x 0.004237) x 730 = 9.81339 USD/month
    # trip-service-dev: (0.125 x 0.031611 + 0.25 GiB x 0.004237) x 730 = 3.65775625 USD/month
    ("Estimated Monthly Cost by Namespace", "A"): {CM: monthly(0.375, 384 * MIB), TRIP: monthly(0.125, 256 * MIB)},
}


def finops_targets(stack: str) -> dict[tuple[str, str], str]:
    """(title prefix, refId) -> expr of every target of the rendered dashboard ConfigMap."""
    (cm,) = [o for o in rendered(stack).objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "finops-dashboard"]
    dashboard = json.loads(cm["data"]["finops-dashboard.json"])
    out = {}
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            (prefix,) = [p for p, ref in EXPECTED if panel["title"].startswith(p) and ref == target["refId"]] or [panel["title"]]
            out[(prefix, target["refId"])] = target["expr"]
    return out


def test_the_hand_computed_costs():
    assert monthly(0.375, 384 * MIB) == pytest.approx(9.81339)
    assert monthly(0.125, 256 * MIB) == pytest.approx(3.65775625)


@pytest.mark.parametrize("stack", STACKS)
def test_every_finops_query_has_a_hand_computed_expectation(stack):
    assert set(finops_targets(stack)) == set(EXPECTED)


@promtool.cases_from
def promtool_cases(stack: str) -> dict[str, list[dict]]:
    exprs = {key: expr.replace("$namespace", SELECTED) for key, expr in finops_targets(stack).items()}
    tests = [
        {
            "interval": "1m",
            "input_series": [s for pod in PODS for s in pod_series(pod, 60)],
            "promql_expr_test": [
                {"expr": exprs[key], "eval_time": "30m", "exp_samples": [{"labels": labels, "value": value} for labels, value in want.items()]}
                for key, want in EXPECTED.items()
            ],
        }
    ]
    return {"finops-queries": tests}


@pytest.mark.promtool
@pytest.mark.parametrize("stack", STACKS)
def test_finops_queries_evaluate_to_the_hand_computed_figures(stack):
    result = promtool.outcome(stack, "finops-queries")
    assert result.ok, result.output
