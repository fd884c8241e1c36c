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

from components.placement import Placement, chart_placement, daemonset_placement
from components.specs import parse_cpu_m, parse_memory_mi

PART_OF_LABEL = "app.kubernetes.io/part-of"
PodKind = Literal["Deployment", "StatefulSet", "DaemonSet", "Job"]
Path = tuple[str, ...]


@dataclass(frozen=True)
class ChartPod:
    """A pod of a chart.

    ``resources`` holds one values path per container (each to a ``{requests, limits}`` map).
    ``replicas`` is a values path to the replica count, or ``None`` for a single pod (and for
    DaemonSets, which run once per node). ``enabled`` is a values path to a switch that turns
    the pod off; ``None`` means it always runs. ``storage`` holds values paths to the size of
    each claim a pod copy gets (a quantity such as ``50Gi``); a path absent from the values
    means the chart makes no claim there. ``placement`` is the values path of the map where
    the chart reads this pod's ``nodeSelector`` and ``tolerations`` (``()``: the top level);
    ``None`` leaves the chart's own (node-exporter already tolerates every NoSchedule taint).
    ``helm_release`` fills it from the platform's node pools: base for every pod, the Spot
    toleration for DaemonSets. A new chart pod names its path here and is placed like the rest.
    """

    name: str
    kind: PodKind
    resources: tuple[Path, ...]
    replicas: Path | None = None
    enabled: Path | None = None
    storage: tuple[Path, ...] = ()
    placement: Path | None = ()


@dataclass(frozen=True)
class LabelSlot:
    """A values path whose map the chart adds to the labels of its objects.

    ``sets_part_of``: the chart already writes its own ``app.kubernetes.io/part-of`` next to
    this map, so ours is left out (a second key of the same name breaks the rendered YAML).
    """

    path: Path
    sets_part_of: bool = False


@dataclass(frozen=True)
class ChartPin:
    """A pinned chart; ``labels`` are where its values take common labels.

    ``secret_values`` are the values paths that carry secrets (a private key). Pulumi marks the
    whole ``values`` input secret as soon as one value in it is, so the tools that write values
    out (``tools render``, ``tools diff``) redact these paths and keep the rest readable.
    """

    chart: str
    version: str
    repo: str
    pods: tuple[ChartPod, ...]
    labels: tuple[LabelSlot, ...] = ()
    secret_values: tuple[Path, ...] = ()


@dataclass(frozen=True)
class PodFootprint:
    """Requests of one pod (all its containers) and how many copies run."""

    name: str
    kind: PodKind
    copies: int
    cpu_m: float
    memory_mi: float
    storage_gi: float = 0.0
    node_selector: tuple[tuple[str, str], ...] = ()
    tolerations: tuple[tuple[str, str, str, str], ...] = ()
    tolerates_all: bool = False


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
        selector, tolerations = _scheduling(pod, values)
        out.append(
            PodFootprint(
                pod.name, pod.kind, copies, cpu, memory, _storage_gi(pod, values), selector, tolerations,
                tolerates_all=pod.placement is None,
            )
        )
    return out


def _scheduling(pod: ChartPod, values: Mapping[str, Any]) -> tuple[tuple, tuple]:
    """The pod's nodeSelector and tolerations as the values set them (for the capacity model)."""
    if pod.placement is None:
        return (), ()
    try:
        node = dig(values, pod.placement) if pod.placement else values
    except KeyError:
        return (), ()
    selector = tuple(sorted((node.get("nodeSelector") or {}).items()))
    tolerations = tuple(
        (t.get("key", ""), t.get("operator", "Equal"), t.get("value", ""), t.get("effect", "")) for t in node.get("tolerations") or []
    )
    return selector, tolerations


def with_placement(pin: ChartPin, values: Mapping[str, Any], placement: Placement | None) -> dict:
    """``values`` (a copy) with each pod on the base pool, DaemonSets tolerating Spot."""
    out = dict(values)
    if placement is None:
        return out
    for pod in pin.pods:
        if pod.placement is None:
            continue
        fragment = daemonset_placement(placement) if pod.kind == "DaemonSet" else chart_placement(placement)
        node = out
        for part in pod.placement:
            node[part] = dict(node.get(part, {}))
            node = node[part]
        node.update(fragment)
    return out


def _storage_gi(pod: ChartPod, values: Mapping[str, Any]) -> float:
    total = 0.0
    for path in pod.storage:
        try:
            total += parse_memory_mi(dig(values, path)) / 1024
        except KeyError:
            continue
    return total


def with_labels(pin: ChartPin, values: Mapping[str, Any], labels: Mapping[str, str]) -> dict:
    """``values`` with ``labels`` merged into each of the chart's label slots (a copy)."""
    out = dict(values)
    for slot in pin.labels:
        wanted = {k: v for k, v in labels.items() if not (slot.sets_part_of and k == PART_OF_LABEL)}
        node = out
        for part in slot.path[:-1]:
            node[part] = dict(node.get(part, {}))
            node = node[part]
        node[slot.path[-1]] = {**node.get(slot.path[-1], {}), **wanted}
    return out


def helm_release(
    name: str,
    pin: ChartPin,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
    release: str | None = None,
    *,
    labels: Mapping[str, str],
    placement: Placement | None = None,
) -> k8s.helm.v4.Chart:
    """Install a pinned chart, its objects labelled with ``labels`` (team, cost-center,
    part-of) where the chart takes common labels, its pods placed on the platform's node pools
    (``placement``, see ``with_placement``). The release name is ``release`` (default:
    ``name``), fixed so chart object names (Services other charts point at) are stable."""
    return k8s.helm.v4.Chart(
        name,
        name=release or name,
        chart=pin.chart,
        version=pin.version,
        repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=pin.repo),
        namespace=namespace,
        values=with_placement(pin, with_labels(pin, values, labels), placement),
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
        ChartPod("ingress-nginx-controller", "Deployment", (("controller", "resources"),), ("controller", "replicaCount"),
                 placement=("controller",)),
    ),
    # ingress-nginx.labels writes app.kubernetes.io/part-of itself, on the pods too.
    labels=(LabelSlot(("commonLabels",), sets_part_of=True),),
)

# Ref: https://github.com/prometheus-community/helm-charts/blob/kube-prometheus-stack-88.5.3/charts/kube-prometheus-stack/values.yaml
# One ``prometheusConfigReloader.resources`` key sizes the reloader sidecar of both the
# Prometheus and the Alertmanager pods; one ``grafana.sidecar.resources`` both Grafana sidecars.
_RELOADER = ("prometheusOperator", "prometheusConfigReloader", "resources")
_GRAFANA_SIDECAR = ("grafana", "sidecar", "resources")
KUBE_PROMETHEUS_STACK = ChartPin(
    chart="kube-prometheus-stack",
    version="88.5.3",
    repo="https://prometheus-community.github.io/helm-charts",
    pods=(
        ChartPod(
            "prometheus", "StatefulSet", (("prometheus", "prometheusSpec", "resources"), _RELOADER),
            storage=(("prometheus", "prometheusSpec", "storageSpec", "volumeClaimTemplate", "spec", "resources", "requests", "storage"),),
            placement=("prometheus", "prometheusSpec"),
        ),
        ChartPod(
            "alertmanager", "StatefulSet", (("alertmanager", "alertmanagerSpec", "resources"), _RELOADER),
            enabled=("alertmanager", "enabled"), placement=("alertmanager", "alertmanagerSpec"),
        ),
        ChartPod("prometheus-operator", "Deployment", (("prometheusOperator", "resources"),), placement=("prometheusOperator",)),
        ChartPod(
            "grafana", "Deployment", (("grafana", "resources"), _GRAFANA_SIDECAR, _GRAFANA_SIDECAR),
            enabled=("grafana", "enabled"), storage=(("grafana", "persistence", "size"),), placement=("grafana",),
        ),
        # The subchart's default tolerations ({operator: Exists, effect: NoSchedule}) put it on every node.
        ChartPod("node-exporter", "DaemonSet", (("prometheus-node-exporter", "resources"),), placement=None),
        ChartPod("kube-state-metrics", "Deployment", (("kube-state-metrics", "resources"),), placement=("kube-state-metrics",)),
    ),
    # The chart's and the kube-state-metrics and node-exporter subcharts' label helpers write
    # part-of themselves; Grafana's (grafana-community chart 12.11.1, ``extraLabels``) does not.
    labels=(
        LabelSlot(("commonLabels",), sets_part_of=True),
        LabelSlot(("grafana", "extraLabels")),
        LabelSlot(("kube-state-metrics", "customLabels"), sets_part_of=True),
        LabelSlot(("prometheus-node-exporter", "commonLabels"), sets_part_of=True),
    ),
)

# Ref: https://github.com/grafana-community/helm-charts/tree/main/charts/loki (moved from grafana/loki)
LOKI = ChartPin(
    chart="loki",
    version="18.11.0",
    repo="https://grafana-community.github.io/helm-charts",
    pods=(
        ChartPod(
            "loki", "StatefulSet", (("singleBinary", "resources"),), ("singleBinary", "replicas"),
            storage=(("singleBinary", "persistence", "size"),), placement=("singleBinary",),
        ),
    ),
    labels=(LabelSlot(("commonLabels",)),),
)

# Ref: https://github.com/grafana/alloy/blob/main/operations/helm/charts/alloy/values.yaml
ALLOY = ChartPin(
    chart="alloy",
    version="1.11.1",
    repo="https://grafana.github.io/helm-charts",
    pods=(ChartPod("alloy", "DaemonSet", (("alloy", "resources"), ("configReloader", "resources")), placement=("controller",)),),
    # No chart-wide labels: the controller's own and its pods'; alloy.labels writes part-of.
    labels=(LabelSlot(("controller", "extraLabels"), sets_part_of=True), LabelSlot(("controller", "podLabels"))),
)

# Ref: https://github.com/jaegertracing/helm-charts/tree/main/charts/jaeger (4.x: Jaeger v2)
JAEGER = ChartPin(
    chart="jaeger",
    version="4.11.1",
    repo="https://jaegertracing.github.io/helm-charts",
    pods=(ChartPod("jaeger", "Deployment", (("jaeger", "resources"),), placement=("jaeger",)),),
    labels=(LabelSlot(("commonLabels",)), LabelSlot(("jaeger", "podLabels"))),
)

# Ref: https://github.com/kubernetes-sigs/metrics-server/blob/master/charts/metrics-server/values.yaml
METRICS_SERVER = ChartPin(
    chart="metrics-server",
    version="3.13.1",
    repo="https://kubernetes-sigs.github.io/metrics-server/",
    pods=(ChartPod("metrics-server", "Deployment", (("resources",),), ("replicas",)),),
    labels=(LabelSlot(("commonLabels",)), LabelSlot(("podLabels",))),
)

# Ref: https://github.com/opencost/opencost-helm-chart/blob/main/charts/opencost/values.yaml
OPENCOST = ChartPin(
    chart="opencost",
    version="2.5.17",
    repo="https://opencost.github.io/opencost-helm-chart",
    pods=(
        ChartPod(
            "opencost", "Deployment", (("opencost", "exporter", "resources"), ("opencost", "ui", "resources")), placement=("opencost",)
        ),
    ),
    # opencost.labels writes part-of and reads commonLabels (templates/_helpers.tpl).
    labels=(LabelSlot(("commonLabels",), sets_part_of=True), LabelSlot(("podLabels",))),
)

# Chart 3.5.0 ships controller v3.5.0 (Chart.yaml appVersion at tag v3.5.0); its IAM policy
# is components/aws/policies/aws-load-balancer-controller-v3.5.0.json from the same tag.
# Ref: https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/v3.5.0/helm/aws-load-balancer-controller/Chart.yaml
AWS_LOAD_BALANCER_CONTROLLER = ChartPin(
    chart="aws-load-balancer-controller",
    version="3.5.0",
    repo="https://aws.github.io/eks-charts",
    pods=(ChartPod("aws-load-balancer-controller", "Deployment", (("resources",),), ("replicaCount",)),),
    # additionalLabels go on every object (templates/_helpers.tpl "labels"), podLabels on the pods.
    labels=(LabelSlot(("additionalLabels",)), LabelSlot(("podLabels",))),
    # The webhook's serving key (components/webhook_tls.py).
    secret_values=(("webhookTLS", "key"),),
)

# Chart 9.59.0 ships Cluster Autoscaler 1.35.0 (appVersion, image tag v1.35.0): its minor must
# match the cluster's. Ref: https://github.com/kubernetes/autoscaler/blob/cluster-autoscaler-chart-9.59.0/cluster-autoscaler/charts/cluster-autoscaler/Chart.yaml
CLUSTER_AUTOSCALER = ChartPin(
    chart="cluster-autoscaler",
    version="9.59.0",
    repo="https://kubernetes.github.io/autoscaler",
    pods=(ChartPod("cluster-autoscaler", "Deployment", (("resources",),), ("replicaCount",)),),
    labels=(LabelSlot(("additionalLabels",)), LabelSlot(("podLabels",))),
)

# Chart 1.21.1 ships external-dns v0.21.0 (appVersion), the newest chart release.
# Ref: https://github.com/kubernetes-sigs/external-dns/blob/external-dns-helm-chart-1.21.1/charts/external-dns/Chart.yaml
EXTERNAL_DNS = ChartPin(
    chart="external-dns",
    version="1.21.1",
    repo="https://kubernetes-sigs.github.io/external-dns/",
    pods=(ChartPod("external-dns", "Deployment", (("resources",),)),),
    # commonLabels go on every object (templates/_helpers.tpl "external-dns.labels"), podLabels on the pod.
    labels=(LabelSlot(("commonLabels",)), LabelSlot(("podLabels",))),
)

# Chart 0.47.0 ships YACE v0.67.0 (Chart.yaml appVersion): the ALB's CloudWatch metrics on eks.
# Ref: https://github.com/prometheus-community/helm-charts/blob/prometheus-yet-another-cloudwatch-exporter-0.47.0/charts/prometheus-yet-another-cloudwatch-exporter/Chart.yaml
CLOUDWATCH_EXPORTER = ChartPin(
    chart="prometheus-yet-another-cloudwatch-exporter",
    version="0.47.0",
    repo="https://prometheus-community.github.io/helm-charts",
    pods=(ChartPod("cloudwatch-exporter", "Deployment", (("resources",),), ("replicaCount",)),),
    # No chart-wide labels: the Deployment's, the pod's, the ServiceAccount's and the ServiceMonitor's.
    labels=(
        LabelSlot(("deployment", "labels")),
        LabelSlot(("podLabels",)),
        LabelSlot(("serviceAccount", "labels")),
        LabelSlot(("serviceMonitor", "labels")),
    ),
)

PINS: dict[str, ChartPin] = {
    p.chart: p
    for p in (
        INGRESS_NGINX, KUBE_PROMETHEUS_STACK, LOKI, ALLOY, JAEGER, METRICS_SERVER, OPENCOST,
        AWS_LOAD_BALANCER_CONTROLLER, CLUSTER_AUTOSCALER, EXTERNAL_DNS, CLOUDWATCH_EXPORTER,
    )
}
