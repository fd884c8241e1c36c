"""What a program declares, as Kubernetes objects and Helm releases, and what they request.

One computation serves three readers: ``tools render`` (manifests and ``summary.json``), the
cost model, and the program's own ``monthlyCostEstimate`` output. Each hands in resources as
``Declared``-shaped records (type token, name, inputs with Pulumi's camelCase names).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from components.charts import PINS, chart_footprint
from components.quota import Totals, pod_totals
from components.specs import parse_memory_mi

HELM_CHART = "kubernetes:helm.sh/v4:Chart"
REDACTED = "<redacted: secret>"


class DeclaredLike(Protocol):
    type: str
    name: str
    inputs: dict[str, Any]
    secret_paths: list[str]


@dataclass(frozen=True)
class Declared:
    """A resource as the program declared it: type token, name, inputs (Pulumi names)."""

    type: str
    name: str
    inputs: dict[str, Any]
    secret_paths: list[str] = field(default_factory=list)


def integral(value: Any) -> Any:
    """Mocks deliver numbers as floats; Kubernetes wants integers where they are whole.
    Map keys are sorted too: mocks return them in hash order, which changes between runs and
    would make two renders of the same program differ."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value


def api_version_kind(type_token: str) -> tuple[str, str] | None:
    """``kubernetes:apps/v1:Deployment`` -> (``apps/v1``, ``Deployment``); core drops its group."""
    match = re.fullmatch(r"kubernetes:([^:]+):([A-Za-z0-9]+)", type_token)
    if not match or type_token == HELM_CHART or "helm.sh" in type_token or "yaml/" in type_token:
        return None
    group_version, kind = match.groups()
    return (group_version.removeprefix("core/"), kind)


def redact(value: Any, path: str, secret_paths: list[str]) -> Any:
    """Replace every value that arrived as a Pulumi secret, so nothing secret is written."""
    if path in secret_paths:
        if isinstance(value, dict):
            return {k: REDACTED for k in value}
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, f"{path}/{k}", secret_paths) for k, v in value.items()}
    return value


def manifest_of(reg: DeclaredLike) -> dict | None:
    """The Kubernetes object a registration declares, or None for non-Kubernetes resources."""
    found = api_version_kind(reg.type)
    if found is None:
        return None
    api_version, kind = found
    body = {k: v for k, v in reg.inputs.items() if k not in ("apiVersion", "kind")}
    body = redact(integral(body), "", reg.secret_paths)
    return {"apiVersion": api_version, "kind": kind, **body}


def _redacted_chart_inputs(reg: DeclaredLike) -> dict:
    """A chart's inputs with its secrets redacted. One secret value makes Pulumi mark the whole
    ``values`` secret: then the pin's ``secret_values`` paths are redacted and the rest is kept
    (a chart that declares none is redacted whole)."""
    inputs = integral(reg.inputs)
    pin = PINS.get(inputs.get("chart", ""))
    if "/values" in reg.secret_paths and pin is not None and pin.secret_values:
        paths = [p for p in reg.secret_paths if p != "/values"]
        paths += ["/values/" + "/".join(path) for path in pin.secret_values]
        return redact(inputs, "", paths)
    return redact(inputs, "", reg.secret_paths)


@dataclass(frozen=True)
class Rendered:
    objects: list[dict]
    releases: list[dict]


def collect(declared: Iterable[DeclaredLike]) -> Rendered:
    """Kubernetes objects and Helm releases (chart, version, repository, values) of a program."""
    objects, releases = [], []
    for reg in declared:
        if reg.type == HELM_CHART:
            inputs = _redacted_chart_inputs(reg)
            releases.append(
                {
                    "name": reg.name,
                    "chart": inputs["chart"],
                    "version": inputs["version"],
                    "repository": (inputs.get("repositoryOpts") or {}).get("repo", ""),
                    "namespace": inputs.get("namespace", "default"),
                    "values": inputs.get("values", {}),
                }
            )
        elif (manifest := manifest_of(reg)) is not None:
            objects.append(manifest)
    return Rendered(objects, releases)


@dataclass(frozen=True)
class WorkloadRequests:
    """One workload's requests: ``min`` at declared replicas, ``max`` at its HPA maximum.
    ``storage_gi`` is its claims (StatefulSet volumeClaimTemplates, chart storage values)."""

    namespace: str
    kind: str
    name: str
    replicas: tuple[int, int]
    min: Totals
    max: Totals
    storage_gi: float = 0.0


def _claims_gi(templates: list[dict]) -> float:
    return sum(parse_memory_mi(t["spec"]["resources"]["requests"]["storage"]) for t in templates) / 1024


def _object_workload(o: dict, hpa_max: dict, nodes: int) -> WorkloadRequests | None:
    ns, kind, name = o.get("metadata", {}).get("namespace"), o["kind"], o["metadata"]["name"]
    storage = 0.0
    if kind in ("Deployment", "StatefulSet"):
        pod = o["spec"]["template"]["spec"]
        low = o["spec"].get("replicas", 1)
        high = hpa_max.get((ns, name), low)
        storage = _claims_gi(o["spec"].get("volumeClaimTemplates", [])) * low
    elif kind == "DaemonSet":
        pod, low, high = o["spec"]["template"]["spec"], nodes, nodes
    elif kind == "CronJob":
        # concurrencyPolicy Forbid: at most one run at a time.
        pod, low, high = o["spec"]["jobTemplate"]["spec"]["template"]["spec"], 1, 1
    else:
        return None
    one = pod_totals(pod)
    return WorkloadRequests(ns, kind, name, (low, high), one.times(low), one.times(high), storage)


def workload_requests(rendered: Rendered, nodes: int) -> list[WorkloadRequests]:
    """Every workload's requests with workloads at their minimum (declared) and maximum (HPA)
    replicas; DaemonSets count once per node; chart pods count from the values we send."""
    hpa_max = {
        (o["metadata"]["namespace"], o["spec"]["scaleTargetRef"]["name"]): o["spec"]["maxReplicas"]
        for o in rendered.objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    out = [w for o in rendered.objects if (w := _object_workload(o, hpa_max, nodes)) is not None]
    for release in rendered.releases:
        for fp in chart_footprint(PINS[release["chart"]], release["values"], nodes):
            pods = Totals(fp.cpu_m, fp.memory_mi).times(fp.copies)
            out.append(
                WorkloadRequests(
                    release["namespace"], f"chart:{release['chart']}", fp.name, (fp.copies, fp.copies),
                    pods, pods, fp.storage_gi * fp.copies,
                )
            )
    return out


def namespace_requests(rendered: Rendered, nodes: int) -> dict[str, dict[str, Totals]]:
    """Requests and limits per namespace at minimum and maximum replicas (``workload_requests``)."""
    out: dict[str, dict[str, Totals]] = defaultdict(lambda: {"min": Totals(), "max": Totals()})
    for w in workload_requests(rendered, nodes):
        out[w.namespace]["min"] += w.min
        out[w.namespace]["max"] += w.max
    return dict(out)
