"""``python -m tools charts <stack>…``: render every pinned chart for real, with the exact values
the program sends, and validate what comes out.

For each Helm release of the stack (the values ``tools render`` writes, from the same
``collect()``), it pulls the pinned chart with ``helm pull`` and renders it with ``helm template``
for Kubernetes 1.35, with the API groups of the CRDs the stack's charts ship available (a first
render finds them), and then:

- validates every object strictly: built-in kinds against the Kubernetes 1.35 schemas
  (``tools/validate.py``), custom resources against the ``openAPIV3Schema`` of the CRDs the
  stack's charts ship, made strict (unknown fields are errors unless the CRD preserves them);
  an object with neither schema is an error, never a skip;
- fails on a values key the chart ignores: a key that is not in the chart's ``values.yaml``
  (subcharts' merged under their alias) and whose removal leaves the rendered output unchanged;
- runs the policy pack's resource policies on each object, as a child of the chart (as a real
  preview does), and fails on a mandatory violation.

Exit status: 0 valid, 1 problems, 3 (``SKIPPED``) when helm is missing or a chart repository
cannot be reached; it then says so and renders nothing. It never pretends to have rendered.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tools.validate import KUBERNETES_VERSION, UnvalidatedKind, validate_object

SKIPPED = 3
# Network-level failures only: a wrong chart name or version must fail, not skip.
_UNREACHABLE = re.compile(
    r"dial tcp|no such host|connection refused|i/o timeout|network is unreachable|"
    r"TLS handshake timeout|Client\.Timeout|temporary failure in name resolution",
    re.IGNORECASE,
)


class Unavailable(Exception):
    """helm is not installed, or a chart repository cannot be reached from this machine."""


class HelmError(Exception):
    """helm ran and failed for another reason (bad pin, template error, schema violation)."""


@dataclass(frozen=True)
class Helm:
    binary: str = "helm"

    def run(self, *args: str) -> str:
        exe = shutil.which(self.binary)
        if exe is None:
            raise Unavailable(f"{self.binary} is not installed (https://helm.sh/docs/intro/install/)")
        proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=900, check=False)
        if proc.returncode != 0:
            message = proc.stderr.strip() or proc.stdout.strip()
            if _UNREACHABLE.search(message):
                raise Unavailable(f"a chart repository cannot be reached: {message.splitlines()[-1]}")
            raise HelmError(f"helm {args[0]} failed: {message}")
        return proc.stdout


@dataclass(frozen=True)
class Release:
    """A Helm release as the program declares it (``kubernetes:helm.sh/v4:Chart`` inputs)."""

    name: str
    chart: str
    version: str
    repository: str
    namespace: str
    values: Mapping[str, Any]


def releases_of(stack: str) -> list[Release]:
    """The stack's releases with the values ``tools render`` writes (the same ``collect``)."""
    from tools.mockrun import run_program
    from tools.render import HELM_CHART, collect

    run = run_program(stack, preview=False)
    names = {r.name: r.inputs.get("name") or r.name for r in run.registrations if r.type == HELM_CHART}
    return [
        Release(names[r["name"]], r["chart"], r["version"], r["repository"], r["namespace"], r["values"])
        for r in collect(run).releases
    ]


def _load_yaml(text: str | bytes | None) -> Any:
    return yaml.safe_load(text) if text else None


def chart_defaults(chart_dir: Path) -> dict:
    """The chart's default values with each subchart's defaults merged under its alias (or name)."""
    return _defaults(_read_chart_dir(chart_dir))


def _read_chart_dir(chart_dir: Path) -> dict[str, Any]:
    files = {p.relative_to(chart_dir).as_posix(): p.read_bytes() for p in chart_dir.rglob("*") if p.is_file()}
    return _chart_from_files(files)


def _chart_from_files(files: Mapping[str, bytes]) -> dict[str, Any]:
    """Chart.yaml, values.yaml and subcharts (directories or .tgz under charts/) of one chart."""
    subcharts: dict[str, dict[str, Any]] = {}
    for path, data in files.items():
        parts = path.split("/")
        if len(parts) == 2 and parts[0] == "charts" and parts[1].endswith(".tgz"):
            sub = _chart_from_tgz(data)
            subcharts[sub["meta"].get("name", parts[1])] = sub
    for sub_name in {p.split("/")[1] for p in files if p.startswith("charts/") and p.count("/") >= 2}:
        prefix = f"charts/{sub_name}/"
        sub = _chart_from_files({p[len(prefix) :]: d for p, d in files.items() if p.startswith(prefix)})
        subcharts[sub["meta"].get("name", sub_name)] = sub
    return {
        "meta": _load_yaml(files.get("Chart.yaml")) or {},
        "values": _load_yaml(files.get("values.yaml")) or {},
        "subcharts": subcharts,
    }


def _chart_from_tgz(data: bytes) -> dict[str, Any]:
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            if member.isfile():
                files[member.name.split("/", 1)[1]] = tar.extractfile(member).read()  # type: ignore[union-attr]
    return _chart_from_files(files)


def _defaults(chart: Mapping[str, Any]) -> dict:
    values = copy.deepcopy(chart["values"]) if isinstance(chart["values"], dict) else {}
    for dep in chart["meta"].get("dependencies") or ():
        sub = chart["subcharts"].get(dep.get("name"))
        if sub is None:
            continue
        key = dep.get("alias") or dep["name"]
        merged = _defaults(sub)
        if isinstance(values.get(key), dict):
            merged = _deep_merge(merged, values[key])
        values[key] = merged
    return values


def _deep_merge(base: dict, override: Mapping[str, Any]) -> dict:
    out = dict(base)
    for key, value in override.items():
        out[key] = _deep_merge(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, Mapping) else value
    return out


def unknown_keys(values: Mapping[str, Any], defaults: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of keys in ``values`` that the defaults do not have. Beneath a default that is an
    empty map, null or not a map (``podAnnotations: {}``, ``nodeSelector: {}``) anything goes."""
    out: list[tuple[str, ...]] = []
    for key, value in values.items():
        here = (*path, str(key))
        if key not in defaults:
            out.append(here)
        elif isinstance(value, Mapping) and isinstance(defaults[key], Mapping) and defaults[key]:
            out.extend(unknown_keys(value, defaults[key], here))
    return out


def without(values: Mapping[str, Any], path: tuple[str, ...]) -> dict:
    out = copy.deepcopy(dict(values))
    node = out
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return out


def strict_schema(schema: Any) -> Any:
    """A CRD's ``openAPIV3Schema`` as strict JSON Schema: objects with declared properties take
    no other field unless they preserve unknown fields; ``nullable`` admits null."""
    if isinstance(schema, list):
        return [strict_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict_schema(v) for k, v in schema.items()}
    if "properties" in out and "additionalProperties" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    if out.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def crd_schemas(objects: Iterable[Mapping[str, Any]]) -> dict[str, dict]:
    """``group/version/Kind`` -> strict schema, for every CRD among ``objects``."""
    out = {}
    for obj in objects:
        if obj.get("kind") != "CustomResourceDefinition":
            continue
        spec = obj.get("spec") or {}
        for version in spec.get("versions") or ():
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if schema:
                out[f"{spec['group']}/{version['name']}/{spec['names']['kind']}"] = strict_schema(schema)
    return out


def object_problems(obj: Mapping[str, Any], crds: Mapping[str, dict]) -> list[str]:
    """Problems of one rendered object; custom resources are checked against ``crds``."""
    key = f"{obj.get('apiVersion')}/{obj.get('kind')}"
    name = (obj.get("metadata") or {}).get("name")
    if key in crds:
        validator = jsonschema.Draft7Validator(crds[key])
        return [f"{key} {name}: {'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(dict(obj))]
    try:
        return validate_object(dict(obj))
    except UnvalidatedKind:
        return [f"{key} {name}: no Kubernetes {KUBERNETES_VERSION} schema and no CRD among the charts"]


@dataclass(frozen=True)
class Rendered:
    release: Release
    objects: list[dict]
    problems: list[str]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chart:
    """A pulled release, ready to render; ``api_versions`` are the custom API groups the stack's
    charts install (``monitoring.coreos.com/v1``), so templates gated on them render too."""

    release: Release
    path: Path
    work: Path
    api_versions: tuple[str, ...] = ()

    def template(self, helm: Helm, values: Mapping[str, Any]) -> str:
        values_file = self.work / f"{self.release.name}-values.yaml"
        values_file.write_text(yaml.safe_dump(dict(values), sort_keys=True))
        extra = [arg for version in self.api_versions for arg in ("--api-versions", version)]
        return helm.run(
            "template", self.release.name, str(self.path),
            "--namespace", self.release.namespace,
            "--values", str(values_file),
            "--kube-version", KUBERNETES_VERSION,
            "--include-crds",
            *extra,
        )


def pull(helm: Helm, release: Release, work: Path) -> Chart:
    pulled = work / release.name
    helm.run("pull", release.chart, "--repo", release.repository, "--version", release.version, "--untar", "--untardir", str(pulled))
    return Chart(release, pulled / release.chart, work)


def _objects(output: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(output) if isinstance(doc, dict)]


def crd_api_versions(objects: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """``group/version`` of every CRD version among ``objects``."""
    return tuple(sorted({f"{o['spec']['group']}/{v['name']}" for o in objects if o.get("kind") == "CustomResourceDefinition" for v in o["spec"].get("versions") or ()}))


def render_release(helm: Helm, chart: Chart) -> Rendered:
    """Render one release and check its values (objects are validated later, when the CRDs of
    every chart are known)."""
    release = chart.release
    output = chart.template(helm, release.values)
    unknown = unknown_keys(release.values, chart_defaults(chart.path))
    problems, notes = [], []
    if unknown and chart.template(helm, release.values) != output:
        # Generated secrets or certificates: a key's effect cannot be told from the noise.
        notes.append(
            f"{release.chart}: two renders with the same values differ, so these keys missing from its "
            f"values.yaml could not be tested for effect: {', '.join('.'.join(p) for p in unknown)}"
        )
        unknown = []
    for path in unknown:
        if chart.template(helm, without(release.values, path)) == output:
            problems.append(
                f"{release.chart}: values key {'.'.join(path)} is ignored: it is not in the chart's values.yaml "
                "and removing it changes nothing"
            )
    return Rendered(release, _objects(output), problems, tuple(notes))


def policy_problems(stack: str, rendered: Rendered) -> list[str]:
    """Mandatory violations of the pack's resource policies by the chart's objects: a real
    preview checks each of them as a child of the chart."""
    from tools.policycheck import chart_object_violations

    found = chart_object_violations(stack, rendered.release.name, rendered.objects)
    return [f"policy {v.policy}: {v.message}" for v in found if v.level == "mandatory"]


def check_stack(helm: Helm, releases: Iterable[Release], stack: str = "test") -> list[Rendered]:
    """Pull every release, find the custom APIs their CRDs add, then render and check each with
    those APIs available, as on a cluster where the charts are installed."""
    with tempfile.TemporaryDirectory(prefix="charts-") as tmp:
        charts = [pull(helm, release, Path(tmp)) for release in releases]
        apis = crd_api_versions(obj for chart in charts for obj in _objects(chart.template(helm, chart.release.values)))
        rendered = [render_release(helm, dataclasses.replace(chart, api_versions=apis)) for chart in charts]
    crds = crd_schemas(obj for r in rendered for obj in r.objects)
    return [
        Rendered(
            r.release,
            r.objects,
            r.problems + [p for obj in r.objects for p in object_problems(obj, crds)] + policy_problems(stack, r),
            r.notes,
        )
        for r in rendered
    ]


def main(stacks: list[str], helm: Helm | None = None) -> int:
    helm = helm or Helm()
    failed = False
    try:
        helm.run("version")
        for stack in stacks:
            for result in check_stack(helm, releases_of(stack), stack):
                r = result.release
                status = "ok" if not result.problems else f"{len(result.problems)} problem(s)"
                print(f"{stack}: {r.chart} {r.version} ({r.name}): {len(result.objects)} objects, {status}")
                for problem in result.problems:
                    print(f"  {problem}")
                for note in result.notes:
                    print(f"  note: {note}")
                failed = failed or bool(result.problems)
    except Unavailable as err:
        print(f"charts: skipped, nothing was rendered: {err}")
        return SKIPPED
    except HelmError as err:
        print(f"charts: {err}")
        return 1
    return 1 if failed else 0
