"""The capacity model: the rendered pods bin-packed onto the node groups they may run on.

Pods come from what the program renders (Deployments, StatefulSets, the CronJob's one Job,
DaemonSets) and from the charts' footprints (``components.charts``), each with its requests,
``nodeSelector``, tolerations and preferred pool. EKS's own add-ons are added (``EKS_ADDONS``).
Each node offers its instance type's allocatable CPU, memory and pod slots
(``components.cost.instances``), less the DaemonSet pods that run on it. No Pulumi import.

Packing (first fit, most constrained and largest pods first), as the scheduler would place them:
a pod goes on an existing node of a group it may use (its preferred pool first) with room for
it; if none has room, a new node opens in its preferred group. A group never counts fewer nodes
than its minimum, nor fewer than two when it holds replicas that spread over zones (a single
node is a single zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from components.charts import PINS, chart_footprint
from components.cost.instances import INSTANCE_TYPES, InstanceType
from components.quota import pod_totals

# EKS's managed add-ons run pods the program does not render. Requests as the add-ons' default
# manifests set them (CoreDNS: 2 replicas of 100m/70Mi; kube-proxy: 100m per node; aws-node:
# 25m per node; EBS CSI: controller 2 replicas of six containers and a node DaemonSet of three,
# each container 10m/40Mi). Read them live with
# `kubectl -n kube-system get deploy,ds -o jsonpath='{..resources.requests}'`; not confirmed offline.
ADDON_SOURCE = "EKS add-on default manifests (CoreDNS, kube-proxy, aws-node, EBS CSI); not confirmed offline"
# Zone spread needs nodes in two zones at least.
SPREAD_FLOOR = 2


@dataclass(frozen=True)
class PodSet:
    """``count`` identical pods of one owner (``count`` is ignored for DaemonSets: one per node
    they may run on)."""

    owner: str
    count: int
    cpu_m: float
    memory_mi: float
    node_selector: tuple[tuple[str, str], ...] = ()
    tolerations: tuple[tuple[str, str, str, str], ...] = ()
    preferred_pool: str | None = None
    daemonset: bool = False
    tolerates_all: bool = False
    spread: bool = False


@dataclass(frozen=True)
class GroupCapacity:
    """A node group as the capacity model sees it."""

    name: str
    pool: str
    instance_type: str
    capacity_type: str
    labels: tuple[tuple[str, str], ...]
    taints: tuple[tuple[str, str, str], ...]
    min_size: int
    desired_size: int
    max_size: int

    @property
    def instance(self) -> InstanceType:
        return INSTANCE_TYPES[self.instance_type]


EKS_ADDONS = (
    PodSet("eks-addon:coredns", 2, 100, 70, spread=True),
    PodSet("eks-addon:ebs-csi-controller", 2, 60, 240, spread=True),
    PodSet("eks-addon:kube-proxy", 0, 100, 0, daemonset=True, tolerates_all=True),
    PodSet("eks-addon:aws-node", 0, 25, 0, daemonset=True, tolerates_all=True),
    PodSet("eks-addon:ebs-csi-node", 0, 30, 120, daemonset=True, tolerates_all=True),
)


def tolerated(pod: PodSet, taint: tuple[str, str, str]) -> bool:
    if pod.tolerates_all:
        return True
    key, value, effect = taint
    for t_key, op, t_value, t_effect in pod.tolerations:
        if t_effect and t_effect != effect:
            continue
        if op == "Exists" and (not t_key or t_key == key):
            return True
        if t_key == key and t_value == value:
            return True
    return False


def allowed(pod: PodSet, group: GroupCapacity) -> bool:
    labels = dict(group.labels)
    if any(labels.get(k) != v for k, v in pod.node_selector):
        return False
    return all(tolerated(pod, t) for t in group.taints if t[2] in ("NoSchedule", "NoExecute"))


@dataclass
class _Node:
    cpu_m: float
    memory_mi: float
    pods: int

    def fits(self, pod: PodSet) -> bool:
        return self.pods >= 1 and self.cpu_m >= pod.cpu_m and self.memory_mi >= pod.memory_mi

    def take(self, pod: PodSet) -> None:
        self.cpu_m -= pod.cpu_m
        self.memory_mi -= pod.memory_mi
        self.pods -= 1


@dataclass(frozen=True)
class GroupResult:
    group: GroupCapacity
    nodes: int
    pods: int
    cpu_m: float
    memory_mi: float
    spread: bool

    @property
    def billed_nodes(self) -> int:
        floor = SPREAD_FLOOR if self.spread else min(self.nodes, 1)
        return max(self.nodes, self.group.min_size, floor)

    @property
    def allocatable(self) -> tuple[float, float, int]:
        """Allocatable CPU (m), memory (MiB) and pod slots of one node, before DaemonSets."""
        i = self.group.instance
        return i.allocatable_cpu_m, i.allocatable_memory_mi, i.max_pods


@dataclass(frozen=True)
class Packing:
    groups: tuple[GroupResult, ...]
    unplaceable: tuple[str, ...] = field(default_factory=tuple)

    def nodes(self) -> dict[str, int]:
        return {r.group.name: r.billed_nodes for r in self.groups}


def _empty_node(group: GroupCapacity, daemonsets: Sequence[PodSet]) -> _Node:
    i = group.instance
    node = _Node(i.allocatable_cpu_m, i.allocatable_memory_mi, i.max_pods)
    for ds in daemonsets:
        if allowed(ds, group):
            node.take(ds)
    return node


def pack(pods: Sequence[PodSet], groups: Sequence[GroupCapacity]) -> Packing:
    """Bin-pack ``pods`` (add-ons included by the caller) onto ``groups``."""
    daemonsets = [p for p in pods if p.daemonset]
    nodes: dict[str, list[_Node]] = {g.name: [] for g in groups}
    spread = {g.name: False for g in groups}
    placed = {g.name: [0, 0.0, 0.0] for g in groups}
    unplaceable: list[str] = []
    singles = [p for p in pods if not p.daemonset]
    choices = {id(p): [g for g in groups if allowed(p, g)] for p in singles}
    order = sorted(singles, key=lambda p: (len(choices[id(p)]), -p.memory_mi, -p.cpu_m, p.owner))
    for pod in order:
        options = sorted(choices[id(pod)], key=lambda g: g.pool != pod.preferred_pool)
        for _ in range(pod.count):
            target = _place(pod, options, nodes, daemonsets)
            if target is None:
                unplaceable.append(pod.owner)
                break
            spread[target] = spread[target] or pod.spread
            row = placed[target]
            row[0] += 1
            row[1] += pod.cpu_m
            row[2] += pod.memory_mi
    results = tuple(
        GroupResult(g, len(nodes[g.name]), int(placed[g.name][0]), placed[g.name][1], placed[g.name][2], spread[g.name])
        for g in groups
    )
    return Packing(results, tuple(dict.fromkeys(unplaceable)))


def _place(pod: PodSet, options: Sequence[GroupCapacity], nodes: dict[str, list[_Node]], daemonsets) -> str | None:
    for group in options:
        for node in nodes[group.name]:
            if node.fits(pod):
                node.take(pod)
                return group.name
    for group in options:
        fresh = _empty_node(group, daemonsets)
        if fresh.fits(pod):
            fresh.take(pod)
            nodes[group.name].append(fresh)
            return group.name
    return None


def _preferred_pool(pod: dict) -> str | None:
    terms = ((pod.get("affinity") or {}).get("nodeAffinity") or {}).get("preferredDuringSchedulingIgnoredDuringExecution") or []
    for term in sorted(terms, key=lambda t: -t.get("weight", 0)):
        for expr in term.get("preference", {}).get("matchExpressions", []):
            if expr.get("operator") == "In" and expr.get("values"):
                return expr["values"][0]
    return None


def _tolerations(items: Sequence[dict]) -> tuple[tuple[str, str, str, str], ...]:
    return tuple((t.get("key", ""), t.get("operator", "Equal"), t.get("value", ""), t.get("effect", "")) for t in items or [])


def workload_pods(rendered, at_max: bool) -> list[PodSet]:
    """The rendered pods (objects and chart footprints), at declared replicas or HPA maximum."""
    hpa_max = {
        (o["metadata"]["namespace"], o["spec"]["scaleTargetRef"]["name"]): o["spec"]["maxReplicas"]
        for o in rendered.objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    out = []
    for o in rendered.objects:
        kind, meta = o["kind"], o["metadata"]
        if kind in ("Deployment", "StatefulSet"):
            pod, count = o["spec"]["template"]["spec"], int(o["spec"].get("replicas", 1))
            if at_max:
                count = int(hpa_max.get((meta.get("namespace"), meta["name"]), count))
        elif kind == "CronJob":
            pod, count = o["spec"]["jobTemplate"]["spec"]["template"]["spec"], 1
        elif kind == "DaemonSet":
            pod, count = o["spec"]["template"]["spec"], 0
        else:
            continue
        t = pod_totals(pod)
        out.append(
            PodSet(
                f"{meta.get('namespace')}/{kind}/{meta['name']}", count, t.cpu_request_m, t.memory_request_mi,
                tuple(sorted((pod.get("nodeSelector") or {}).items())), _tolerations(pod.get("tolerations")),
                _preferred_pool(pod), daemonset=kind == "DaemonSet", spread=bool(pod.get("topologySpreadConstraints")),
            )
        )
    for release in rendered.releases:
        for fp in chart_footprint(PINS[release["chart"]], release["values"], 1):
            out.append(
                PodSet(
                    f"{release['namespace']}/chart:{release['chart']}/{fp.name}", fp.copies, fp.cpu_m, fp.memory_mi,
                    fp.node_selector, fp.tolerations, daemonset=fp.kind == "DaemonSet", tolerates_all=fp.tolerates_all,
                    spread=fp.kind == "Deployment" and fp.copies >= 2,
                )
            )
    return out


def without_placement(pods: Sequence[PodSet]) -> list[PodSet]:
    """The same pods on a cluster without pools (the naive baseline)."""
    return [replace(p, node_selector=(), tolerations=(), preferred_pool=None) for p in pods]
