"""Resource arithmetic on pod specs, and the namespace ResourceQuota and LimitRange built from it.

``pod_totals`` is the one place that adds up a pod's requests and limits; the quota here and
the render summary both use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from components.manifests import metadata, pod_spec
from components.specs import cpu_quantity, memory_quantity, parse_cpu_m, parse_memory_mi


@dataclass(frozen=True)
class Totals:
    """Requests and limits in millicores and MiB."""

    cpu_request_m: float = 0.0
    memory_request_mi: float = 0.0
    cpu_limit_m: float = 0.0
    memory_limit_mi: float = 0.0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.cpu_request_m + other.cpu_request_m,
            self.memory_request_mi + other.memory_request_mi,
            self.cpu_limit_m + other.cpu_limit_m,
            self.memory_limit_mi + other.memory_limit_mi,
        )

    def times(self, n: int) -> Totals:
        return Totals(self.cpu_request_m * n, self.memory_request_mi * n, self.cpu_limit_m * n, self.memory_limit_mi * n)


def container_totals(container: dict) -> Totals:
    res = container.get("resources", {})
    req, lim = res.get("requests", {}), res.get("limits", {})
    return Totals(
        parse_cpu_m(req.get("cpu", 0)),
        parse_memory_mi(req.get("memory", 0)),
        parse_cpu_m(lim.get("cpu", 0)),
        parse_memory_mi(lim.get("memory", 0)),
    )


def pod_totals(pod: dict) -> Totals:
    """Effective pod resources as the scheduler sees them: the sum of the app containers, or the
    largest init container if that is larger (init containers run one at a time, before)."""
    apps = sum((container_totals(c) for c in pod.get("containers", [])), Totals())
    inits = [container_totals(c) for c in pod.get("initContainers", [])]
    return Totals(
        max([apps.cpu_request_m, *(i.cpu_request_m for i in inits)]),
        max([apps.memory_request_mi, *(i.memory_request_mi for i in inits)]),
        max([apps.cpu_limit_m, *(i.cpu_limit_m for i in inits)]),
        max([apps.memory_limit_mi, *(i.memory_limit_mi for i in inits)]),
    )


@dataclass(frozen=True)
class JobPods:
    """Pods that no Deployment or StatefulSet owns (a CronJob's Job), and how many of them
    run at once (``concurrencyPolicy: Forbid`` means one)."""

    containers: tuple
    init_containers: tuple = ()
    parallel: int = 1


@dataclass(frozen=True)
class NamespacePods:
    """Everything that runs pods in one namespace: Deployments (``WorkloadSpec``),
    StatefulSets (``StoreSpec``) and Jobs."""

    workloads: tuple = ()
    stores: tuple = ()
    jobs: tuple[JobPods, ...] = ()

    def containers(self) -> list:
        out = []
        for w in self.workloads:
            out += [*w.containers, *w.init_containers]
        for s in self.stores:
            out += [s.container, *s.init_containers]
        for j in self.jobs:
            out += [*j.containers, *j.init_containers]
        return out


def namespace_ceiling(ns: NamespacePods) -> tuple[Totals, int]:
    """Requests, limits and pod count with every Deployment at its HPA maximum plus one surge
    pod (rolling updates run ``maxSurge: 1``), every StatefulSet at one pod and every Job at
    its parallelism."""
    total, pods = Totals(), 0
    for w in ns.workloads:
        copies = w.max_replicas + 1
        total += pod_totals(pod_spec(w.containers, w.volumes, w.init_containers)).times(copies)
        pods += copies
    for s in ns.stores:
        total += pod_totals(pod_spec((s.container,), s.volumes, s.init_containers))
        pods += 1
    for j in ns.jobs:
        total += pod_totals(pod_spec(j.containers, (), j.init_containers)).times(j.parallel)
        pods += j.parallel
    return total, pods


def resource_quota_manifest(name: str, namespace: str, ns: NamespacePods, labels: dict[str, str]) -> dict:
    """A quota that the namespace's own workloads fit at their maximum scale, and nothing much more."""
    total, pods = namespace_ceiling(ns)
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": metadata(name, namespace, labels),
        "spec": {
            "hard": {
                "requests.cpu": cpu_quantity(math.ceil(total.cpu_request_m)),
                "requests.memory": memory_quantity(math.ceil(total.memory_request_mi)),
                "limits.cpu": cpu_quantity(math.ceil(total.cpu_limit_m)),
                "limits.memory": memory_quantity(math.ceil(total.memory_limit_mi)),
                "pods": str(pods),
                "persistentvolumeclaims": str(len(ns.stores)),
            }
        },
    }


def limit_range_manifest(name: str, namespace: str, ns: NamespacePods, labels: dict[str, str]) -> dict:
    """Container bounds spanning exactly the namespace's own containers; the defaults (seed 002:
    100m/128Mi requested, 200m/256Mi limit) apply to anything added by hand."""
    containers = ns.containers()
    min_cpu = min(c.resources.cpu_request_m for c in containers)
    min_mem = min(c.resources.memory_request_mi for c in containers)
    max_cpu = max(c.resources.cpu_limit_m for c in containers)
    max_mem = max(c.resources.memory_limit_mi for c in containers)
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": metadata(name, namespace, labels),
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "min": {"cpu": cpu_quantity(min_cpu), "memory": memory_quantity(min_mem)},
                    "max": {"cpu": cpu_quantity(max_cpu), "memory": memory_quantity(max_mem)},
                    "defaultRequest": {
                        "cpu": cpu_quantity(min(max(100, min_cpu), max_cpu)),
                        "memory": memory_quantity(min(max(128, min_mem), max_mem)),
                    },
                    "default": {
                        "cpu": cpu_quantity(min(max(200, min_cpu), max_cpu)),
                        "memory": memory_quantity(min(max(256, min_mem), max_mem)),
                    },
                }
            ]
        },
    }


def namespace_limits(namespace: str, pods: NamespacePods, labels: Callable[[str], dict[str, str]]) -> list[dict]:
    """``<namespace>-quota`` and ``<namespace>-limits`` (seed 002's names for ``production``),
    each labelled with ``labels(object name)``."""
    return [
        resource_quota_manifest(f"{namespace}-quota", namespace, pods, labels(f"{namespace}-quota")),
        limit_range_manifest(f"{namespace}-limits", namespace, pods, labels(f"{namespace}-limits")),
    ]
