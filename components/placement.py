"""Where pods run: node pools, the Spot taint, zone and node spread. Pure data, no Pulumi import.

A ``Placement`` is platform data (``Platform.placement``): on eks it names the node label of
the two managed node groups (``cloud-platform/pool: base|spot``) and the Spot taint; on kind it
is ``None`` and pods carry no selector. Components ask ``pod_placement`` what to add to a pod
spec; they never ask which cluster they are on.

The rule (issue 16):
- **base** (on-demand): controllers, every pod with a persistent volume, and every workload
  that runs a single replica. These pods get a ``nodeSelector`` for the base pool and no Spot
  toleration, so they can never land on Spot, whatever the scheduler or autoscaler does.
- **spot**: stateless Deployments that always run two or more interchangeable replicas. They
  tolerate the Spot taint and *prefer* Spot nodes, so the scheduler falls back on base room
  rather than leaving pods Pending while Spot capacity is short.
- **every node**: DaemonSets (log and metrics agents) tolerate the Spot taint.

Chart pods (i17's exporters, OpenCost, every add-on) take ``chart_placement(platform)`` merged
into the values path where their chart reads ``nodeSelector``: the one place to put a chart on
the base pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ZONE_KEY = "topology.kubernetes.io/zone"
HOSTNAME_KEY = "kubernetes.io/hostname"
Pool = Literal["base", "spot", "any"]


@dataclass(frozen=True)
class Placement:
    """Node pools as labels and taints (eks)."""

    pool_label: str
    base_pool: str
    spot_pool: str
    spot_taint: dict[str, str]

    @property
    def spot_toleration(self) -> dict[str, str]:
        t = self.spot_taint
        return {"key": t["key"], "operator": "Equal", "value": t["value"], "effect": t["effect"]}


def spread_constraints(selector: dict[str, str], zone_policy: str) -> list[dict[str, Any]]:
    """Replicas spread over zones (``zone_policy``: ``DoNotSchedule`` where every node carries
    a zone label, as on EKS; ``ScheduleAnyway`` on kind, whose nodes have none, so pods are
    never held back by a missing label) and over nodes (always ``ScheduleAnyway``: a zone may
    hold a single node). ``matchLabelKeys: pod-template-hash`` counts only the pods of the
    current ReplicaSet, so a rollout does not skew the spread.
    Ref: https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/"""
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": policy,
            "labelSelector": {"matchLabels": dict(selector)},
            "matchLabelKeys": ["pod-template-hash"],
        }
        for key, policy in ((ZONE_KEY, zone_policy), (HOSTNAME_KEY, "ScheduleAnyway"))
    ]


def pod_placement(placement: Placement | None, pool: Pool) -> dict[str, Any]:
    """Pod spec fields that put a pod on ``pool`` (empty without node pools)."""
    if placement is None:
        return {}
    if pool == "base":
        return {"nodeSelector": {placement.pool_label: placement.base_pool}}
    if pool == "any":  # DaemonSets: every node, Spot included
        return {"tolerations": [placement.spot_toleration]}
    preferred = {
        "weight": 100,
        "preference": {"matchExpressions": [{"key": placement.pool_label, "operator": "In", "values": [placement.spot_pool]}]},
    }
    return {
        "tolerations": [placement.spot_toleration],
        "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [preferred]}},
    }


def workload_pool(min_replicas: int, has_claims: bool) -> Pool:
    """Spot only for stateless workloads that always run at least two replicas."""
    return "spot" if min_replicas >= 2 and not has_claims else "base"


def chart_placement(placement: Placement | None) -> dict[str, Any]:
    """Values fragment (``nodeSelector``) that keeps a chart's pods on the base pool."""
    return pod_placement(placement, "base")


def daemonset_placement(placement: Placement | None) -> dict[str, Any]:
    """Values fragment (``tolerations``) that lets a chart's DaemonSet run on Spot nodes too."""
    return pod_placement(placement, "any")
