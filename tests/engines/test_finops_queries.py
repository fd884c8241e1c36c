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

On eks the cost panels read OpenCost instead (allocations times each node's prices): the same
pods, product-service on an on-demand node, user-service and service-currency on a Spot node,
priced in binary fractions so the figures are exact.
"""

from __future__ import annotations

import json

import pytest

import dataclasses

from tests.conftest import EKS_STACKS, STACKS, rendered
from tests.engines import promtool
from tests.engines.series import MIB, Pod, PricedNode, opencost_allocation, opencost_node, pod_series

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
}
FLAT_COST: dict[tuple[str, str], dict[str, float]] = {
    # cloudmart: (0.375 x 0.031611 + 0.375 GiB x 0.004237) x 730 = 9.81339 USD/month
    # trip-service-dev: (0.125 x 0.031611 + 0.25 GiB x 0.004237) x 730 = 3.65775625 USD/month
    ("Estimated Monthly Cost by Namespace", "A"): {CM: monthly(0.375, 384 * MIB), TRIP: monthly(0.125, 256 * MIB)},
}


# eks: OpenCost's node prices (USD/h per vCPU, per GiB) and where each pod runs.
ON_DEMAND_NODE = PricedNode("ip-10-0-1-23.ap-northeast-2.compute.internal", "t3.medium", 0.03125, 0.00390625, 0.078125)
SPOT_NODE = PricedNode("ip-10-0-2-45.ap-northeast-2.compute.internal", "t3.medium", 0.0078125, 0.0009765625, 0.01953125, spot=True)
PLACEMENT = {"product-service": ON_DEMAND_NODE, "prometheus": ON_DEMAND_NODE, "user-service": SPOT_NODE,
             "service-currency": SPOT_NODE, "service-dataingestor": SPOT_NODE}
EKS_PODS = tuple(dataclasses.replace(p, node=PLACEMENT[p.container].name) for p in PODS)


def opencost_monthly(cores: float, gib: float, node: PricedNode) -> float:
    return (cores * node.cpu_hourly + gib * node.ram_gib_hourly) * HOURS


# product-service: (0.25 x 0.03125 + 0.25 GiB x 0.00390625) x 730 = 6.416015625
# user-service: (0.125 x 0.0078125 + 0.125 GiB x 0.0009765625) x 730 = 0.802001953125
# service-currency: (0.125 x 0.0078125 + 0.25 GiB x 0.0009765625) x 730 = 0.89111328125
# cloudmart = 6.416015625 + 0.802001953125 = 7.218017578125; the finished pod and monitoring are out.
PRODUCT, USER = opencost_monthly(0.25, 0.25, ON_DEMAND_NODE), opencost_monthly(0.125, 0.125, SPOT_NODE)
CURRENCY = opencost_monthly(0.125, 0.25, SPOT_NODE)
OPENCOST_COST: dict[tuple[str, str], dict[str, float]] = {
    ("Estimated Monthly Cost by Namespace", "A"): {CM: 7.218017578125, TRIP: 0.89111328125},
    ("Top 10 Workloads by Cost", "A"): {
        '{namespace="cloudmart", pod="product-service-6f7c9-abcde"}': 6.416015625,
        '{namespace="cloudmart", pod="user-service-5d8b7-fghij"}': 0.802001953125,
        '{namespace="trip-service-dev", pod="service-currency-7c9d-klmno"}': 0.89111328125,
    },
}


def expected(stack: str) -> dict[tuple[str, str], dict[str, float]]:
    return {**EXPECTED, **(OPENCOST_COST if stack in EKS_STACKS else FLAT_COST)}


def input_series(stack: str) -> list[dict]:
    if stack not in EKS_STACKS:
        return [s for pod in PODS for s in pod_series(pod, 60)]
    running = [p for p in EKS_PODS if p.phase == "Running"]
    nodes = [s for node in (ON_DEMAND_NODE, SPOT_NODE) for s in opencost_node(node, 60)]
    return [s for pod in EKS_PODS for s in pod_series(pod, 60)] + [s for p in running for s in opencost_allocation(p, 60)] + nodes


def finops_targets(stack: str) -> dict[tuple[str, str], str]:
    """(title prefix, refId) -> expr of every target of the rendered dashboard ConfigMap."""
    (cm,) = [o for o in rendered(stack).objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "finops-dashboard"]
    dashboard = json.loads(cm["data"]["finops-dashboard.json"])
    out = {}
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            wanted = expected(stack)
            (prefix,) = [p for p, ref in wanted if panel["title"].startswith(p) and ref == target["refId"]] or [panel["title"]]
            out[(prefix, target["refId"])] = target["expr"]
    return out


def test_the_hand_computed_costs():
    assert monthly(0.375, 384 * MIB) == pytest.approx(9.81339)
    assert monthly(0.125, 256 * MIB) == pytest.approx(3.65775625)
    assert (PRODUCT, USER, CURRENCY) == (6.416015625, 0.802001953125, 0.89111328125)
    assert PRODUCT + USER == 7.218017578125


@pytest.mark.parametrize("stack", STACKS)
def test_every_finops_query_has_a_hand_computed_expectation(stack):
    assert set(finops_targets(stack)) == set(expected(stack))


@promtool.cases_from
def promtool_cases(stack: str) -> dict[str, list[dict]]:
    exprs = {key: expr.replace("$namespace", SELECTED) for key, expr in finops_targets(stack).items()}
    tests = [
        {
            "interval": "1m",
            "input_series": input_series(stack),
            "promql_expr_test": [
                {"expr": exprs[key], "eval_time": "30m", "exp_samples": [{"labels": labels, "value": value} for labels, value in want.items()]}
                for key, want in expected(stack).items()
            ],
        }
    ]
    return {"finops-queries": tests}


@pytest.mark.promtool
@pytest.mark.parametrize("stack", STACKS)
def test_finops_queries_evaluate_to_the_hand_computed_figures(stack):
    result = promtool.outcome(stack, "finops-queries")
    assert result.ok, result.output
