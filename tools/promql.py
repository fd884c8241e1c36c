"""PromQL checks shared by the CRD checker and the tests: parse every expression (after
substituting Grafana's variables) and list the metric names it reads.

``KNOWN_METRICS`` are series the stack itself produces; ``ALLOWED_METRICS`` are others, each
with the reason it is expected to exist.
"""

from __future__ import annotations

import re

import promql_parser

# Grafana template variables -> values that keep the expression valid PromQL.
GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
    "$namespace": "cloudmart",
}

KNOWN_METRICS = frozenset(
    {
        # kube-state-metrics
        "kube_pod_container_resource_requests",
        "kube_pod_container_status_restarts_total",
        "kube_pod_container_status_waiting_reason",
        "kube_namespace_labels",
        "kube_pod_info",
        "kube_horizontalpodautoscaler_status_current_replicas",
        "kube_horizontalpodautoscaler_status_desired_replicas",
        # cAdvisor (kubelet)
        "container_cpu_usage_seconds_total",
        "container_memory_working_set_bytes",
        # node-exporter
        "node_cpu_seconds_total",
        "node_memory_MemAvailable_bytes",
        # nginx-prometheus-exporter (CloudMart sidecars)
        "nginx_http_requests_total",
        "nginx_connections_active",
        "nginx_up",
        # kube-prometheus-stack recording rules (defaultRules.create: true)
        "namespace_cpu:kube_pod_container_resource_requests:sum",
        "namespace_memory:kube_pod_container_resource_requests:sum",
        "node_namespace_pod_container:container_cpu_usage_seconds_total:sum_rate5m",
        "node_namespace_pod_container:container_memory_working_set_bytes",
        "cluster:namespace:pod_cpu:active:kube_pod_container_resource_requests",
    }
)

ALLOWED_METRICS: dict[str, str] = {
    "nginx_ingress_controller_requests": "ingress-nginx controller (controller.metrics.enabled, PodMonitor ingress-nginx)",
    "nginx_ingress_controller_request_duration_seconds_bucket": "ingress-nginx controller latency histogram (same PodMonitor)",
}


def substitute(expr: str) -> str:
    for name in sorted(GRAFANA_VARIABLES, key=len, reverse=True):
        expr = expr.replace(name, GRAFANA_VARIABLES[name])
    if re.search(r"\$\w", expr):
        raise ValueError(f"unsubstituted Grafana variable in: {expr}")
    return expr


def metric_names(expr: str) -> set[str]:
    """Parse (raises ValueError on invalid PromQL) and return every selected metric name."""
    names: set[str] = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)
        return True

    promql_parser.walk(promql_parser.parse(substitute(expr)), visit)
    return names


def problems(expr: str) -> list[str]:
    """Why ``expr`` is not acceptable: a parse error or metrics the stack does not produce."""
    try:
        names = metric_names(expr)
    except (ValueError, SyntaxError) as err:
        return [f"invalid PromQL {expr!r}: {err}"]
    unknown = sorted(n for n in names if n not in KNOWN_METRICS and n not in ALLOWED_METRICS)
    return [f"unknown metric {n} in {expr!r}" for n in unknown]
