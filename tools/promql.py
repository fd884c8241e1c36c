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
    # eks: the ALB's CloudWatch metrics through the CloudWatch exporter (YACE v0.67.0 BuildMetricName)
    "aws_applicationelb_request_count_sum": "CloudWatch exporter on eks: ALB RequestCount per target group (Sum)",
    "aws_applicationelb_httpcode_target_5_xx_count_sum": "CloudWatch exporter on eks: ALB HTTPCode_Target_5XX_Count (Sum)",
    "aws_applicationelb_httpcode_elb_5_xx_count_sum": "CloudWatch exporter on eks: ALB HTTPCode_ELB_5XX_Count per load balancer (Sum)",
    "aws_applicationelb_target_response_time_p95": "CloudWatch exporter on eks: ALB TargetResponseTime p95 per target group",
    "yace_cloudwatch_request_errors": "CloudWatch exporter on eks: its failed AWS API calls",
    # eks: OpenCost's series (pkg/costmodel/metrics.go), scraped through its ServiceMonitor
    "container_cpu_allocation": "OpenCost (on by default on eks): cores allocated per container",
    "container_memory_allocation_bytes": "OpenCost: memory allocated per container",
    "node_cpu_hourly_cost": "OpenCost: hourly price of one vCPU of each node",
    "node_ram_hourly_cost": "OpenCost: hourly price of one GiB of each node",
    "node_total_hourly_cost": "OpenCost: hourly price of each node",
    "kubecost_cluster_management_cost": "OpenCost: hourly price of the managed control plane",
    "kubecost_load_balancer_cost": "OpenCost: hourly price of each load-balancer Service",
    "pv_hourly_cost": "OpenCost: hourly price of a GiB of each persistent volume",
    "kube_persistentvolume_capacity_bytes": "kube-state-metrics: size of each persistent volume (OpenCost's volume cost)",
    # eks: the cluster add-ons, scraped through their prometheus.io pod annotations
    "controller_runtime_reconcile_errors_total": "AWS Load Balancer Controller (controller-runtime) on eks",
    "cluster_autoscaler_unschedulable_pods_count": "Cluster Autoscaler on eks",
    "cluster_autoscaler_scaled_up_nodes_total": "Cluster Autoscaler on eks",
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


# --- label propagation ---------------------------------------------------------------------
# Which labels an expression's result carries, given the labels of each metric; every label
# a selector filters by, an aggregation groups by or a join matches on must exist there.
# ``None`` stands for a scalar. Ref: https://prometheus.io/docs/prometheus/latest/querying/operators/
SET_OPERATORS = {"and", "or", "unless"}


def result_labels(expr: str, labels_of) -> tuple[set[str] | None, list[str]]:
    """(labels of the result, problems). ``labels_of(metric)`` returns a set, or None for an
    unknown metric (reported as a problem)."""
    found: list[str] = []
    labels = _labels(promql_parser.parse(substitute(expr)), labels_of, found)
    return labels, found


def _need(have: set[str], wanted, where: str, found: list[str]) -> None:
    missing = sorted(set(wanted) - have)
    if missing:
        found.append(f"{where}: no label {', '.join(missing)} (has {', '.join(sorted(have)) or 'none'})")


def _selector(node, labels_of, found: list[str]) -> set[str]:
    have = labels_of(node.name)
    if have is None:
        found.append(f"{node.name}: unknown metric")
        return set()
    _need(set(have), {m.name for m in node.matchers.matchers if m.name != "__name__"}, node.name, found)
    return set(have)


def _call(node, labels_of, found: list[str]) -> set[str] | None:
    name = node.func.name
    args = [_labels(a, labels_of, found) for a in node.args]
    vectors = [a for a in args if a is not None]
    if name in ("time", "scalar", "vector", "pi") or not vectors:
        return None if name != "vector" else set()
    if name == "histogram_quantile":
        _need(vectors[0], {"le"}, "histogram_quantile", found)
        return vectors[0] - {"le"}
    if name in ("label_replace", "label_join"):
        # label_replace(v, dst, replacement, src, regex); label_join(v, dst, separator, src...)
        sources = [a.val for a in node.args[3:]] if name == "label_join" else [node.args[3].val]
        _need(vectors[0], set(sources) - {""}, name, found)
        return vectors[0] | {node.args[1].val}
    return vectors[0]


def _aggregate(node, labels_of, found: list[str]) -> set[str]:
    inner = _labels(node.expr, labels_of, found) or set()
    modifier = node.modifier
    grouping = set(modifier.labels) if modifier else set()
    where = f"{node.op} by ({', '.join(sorted(grouping))})"
    if modifier and modifier.type == promql_parser.AggModifierType.Without:
        return inner - grouping
    _need(inner, grouping, where, found)
    if str(node.op) in ("topk", "bottomk", "limitk", "limit_ratio"):
        return inner
    return grouping


def _binary(node, labels_of, found: list[str]) -> set[str] | None:
    lhs, rhs = _labels(node.lhs, labels_of, found), _labels(node.rhs, labels_of, found)
    if lhs is None or rhs is None:
        return rhs if lhs is None else lhs
    op, modifier = str(node.op).strip(), node.modifier
    matching = modifier.matching if modifier else None
    if matching is None:
        if op == "or":
            return lhs & rhs
        if lhs != rhs:
            found.append(f"{op}: sides never match ({sorted(lhs)} vs {sorted(rhs)})")
        return lhs
    on = set(matching.labels)
    if matching.type == promql_parser.LabelModifierType.Include:
        _need(lhs, on, f"{op} on (left)", found)
        _need(rhs, on, f"{op} on (right)", found)
    extra = set(modifier.group_labels or ())
    card = modifier.card
    if card == promql_parser.VectorMatchCardinality.ManyToOne:
        _need(rhs, extra, "group_left", found)
        return lhs | extra
    if card == promql_parser.VectorMatchCardinality.OneToMany:
        _need(lhs, extra, "group_right", found)
        return rhs | extra
    if op in SET_OPERATORS:
        return lhs
    return on if matching.type == promql_parser.LabelModifierType.Include else lhs - on


def _labels(node, labels_of, found: list[str]) -> set[str] | None:
    if isinstance(node, (promql_parser.NumberLiteral, promql_parser.StringLiteral)):
        return None
    if isinstance(node, promql_parser.VectorSelector):
        return _selector(node, labels_of, found)
    if isinstance(node, promql_parser.MatrixSelector):
        return _selector(node.vector_selector, labels_of, found)
    if isinstance(node, promql_parser.Call):
        return _call(node, labels_of, found)
    if isinstance(node, promql_parser.AggregateExpr):
        return _aggregate(node, labels_of, found)
    if isinstance(node, promql_parser.BinaryExpr):
        return _binary(node, labels_of, found)
    return _labels(node.expr, labels_of, found)  # ParenExpr, UnaryExpr, SubqueryExpr
