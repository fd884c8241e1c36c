"""``python -m tools render <stack> --out DIR``: every object the stack declares, as YAML.

Runs the real program under mocks (no cluster, no CLI), then writes one YAML file per
Kubernetes object under ``DIR/<namespace>/`` (``DIR/_cluster/`` for cluster-scoped ones), one
document per Helm release (chart, version, repository, values), and ``summary.json`` with
resource counts and requested CPU and memory per namespace at minimum and maximum replicas.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.charts import PINS, chart_footprint
from components.quota import Totals, pod_totals
from stacks.settings import validate as validate_config
from tools.mockrun import Registration, Run, run_program, stack_config

HELM_CHART = "kubernetes:helm.sh/v4:Chart"
REDACTED = "<redacted: secret>"
_SKIP_PREFIXES = ("pulumi:providers:",)


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


def manifest_of(reg: Registration) -> dict | None:
    """The Kubernetes object a registration declares, or None for non-Kubernetes resources."""
    found = api_version_kind(reg.type)
    if found is None:
        return None
    api_version, kind = found
    body = {k: v for k, v in reg.inputs.items() if k not in ("apiVersion", "kind")}
    body = redact(integral(body), "", reg.secret_paths)
    return {"apiVersion": api_version, "kind": kind, **body}


@dataclass(frozen=True)
class Rendered:
    objects: list[dict]
    releases: list[dict]


def collect(run: Run) -> Rendered:
    objects, releases = [], []
    for reg in run.registrations:
        if reg.type == HELM_CHART:
            inputs = integral(reg.inputs)
            releases.append(
                {
                    "name": reg.name,
                    "chart": inputs["chart"],
                    "version": inputs["version"],
                    "repository": inputs["repositoryOpts"]["repo"],
                    "namespace": inputs.get("namespace", "default"),
                    "values": inputs.get("values", {}),
                }
            )
        elif (manifest := manifest_of(reg)) is not None:
            objects.append(manifest)
    return Rendered(objects, releases)


def _scaled(pod: dict, copies: int) -> Totals:
    return pod_totals(pod).times(copies)


def namespace_requests(rendered: Rendered, nodes: int) -> dict[str, dict[str, Totals]]:
    """Requests and limits per namespace with workloads at their minimum (declared) and
    maximum (HPA) replicas; DaemonSets count once per node; charts count from their values."""
    hpa_max = {
        (o["metadata"]["namespace"], o["spec"]["scaleTargetRef"]["name"]): o["spec"]["maxReplicas"]
        for o in rendered.objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    out: dict[str, dict[str, Totals]] = defaultdict(lambda: {"min": Totals(), "max": Totals()})
    for o in rendered.objects:
        ns, kind = o.get("metadata", {}).get("namespace"), o["kind"]
        if kind in ("Deployment", "StatefulSet"):
            pod = o["spec"]["template"]["spec"]
            low = o["spec"].get("replicas", 1)
            high = hpa_max.get((ns, o["metadata"]["name"]), low)
        elif kind == "DaemonSet":
            pod, low, high = o["spec"]["template"]["spec"], nodes, nodes
        elif kind == "CronJob":
            # concurrencyPolicy Forbid: at most one run at a time.
            pod, low, high = o["spec"]["jobTemplate"]["spec"]["template"]["spec"], 1, 1
        else:
            continue
        out[ns]["min"] += _scaled(pod, low)
        out[ns]["max"] += _scaled(pod, high)
    for release in rendered.releases:
        pin = PINS[release["chart"]]
        for fp in chart_footprint(pin, release["values"], nodes):
            pod = Totals(fp.cpu_m, fp.memory_mi).times(fp.copies)
            out[release["namespace"]]["min"] += pod
            out[release["namespace"]]["max"] += pod
    return dict(out)


def _figures(t: Totals) -> dict[str, float]:
    return {
        "cpuMillicores": round(t.cpu_request_m, 1),
        "cpuCores": round(t.cpu_request_m / 1000, 3),
        "memoryMi": round(t.memory_request_mi, 1),
        "memoryGi": round(t.memory_request_mi / 1024, 3),
    }


def summary(run: Run, rendered: Rendered, nodes: int) -> dict:
    per_ns = namespace_requests(rendered, nodes)
    total_min = sum((v["min"] for v in per_ns.values()), Totals())
    total_max = sum((v["max"] for v in per_ns.values()), Totals())
    return {
        "stack": run.stack,
        "nodes": nodes,
        "resourceCount": len(run.registrations),
        "resourcesByType": dict(sorted(Counter(r.type for r in run.registrations).items())),
        "kubernetesObjects": len(rendered.objects),
        "helmReleases": [{k: r[k] for k in ("name", "chart", "version", "repository", "namespace")} for r in rendered.releases],
        "requests": {
            ns: {"min": _figures(v["min"]), "max": _figures(v["max"])} for ns, v in sorted(per_ns.items())
        },
        "total": {"min": _figures(total_min), "max": _figures(total_max)},
    }


def checked_config(stack: str) -> dict[str, Any]:
    """The stack's settings as the program will load them; raises ConfigRefused (the CLI
    refuses) or ConfigError (the loader refuses) before anything runs."""
    config, secrets = stack_config(stack)
    return validate_config(config, frozenset(secrets))


def node_count(values: dict[str, Any]) -> int:
    """Nodes DaemonSets run on: kind's control plane and workers, or on eks the system group
    and the application group at its desired size."""
    if values["target"] == "eks":
        return values["systemNodes"] + values["nodeDesiredSize"]
    return 1 + values["kindWorkers"]


def _file_name(obj: dict) -> str:
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def write(rendered: Rendered, report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for obj in rendered.objects:
        folder = out / (obj["metadata"].get("namespace") or "_cluster")
        folder.mkdir(exist_ok=True)
        (folder / _file_name(obj)).write_text(yaml.safe_dump(obj, sort_keys=False))
    for release in rendered.releases:
        folder = out / release["namespace"]
        folder.mkdir(exist_ok=True)
        doc = {"kind": "HelmRelease", **release}
        (folder / f"helmrelease-{release['name']}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    (out / "summary.json").write_text(json.dumps(report, indent=2) + "\n")


def render(stack: str, out: Path) -> dict:
    nodes = node_count(checked_config(stack))
    run = run_program(stack, preview=False)
    rendered = collect(run)
    report = summary(run, rendered, nodes)
    write(rendered, report, out)
    return report
