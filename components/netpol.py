"""NetworkPolicies as pure builders: in every namespace the program creates, a default deny of
ingress and one of egress, DNS to CoreDNS for every pod, then one allow policy per pod kind
for each direction, naming who may connect to it (``Rule``) and where it may connect
(``Egress``), on which ports.

The flows come from the same data that builds the workloads (the stores an API ``uses``, the
scrape targets, the charts' releases), never from a second list. Another component declares
its egress in one line, for example an exporter that calls AWS APIs (public endpoints, 443)
and is scraped by Prometheus::

    egress_manifest("yace", "monitoring", (internet((443,)),), labels, selector={"app.kubernetes.io/name": "yace"})
    allow_manifest("yace", "monitoring", (scrape_rule((5000,)),), labels, selector={"app.kubernetes.io/name": "yace"})

In ``components/observability/network.py`` the same is one entry of ``_egress``/``_ingress``
(or ``Flows.opencost_egress`` for OpenCost). ``tests/security/test_flows.py`` lists every
expected flow and fails until a new one is added there too.

Policies select pods by ``app.kubernetes.io/name`` (the immutable selector label every
workload here carries) and peers by pod name, by namespace name (the
``kubernetes.io/metadata.name`` label Kubernetes sets on every namespace) or by CIDR (for
traffic that arrives through node ports or load balancers, whose source is a node or
load-balancer address, not a pod).
Ref: https://kubernetes.io/docs/concepts/services-networking/network-policies/
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from components.manifests import metadata, selector_labels
from components.platform import Platform

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
DEFAULT_DENY = "default-deny-ingress"
DEFAULT_DENY_EGRESS = "default-deny-egress"
ALLOW_DNS = "allow-dns"
# Prometheus's namespace (components/observability/stack.py creates it): it scrapes the
# exporters and the pods' metrics ports. A test keeps the two names equal.
MONITORING_NAMESPACE = "monitoring"
# The Prometheus pods kube-prometheus-stack's operator creates carry this label (the operator
# sets app.kubernetes.io/name=prometheus on every Prometheus pod): scrape rules admit them,
# not the whole monitoring namespace. Ref: prometheus-operator pkg/prometheus/statefulset.go
PROMETHEUS_POD = "prometheus"
# CoreDNS in kube-system (kind and EKS both label it k8s-app=kube-dns), UDP and TCP 53.
DNS_NAMESPACE, DNS_LABELS, DNS_PORT = "kube-system", (("k8s-app", "kube-dns"),), 53
# Addresses outside the cluster and the VPC: "the internet". The link-local range holds the
# instance metadata service (169.254.169.254), which no pod reaches (IRSA gives credentials).
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10")
INTERNET = "0.0.0.0/0"
# Jaeger's namespace and pod (components/observability creates them; a test keeps the names
# equal): applications send traces there over OTLP gRPC and HTTP.
TRACING_NAMESPACE, JAEGER_POD, OTLP_PORTS = "tracing", "jaeger", (4317, 4318)


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
    remote: tuple[tuple[str, str], ...] = ()
    remote_labelled: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    excepted: tuple[str, ...] = ()
    protocols: tuple[str, ...] = ("TCP",)

    def __post_init__(self) -> None:
        if not (self.pods or self.namespaces or self.cidrs or self.labelled or self.remote or self.remote_labelled):
            raise ValueError(f"a rule on ports {self.ports} names no peer")
        if not self.ports:
            raise ValueError("a rule needs at least one port")
        if INTERNET in self.cidrs and not self.excepted:
            raise ValueError(f"{INTERNET} without excepted ranges would include the pod network and the metadata service")

    def peers(self) -> list[dict]:
        """``pods`` by name in the policy's namespace; ``namespaces`` whole; ``remote`` as
        (namespace, pod name); ``remote_labelled`` as (namespace, labels); ``cidrs`` minus
        ``excepted``; ``labelled`` in any namespace."""
        peers: list[dict] = [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": p}}} for p in self.pods]
        peers += [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: n}}} for n in self.namespaces]
        peers += [
            {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: n}}, "podSelector": {"matchLabels": {"app.kubernetes.io/name": p}}}
            for n, p in self.remote
        ]
        peers += [
            {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: n}}, "podSelector": {"matchLabels": dict(labels)}}
            for n, labels in self.remote_labelled
        ]
        for c in self.cidrs:
            inside = [e for e in self.excepted if _within(e, c)]
            peers.append({"ipBlock": {"cidr": c, "except": inside}} if inside else {"ipBlock": {"cidr": c}})
        if self.labelled:
            peers.append({"namespaceSelector": {}, "podSelector": {"matchLabels": dict(self.labelled)}})
        return peers

    def port_list(self) -> list[dict]:
        return [{"protocol": proto, "port": p} for p in self.ports for proto in self.protocols]

    def to_k8s(self) -> dict:
        return {"from": self.peers(), "ports": self.port_list()}


class Egress(Rule):
    """Where the target pods may open connections: the same peers as ``Rule``, as ``to``."""

    def to_k8s(self) -> dict:
        return {"to": self.peers(), "ports": self.port_list()}


def _within(inner: str, outer: str) -> bool:
    a, b = ipaddress.ip_network(inner), ipaddress.ip_network(outer)
    return a.version == b.version and a.subnet_of(b) and a != b


def internet(ports: tuple[int, ...]) -> Egress:
    """Addresses outside every private range (the pod network, the VPC, the metadata service)."""
    return Egress(ports, cidrs=(INTERNET,), excepted=PRIVATE_RANGES)


def scrape_rule(ports: tuple[int, ...]) -> Rule:
    """Prometheus's pods, and only them, on the metrics ``ports``."""
    return Rule(ports, remote_labelled=((MONITORING_NAMESPACE, (("app.kubernetes.io/name", PROMETHEUS_POD),)),))


def otlp_egress() -> Egress:
    """An application's traces to Jaeger's OTLP ports."""
    return to_pods_in(TRACING_NAMESPACE, OTLP_PORTS, JAEGER_POD)


def to_pods_in(namespace: str, ports: tuple[int, ...], *pods: str) -> Egress:
    """Egress to named pods (``app.kubernetes.io/name``) of another namespace."""
    return Egress(ports, remote=tuple((namespace, p) for p in pods))


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


def _policy(
    name: str, namespace: str, labels: dict[str, str], pod_selector: dict, direction: str, rules: tuple[Rule | Egress, ...] | None = None
) -> dict:
    """A NetworkPolicy of one ``direction`` (Ingress or Egress) for the pods ``pod_selector``
    picks: only ``rules`` let traffic through; with ``rules`` None, nothing does."""
    spec: dict[str, Any] = {"podSelector": pod_selector, "policyTypes": [direction]}
    if rules is not None:
        spec[direction.lower()] = [r.to_k8s() for r in rules]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata(name, namespace, labels), "spec": spec}


def default_deny_manifest(namespace: str, labels: dict[str, str]) -> dict:
    """Selects every pod of the namespace and admits nothing: pods reachable only through
    the allow policies below (policies add up)."""
    return _policy(DEFAULT_DENY, namespace, labels, {}, "Ingress")


def default_deny_egress_manifest(namespace: str, labels: dict[str, str]) -> dict:
    """Selects every pod of the namespace and lets it open no connection at all: not to the
    internet, not to the Kubernetes API, not to the instance metadata service. Each pod then
    gets exactly the ``Egress`` rules its data names (``egress_manifest``)."""
    return _policy(DEFAULT_DENY_EGRESS, namespace, labels, {}, "Egress")


def dns_manifest(namespace: str, labels: dict[str, str]) -> dict:
    """``allow-dns``: every pod of the namespace may ask CoreDNS (UDP and TCP 53), nothing else."""
    rule = Egress((DNS_PORT,), remote_labelled=((DNS_NAMESPACE, DNS_LABELS),), protocols=("UDP", "TCP"))
    return _policy(ALLOW_DNS, namespace, labels, {}, "Egress", (rule,))


def baseline_manifests(namespace: str, labels: Callable[[str], dict[str, str]]) -> list[dict]:
    """What every namespace the program creates starts with: deny ingress, deny egress, DNS.
    ``labels`` gives each policy's labels from its name."""
    return [
        default_deny_manifest(namespace, labels(DEFAULT_DENY)),
        default_deny_egress_manifest(namespace, labels(DEFAULT_DENY_EGRESS)),
        dns_manifest(namespace, labels(ALLOW_DNS)),
    ]


def egress_manifest(target: str, namespace: str, rules: tuple[Egress, ...], labels: dict[str, str], selector: dict | None = None) -> dict:
    """``<target>-egress``: the ``target`` pods (or ``selector``) may open connections only as
    ``rules`` say (on top of DNS)."""
    return _policy(f"{target}-egress", namespace, labels, {"matchLabels": selector or selector_labels(target)}, "Egress", rules)


def allow_manifest(target: str, namespace: str, rules: tuple[Rule, ...], labels: dict[str, str], selector: dict | None = None) -> dict:
    """``<target>-ingress``: ingress to the ``target`` pods (or ``selector``) only as ``rules`` say."""
    return _policy(f"{target}-ingress", namespace, labels, {"matchLabels": selector or selector_labels(target)}, "Ingress", rules)
