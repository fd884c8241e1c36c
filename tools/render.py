"""``python -m tools render <stack> --out DIR``: every object the stack declares, as YAML.

Runs the real program under mocks (no cluster, no CLI), then writes one YAML file per
Kubernetes object under ``DIR/<namespace>/`` (``DIR/_cluster/`` for cluster-scoped ones), one
document per Helm release (chart, version, repository, values), and ``summary.json`` with
resource counts and requested CPU and memory per namespace at minimum and maximum replicas.

``DIR/.tools-render.json`` lists what was written. The next render into ``DIR`` removes exactly
those files first, so no object of another stack or an older run is left behind; a non-empty
``DIR`` without that marker was not made by render and is refused (exit 2), never overwritten.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from components.cost.inventory import (  # noqa: F401 - re-exported: tests and tools import them from here
    HELM_CHART,
    REDACTED,
    Rendered,
    api_version_kind,
    integral,
    manifest_of,
    namespace_requests,
    redact,
)
from components.cost.inventory import collect as collect_declared
from components.quota import Totals
from stacks.settings import validate as validate_config
from tools.mockrun import Run, run_program, stack_config


def collect(run: Run) -> Rendered:
    """The Kubernetes objects and Helm releases of a mock run."""
    return collect_declared(run.registrations)


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
    """Nodes DaemonSets run on: kind's control plane and workers, or on eks the base and Spot
    groups at their desired sizes (``tools cost`` bin-packs the real count)."""
    if values["target"] == "eks":
        return values["baseDesiredSize"] + values["spotDesiredSize"]
    return 1 + values["kindWorkers"]


def _file_name(obj: dict) -> str:
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


MARKER = ".tools-render.json"


class OutDirRefused(Exception):
    """``--out`` names something render did not make: a usage error (exit 2)."""


def _previous_files(out: Path) -> list[Path]:
    """The files the last render wrote into ``out`` (empty for a new or empty directory);
    raises OutDirRefused for a file, or a non-empty directory without render's marker."""
    if out.exists() and not out.is_dir():
        raise OutDirRefused(f"render: --out {out} is a file, not a directory: choose a directory")
    if not out.is_dir():
        return []
    marker = out / MARKER
    if not marker.is_file():
        if any(out.iterdir()):
            raise OutDirRefused(
                f"render: --out {out} is not empty and was not written by tools render (no {MARKER}); "
                "choose a new or empty directory, or remove this one"
            )
        return []
    root = out.resolve()
    listed = [out / name for name in json.loads(marker.read_text()).get("files", [])]
    # Only paths inside ``out``: a hand-edited marker never makes render delete elsewhere.
    return [p for p in listed if p.resolve().is_relative_to(root)] + [marker]


def _remove(files: list[Path], out: Path) -> None:
    for path in files:
        path.unlink(missing_ok=True)
    for folder in sorted({p.parent for p in files}, key=lambda p: len(p.parts), reverse=True):
        if folder != out and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def write(rendered: Rendered, report: dict, out: Path) -> list[str]:
    """Write the objects, releases and summary; return their paths relative to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    docs: dict[Path, dict] = {}
    for obj in rendered.objects:
        docs[Path(obj["metadata"].get("namespace") or "_cluster") / _file_name(obj)] = obj
    for release in rendered.releases:
        docs[Path(release["namespace"]) / f"helmrelease-{release['name']}.yaml"] = {"kind": "HelmRelease", **release}
    for rel, doc in docs.items():
        (out / rel.parent).mkdir(exist_ok=True)
        (out / rel).write_text(yaml.safe_dump(doc, sort_keys=False))
    (out / "summary.json").write_text(json.dumps(report, indent=2) + "\n")
    return sorted(str(p) for p in docs) + ["summary.json"]


def render(stack: str, out: Path) -> dict:
    previous = _previous_files(out)  # refuse a foreign directory before any work
    nodes = node_count(checked_config(stack))
    run = run_program(stack, preview=False)
    rendered = collect(run)
    report = summary(run, rendered, nodes)
    _remove(previous, out)
    written = write(rendered, report, out)
    marker = {"writtenBy": "python -m tools render", "stack": stack, "files": written}
    (out / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    return report
