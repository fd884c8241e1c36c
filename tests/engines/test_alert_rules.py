"""Every platform alert, unit-tested with ``promtool test rules`` on the rules each stack
renders: one input where it fires (labels and annotations asserted) and one where it must
stay silent (just under its threshold, or just short of its ``for:``).

Inputs are series as the exporters name them (``series.py``); the FinOps alerts go through
kube-prometheus-stack's recording rules (``kps_recording_rules.py``).

The SLO alerts read ingress-nginx on kind and the ALB's CloudWatch series on eks: both are fed
the same scenarios (2%, 0.5%, 0.2%, 0.09% errors; p95 at 475 ms and 190 ms) and must agree.
On eks the budget alert prices nodes at OpenCost's ``node_total_hourly_cost``, and the cluster
add-ons' alerts (Load Balancer Controller, Cluster Autoscaler, CloudWatch exporter) exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.conftest import EKS_STACKS, STACKS
from tests.engines import promtool
from tests.engines.promtool import platform_rule_groups
from tests.engines.series import (
    ALB, MIB, TARGET_GROUP, Pod, PricedNode, alb_latency, alb_requests, ingress_latency, ingress_requests,
    opencost_cluster, opencost_node, pod_series, selector,
)

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


def alb_burn_rate_cases() -> list[AlertCase]:
    """The same scenarios on the ALB's per-minute sums (requests include the target 5xx).
    A sum is a datapoint from its first sample, so 2% is true from 0m: at 1m it has been
    pending 1m of its 2m. The balancer's own 5xx count too: 2 of 102 requests is 1.961%."""
    two_percent = alb_requests(100, 2, 420)
    return [
        AlertCase("alb-fast-fires-at-2-percent", "AvailabilitySLOBurnRateFast", two_percent, "70m",
                  [(PAGE, {"summary": FAST_SUMMARY, "description": "5xx ratio through the ALB is 2%."})]),
        AlertCase("alb-fast-fires-on-the-balancer-own-5xx", "AvailabilitySLOBurnRateFast", alb_requests(100, 0, 420, elb_5xx=2), "70m",
                  [(PAGE, {"summary": FAST_SUMMARY, "description": "5xx ratio through the ALB is 1.961%."})]),
        AlertCase("alb-fast-silent-at-0.5-percent", "AvailabilitySLOBurnRateFast", alb_requests(200, 1, 420, elb_5xx=0), "6h50m"),
        AlertCase("alb-fast-silent-short-of-for", "AvailabilitySLOBurnRateFast", two_percent, "1m"),
        AlertCase("alb-slow-fires-at-0.2-percent", "AvailabilitySLOBurnRateSlow", alb_requests(1000, 2, 900), "74h",
                  [(TICKET, {"summary": SLOW_SUMMARY})], interval="5m"),
        AlertCase("alb-slow-silent-at-0.09-percent", "AvailabilitySLOBurnRateSlow", alb_requests(10000, 9, 900), "74h", interval="5m"),
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


def alb_latency_cases() -> list[AlertCase]:
    """CloudWatch's p95 of the target group: 475 ms pages after 5m, 190 ms stays silent."""
    labels = {**PLATFORM, "severity": "warning", "slo": "latency", "dimension_LoadBalancer": ALB, "dimension_TargetGroup": TARGET_GROUP}
    return [
        AlertCase("alb-latency-fires-at-475ms", "HighLatencyP95", alb_latency(0.475, 20), "15m",
                  [(labels, {"summary": f"p95 latency of target group {TARGET_GROUP} is above 200 ms",
                             "description": "95th percentile latency is 0.475s"})]),
        AlertCase("alb-latency-silent-at-190ms", "HighLatencyP95", alb_latency(0.19, 20), "15m"),
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


# Each kind stack's budget (Pulumi.<stack>.yaml: dev keeps the $100 default; staging and prod
# set budgets above what their requests cost) and pods that straddle it. Hand computation at the
# default prices ($0.031611/vCPU-h, $0.004237/GiB-h, 730 h/month), 6 GiB in every case
# (6 x 0.004237 x 730 = 18.55806):
#   dev $100:     4 cores:    92.30412 + 18.55806 = 110.86218 > 100, humanize prints "110.9";
#                 3.5 cores:  80.766105 + 18.55806 = 99.324165 < 100: silent.
#   staging $150: 6 cores:   138.45618 + 18.55806 = 157.01424 > 150, printed "157";
#                 5.5 cores: 126.918165 + 18.55806 = 145.476225 < 150: silent.
#   prod $250:    10.5 cores: 242.298315 + 18.55806 = 260.856375 > 250, printed "260.9";
#                 10 cores:  230.7603 + 18.55806 = 249.31836 < 250: silent.
# budget_pods adds 2.5 cores to the product-service cores it is given.
BUDGETS = {
    # stack: (budget, cores firing, cores silent, USD firing, USD silent, figure printed)
    "dev": (100, 4.0, 3.5, 110.86218, 99.324165, "110.9"),
    "staging": (150, 6.0, 5.5, 157.01424, 145.476225, "157"),
    "prod": (250, 10.5, 10.0, 260.856375, 249.31836, "260.9"),
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


# eks ($560, Pulumi.eks.yaml): what OpenCost sees, 730 h a month. Base t3a.medium on-demand
# $0.0468/h; Spot c5/c6i.large at the stated 60 % off $0.096 = $0.0384/h; the EKS fee $0.10/h;
# the frontend's NLB $0.0225/h; 200 GiB of volumes at $0.000125/GiB-h = $0.025/h:
#   5 base + 11 Spot: (0.234 + 0.4224 + 0.10 + 0.0225 + 0.025) x 730 = 586.847 > 560, printed "586.8";
#   5 base + 8 Spot (both groups at their maximum): (0.234 + 0.3072 + 0.1475) x 730 = 502.751 < 560: silent.
EKS_BUDGET = 560
BASE, SPOT, MANAGEMENT, NLB, PV_GIB_HOUR, PV_GIB = 0.0468, 0.0384, 0.10, 0.0225, 0.000125, 200


def eks_usd(base: int, spot: int) -> float:
    return (base * BASE + spot * SPOT + MANAGEMENT + NLB + PV_GIB * PV_GIB_HOUR) * 730


def priced_cluster(base: int, spot: int) -> list[dict]:
    nodes = [PricedNode(f"ip-10-0-1-{i}.ap-northeast-2.compute.internal", "t3a.medium", 0.0176, 0.0029, BASE) for i in range(base)]
    nodes += [
        PricedNode(f"ip-10-0-2-{i}.ap-northeast-2.compute.internal", "c5.large", 0.0144, 0.0024, SPOT, spot=True)
        for i in range(spot)
    ]
    return [s for node in nodes for s in opencost_node(node, 60)] + opencost_cluster(MANAGEMENT, NLB, PV_GIB_HOUR, PV_GIB, 60)


def test_the_hand_computed_eks_costs():
    assert eks_usd(5, 11) == pytest.approx(586.847) and f"{eks_usd(5, 11):.4g}" == "586.8"
    assert eks_usd(5, 8) == pytest.approx(502.751) and eks_usd(5, 8) < EKS_BUDGET


def opencost_budget_cases() -> list[AlertCase]:
    return [
        AlertCase("opencost-budget-fires-at-586.85-usd", "MonthlyCostOverBudget", priced_cluster(5, 11), "40m",
                  [(FINOPS, {"summary": f"Estimated monthly cost is above the ${EKS_BUDGET} budget",
                             "description": "The cluster costs about $586.8 per month at the cloud's prices (OpenCost)."})]),
        AlertCase("opencost-budget-silent-at-502.75-usd", "MonthlyCostOverBudget", priced_cluster(5, 8), "40m"),
    ]


def addon_cases() -> list[AlertCase]:
    """The cluster add-ons' alerts (eks): each fires after its 15m and stays silent when the
    add-on is healthy. Counters grow by one a minute: increase over 10m is 10."""
    lbc = {"job": "kubernetes-pods", "namespace": "kube-system", "pod": "aws-load-balancer-controller-7c9f-abcde",
           "instance": "10.0.3.21:8080", "app": "aws-load-balancer-controller", "controller": "ingress"}
    ca = {"job": "kubernetes-pods", "namespace": "kube-system", "pod": "cluster-autoscaler-aws-cluster-autoscaler-5d8b-fghij",
          "instance": "10.0.3.22:8085", "app": "aws-cluster-autoscaler"}
    yace = {"job": "cloudwatch-exporter", "namespace": "monitoring", "service": "cloudwatch-exporter", "endpoint": "http",
            "pod": "cloudwatch-exporter-6d9c8-x7k2q", "instance": "10.0.3.17:5000", "api_name": "GetMetricData"}
    unschedulable = {"series": selector("cluster_autoscaler_unschedulable_pods_count", {**ca, "type": "unschedulable"}), "values": "3x30"}
    scale_ups = {**ca, "gpu_resource_name": "", "gpu_name": "", "dra_drivers": ""}
    return [
        AlertCase("lbc-fires-on-reconcile-errors", "LoadBalancerControllerReconcileErrors",
                  [{"series": selector("controller_runtime_reconcile_errors_total", lbc), "values": "0+1x30"}], "20m",
                  [({**PLATFORM, "severity": "warning", "namespace": "kube-system", "controller": "ingress"},
                    {"summary": "The AWS Load Balancer Controller fails to reconcile ingress",
                     "description": "10 reconcile errors in 10 minutes: Ingresses and load balancers may be stale. "
                                    "Check the controller's logs in kube-system."})]),
        AlertCase("lbc-silent-without-errors", "LoadBalancerControllerReconcileErrors",
                  [{"series": selector("controller_runtime_reconcile_errors_total", lbc), "values": "4x30"}], "20m"),
        AlertCase("autoscaler-fires-while-pods-wait-and-nothing-scales", "ClusterAutoscalerCannotScaleUp",
                  [unschedulable, {"series": selector("cluster_autoscaler_scaled_up_nodes_total", scale_ups), "values": "2x30"}], "20m",
                  [({**PLATFORM, "severity": "warning"},
                    {"summary": "Pods stay unschedulable and the Cluster Autoscaler adds no node",
                     "description": "3 pods unschedulable with no scale-up in 15 minutes: node groups at their maximum, "
                                    "or scale-ups failing (cluster_autoscaler_failed_scale_ups_total)."})]),
        AlertCase("autoscaler-silent-while-it-scales-up", "ClusterAutoscalerCannotScaleUp",
                  [unschedulable, {"series": selector("cluster_autoscaler_scaled_up_nodes_total", scale_ups), "values": "0+1x30"}], "20m"),
        AlertCase("cloudwatch-exporter-fires-on-failed-reads", "CloudWatchExporterErrors",
                  [{"series": selector("yace_cloudwatch_request_errors", yace), "values": "0+1x30"}], "20m",
                  [({**PLATFORM, "severity": "warning", "api_name": "GetMetricData"},
                    {"summary": "The CloudWatch exporter fails to read GetMetricData",
                     "description": "10 failed AWS calls in 10 minutes: the ALB's SLO series are missing or stale."})]),
        AlertCase("cloudwatch-exporter-silent-when-reads-succeed", "CloudWatchExporterErrors",
                  [{"series": selector("yace_cloudwatch_request_errors", yace), "values": "0x30"}], "20m"),
    ]


def stack_cases(stack: str) -> list[AlertCase]:
    common = crash_loop_cases() + efficiency_cases()
    if stack in EKS_STACKS:
        return alb_burn_rate_cases() + alb_latency_cases() + common + opencost_budget_cases() + addon_cases()
    return burn_rate_cases() + latency_cases() + common + budget_cases(stack)


@promtool.cases_from
def promtool_cases(stack: str) -> dict[str, list[dict]]:
    return {f"alert-{case.id}": [case.to_promtool()] for case in stack_cases(stack)}


@pytest.mark.parametrize("stack", [s for s in STACKS if s not in EKS_STACKS])
def test_the_hand_computed_budget_figures_straddle_each_stacks_budget(stack):
    from tools.cost import stack_settings

    budget, firing, silent, usd, under, printed = BUDGETS[stack]
    assert stack_settings(stack).pricing.monthly_budget == budget
    assert budget_usd(firing) == pytest.approx(usd) and f"{budget_usd(firing):.4g}" == printed
    assert budget_usd(silent) == pytest.approx(under) and under < budget < usd


@pytest.mark.parametrize("stack", EKS_STACKS)
def test_the_eks_budget_is_the_one_the_node_figures_straddle(stack):
    from tools.cost import stack_settings

    assert stack_settings(stack).pricing.monthly_budget == EKS_BUDGET


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
