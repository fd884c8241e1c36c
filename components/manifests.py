"""Pure builders shared by every component: labels, security contexts, containers, metadata.

They return plain camelCase dicts (the Kubernetes wire shape), so tests and the render tool
validate them directly against the Kubernetes schemas.
"""

from __future__ import annotations

import hashlib
import json

from components.platform import Platform
from components.specs import Container, Ownership, Volume

MANAGED_BY = "pulumi"

# Where each workload kind keeps its pod template (a Pod is its own template): the one table
# the policy pack, tools/eks_plan.py and tools/netpol.py read.
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
# ... and its PodSpec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {kind: (*path, "spec") for kind, path in POD_TEMPLATE_PATHS.items()}


def selector_matches(selector: dict | None, labels: dict[str, str]) -> bool:
    """Whether ``labels`` satisfy a ``metav1.LabelSelector``: ``matchLabels`` and
    ``matchExpressions`` with In, NotIn, Exists, DoesNotExist, all terms ANDed; an empty
    selector matches everything. ``None`` (absent) matches nothing here: callers decide what
    an absent selector means.
    Ref: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements
    """
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def standard_labels(name: str, component: str, part_of: str, owner: Ownership) -> dict[str, str]:
    """The ``app.kubernetes.io/*`` labels plus ``team`` and ``cost-center`` (kube-state-metrics
    exports the latter two, so the FinOps dashboard can group cost by them)."""
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": part_of,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "team": owner.team,
        "cost-center": owner.cost_center,
    }


def owner_labels(owner: Ownership, part_of: str) -> dict[str, str]:
    """The three cost-allocation labels every object carries: who runs it, who pays, and
    which part of the platform it belongs to."""
    return {"app.kubernetes.io/part-of": part_of, "team": owner.team, "cost-center": owner.cost_center}


def selector_labels(name: str) -> dict[str, str]:
    """Immutable selector: only labels that never change for the life of the workload."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}


def metadata(name: str, namespace: str, labels: dict[str, str], annotations: dict[str, str] | None = None) -> dict:
    meta: dict = {"name": name, "namespace": namespace, "labels": dict(labels)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def pod_security_context(fs_group: int | None = None) -> dict:
    """Restricted Pod Security Standard at pod level. Ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted"""
    ctx: dict = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    if fs_group is not None:
        ctx["fsGroup"] = fs_group
    return ctx


def restricted_container_context() -> dict:
    """The container fields the restricted Pod Security Standard requires, leaving the user to
    the image (for chart containers whose image runs as a non-root user of its own)."""
    return {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(run_as_user: int, read_only_root: bool) -> dict:
    return {
        "runAsNonRoot": True,
        "runAsUser": run_as_user,
        "runAsGroup": run_as_user,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": read_only_root,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_manifest(c: Container) -> dict:
    """One container with mandatory resources, probes and the restricted securityContext."""
    out: dict = {
        "name": c.name,
        "image": c.image,
        "imagePullPolicy": "IfNotPresent",
        "resources": c.resources.to_k8s(),
        "securityContext": container_security_context(c.run_as_user, c.read_only_root),
    }
    if c.command:
        out["command"] = list(c.command)
    if c.args:
        out["args"] = list(c.args)
    if c.ports:
        out["ports"] = [{"name": p.name, "containerPort": p.container_port, "protocol": "TCP"} for p in c.ports]
    if c.env:
        out["env"] = [e.to_k8s() for e in c.env]
    for key, probe in (("livenessProbe", c.liveness), ("readinessProbe", c.readiness), ("startupProbe", c.startup)):
        if probe is not None:
            out[key] = probe.to_k8s()
    if c.mounts:
        out["volumeMounts"] = [_mount(m) for m in c.mounts]
    return out


def _mount(m) -> dict:
    out: dict = {"name": m.volume, "mountPath": m.path}
    if m.sub_path:
        out["subPath"] = m.sub_path
    if m.read_only:
        out["readOnly"] = True
    return out


def pod_spec(
    containers: tuple[Container, ...],
    volumes: tuple[Volume, ...] = (),
    init_containers: tuple[Container, ...] = (),
    fs_group: int | None = None,
    service_account: str | None = None,
) -> dict:
    """A pod spec hardened the same way for every workload and data store.

    Service links are off: Kubernetes would otherwise inject ``<SERVICE>_PORT`` variables,
    which images such as Kafka's read as configuration and reject. No pod here calls the
    Kubernetes API, so none mounts a token; each runs as its own ServiceAccount.
    """
    spec: dict = {
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,
        "securityContext": pod_security_context(fs_group),
        "containers": [container_manifest(c) for c in containers],
    }
    if service_account:
        spec["serviceAccountName"] = service_account
    if init_containers:
        spec["initContainers"] = [container_manifest(c) for c in init_containers]
    if volumes:
        spec["volumes"] = [v.to_k8s() for v in volumes]
    return spec


def service_account_manifest(name: str, namespace: str, labels: dict[str, str]) -> dict:
    """A workload's own identity, with no API token mounted by default."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(name, namespace, labels),
        "automountServiceAccountToken": False,
    }


def claim_spec(storage_gi: int, storage_class: str | None) -> dict:
    """A ReadWriteOnce claim; no class means the cluster's default StorageClass."""
    spec: dict = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": f"{storage_gi}Gi"}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return spec


def config_checksum(data: dict[str, str]) -> str:
    """A stable hash of ConfigMap data; as a pod annotation it rolls pods when the config changes."""
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def ingress_manifest(meta: dict, platform: Platform, paths: list[tuple[str, str, int]]) -> dict:
    """An Ingress routing each ``(path, service, port)`` by ``Prefix``; class, annotations,
    host and TLS are platform data (the platform's annotations join ``meta``'s)."""
    rule: dict = {
        "http": {
            "paths": [
                {"path": path, "pathType": "Prefix", "backend": {"service": {"name": svc, "port": {"number": port}}}}
                for path, svc, port in paths
            ]
        }
    }
    if platform.ingress_host:
        rule["host"] = platform.ingress_host
    spec: dict = {"ingressClassName": platform.ingress_class, "rules": [rule]}
    if platform.tls:
        tls: dict = {"hosts": list(platform.tls.hosts)}
        if platform.tls.secret_name:
            tls["secretName"] = platform.tls.secret_name
        spec["tls"] = [tls]
    meta = dict(meta)
    if platform.ingress_annotations:
        meta["annotations"] = {**meta.get("annotations", {}), **dict(platform.ingress_annotations)}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}
