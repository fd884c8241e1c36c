"""What Pulumi's ``kubernetes.helm.sh/v4:Chart`` applies from a chart, and the checks on it.

The model, each point from Pulumi's source, pulumi/pulumi-kubernetes
``provider/pkg/provider/helm/v4/chart.go`` and ``provider/pkg/provider/yaml/v2/yaml.go``
(read at commit 94977969, July 2026), or its documentation:

- **Render.** ``helm template`` with ``ClientOnly``, ``DryRunOption = "server"``,
  ``IncludeCRDs = !skipCrds``, and the cluster's Kubernetes version and API versions
  (``setKubeVersionAndAPIVersions``). The v4 Chart's API doc: "equivalent to running ``helm
  template --dry-run=server`` and then using Pulumi to deploy the resulting YAML manifests". Here
  Helm's own Go SDK renders (``helm-python-sdk``, no binary) at the cluster's Kubernetes version
  (1.35), with the API versions the stack's CRDs add. Offline, ``lookup`` finds nothing, as on the
  first ``pulumi up``: a server dry-run sees the live cluster only from the second run.
- **No hooks.** ``cmd.DisableHooks = true`` and only ``release.Manifest`` is parsed: "Helm hook
  resources (those annotated with ``helm.sh/hook``) are separated from the regular manifest by the
  Helm SDK and are not applied by Pulumi" (``includeHooks`` only takes effect with
  ``renderYamlToDirectory``). Tracked as pulumi/pulumi-kubernetes#3284; Pulumi's "Kubernetes Chart
  v4" announcement lists "not supported: Helm hooks". Every object with a ``helm.sh/hook``
  annotation, test hooks included, is dropped here before anything looks at the render. So nothing
  may depend on an object only a hook creates, and no hook Job patches a ``caBundle`` in.
- **Lists.** ``yaml/v2`` ``Normalize`` "expands any list types into their individual resources".
- **Re-rendered at every preview.** The chart is rendered again on each ``pulumi preview``, so a
  template that generates a certificate or password (``genCA``, ``randAlphaNum``) yields a new
  value each time: a diff, or a replacement, after every ``up``. Two renders must be identical.
- **Waits.** Pulumi awaits each object's readiness (a Deployment's pods available): a pod that
  cannot start (a missing Secret, a pod its namespace's Pod Security level rejects) fails
  ``pulumi up`` after its timeout.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.podsecurity import violations as pss_violations

HOOK_ANNOTATION = "helm.sh/hook"
POD_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})
WEBHOOK_KINDS = frozenset({"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"})
# Objects a namespace always has: the token controller creates ``default``.
ALWAYS_PRESENT = frozenset({("ServiceAccount", "default")})
# Chart pods that need the host (its network, PID namespace or filesystem): the only ones that
# may need the ``privileged`` level, in a namespace of their own. Keyed by chart, then by the
# ``app.kubernetes.io/name`` label of the pod.
# ingress-nginx is one on kind: it takes the node's ports 80 and 443 (hostPort), which kind maps
# to localhost (its extraPortMappings), so its namespace must admit hostPort.
HOST_AGENTS: Mapping[str, frozenset[str]] = {
    "kube-prometheus-stack": frozenset({"prometheus-node-exporter"}),
    "alloy": frozenset({"alloy"}),
    "ingress-nginx": frozenset({"ingress-nginx"}),
}


class RenderError(Exception):
    """The chart does not render with these values (template error, bad values, missing subchart)."""


def _render_opts(name: str, namespace: str, kube_version: str, api_versions: Iterable[str]) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "kube_version": f"v{kube_version.lstrip('v')}",
        "api_versions": sorted(set(api_versions)),
        "is_install": True,
    }


def _disabled(values: Mapping[str, Any], condition: str | None) -> bool:
    if not condition:
        return False
    for path in condition.split(","):
        node: Any = values
        for part in path.strip().split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, bool):
            return not node
    return False


def render_text(chart_path: Path, name: str, namespace: str, values: Mapping[str, Any], *, kube_version: str, api_versions: Iterable[str] = ()) -> str:
    """The chart's manifests with its CRDs, as ``helm template --include-crds`` renders them, by
    Helm's Go SDK in process: CRDs first, then each template's output in path order (helm sorts
    by kind instead; the order matters to no check, only that it is stable)."""
    import helm_python
    from helm_python import _native

    try:
        with helm_python.Chart.load(chart_path) as chart:
            merged = chart.merge_values(dict(values))
            loaded = {d.get("name") for d in chart.dependencies}
            for dep in chart.metadata.get("dependencies") or ():
                if dep["name"] not in loaded and not _disabled(merged, dep.get("condition")):
                    raise RenderError(
                        f"{chart_path.name}: subchart {dep['name']} is switched on ({dep.get('condition')}) but absent from the chart cache"
                    )
            crds = [c["data"] for c in chart.crds]
            # The SDK's Chart.render takes no kube_version/api_versions keywords; its C call does
            # (helm_render's options, strictly decoded: an unknown key is an error).
            opts = _render_opts(name, namespace, kube_version, api_versions)
            manifests = json.loads(_native.call_string("helm_render", chart._raw(), json.dumps(dict(values)), json.dumps(opts)))
    except helm_python.HelmError as err:
        raise RenderError(f"{chart_path.name}: {err}") from err
    docs = [c.strip() for c in crds]
    for path in sorted(manifests):
        if path.endswith("NOTES.txt") or not manifests[path].strip():
            continue
        docs.append(f"# Source: {path}\n{manifests[path].strip()}")
    return "\n---\n".join(docs) + "\n"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML 1.2 as Kubernetes reads it: a bare ``=`` is a string (PyYAML's YAML 1.1 resolver
    tags it ``!!value``, which it cannot construct; Prometheus CRDs list ``=`` in enums). libyaml's
    parser when PyYAML has it: the CRDs make the pure-Python one take seconds per render."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:value"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse(text: str) -> list[dict]:
    return [doc for doc in yaml.load_all(text, Loader=_Loader) if isinstance(doc, dict)]


def is_hook(obj: Mapping[str, Any]) -> bool:
    return HOOK_ANNOTATION in ((obj.get("metadata") or {}).get("annotations") or {})


def _expand_lists(objects: Iterable[dict]) -> Iterable[dict]:
    for obj in objects:
        if isinstance(obj.get("items"), list):
            yield from _expand_lists(item for item in obj["items"] if isinstance(item, dict))
        else:
            yield obj


def pulumi_applies(objects: Iterable[dict]) -> tuple[list[dict], list[dict]]:
    """``(applied, dropped)``: the v4 Chart applies every object but the hooks, lists expanded."""
    applied, dropped = [], []
    for obj in _expand_lists(objects):
        (dropped if is_hook(obj) else applied).append(obj)
    return applied, dropped


def ref(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')} {meta.get('namespace', '') + '/' if meta.get('namespace') else ''}{meta.get('name')}"


# --- pods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPod:
    """A pod template an applied object runs: the workload, its namespace and the template."""

    owner: dict
    namespace: str
    metadata: dict
    spec: dict

    @property
    def name(self) -> str:
        return ref(self.owner)

    @property
    def app(self) -> str:
        labels = self.metadata.get("labels") or {}
        return str(labels.get("app.kubernetes.io/name") or labels.get("app") or "")


def pods_of(objects: Iterable[Mapping[str, Any]], namespace: str) -> list[ChartPod]:
    out = []
    for obj in objects:
        kind = obj.get("kind")
        if kind in POD_TEMPLATE_KINDS:
            template = (obj.get("spec") or {}).get("template") or {}
        elif kind == "CronJob":
            template = ((obj.get("spec") or {}).get("jobTemplate") or {}).get("spec", {}).get("template") or {}
        elif kind == "Pod":
            template = obj
        else:
            continue
        ns = (obj.get("metadata") or {}).get("namespace") or namespace
        out.append(ChartPod(dict(obj), ns, template.get("metadata") or {}, template.get("spec") or {}))
    return out


# The containers the Prometheus operator builds for each Prometheus and Alertmanager, and the
# securityContext it gives every one of them (prometheus-operator pkg/prometheus/server/
# statefulset.go, pkg/alertmanager/statefulset.go, pkg/operator/config_reloader.go, read at
# 6adcebc5, Aug 2026; kube-prometheus-stack 88.5.3 runs operator v0.93.1). The pod-level
# securityContext, hostNetwork, volumes and extra containers come from the custom resource.
OPERATOR_CONTAINER_CONTEXT = {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
OPERATOR_CONTAINERS = {
    "Prometheus": (("init-config-reloader",), ("prometheus", "config-reloader")),
    "Alertmanager": (("init-config-reloader",), ("alertmanager", "config-reloader")),
}


def _merged(built: list[dict], given: Iterable[Mapping[str, Any]]) -> list[dict]:
    """The operator's containers with the resource's own merged in by name (its fields win), as
    its strategic merge patch does; containers it does not build are appended."""
    out = {c["name"]: c for c in built}
    for c in given:
        base = out.get(c.get("name"), {})
        context = {**(base.get("securityContext") or {}), **(c.get("securityContext") or {})}
        out[c.get("name")] = {**base, **c, "securityContext": context}
    return list(out.values())


def operator_pods(objects: Iterable[Mapping[str, Any]], namespace: str) -> list[ChartPod]:
    """The pods the Prometheus operator makes for the Prometheus and Alertmanager resources."""
    out = []
    for obj in objects:
        kind = obj.get("kind")
        if kind not in OPERATOR_CONTAINERS or not str(obj.get("apiVersion", "")).startswith("monitoring.coreos.com/"):
            continue
        spec = obj.get("spec") or {}
        init, main = OPERATOR_CONTAINERS[kind]
        built = lambda names: [{"name": n, "securityContext": dict(OPERATOR_CONTAINER_CONTEXT)} for n in names]  # noqa: E731
        pod = {
            "securityContext": spec.get("securityContext") or {},
            "hostNetwork": bool(spec.get("hostNetwork")),
            "volumes": spec.get("volumes") or [],
            "initContainers": _merged(built(init), spec.get("initContainers") or ()),
            "containers": _merged(built(main), spec.get("containers") or ()),
        }
        ns = (obj.get("metadata") or {}).get("namespace") or namespace
        meta = {"labels": {"app.kubernetes.io/name": kind.lower()}, "annotations": (spec.get("podMetadata") or {}).get("annotations") or {}}
        out.append(ChartPod(dict(obj), ns, meta, pod))
    return out


def _containers(spec: Mapping[str, Any]) -> Iterable[tuple[str, dict]]:
    for kind in ("initContainers", "containers"):
        for c in spec.get(kind) or ():
            yield f"{kind}/{c.get('name')}", c


def needed_objects(pod: ChartPod) -> list[tuple[str, str, bool]]:
    """``(kind, name, optional)`` of every Secret, ConfigMap and ServiceAccount the pod needs to start."""
    spec = pod.spec
    out = [("ServiceAccount", spec.get("serviceAccountName") or spec.get("serviceAccount") or "default", False)]
    for volume in spec.get("volumes") or ():
        if "secret" in volume:
            out.append(("Secret", volume["secret"].get("secretName", ""), bool(volume["secret"].get("optional"))))
        if "configMap" in volume:
            out.append(("ConfigMap", volume["configMap"].get("name", ""), bool(volume["configMap"].get("optional"))))
        for source in (volume.get("projected") or {}).get("sources") or ():
            if "secret" in source:
                out.append(("Secret", source["secret"].get("name", ""), bool(source["secret"].get("optional"))))
            if "configMap" in source:
                out.append(("ConfigMap", source["configMap"].get("name", ""), bool(source["configMap"].get("optional"))))
    for _, c in _containers(spec):
        for source in c.get("envFrom") or ():
            if "secretRef" in source:
                out.append(("Secret", source["secretRef"].get("name", ""), bool(source["secretRef"].get("optional"))))
            if "configMapRef" in source:
                out.append(("ConfigMap", source["configMapRef"].get("name", ""), bool(source["configMapRef"].get("optional"))))
        for env in c.get("env") or ():
            value_from = env.get("valueFrom") or {}
            if "secretKeyRef" in value_from:
                out.append(("Secret", value_from["secretKeyRef"].get("name", ""), bool(value_from["secretKeyRef"].get("optional"))))
            if "configMapKeyRef" in value_from:
                out.append(("ConfigMap", value_from["configMapKeyRef"].get("name", ""), bool(value_from["configMapKeyRef"].get("optional"))))
    return out


def missing_object_problems(applied: list[dict], hooks: list[dict], namespace: str, program: Iterable[tuple[str, str, str]]) -> list[str]:
    """A pod that needs a Secret, ConfigMap or ServiceAccount that neither the applied render nor
    the program creates, and does not mark optional, never starts: Pulumi waits, then fails."""
    present = {(o.get("kind"), (o.get("metadata") or {}).get("namespace") or namespace, (o.get("metadata") or {}).get("name")) for o in applied}
    present |= set(program)
    by_hook = {(o.get("kind"), (o.get("metadata") or {}).get("namespace") or namespace, (o.get("metadata") or {}).get("name")) for o in hooks}
    hook_jobs = sorted(str((o.get("metadata") or {}).get("name")) for o in hooks if o.get("kind") == "Job")
    out = []
    for pod in pods_of(applied, namespace):
        for kind, name, optional in needed_objects(pod):
            key = (kind, pod.namespace, name)
            if optional or key in present or (kind, name) in ALWAYS_PRESENT:
                continue
            if key in by_hook:
                why = "only a Helm hook object is it, and Pulumi's v4 Chart applies no hooks"
            elif hook_jobs:
                why = f"no applied object is it; only the chart's hook Jobs ({', '.join(hook_jobs)}) could create it, and Pulumi runs no hooks"
            else:
                why = "nothing creates it"
            out.append(f"{pod.name} needs {kind} {pod.namespace}/{name}, not optional: {why}")
    return out


# --- webhooks, determinism, RBAC, sizing, Pod Security -------------------------------------------


def webhook_problems(applied: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every webhook the API server calls needs a CA to trust: a ``caBundle`` in the render, a URL
    (public CA), or cert-manager's CA injector. A hook that patches it in later never runs."""
    out = []
    for obj in applied:
        if obj.get("kind") not in WEBHOOK_KINDS:
            continue
        injected = "cert-manager.io/inject-ca-from" in ((obj.get("metadata") or {}).get("annotations") or {})
        for hook in obj.get("webhooks") or ():
            client = hook.get("clientConfig") or {}
            if not (client.get("caBundle") or client.get("url") or injected):
                out.append(f"{ref(obj)}: webhook {hook.get('name')} has no caBundle and nothing sets one (only a hook would)")
    return out


def determinism_problems(first: str, second: str) -> list[str]:
    """Two renders of the same values must be byte-identical, or every preview shows a change."""
    if first == second:
        return []
    a, b = {ref(o): o for o in parse(first)}, {ref(o): o for o in parse(second)}
    changed = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    return [f"{k} differs between two renders of the same values: every preview would change or replace it" for k in changed]


def _grants_secrets(rule: Mapping[str, Any]) -> bool:
    groups = rule.get("apiGroups") or []
    resources = rule.get("resources") or []
    verbs = set(rule.get("verbs") or [])
    return ("" in groups or "*" in groups) and ("secrets" in resources or "*" in resources) and bool(verbs & {"get", "list", "watch", "*"})


def _is_grafana(obj: Mapping[str, Any]) -> bool:
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    return labels.get("app.kubernetes.io/name") == "grafana" or "grafana" in str(meta.get("name", ""))


def grafana_secret_problems(applied: list[dict], namespace: str) -> list[str]:
    """No Grafana role may read Secrets outside its own namespace: no ClusterRole with Secrets
    bound cluster-wide, no Role with Secrets in another namespace."""
    roles = {(o["metadata"]["name"]): o for o in applied if o.get("kind") == "ClusterRole" and _is_grafana(o)}
    out = []
    for binding in (o for o in applied if o.get("kind") == "ClusterRoleBinding"):
        role = roles.get((binding.get("roleRef") or {}).get("name"))
        if role and any(_grants_secrets(r) for r in role.get("rules") or ()):
            out.append(f"{ref(role)} (bound by {ref(binding)}) lets Grafana read Secrets in every namespace")
    for role in (o for o in applied if o.get("kind") == "Role" and _is_grafana(o)):
        ns = role["metadata"].get("namespace") or namespace
        if ns != namespace and any(_grants_secrets(r) for r in role.get("rules") or ()):
            out.append(f"{ref(role)} lets Grafana read Secrets in {ns}")
    return out


GRAFANA_SIDECAR_PREFIX = "grafana-sc-"


def _watched(env: Mapping[str, Any], own: str) -> list[str] | None:
    """The namespaces a k8s-sidecar lists, None for every one. Without ``NAMESPACE`` it reads its
    own (grafana chart 12.11.1 values.yaml, ``searchNamespace``: "Otherwise the namespace in which
    the sidecar is running will be used. It's also possible to specify ALL")."""
    value = env.get("NAMESPACE")
    if value == "ALL":
        return None
    return [n.strip() for n in str(value).split(",") if n.strip()] if value else [own]


def grafana_sidecar_problems(applied: list[dict], namespace: str, program: Iterable[Mapping[str, Any]] = ()) -> list[str]:
    """Grafana's dashboard and datasource sidecars (``grafana-sc-*``) list the ConfigMaps and Secrets
    labelled ``LABEL`` in the namespaces they watch. ``ALL`` needs cluster-wide read of Secrets; a
    labelled object outside the watched namespaces is never loaded; a watched namespace other than
    Grafana's own needs a RoleBinding there (the chart's namespaced RBAC covers its own only)."""
    objects = list(applied) + list(program)
    out = []
    for pod in pods_of(applied, namespace):
        for name, c in _containers(pod.spec):
            if not str(c.get("name", "")).startswith(GRAFANA_SIDECAR_PREFIX):
                continue
            env = {e.get("name"): e.get("value") for e in c.get("env") or ()}
            watched = _watched(env, pod.namespace)
            if watched is None:
                out.append(f"{pod.name} {name} watches every namespace (NAMESPACE=ALL)")
                continue
            label, value = env.get("LABEL"), env.get("LABEL_VALUE")
            for obj in objects:
                meta = obj.get("metadata") or {}
                labels = meta.get("labels") or {}
                if obj.get("kind") in ("ConfigMap", "Secret") and label in labels and (value is None or str(labels[label]) == str(value)):
                    if (meta.get("namespace") or namespace) not in watched:
                        out.append(f"{pod.name} {name} never loads {ref(obj)}: it watches {', '.join(watched)}")
            account = {"kind": "ServiceAccount", "name": pod.spec.get("serviceAccountName") or "default", "namespace": pod.namespace}
            for ns in watched:
                bound = any(
                    o.get("kind") == "RoleBinding" and (o.get("metadata") or {}).get("namespace") == ns
                    and any({k: sub.get(k) for k in account} == account for sub in o.get("subjects") or ())
                    for o in objects
                )
                if ns != pod.namespace and not bound:
                    out.append(f"{pod.name} {name} watches {ns}, where no RoleBinding lets its ServiceAccount read")
    return out


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    match = selector.get("matchLabels") or {}
    if selector.get("matchExpressions"):
        return False  # not used by the pinned charts' PDBs; never counted as a match
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def disruption_budget_problems(applied: list[dict], namespace: str) -> list[str]:
    """A webhook that fails closed (``failurePolicy: Fail``, the v1 default) blocks the API calls it
    serves whenever its pods are all gone: a Deployment of 2+ replicas behind one needs a
    PodDisruptionBudget, or a node drain can take every replica at once."""
    fail_closed = [
        h for o in applied if o.get("kind") in WEBHOOK_KINDS for h in o.get("webhooks") or () if h.get("failurePolicy", "Fail") == "Fail"
    ]
    if not fail_closed:
        return []
    services = {(h.get("clientConfig") or {}).get("service", {}).get("name") for h in fail_closed}
    pdbs = [o for o in applied if o.get("kind") == "PodDisruptionBudget"]
    out = []
    for obj in applied:
        if obj.get("kind") != "Deployment" or int((obj.get("spec") or {}).get("replicas", 1)) < 2:
            continue
        labels = ((obj["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        behind = [o for o in applied if o.get("kind") == "Service" and o["metadata"].get("name") in services and _selects({"matchLabels": (o.get("spec") or {}).get("selector") or {}}, labels)]
        if behind and not any(_selects((p.get("spec") or {}).get("selector") or {}, labels) for p in pdbs):
            out.append(f"{ref(obj)} ({obj['spec']['replicas']} replicas) serves {len(fail_closed)} fail-closed webhook(s) and no PodDisruptionBudget selects its pods")
    return out


def sizing_problems(applied: list[dict], namespace: str) -> list[str]:
    """Every container, init containers included, requests and limits CPU and memory."""
    out = []
    for pod in pods_of(applied, namespace):
        for name, c in _containers(pod.spec):
            res = c.get("resources") or {}
            lacking = [f"{s}.{r}" for s in ("requests", "limits") for r in ("cpu", "memory") if not (res.get(s) or {}).get(r)]
            if lacking:
                out.append(f"{pod.name} {name} has no {', '.join(lacking)}")
    return out


def is_host_agent(chart: str, pod: ChartPod) -> bool:
    return pod.app in HOST_AGENTS.get(chart, frozenset())


def pod_security_problems(chart: str, applied: list[dict], namespace: str, levels: Mapping[str, str]) -> list[str]:
    """A chart pod its namespace's enforce level would reject at admission never starts. A
    namespace without an enforce label (kube-system on EKS) is ``privileged``, the default. The
    pods the Prometheus operator makes from the chart's resources count too."""
    out = []
    for pod in pods_of(applied, namespace) + operator_pods(applied, namespace):
        level = levels.get(pod.namespace, "privileged")
        for problem in pss_violations(level, pod.spec, pod.metadata.get("annotations") or {}):
            out.append(f"{pod.name} in {pod.namespace} ({level}): {problem}")
    return out


def host_access_problems(chart: str, applied: list[dict], namespace: str, levels: Mapping[str, str]) -> list[str]:
    """Only host agents may need more than ``restricted``, and only host agents may run in a
    namespace of the program's whose enforce level is not ``restricted``."""
    out = []
    for pod in pods_of(applied, namespace) + operator_pods(applied, namespace):
        if is_host_agent(chart, pod):
            continue
        for problem in pss_violations("restricted", pod.spec, pod.metadata.get("annotations") or {}):
            out.append(f"{pod.name} is not a host agent but does not meet restricted: {problem}")
        # Only namespaces the program declares: kube-system belongs to the cluster (EKS's own agents).
        level = levels.get(pod.namespace)
        if level is not None and level != "restricted":
            out.append(f"{pod.name} is not a host agent but runs in {pod.namespace}, which enforces {level}, not restricted")
    return out
