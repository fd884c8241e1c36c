"""``python -m tools charts [<stack>…] [--from DIR]``: render every pinned chart as Pulumi's v4
``Chart`` applies it, with the exact values the program sends, and check what comes out.

Charts are rendered in process by Helm's own Go SDK (``helm-python-sdk``: no ``helm`` binary, no
network), from the local chart cache (``tools/chartcache.py``; ``make charts`` fills it) or from
chart sources the user has (``--from DIR``). Each render is at Kubernetes 1.35, with the API
versions that the CRDs of the stack's charts add (``monitoring.coreos.com/v1``; a first render
finds them), and then goes through ``tools/chartmodel.py``: hooks are dropped, because Pulumi's v4
Chart never applies them. For each release of each stack it then:

- checks what Pulumi would apply (``tools/chartmodel.py``): every Secret, ConfigMap and
  ServiceAccount a pod needs exists without hooks; every webhook has a CA; a second render is
  byte-identical; no Grafana role reads Secrets cluster-wide; every container is sized; every pod
  passes its namespace's Pod Security level; only host agents need more than ``restricted``;
- validates every object strictly: built-in kinds against the Kubernetes 1.35 schemas
  (``tools/validate.py``), custom resources against the ``openAPIV3Schema`` of the CRDs the
  stack's charts ship, made strict (unknown fields are errors unless the CRD preserves them);
  an object with neither schema is an error, never a skip;
- fails on a values key the chart ignores: a key that is not in the chart's ``values.yaml``
  (subcharts' merged under their alias) and whose removal leaves the rendered output unchanged;
- runs the policy pack's resource policies on each object, as a child of the chart (as a real
  preview does), and fails on a mandatory violation.

Exit status: 0 valid, 1 problems, 2 when the chart cache lacks a pinned chart (it names
``make charts``) or does not match ``tools/charts.lock.yaml``; nothing is rendered then.
``python -m tools charts cache`` fills the cache (see ``tools/chartcache.py``).
"""

from __future__ import annotations

import copy
import dataclasses
import io
import sys
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tools import chartcache, chartmodel
from tools.validate import KUBERNETES_VERSION, UnvalidatedKind, validate_object

CHECKS = {
    "hook-only objects": "every Secret, ConfigMap and ServiceAccount a pod needs is applied without hooks, made by the program, or optional",
    "webhook CA": "every webhook configuration has a CA source",
    "determinism": "two renders of the same values are byte-identical",
    "grafana secrets": "no Grafana role reads Secrets outside its namespace",
    "sizing": "every chart container, init containers included, has requests and limits",
    "pod security": "every chart pod passes its namespace's Pod Security enforce level",
    "host access": "only host agents need more than restricted or run outside a restricted namespace",
    "grafana sidecars": "Grafana's sidecars watch named namespaces, not ALL, that hold every dashboard and datasource, with RBAC there",
    "disruption budget": "a Deployment of 2 or more replicas behind a fail-closed webhook has a PodDisruptionBudget",
}


@dataclass(frozen=True)
class Release:
    """A Helm release as the program declares it (``kubernetes:helm.sh/v4:Chart`` inputs)."""

    name: str
    chart: str
    version: str
    repository: str
    namespace: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Stack:
    """What one mock run of a stack gives the chart checks: its releases, the Secrets, ConfigMaps
    and ServiceAccounts the program itself creates (``(kind, namespace, name)``), and the Pod
    Security enforce level of each namespace it declares."""

    name: str
    releases: tuple[Release, ...]
    program_objects: frozenset[tuple[str, str, str]]
    levels: Mapping[str, str]
    program_manifests: tuple[dict, ...] = ()


PROVIDED_KINDS = frozenset({"Secret", "ConfigMap", "ServiceAccount"})
# What the Grafana sidecar check reads from the program: labelled ConfigMaps and Secrets, RoleBindings.
READ_KINDS = frozenset({"Secret", "ConfigMap", "RoleBinding"})


def stack_of(stack: str, run: Any = None) -> Stack:
    """The stack's releases, with the values ``tools render`` writes (the same ``collect``), and
    what its program creates; ``run`` is a mock run of it already made (``preview=False``)."""
    from tools.mockrun import run_program
    from tools.render import HELM_CHART, collect

    run = run or run_program(stack, preview=False)
    names = {r.name: r.inputs.get("name") or r.name for r in run.registrations if r.type == HELM_CHART}
    rendered = collect(run)
    releases = tuple(
        Release(names[r["name"]], r["chart"], r["version"], r["repository"], r["namespace"], r["values"]) for r in rendered.releases
    )
    provided, levels = set(), {}
    for obj in rendered.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") in PROVIDED_KINDS:
            provided.add((obj["kind"], meta.get("namespace") or "default", meta.get("name")))
        if obj.get("kind") == "Namespace":
            levels[meta["name"]] = (meta.get("labels") or {}).get("pod-security.kubernetes.io/enforce", "privileged")
    manifests = tuple(o for o in rendered.objects if o.get("kind") in READ_KINDS)
    return Stack(stack, releases, frozenset(provided), levels, manifests)


def releases_of(stack: str) -> list[Release]:
    return list(stack_of(stack).releases)


def _load_yaml(text: str | bytes | None) -> Any:
    return yaml.safe_load(text) if text else None


def chart_defaults(chart: Path) -> dict:
    """The chart's default values with each subchart's defaults merged under its alias (or name);
    ``chart`` is a chart directory or a packaged ``.tgz``."""
    return _defaults(_chart_from_tgz(chart.read_bytes()) if chart.is_file() else _read_chart_dir(chart))


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
    """One release as Pulumi applies it: ``objects`` without the ``hooks`` it drops. ``checks``
    holds the problems of each ``CHECKS`` entry; ``problems`` everything else (schemas, ignored
    values keys, policies)."""

    release: Release
    objects: list[dict]
    problems: list[str]
    notes: tuple[str, ...] = ()
    hooks: tuple[dict, ...] = ()
    checks: Mapping[str, list[str]] = field(default_factory=dict)

    @property
    def all_problems(self) -> list[str]:
        return [f"{name}: {p}" for name, found in self.checks.items() for p in found] + list(self.problems)


def policy_problems(stack: str, rendered: Rendered) -> list[str]:
    """Mandatory violations of the pack's resource policies by the chart's objects: a real
    preview checks each of them as a child of the chart."""
    from tools.policycheck import chart_object_violations

    found = chart_object_violations(stack, rendered.release.name, rendered.objects)
    return [f"policy {v.policy}: {v.message}" for v in found if v.level == "mandatory"]




@dataclass(frozen=True)
class Engine:
    """Renders releases with Helm's Go SDK from the chart cache (or ``source``, ``--from DIR``)."""

    source: Path | None = None
    cache: Path | None = None
    kube_version: str = KUBERNETES_VERSION

    def chart(self, release: Release) -> Path:
        return chartcache.locate(release.chart, release.version, cache=self.cache, source=self.source).path

    def render(self, release: Release, values: Mapping[str, Any], api_versions: Iterable[str] = ()) -> str:
        return chartmodel.render_text(
            self.chart(release), release.name, release.namespace, values, kube_version=self.kube_version, api_versions=api_versions
        )


def crd_api_versions(objects: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """``group/version`` of every CRD version among ``objects``."""
    return tuple(sorted({f"{o['spec']['group']}/{v['name']}" for o in objects if o.get("kind") == "CustomResourceDefinition" for v in o["spec"].get("versions") or ()}))


def model_checks(stack: Stack, release: Release, applied: list[dict], hooks: list[dict], first: str, second: str) -> dict[str, list[str]]:
    """The checks of what Pulumi applies (``CHECKS``), on one release's hook-dropped render."""
    ns, chart = release.namespace, release.chart
    return {
        "hook-only objects": chartmodel.missing_object_problems(applied, hooks, ns, stack.program_objects),
        "webhook CA": chartmodel.webhook_problems(applied),
        "determinism": chartmodel.determinism_problems(first, second),
        "grafana secrets": chartmodel.grafana_secret_problems(applied, ns),
        "sizing": chartmodel.sizing_problems(applied, ns),
        "pod security": chartmodel.pod_security_problems(chart, applied, ns, stack.levels),
        "host access": chartmodel.host_access_problems(chart, applied, ns, stack.levels),
        "grafana sidecars": chartmodel.grafana_sidecar_problems(applied, ns, stack.program_manifests),
        "disruption budget": chartmodel.disruption_budget_problems(applied, ns),
    }


def ignored_keys(engine: Engine, release: Release, output: str, apis: tuple[str, ...], deterministic: bool) -> tuple[list[str], list[str]]:
    """``(problems, notes)``: values keys missing from the chart's values.yaml whose removal changes nothing."""
    unknown = unknown_keys(release.values, chart_defaults(engine.chart(release)))
    if not unknown:
        return [], []
    if not deterministic:
        keys = ", ".join(".".join(p) for p in unknown)
        return [], [f"{release.chart}: two renders with the same values differ, so these keys missing from its values.yaml could not be tested for effect: {keys}"]
    problems = [
        f"{release.chart}: values key {'.'.join(path)} is ignored: it is not in the chart's values.yaml and removing it changes nothing"
        for path in unknown
        if engine.render(release, without(release.values, path), apis) == output
    ]
    return problems, []


def check_stack(engine: Engine, stack: Stack) -> list[Rendered]:
    """Render every release, find the custom APIs their CRDs add, then render each again with those
    APIs available (twice: determinism), drop the hooks, and check what remains."""
    apis = crd_api_versions(o for r in stack.releases for o in chartmodel.parse(engine.render(r, r.values)))
    results = []
    for release in stack.releases:
        first = engine.render(release, release.values, apis)
        second = engine.render(release, release.values, apis)
        applied, hooks = chartmodel.pulumi_applies(chartmodel.parse(first))
        checks = model_checks(stack, release, applied, hooks, first, second)
        problems, notes = ignored_keys(engine, release, first, apis, first == second)
        results.append(Rendered(release, applied, problems, tuple(notes), tuple(hooks), checks))
    crds = crd_schemas(obj for r in results for obj in r.objects)
    return [
        dataclasses.replace(r, problems=r.problems + [p for obj in r.objects for p in object_problems(obj, crds)] + policy_problems(stack.name, r))
        for r in results
    ]


def report(stack: str, results: Iterable[Rendered]) -> tuple[list[str], int]:
    """Lines to print for one stack, and how many problems they name."""
    lines, total = [], 0
    results = list(results)
    for result in results:
        r = result.release
        found = result.all_problems
        total += len(found)
        status = "ok" if not found else f"{len(found)} problem(s)"
        lines.append(f"{stack}: {r.chart} {r.version} ({r.name}): {len(result.objects)} objects applied, {len(result.hooks)} hook(s) dropped, {status}")
        lines += [f"  {p}" for p in found] + [f"  note: {n}" for n in result.notes]
    hooks = sum(len(r.hooks) for r in results)
    lines.append(f"{stack}: {len(results)} release(s), {hooks} hook object(s) dropped, {total} problem(s)")
    return lines, total


def _helm_version() -> str:
    import helm_python

    return helm_python.helm_sdk_version()


def main(stacks: list[str], source: Path | None = None) -> int:
    failed = False
    print(f"charts: rendering from {source or chartcache.cache_dir()} with Helm {_helm_version()}")
    try:
        for stack in stacks:
            lines, total = report(stack, check_stack(Engine(source=source), stack_of(stack)))
            print("\n".join(lines))
            failed = failed or total > 0
    except (chartcache.CacheMissing, chartcache.CacheError) as err:
        print(f"charts: nothing was rendered: {err}", file=sys.stderr)
        return 2
    except chartmodel.RenderError as err:
        print(f"charts: {err}", file=sys.stderr)
        return 1
    return 1 if failed else 0


def cache_main(from_git: Path | None, record: bool = False) -> int:
    """``tools charts cache``: fill the chart cache from the chart repositories (``make charts``)
    or, with ``--from-git DIR``, from git mirrors of the charts' sources."""
    cache = chartcache.cache_dir()
    lock = chartcache.load_lock()
    try:
        if from_git is not None:
            lines = chartcache.fill_from_git(cache, from_git, lock, record=record)
            if record:
                chartcache.record_lock(lock)
        else:
            lines = chartcache.fill_from_repositories(cache, lock)
    except chartcache.CacheError as err:
        print(f"charts cache: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # helm_python's errors when a repository cannot be reached
        import helm_python

        if isinstance(err, helm_python.HelmError):
            print(f"charts cache: {err}; without network, build the cache from bare git clones of the chart repositories (DIR/<owner>+<name>/repo): .venv/bin/python -m tools charts cache --from-git DIR", file=sys.stderr)
            return 2
        raise
    print("\n".join(lines))
    print(f"chart cache: {cache}")
    return 0
