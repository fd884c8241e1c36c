"""No rule or dashboard query may read a metric family that nothing on its stack produces.

What a stack produces is built from what it renders, each producer with the families its
source code exports:
- kube-prometheus-stack: kube-state-metrics, cAdvisor (kubelet), node-exporter, and the chart's
  recording rules the queries build on (``kps_recording_rules.py``);
- the program's PodMonitors: CloudMart's nginx exporters, ingress-nginx (kind);
- the CloudWatch exporter: one family per metric and statistic of its rendered configuration,
  named as YACE names them (``cloudwatch.metric_name``, a port of ``BuildMetricName``), plus its
  own request counters, when its ServiceMonitor is on;
- OpenCost, when its ServiceMonitor is on (pkg/costmodel/metrics.go);
- the AWS Load Balancer Controller (controller-runtime) and the Cluster Autoscaler, when their
  pods carry the ``prometheus.io/scrape`` annotation the annotation job keeps.
On eks the SLO alerts once read ingress-nginx, which eks does not run: this test fails on that.
"""

from __future__ import annotations

import json

import pytest
import yaml

from components.observability.cloudwatch import REQUEST_ERRORS, REQUESTS_TOTAL, metric_name
from tests.conftest import EKS_STACKS, STACKS, rendered
from tests.engines.kps_recording_rules import RECORDING_RULE_GROUPS
from tools.promql import metric_names

KUBE_PROMETHEUS_STACK = {
    # kube-state-metrics docs/metrics (pod, node, namespace, HPA)
    "kube_pod_container_resource_requests", "kube_pod_container_status_restarts_total", "kube_pod_container_status_waiting_reason",
    "kube_namespace_labels", "kube_pod_info", "kube_pod_status_phase", "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_status_desired_replicas", "kube_node_status_condition", "kube_node_spec_unschedulable", "kube_persistentvolume_capacity_bytes",
    # cAdvisor through the kubelet; node-exporter
    "container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "node_cpu_seconds_total", "node_memory_MemAvailable_bytes",
} | {r["record"] for g in RECORDING_RULE_GROUPS for r in g["rules"]}  # fmt: skip
# nginx-prometheus-exporter (stub_status) and ingress-nginx's collectors.
POD_MONITORS = {
    "cloudmart-exporters": {"nginx_http_requests_total", "nginx_connections_active", "nginx_up"},
    "ingress-nginx": {"nginx_ingress_controller_requests", "nginx_ingress_controller_request_duration_seconds_bucket"},
}
# Ref: https://github.com/opencost/opencost/blob/develop/pkg/costmodel/metrics.go
OPENCOST = {
    "node_cpu_hourly_cost", "node_ram_hourly_cost", "node_gpu_hourly_cost", "node_gpu_count", "pv_hourly_cost", "kubecost_node_is_spot",
    "node_total_hourly_cost", "container_memory_allocation_bytes", "container_cpu_allocation", "container_gpu_allocation",
    "pod_pvc_allocation", "kubecost_cluster_management_cost", "kubecost_load_balancer_cost",
}  # fmt: skip
# Ref: sigs.k8s.io/controller-runtime pkg/internal/controller/metrics/metrics.go
CONTROLLER_RUNTIME = {"controller_runtime_reconcile_total", "controller_runtime_reconcile_errors_total",
                      "controller_runtime_reconcile_time_seconds_bucket"}
# Ref: https://github.com/kubernetes/autoscaler/blob/cluster-autoscaler-chart-9.59.0/cluster-autoscaler/metrics/metrics.go
CLUSTER_AUTOSCALER = {"cluster_autoscaler_cluster_safe_to_autoscale", "cluster_autoscaler_unschedulable_pods_count",
                      "cluster_autoscaler_scaled_up_nodes_total", "cluster_autoscaler_failed_scale_ups_total"}


def _annotated(values: dict, path: tuple[str, ...] = ("podAnnotations",)) -> bool:
    node = values
    for part in path:
        node = node.get(part, {})
    return node.get("prometheus.io/scrape") == "true"


def yace_families(values: dict) -> set[str]:
    config = yaml.safe_load(values["config"])
    jobs = config.get("discovery", {}).get("jobs", [])
    found = {REQUEST_ERRORS, REQUESTS_TOTAL}
    for job in jobs:
        for metric in job["metrics"]:
            found |= {metric_name(job["type"], metric["name"], s) for s in metric.get("statistics", job.get("statistics", []))}
    return found


def produced(stack: str) -> set[str]:
    out = rendered(stack)
    families: set[str] = set()
    monitors = {o["metadata"]["name"] for o in out.objects if o["kind"] == "PodMonitor"}
    for name in monitors & set(POD_MONITORS):
        families |= POD_MONITORS[name]
    for release in out.releases:
        chart, values = release["chart"], release["values"]
        if chart == "kube-prometheus-stack" and values["defaultRules"]["create"]:
            families |= KUBE_PROMETHEUS_STACK
        elif chart == "prometheus-yet-another-cloudwatch-exporter" and values["serviceMonitor"]["enabled"]:
            families |= yace_families(values)
        elif chart == "opencost" and values["opencost"]["metrics"]["serviceMonitor"]["enabled"]:
            families |= OPENCOST
        # The controller's chart annotates its pods for scraping unless its ServiceMonitor is on
        # (templates/deployment.yaml); the program's annotation job keeps them.
        elif chart == "aws-load-balancer-controller" and not values.get("serviceMonitor", {}).get("enabled"):
            families |= CONTROLLER_RUNTIME
        elif chart == "cluster-autoscaler" and _annotated(values):
            families |= CLUSTER_AUTOSCALER
    return families


def queries(stack: str) -> dict[str, str]:
    out = rendered(stack)
    found = {}
    for o in out.objects:
        if o["kind"] == "PrometheusRule":
            found |= {f"rule {r.get('alert') or r.get('record')}": r["expr"] for g in o["spec"]["groups"] for r in g["rules"]}
        if o["kind"] == "ConfigMap" and o["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
            for text in o["data"].values():
                dashboard = json.loads(text)
                found |= {
                    f"{dashboard['title']} / {p['title']} / {t['refId']}": t["expr"]
                    for p in dashboard["panels"] for t in p.get("targets", []) if "expr" in t
                }
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_every_rule_and_dashboard_query_reads_only_families_the_stack_produces(stack):
    have = produced(stack)
    missing = {where: sorted(metric_names(expr) - have) for where, expr in queries(stack).items()}
    assert {where: names for where, names in missing.items() if names} == {}


@pytest.mark.parametrize("stack", EKS_STACKS)
def test_eks_produces_the_albs_series_and_not_ingress_nginxs(stack):
    have = produced(stack)
    assert {"aws_applicationelb_request_count_sum", "aws_applicationelb_httpcode_target_5_xx_count_sum",
            "aws_applicationelb_httpcode_elb_5_xx_count_sum", "aws_applicationelb_target_response_time_p95"} <= have
    assert not {"nginx_ingress_controller_requests", "nginx_ingress_controller_request_duration_seconds_bucket"} & have


def test_the_check_catches_a_query_on_a_family_nothing_produces():
    assert metric_names("sum(rate(nginx_ingress_controller_requests[5m]))") - produced(EKS_STACKS[0]) == {"nginx_ingress_controller_requests"}
