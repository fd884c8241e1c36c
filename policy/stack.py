"""Stack policies: rules that need more than one resource at a time.

``namespace_lockdown`` applies on every target. The eks-only rules (``policy/eks.py``) call
``only_on_eks``. The target is derived from the stack's own resources: a stack that declares an
EKS cluster (``eks:index:Cluster`` or ``aws:eks/cluster:Cluster``) is eks, any other is kind.
A policy's config key ``target`` (``eks`` or ``kind``) overrides the derivation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from policy.objects import (
    Report,
    get,
    is_chart,
    kind_of,
    labels,
    name_of,
    namespace_of,
    pod_labels,
    pod_spec,
)
from components.manifests import selector_matches

EKS_CLUSTER_TYPES = frozenset({"eks:index:Cluster", "aws:eks/cluster:Cluster"})
# Ref: https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
PSA_LEVELS = ("privileged", "baseline", "restricted")


def target(args: Any) -> str:
    """``eks`` or ``kind``: the policy's ``target`` config if set, else from the resources."""
    configured = (args.get_config() or {}).get("target", "auto")
    if configured in ("eks", "kind"):
        return configured
    return "eks" if any(r.resource_type in EKS_CLUSTER_TYPES for r in args.resources) else "kind"


def only_on_eks(args: Any) -> None:
    if target(args) != "eks":
        args.not_applicable("the stack targets kind, not eks")


def from_chart(resource: Any) -> bool:
    """Whether a Helm chart rendered this resource (a chart is among its ancestors)."""
    parent = resource.parent
    while parent is not None:
        if is_chart(parent.resource_type):
            return True
        parent = parent.parent
    return False


def of_kind(args: Any, kind: str) -> Iterator[Any]:
    return (r for r in args.resources if kind_of(r.resource_type) == kind)


def workloads_of(args: Any) -> Iterator[tuple[Any, Mapping[str, Any]]]:
    for resource in args.resources:
        pod = pod_spec(resource.resource_type, resource.props)
        if pod is not None:
            yield resource, pod


def namespace_lockdown(args: Any, report: Report) -> None:
    """Every Namespace carries a Pod Security ``enforce`` level. Every application namespace (one
    holding workloads the program declares itself, not through a chart) enforces ``baseline`` or
    ``restricted``, and has a ResourceQuota, a LimitRange, and a NetworkPolicy selecting each pod."""
    declared = {name_of(ns.props, ns.name): ns for ns in of_kind(args, "Namespace")}
    for name, ns in declared.items():
        level = labels(ns.props).get(PSA_ENFORCE)
        if level not in PSA_LEVELS:
            report(f"namespace {name}: label {PSA_ENFORCE} is {level!r}, expected one of {', '.join(PSA_LEVELS)}", ns.urn)
    pods: dict[str, list[Any]] = defaultdict(list)
    for resource, _pod in workloads_of(args):
        if not from_chart(resource):
            pods[namespace_of(resource.props)].append(resource)
    by_kind: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for resource in args.resources:
        by_kind[(namespace_of(resource.props), kind_of(resource.resource_type) or "")].append(resource)
    for name, workloads in sorted(pods.items()):
        ns = declared.get(name)
        if ns is None:
            report(f"namespace {name} holds workloads but the program does not declare it (no labels, no quota)")
            continue
        if labels(ns.props).get(PSA_ENFORCE) == "privileged":
            report(f"application namespace {name} enforces the privileged Pod Security level", ns.urn)
        for kind in ("ResourceQuota", "LimitRange"):
            if not by_kind[(name, kind)]:
                report(f"application namespace {name} has no {kind}", ns.urn)
        policies = by_kind[(name, "NetworkPolicy")]
        for workload in workloads:
            selected = pod_labels(workload.resource_type, workload.props)
            if not any(selector_matches(get(p.props, "spec", "podSelector"), selected) for p in policies):
                report(f"{name}/{name_of(workload.props, workload.name)}: no NetworkPolicy selects its pods", workload.urn)


def default_deny_egress(args: Any, report: Report) -> None:
    """Every Namespace the program declares has a NetworkPolicy selecting all its pods that
    governs egress and allows nothing: pods reach only what their own egress policies name
    (DNS, their stores), never the internet, the Kubernetes API or the metadata service."""
    denies: set[str] = set()
    for p in of_kind(args, "NetworkPolicy"):
        spec = get(p.props, "spec", default={}) or {}
        if spec.get("podSelector") in (None, {}) and "Egress" in (spec.get("policyTypes") or []) and not spec.get("egress"):
            denies.add(namespace_of(p.props))
    for ns in of_kind(args, "Namespace"):
        name = name_of(ns.props, ns.name)
        if name not in denies:
            report(f"namespace {name} has no default-deny egress NetworkPolicy (podSelector {{}}, policyTypes [Egress], no rules)", ns.urn)
