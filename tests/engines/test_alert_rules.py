"""Every platform alert, unit-tested with ``promtool test rules`` on the rules each stack
renders: one input where it fires (labels and annotations asserted) and one where it must
stay silent (just under its threshold, or just short of its ``for:``).

Inputs are series as the exporters name them (``series.py``); the FinOps alerts go through
kube-prometheus-stack's recording rules (``kps_recording_rules.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.conftest import STACKS
from tests.engines import promtool
from tests.engines.promtool import platform_rule_groups
from tests.engines.series import MIB, Pod, ingress_latency, ingress_requests, pod_series, selector

GIB = 1024 * MIB
PLATFORM = {"team": "platform"}
PAGE = {**PLATFORM, "severity": "critical", "slo": "availability"}
TICKET = {**PLATFORM, "severity": "warning", "slo": "availability"}
FINOPS = {**PLATFORM, "severity": "warning", "category": "finops"}


@dataclass(frozen=True)
class AlertCase:
    """One ``alert_rule_test``: ``fires`` lists (labels, annotations) of every expected alert;
    empty means the alert must be silent at ``eval_time``."""

    id: str
    alert: str
    series: list[dict]
    eval_time: str
    fires: list[tuple[dict, dict]] = field(default_factory=list)
    interval: str = "1m"

    def to_promtool(self) -> dict:
        exp = [{"exp_labels": labels, "exp_annotations": annotations} for labels, annotations in self.fires]
        return {
            "interval": self.interval,
            "input_series": self.series,
            "alert_rule_test": [{"eval_time": self.eval_time, "alertname": self.alert, "exp_alerts": exp}],
        }


FAST_SUMMARY = "Error budget of the 99.9% availability SLO is burning fast"
SLOW_SUMMARY = "The availability SLO's error budget will run out within the month"


def burn_rate_cases() -> list[AlertCase]:
    """The SLO allows 0.1% errors: the fast alert pages at 14.4x over 1h and 5m (1.44%) or
    6x over 6h and 30m (0.6%), for 2m; the slow one tickets at 1x over 3d and 6h, for 1h."""
    two_percent = ingress_requests({"200": 98, "500": 2}, 420)
    return [
        AlertCase("fast-fires-at-2-percent", "AvailabilitySLOBurnRateFast", two_percent, "70m",
                  [(PAGE, {"summary": FAST_SUMMARY, "description": "5xx ratio through the ingress is 2%."})]),
        # 0.5% for 7 hours: under 6x (0.6%) on every window, so neither pair pages.
        AlertCase("fast-silent-at-0.5-percent", "AvailabilitySLOBurnRateFast", ingress_requests({"200": 199, "500": 1}, 420), "6h50m"),
        # 2% from the first sample: true from 1m, so at 2m it has been pending 1m of its 2m.
        AlertCase("fast-silent-short-of-for", "AvailabilitySLOBurnRateFast", two_percent, "2m"),
        AlertCase("slow-fires-at-0.2-percent", "AvailabilitySLOBurnRateSlow", ingress_requests({"200": 998, "500": 2}, 900), "74h",
                  [(TICKET, {"summary": SLOW_SUMMARY})], interval="5m"),
        AlertCase("slow-silent-at-0.09-percent", "AvailabilitySLOBurnRateSlow", ingress_requests({"200": 9991, "500": 9}, 900), "74h",
                  interval="5m"),
    ]


def latency_cases() -> list[AlertCase]:
    """p95 over 200 ms for 5m, per Ingress. Buckets are cumulative requests per minute."""
    labels = {**PLATFORM, "severity": "warning", "slo": "latency", "namespace": "cloudmart", "ingress": "cloudmart-ingress"}
    # 100 requests: 10 <= 0.1s, 50 <= 0.25s, all <= 0.5s. The 95th falls in (0.25, 0.5]:
    # 0.25 + (0.5 - 0.25) * (95 - 50) / (100 - 50) = 0.475 s.
    slow = ingress_latency({"0.1": 10, "0.25": 50, "0.5": 100, "+Inf": 100}, 20)
    # 50 <= 0.1s, all <= 0.2s: 0.1 + 0.1 * (95 - 50) / 50 = 0.19 s, just under 0.2 s.
    fine = ingress_latency({"0.1": 50, "0.2": 100, "0.5": 100, "+Inf": 100}, 20)
    return [
        AlertCase("latency-fires-at-475ms", "HighLatencyP95", slow, "15m",
                  [(labels, {"summary": "p95 latency of cloudmart/cloudmart-ingress is above 200 ms",
                             "description": "95th percentile latency is 0.475s"})]),
        AlertCase("latency-silent-at-190ms", "HighLatencyP95", fine, "15m"),
    ]


def crash_loop_cases() -> list[AlertCase]:
    """kube-state-metrics reports the waiting reason as 1 while the container waits."""
    pod = {"job": "kube-state-metrics", "instance": "10.244.1.7:8080", "endpoint": "http",
           "service": "kube-prometheus-stack-kube-state-metrics", "namespace": "cloudmart",
           "pod": "order-service-7d9f8-x2k4p", "uid": "uid-order", "container": "order-service", "reason": "CrashLoopBackOff"}
    waiting = [{"series": selector("kube_pod_container_status_waiting_reason", pod), "values": "1x30"}]
    annotations = {"summary": "Pod cloudmart/order-service-7d9f8-x2k4p is crash looping",
                   "description": "Container order-service keeps restarting (CrashLoopBackOff)."}
    return [
        AlertCase("crashloop-fires-after-15m", "PodCrashLooping", waiting, "20m",
                  [({**pod, **PLATFORM, "severity": "warning"}, annotations)]),
        AlertCase("crashloop-silent-at-14m", "PodCrashLooping", waiting, "14m"),
    ]


def efficiency_cases() -> list[AlertCase]:
    """Usage / requests per namespace under 40% for 1h. order-service requests 0.5 core."""
    def order(usage: float) -> list[dict]:
        return pod_series(Pod("cloudmart", "order-service-7d9f8-x2k4p", "order-service", 0.5, 128 * MIB, usage, 64 * MIB), 90)

    return [
        # 0.125 / 0.5 = 25%
        AlertCase("efficiency-fires-at-25-percent", "NamespaceCPUEfficiencyLow", order(0.125), "80m",
                  [({**FINOPS, "namespace": "cloudmart"},
                    {"summary": "Namespace cloudmart uses under 40% of the CPU it requests",
                     "description": "CPU efficiency is 25%; right-size its requests."})]),
        # 0.203125 / 0.5 = 40.625%, just over the floor
        AlertCase("efficiency-silent-at-40.6-percent", "NamespaceCPUEfficiencyLow", order(0.203125), "80m"),
    ]


def budget_pods(product_cores: float) -> list[dict]:
    """Running pods requesting ``product_cores`` + 2.5 cores and 2 + 4 GiB, and a finished Job
    pod (1 core, 1 GiB) that must not count: the recording rules keep Pending|Running only."""
    pods = (
        Pod("cloudmart", "product-service-6f7c9-abcde", "product-service", product_cores, 2 * GIB),
        Pod("trip-service-prod", "service-currency-7c9d-fghij", "service-currency", 2.5, 4 * GIB),
        Pod("trip-service-prod", "service-dataingestor-29411-klmno", "service-dataingestor", 1.0, GIB, phase="Succeeded"),
    )
    return [s for pod in pods for s in pod_series(pod, 60)]


# Each stack's budget (Pulumi.<stack>.yaml: dev keeps the $100 default; staging and prod set
# budgets above what their requests cost) and pods that straddle it. Hand computation at the
# default prices ($0.031611/vCPU-h, $0.004237/GiB-h, 730 h/month), 6 GiB in every case
# (6 x 0.004237 x 730 = 18.55806):
#   dev $100:     4 cores:    92.30412 + 18.55806 = 110.86218 > 100, humanize prints "110.9";
#                 3.5 cores:  80.766105 + 18.55806 = 99.324165 < 100: silent.
#   staging $150: 6 cores:   138.45618 + 18.55806 = 157.01424 > 150, printed "157";
#                 5.5 cores: 126.918165 + 18.55806 = 145.476225 < 150: silent.
#   prod $250:    10.5 cores: 242.298315 + 18.55806 = 260.856375 > 250, printed "260.9";
#                 10 cores:  230.7603 + 18.55806 = 249.31836 < 250: silent.
#   eks $550:     23.5 cores: 542.286705 + 18.55806 = 560.844765 > 550, printed "560.8";
#                 23 cores:  530.74869 + 18.55806 = 549.30675 < 550: silent.
# budget_pods adds 2.5 cores to the product-service cores it is given.
BUDGETS = {
    # stack: (budget, cores firing, cores silent, USD firing, USD silent, figure printed)
    "dev": (100, 4.0, 3.5, 110.86218, 99.324165, "110.9"),
    "staging": (150, 6.0, 5.5, 157.01424, 145.476225, "157"),
    "prod": (250, 10.5, 10.0, 260.856375, 249.31836, "260.9"),
    "eks": (550, 23.5, 23.0, 560.844765, 549.30675, "560.8"),
}


def budget_usd(cores: float) -> float:
    return cores * 0.031611 * 730 + 6 * 0.004237 * 730


def budget_cases(stack: str) -> list[AlertCase]:
    budget, firing, silent, usd, under, printed = BUDGETS[stack]
    return [
        AlertCase(f"budget-fires-at-{usd:.2f}-usd", "MonthlyCostOverBudget", budget_pods(firing - 2.5), "40m",
                  [(FINOPS, {"summary": f"Estimated monthly cost is above the ${budget} budget",
                             "description": f"Requests cost about ${printed} per month at the configured prices."})]),
        AlertCase(f"budget-silent-at-{under:.2f}-usd", "MonthlyCostOverBudget", budget_pods(silent - 2.5), "40m"),
    ]


CASES = burn_rate_cases() + latency_cases() + crash_loop_cases() + efficiency_cases()


def stack_cases(stack: str) -> list[AlertCase]:
    return CASES + budget_cases(stack)


@promtool.cases_from
def promtool_cases(stack: str) -> dict[str, list[dict]]:
    return {f"alert-{case.id}": [case.to_promtool()] for case in stack_cases(stack)}


@pytest.mark.parametrize("stack", STACKS)
def test_the_hand_computed_budget_figures_straddle_each_stacks_budget(stack):
    from tools.cost import stack_settings

    budget, firing, silent, usd, under, printed = BUDGETS[stack]
    assert stack_settings(stack).pricing.monthly_budget == budget
    assert budget_usd(firing) == pytest.approx(usd) and f"{budget_usd(firing):.4g}" == printed
    assert budget_usd(silent) == pytest.approx(under) and under < budget < usd


@pytest.mark.parametrize("stack", STACKS)
def test_every_rendered_alert_has_a_firing_and_a_silent_case(stack):
    alerts = {r["alert"] for g in platform_rule_groups(stack) for r in g["rules"] if "alert" in r}
    assert alerts == {c.alert for c in stack_cases(stack) if c.fires}
    assert alerts == {c.alert for c in stack_cases(stack) if not c.fires}


@pytest.mark.parametrize(
    "stack,case", [(s, c) for s in STACKS for c in stack_cases(s)], ids=lambda v: v if isinstance(v, str) else v.id
)
@pytest.mark.promtool
def test_alert_behaves_as_written_under_promtool(stack, case):
    result = promtool.outcome(stack, f"alert-{case.id}")
    assert result.ok, result.output
