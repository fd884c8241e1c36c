"""NetworkPolicies as pure builders: one default deny per application namespace, then one
allow policy per pod kind that names who may connect, on which ports.

Policies select pods by ``app.kubernetes.io/name`` (the immutable selector label every
workload here carries) and peers by pod name, by namespace name (the
``kubernetes.io/metadata.name`` label Kubernetes sets on every namespace) or by CIDR (for
traffic that arrives through node ports or load balancers, whose source is a node or
load-balancer address, not a pod).
Ref: https://kubernetes.io/docs/concepts/services-networking/network-policies/
"""

from __future__ import annotations

from dataclasses import dataclass

from components.manifests import metadata, selector_labels
from components.platform import Platform

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
DEFAULT_DENY = "default-deny-ingress"
# Prometheus's namespace (components/observability/stack.py creates it): it scrapes the
# exporters and the pods' metrics ports. A test keeps the two names equal.
MONITORING_NAMESPACE = "monitoring"


@dataclass(frozen=True)
class Rule:
    """Who may open connections to the target pods, on which TCP ports.

    ``pods`` are pod names (``app.kubernetes.io/name``) in the target's namespace;
    ``namespaces`` admit every pod of those namespaces; ``cidrs`` admit addresses outside
    the pod network; ``labelled`` admits pods carrying these labels in any namespace.
    A rule must name at least one peer: an empty ``from`` would admit everyone.
    """

    ports: tuple[int, ...]
    pods: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    cidrs: tuple[str, ...] = ()
    labelled: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not (self.pods or self.namespaces or self.cidrs or self.labelled):
            raise ValueError(f"a rule on ports {self.ports} names no peer")
        if not self.ports:
            raise ValueError("a rule needs at least one port")

    def to_k8s(self) -> dict:
        peers: list[dict] = [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": p}}} for p in self.pods]
        peers += [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: n}}} for n in self.namespaces]
        peers += [{"ipBlock": {"cidr": c}} for c in self.cidrs]
        if self.labelled:
            peers.append({"namespaceSelector": {}, "podSelector": {"matchLabels": dict(self.labelled)}})
        return {"from": peers, "ports": [{"protocol": "TCP", "port": p} for p in self.ports]}


def entry_rules(platform: Platform, port: int, node_port: bool) -> tuple[Rule, ...]:
    """Who reaches a public port: the in-cluster ingress controller's namespace; and the
    platform's external sources where traffic arrives from outside the pod network: through
    a NodePort (``node_port`` and the platform publishes node ports), or from a load balancer
    that targets pods directly (no in-cluster controller)."""
    rules = []
    if platform.ingress_namespace:
        rules.append(Rule((port,), namespaces=(platform.ingress_namespace,)))
    outside = (node_port and platform.node_ports) or not platform.ingress_namespace
    if outside and platform.external_sources:
        rules.append(Rule((port,), cidrs=platform.external_sources))
    return tuple(rules)


def default_deny_manifest(namespace: str, labels: dict[str, str]) -> dict:
    """Selects every pod of the namespace and admits nothing: pods reachable only through
    the allow policies below (policies add up). Egress stays open (DNS, the stores)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(DEFAULT_DENY, namespace, labels),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }


def allow_manifest(target: str, namespace: str, rules: tuple[Rule, ...], labels: dict[str, str]) -> dict:
    """``<target>-ingress``: ingress to the ``target`` pods only as ``rules`` say."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(f"{target}-ingress", namespace, labels),
        "spec": {
            "podSelector": {"matchLabels": selector_labels(target)},
            "policyTypes": ["Ingress"],
            "ingress": [r.to_k8s() for r in rules],
        },
    }
