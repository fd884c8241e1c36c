"""Helm chart pins and the pods each chart runs, as data.

A pin names chart, version and repository. ``pods`` lists every pod the chart runs (as we
configure it) with the values paths where its containers' resources and replica count live,
so the render summary counts chart workloads from the very values we send, and a test fails
when a container has no explicit requests and limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.specs import parse_cpu_m, parse_memory_mi

PodKind = Literal["Deployment", "StatefulSet", "DaemonSet"]
Path = tuple[str, ...]


@dataclass(frozen=True)
class ChartPod:
    """A pod of a chart.

    ``resources`` holds one values path per container (each to a ``{requests, limits}`` map).
    ``replicas`` is a values path to the replica count, or ``None`` for a single pod (and for
    DaemonSets, which run once per node). ``enabled`` is a values path to a switch that turns
    the pod off; ``None`` means it always runs.
    """

    name: str
    kind: PodKind
    resources: tuple[Path, ...]
    replicas: Path | None = None
    enabled: Path | None = None


@dataclass(frozen=True)
class ChartPin:
    chart: str
    version: str
    repo: str
    pods: tuple[ChartPod, ...]


@dataclass(frozen=True)
class PodFootprint:
    """Requests of one pod (all its containers) and how many copies run."""

    name: str
    kind: PodKind
    copies: int
    cpu_m: float
    memory_mi: float


def dig(values: Mapping[str, Any], path: Path) -> Any:
    node: Any = values
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError("/".join(path))
        node = node[part]
    return node


def chart_footprint(pin: ChartPin, values: Mapping[str, Any], nodes: int) -> list[PodFootprint]:
    """Pods the chart schedules with these values; raises KeyError when a container's
    requests or limits are not set explicitly."""
    out = []
    for pod in pin.pods:
        if pod.enabled is not None and not dig(values, pod.enabled):
            continue
        cpu = memory = 0.0
        for path in pod.resources:
            res = dig(values, path)
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    dig(res, (section, resource))
            cpu += parse_cpu_m(res["requests"]["cpu"])
            memory += parse_memory_mi(res["requests"]["memory"])
        if pod.kind == "DaemonSet":
            copies = nodes
        else:
            copies = int(dig(values, pod.replicas)) if pod.replicas else 1
        out.append(PodFootprint(pod.name, pod.kind, copies, cpu, memory))
    return out


def helm_release(
    name: str,
    pin: ChartPin,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v4.Chart:
    """Install a pinned chart. The release name is ``name`` so chart object names are stable."""
    return k8s.helm.v4.Chart(
        name,
        chart=pin.chart,
        version=pin.version,
        repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=pin.repo),
        namespace=namespace,
        values=dict(values),
        opts=opts,
    )


# Ref: https://github.com/kubernetes/ingress-nginx/blob/helm-chart-4.15.1/charts/ingress-nginx/values.yaml
# 4.15.1 is the last release: the project went to best-effort maintenance until March 2026 and
# is now retired. It still serves kind; the README says what to move to.
INGRESS_NGINX = ChartPin(
    chart="ingress-nginx",
    version="4.15.1",
    repo="https://kubernetes.github.io/ingress-nginx",
    pods=(
        ChartPod("ingress-nginx-controller", "Deployment", (("controller", "resources"),), ("controller", "replicaCount")),
    ),
)

PINS: dict[str, ChartPin] = {p.chart: p for p in (INGRESS_NGINX,)}
