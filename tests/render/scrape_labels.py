"""The labels each metric carries once Prometheus has scraped it, modelled from the rendered
scrape configuration, so tests can check every label a query groups or filters by.

A scraped series has the exporter's own labels plus the target labels its monitor adds:
- a PodMonitor (Prometheus Operator) adds ``namespace``, ``pod``, ``container``, ``endpoint``,
  ``job``, ``instance`` and the pod labels listed in ``podTargetLabels``;
- a ServiceMonitor adds ``service`` as well, and the kubelet's adds ``node`` and
  ``metrics_path`` (kube-prometheus-stack's ``cAdvisorRelabelings``).
On a clash the exporter's label wins only with ``honorLabels``; otherwise it is renamed
``exported_<name>`` and the target's value takes its place.
Ref: https://prometheus-operator.dev/docs/developer/scrapeclass/ (target labels),
https://prometheus.io/docs/prometheus/latest/configuration/configuration/#scrape_config (honor_labels)
"""

from __future__ import annotations

import re

from tests.engines.kps_recording_rules import RECORDING_RULE_GROUPS
from tools.promql import result_labels

POD_MONITOR_TARGET = frozenset({"namespace", "pod", "container", "endpoint", "job", "instance"})
SERVICE_MONITOR_TARGET = POD_MONITOR_TARGET | {"service"}
KUBELET_TARGET = SERVICE_MONITOR_TARGET | {"node", "metrics_path"}

# Exporters' own labels. Refs: kube-state-metrics docs/metrics/workload/*.md; cAdvisor
# docs/storage/prometheus.md; nginx-prometheus-exporter README (stub_status metrics carry no
# labels); ingress-nginx internal/ingress/metric/collectors/socket.go (requestTags + host,
# plus the controller_* constant labels).
_KSM_POD = {"namespace", "pod", "uid"}
_INGRESS = {"controller_class", "controller_namespace", "controller_pod", "host", "ingress", "method", "namespace", "path", "service", "status", "canary"}
NATIVE: dict[str, set[str]] = {
    "kube_pod_info": _KSM_POD | {"node", "host_ip", "pod_ip", "created_by_kind", "created_by_name", "priority_class", "host_network"},
    "kube_pod_status_phase": _KSM_POD | {"phase"},
    "kube_pod_container_resource_requests": _KSM_POD | {"container", "node", "resource", "unit"},
    "kube_pod_container_status_restarts_total": _KSM_POD | {"container"},
    "kube_pod_container_status_waiting_reason": _KSM_POD | {"container", "reason"},
    "kube_horizontalpodautoscaler_status_current_replicas": {"namespace", "horizontalpodautoscaler"},
    "kube_horizontalpodautoscaler_status_desired_replicas": {"namespace", "horizontalpodautoscaler"},
    "kube_namespace_labels": {"namespace"},
    "container_cpu_usage_seconds_total": {"namespace", "pod", "container", "image", "id", "name"},
    "container_memory_working_set_bytes": {"namespace", "pod", "container", "image", "id", "name"},
    "nginx_http_requests_total": set(),
    "nginx_connections_active": set(),
    "nginx_up": set(),
    "nginx_ingress_controller_requests": _INGRESS,
    "nginx_ingress_controller_request_duration_seconds_bucket": _INGRESS | {"le"},
    # kube-state-metrics docs/metrics/cluster/node-metrics.md
    "kube_node_status_condition": {"node", "condition", "status"},
    "kube_node_spec_unschedulable": {"node"},
    "kube_persistentvolume_capacity_bytes": {"persistentvolume"},
}
# The CloudWatch exporter (YACE v0.67.0): the resource ARN as ``name``, one ``dimension_<name>``
# per CloudWatch dimension, ``region`` and ``account_id`` (pkg/promutil/migrate.go:
# createPrometheusLabels, contextToLabels); its own error counter by ``api_name``.
_YACE_CONTEXT = {"name", "region", "account_id"}
_PER_TARGET_GROUP = _YACE_CONTEXT | {"dimension_LoadBalancer", "dimension_TargetGroup"}
NATIVE.update({
    "aws_applicationelb_request_count_sum": _PER_TARGET_GROUP,
    "aws_applicationelb_httpcode_target_5_xx_count_sum": _PER_TARGET_GROUP,
    "aws_applicationelb_target_response_time_p95": _PER_TARGET_GROUP,
    "aws_applicationelb_httpcode_elb_5_xx_count_sum": _YACE_CONTEXT | {"dimension_LoadBalancer"},
    "yace_cloudwatch_request_errors": {"api_name"},
})
# OpenCost (pkg/costmodel/metrics.go): per node and per container.
_OPENCOST_NODE = {"instance", "node", "instance_type", "region", "provider_id", "arch"}
_OPENCOST_CONTAINER = {"namespace", "pod", "container", "instance", "node"}
NATIVE.update({
    "node_cpu_hourly_cost": _OPENCOST_NODE,
    "node_ram_hourly_cost": _OPENCOST_NODE,
    "node_total_hourly_cost": _OPENCOST_NODE,
    "container_cpu_allocation": _OPENCOST_CONTAINER,
    "container_memory_allocation_bytes": _OPENCOST_CONTAINER,
    "kubecost_cluster_management_cost": {"provisioner_name"},
    "kubecost_load_balancer_cost": {"ingress_ip", "namespace", "service_name"},
    "pv_hourly_cost": {"volumename", "persistentvolume", "provider_id"},
})
# The add-ons scraped by the annotation job: controller-runtime's reconcile errors by
# ``controller``; the Cluster Autoscaler's gauges and counters (metrics/metrics.go, chart 9.59.0).
NATIVE.update({
    "controller_runtime_reconcile_errors_total": {"controller"},
    "cluster_autoscaler_unschedulable_pods_count": {"type"},
    "cluster_autoscaler_scaled_up_nodes_total": {"gpu_resource_name", "gpu_name", "dra_drivers"},
})
# Who scrapes what: the charts' own ServiceMonitors (kube-state-metrics' and the kubelet's
# honorLabels: true in kube-prometheus-stack's values; OpenCost's honorLabels: true in ours;
# the CloudWatch exporter's adds nothing its labels clash with), the program's annotation job
# ``kubernetes-pods`` (namespace, pod, app, job, instance; no clash either), or one of the
# program's PodMonitors, by name.
ANNOTATION_TARGET = frozenset({"namespace", "pod", "app", "job", "instance"})
CHART_JOBS = {
    "kube-state-metrics": SERVICE_MONITOR_TARGET,
    "kubelet": KUBELET_TARGET,
    "cloudwatch-exporter": SERVICE_MONITOR_TARGET,
    "opencost": SERVICE_MONITOR_TARGET,
    "kubernetes-pods": ANNOTATION_TARGET,
}
SCRAPED_BY = {
    **{m: "kube-state-metrics" for m in NATIVE if m.startswith("kube_")},
    "container_cpu_usage_seconds_total": "kubelet",
    "container_memory_working_set_bytes": "kubelet",
    "nginx_http_requests_total": "cloudmart-exporters",
    "nginx_connections_active": "cloudmart-exporters",
    "nginx_up": "cloudmart-exporters",
    "nginx_ingress_controller_requests": "ingress-nginx",
    "nginx_ingress_controller_request_duration_seconds_bucket": "ingress-nginx",
    **{m: "cloudwatch-exporter" for m in NATIVE if m.startswith(("aws_", "yace_"))},
    **{m: "opencost" for m in ("node_cpu_hourly_cost", "node_ram_hourly_cost", "node_total_hourly_cost",
                               "container_cpu_allocation", "container_memory_allocation_bytes",
                               "kubecost_cluster_management_cost", "kubecost_load_balancer_cost", "pv_hourly_cost")},
    **{m: "kubernetes-pods" for m in NATIVE if m.startswith(("controller_runtime_", "cluster_autoscaler_"))},
}
OPTIONAL_CLUSTER = "cluster"
RECORDED = {r["record"]: r["expr"] for g in RECORDING_RULE_GROUPS for r in g["rules"]}


def sanitize(label: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", label)


class ScrapeModel:
    """Labels of each metric under the rendered objects and chart values of one stack."""

    def __init__(self, objects: list[dict], kps_values: dict):
        self.pod_monitors = {o["metadata"]["name"]: o for o in objects if o["kind"] == "PodMonitor"}
        allow = kps_values["kube-state-metrics"]["metricLabelsAllowlist"]
        namespaces = next(a for a in allow if a.startswith("namespaces="))
        self.namespace_labels = {f"label_{sanitize(x)}" for x in namespaces.split("=[", 1)[1].rstrip("]").split(",")}

    def origins(self, metric: str) -> dict[str, str] | None:
        """label -> ``metric`` (the exporter's) or ``target`` (added by the scrape)."""
        if metric not in SCRAPED_BY:
            return None
        job = SCRAPED_BY[metric]
        native = set(NATIVE[metric]) | (self.namespace_labels if metric == "kube_namespace_labels" else set())
        if job in CHART_JOBS:
            target, honor = set(CHART_JOBS[job]), True
        else:
            monitor = self.pod_monitors[job]["spec"]
            target = set(POD_MONITOR_TARGET) | {sanitize(label) for label in monitor.get("podTargetLabels", [])}
            honor = all(e.get("honorLabels", False) for e in monitor["podMetricsEndpoints"])
        out = {label: "target" for label in target}
        for label in native:
            out[label if honor or label not in target else f"exported_{label}"] = "metric"
        return out

    def labels(self, metric: str) -> set[str] | None:
        if metric in RECORDED:
            found, problems = result_labels(RECORDED[metric], self._with_cluster)
            assert not problems, f"{metric}: {problems}"
            return found - {OPTIONAL_CLUSTER}
        origins = self.origins(metric)
        return None if origins is None else set(origins)

    def _with_cluster(self, metric: str) -> set[str] | None:
        """The chart's rules also keep ``cluster`` for multi-cluster setups; this platform
        sets no such external label, so it is empty there and absent from their results."""
        found = self.labels(metric)
        return None if found is None else found | {OPTIONAL_CLUSTER}
