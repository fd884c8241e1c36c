"""Resource policies: each validate function sees one resource, as ``pulumi preview`` sends it.

They apply on every target. The ones that depend on the target (eks or kind) are stack
policies in ``policy/stack.py``, because one resource alone does not tell the target.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

from components.charts import PINS, chart_footprint
from policy.objects import (
    Report,
    containers,
    get,
    is_chart,
    kind_of,
    labels,
    name_of,
    namespace_of,
    pod_labels,
    pod_spec,
)


COST_LABELS = ("team", "cost-center")
UTILISATION_RANGE = (10, 95)
# Pods allowed on the host network, as ``namespace/name`` patterns. node-exporter reads the
# node's own network statistics, which it sees only from the host's network namespace.
# Ref: https://github.com/prometheus-community/helm-charts/blob/main/charts/prometheus-node-exporter/values.yaml (hostNetwork: true)
DEFAULT_HOST_NETWORK_EXEMPT = ("monitoring-agents/*prometheus-node-exporter",)


def _config(args: Any) -> Mapping[str, Any]:
    return args.get_config() or {}


def container_resources(args: Any, report: Report) -> None:
    """Every container (init containers too) requests and limits CPU and memory; a pinned
    chart sets them in its values for every pod it runs."""
    if is_chart(args.resource_type):
        _chart_resources(args, report)
        return
    pod = pod_spec(args.resource_type, args.props)
    if pod is None:
        return
    for container in containers(pod):
        resources = container.get("resources") or {}
        missing = [
            f"{section}.{resource}"
            for section in ("requests", "limits")
            for resource in ("cpu", "memory")
            if get(resources, section, resource) in (None, "")
        ]
        if missing:
            report(f"container {container.get('name')!r} has no resources.{', resources.'.join(missing)}")


def _chart_resources(args: Any, report: Report) -> None:
    chart = args.props.get("chart")
    pin = PINS.get(chart)
    if pin is None:
        report(f"chart {chart!r} is not pinned in components/charts.py, so its pods' resources are unknown")
        return
    try:
        chart_footprint(pin, args.props.get("values") or {}, nodes=1)
    except KeyError as missing:
        report(f"chart {chart!r}: values path {missing.args[0]} is not set (requests and limits of every pod)")


def rendered_by_chart(urn: str) -> bool:
    """Whether a Helm chart rendered the resource: its URN's type chain names the chart as an
    ancestor (``urn:pulumi:<stack>::<project>::kubernetes:helm.sh/v4:Chart$<type>::<name>``)."""
    parts = urn.split("::")
    return len(parts) > 2 and any(is_chart(t) for t in parts[2].split("$")[:-1])


def cost_labels(args: Any, report: Report) -> None:
    """Namespaces and workloads (and the pods they create) carry ``team`` and ``cost-center``.
    Objects a chart renders are allocated through their namespace's labels: not every chart
    can label every object it makes."""
    kind = kind_of(args.resource_type)
    if kind != "Namespace" and pod_spec(args.resource_type, args.props) is None:
        return
    if rendered_by_chart(args.urn):
        return
    places = [("metadata.labels", labels(args.props))]
    if kind != "Namespace" and kind != "Pod":
        places.append(("pod template labels", pod_labels(args.resource_type, args.props)))
    for where, found in places:
        missing = [key for key in COST_LABELS if not found.get(key)]
        if missing:
            report(f"{kind} {name_of(args.props, args.name)}: {where} lack {', '.join(missing)}")


def deployment_probes(args: Any, report: Report) -> None:
    """Every container of a Deployment (not its init containers) has liveness and readiness probes."""
    if kind_of(args.resource_type) != "Deployment":
        return
    for container in containers(pod_spec(args.resource_type, args.props) or {}, init=False):
        missing = [probe for probe in ("livenessProbe", "readinessProbe") if not container.get(probe)]
        if missing:
            report(f"container {container.get('name')!r} has no {' or '.join(missing)}")


def hpa_bounds(args: Any, report: Report) -> None:
    """``1 <= minReplicas <= maxReplicas``, and each utilisation target within 10-95 %."""
    if kind_of(args.resource_type) != "HorizontalPodAutoscaler":
        return
    spec = args.props.get("spec") or {}
    low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
    if high is None or low < 1 or low > high:
        report(f"replicas must satisfy 1 <= minReplicas <= maxReplicas (got {_number(low)} and {_number(high)})")
    lowest, highest = UTILISATION_RANGE
    for where, value in _utilisation_targets(spec):
        if not lowest <= value <= highest:
            report(f"{where} target {value:g}% is outside {lowest}-{highest}%")


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else repr(value)


def _utilisation_targets(spec: Mapping[str, Any]) -> list[tuple[str, float]]:
    found = []
    if spec.get("targetCPUUtilizationPercentage") is not None:  # autoscaling/v1
        found.append(("cpu", spec["targetCPUUtilizationPercentage"]))
    for metric in spec.get("metrics") or ():
        source = metric.get("resource") or metric.get("containerResource") or {}
        value = get(source, "target", "averageUtilization")
        if value is not None:
            found.append((str(source.get("name")), value))
    return found


def privileged_or_host_network(args: Any, report: Report) -> None:
    """No privileged container and no pod on the host network (config ``hostNetworkExempt``:
    ``namespace/name`` patterns allowed on the host network)."""
    pod = pod_spec(args.resource_type, args.props)
    if pod is None:
        return
    where = f"{namespace_of(args.props)}/{name_of(args.props, args.name)}"
    exempt = _config(args).get("hostNetworkExempt", DEFAULT_HOST_NETWORK_EXEMPT)
    if pod.get("hostNetwork") and not any(fnmatch.fnmatch(where, pattern) for pattern in exempt):
        report(f"{where} runs on the host network (hostNetwork: true)")
    for container in containers(pod):
        if get(container, "securityContext", "privileged"):
            report(f"{where}: container {container.get('name')!r} is privileged")
