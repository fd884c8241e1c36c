"""How NetworkPolicies apply to pods: which policies select a pod, and whom they admit.

Label selectors follow ``metav1.LabelSelector`` semantics (``matchLabels`` and
``matchExpressions`` with In, NotIn, Exists, DoesNotExist; all terms ANDed; an empty selector
matches everything). Peers follow the NetworkPolicy API: a ``podSelector`` alone means pods
of the policy's namespace, a ``namespaceSelector`` alone every pod of the matching
namespaces, both together the matching pods of the matching namespaces, and ``ipBlock`` a
CIDR outside the pod network.
Ref: https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
Ref: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass

from components.manifests import POD_TEMPLATE_PATHS
from components.manifests import selector_matches as matches

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class PodTemplate:
    """A pod template the program declares: owner kind/name, namespace and pod labels."""

    namespace: str
    owner: str
    labels: tuple[tuple[str, str], ...]
    spec: str  # the PodSpec as JSON, so the value stays hashable

    @property
    def name(self) -> str:
        return dict(self.labels).get("app.kubernetes.io/name", self.owner)

    def pod_spec(self) -> dict:
        return json.loads(self.spec)


def pod_templates(objects: list[dict]) -> list[PodTemplate]:
    """Every pod template of the workloads (``POD_TEMPLATE_PATHS``: Deployments, StatefulSets,
    DaemonSets, Jobs, CronJobs, ...)."""
    out = []
    for o in objects:
        path = POD_TEMPLATE_PATHS.get(o["kind"])
        if path is None:
            continue
        template = o
        for key in path:
            template = template[key]
        labels = tuple(sorted(((template.get("metadata") or {}).get("labels") or {}).items()))
        meta = o["metadata"]
        out.append(PodTemplate(meta["namespace"], f"{o['kind']}/{meta['name']}", labels, json.dumps(template["spec"])))
    return out


def ingress_policies_selecting(pod: PodTemplate, policies: list[dict]) -> list[dict]:
    """Policies in the pod's namespace whose podSelector matches it and that govern ingress."""
    out = []
    for p in policies:
        spec = p["spec"]
        types = spec.get("policyTypes") or ["Ingress"]
        if p["metadata"]["namespace"] == pod.namespace and "Ingress" in types and matches(spec.get("podSelector", {}), dict(pod.labels)):
            out.append(p)
    return out


def _peer_sources(peer: dict, policy_ns: str, pods: list[PodTemplate], namespaces: dict[str, dict[str, str]]) -> set[tuple]:
    """What one ``from`` entry admits, as ('pod', ns, name), ('namespace', ns), ('cidr', cidr)
    or ('selector', namespaceSelector, podSelector) for pods the program does not declare."""
    if "ipBlock" in peer:
        return {("cidr", peer["ipBlock"]["cidr"])}
    ns_sel, pod_sel = peer.get("namespaceSelector"), peer.get("podSelector")
    if ns_sel is None:
        in_ns = [policy_ns]
    else:
        in_ns = [n for n, labels in namespaces.items() if matches(ns_sel, {**labels, NAMESPACE_NAME_LABEL: n})]
    if pod_sel is None:
        return {("namespace", n) for n in in_ns}
    out: set[tuple] = {("pod", p.namespace, p.name) for p in pods if p.namespace in in_ns and matches(pod_sel, dict(p.labels))}
    if ns_sel is not None:
        out.add(("selector", json.dumps(ns_sel, sort_keys=True), json.dumps(pod_sel, sort_keys=True)))
    return out


def admitted(pod: PodTemplate, policies: list[dict], pods: list[PodTemplate], namespaces: dict[str, dict[str, str]]) -> dict[int | str, set[tuple]]:
    """Per port, the sources the policies selecting ``pod`` admit. A rule without ``from``
    admits ('any',); a rule without ``ports`` applies to ('all-ports')."""
    out: dict[int | str, set[tuple]] = {}
    for p in ingress_policies_selecting(pod, policies):
        for rule in p["spec"].get("ingress") or []:
            sources: set[tuple] = set()
            if not rule.get("from"):
                sources = {("any",)}
            for peer in rule.get("from") or []:
                sources |= _peer_sources(peer, p["metadata"]["namespace"], pods, namespaces)
            for port in [q.get("port") for q in rule.get("ports") or []] or ["all-ports"]:
                out.setdefault(port, set()).update(sources)
    return out


# --- Both directions: does a connection get through? -------------------------------------


@dataclass(frozen=True)
class Peer:
    """One end of a connection: a pod (namespace and labels) or an address outside the pod
    network (``ip``), such as a node, a load balancer or a host on the internet."""

    namespace: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    ip: str | None = None

    @staticmethod
    def pod(namespace: str, labels: dict[str, str]) -> Peer:
        return Peer(namespace, tuple(sorted(labels.items())))

    @staticmethod
    def address(ip: str) -> Peer:
        return Peer(ip=ip)

    @property
    def is_pod(self) -> bool:
        return self.ip is None


def _peer_matches(peer: dict, policy_ns: str, other: Peer, namespaces: dict[str, dict[str, str]]) -> bool:
    """Whether one ``from``/``to`` entry designates ``other``."""
    if "ipBlock" in peer:
        if other.is_pod:
            return False  # pod addresses are the pod network's: the program never names them by CIDR
        address = ipaddress.ip_address(other.ip)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(e) for e in block.get("except") or []
        )
    if not other.is_pod:
        return False
    ns_sel, pod_sel = peer.get("namespaceSelector"), peer.get("podSelector")
    if ns_sel is None:
        in_ns = other.namespace == policy_ns
    else:
        in_ns = matches(ns_sel, {**namespaces.get(other.namespace, {}), NAMESPACE_NAME_LABEL: other.namespace})
    return in_ns and (pod_sel is None or matches(pod_sel, dict(other.labels)))


def _port_matches(ports: list[dict] | None, port: int, protocol: str) -> bool:
    if not ports:
        return True
    return any(p.get("port") in (None, port) and p.get("protocol", "TCP") == protocol for p in ports)


def _direction_allows(direction: str, selected: Peer, other: Peer, port: int, protocol: str, policies: list[dict], namespaces: dict[str, dict[str, str]]) -> bool:
    """``direction`` Ingress: may ``other`` connect to ``selected``; Egress: may ``selected``
    connect to ``other``. Unselected pods (and addresses) are unrestricted in that direction."""
    if not selected.is_pod:
        return True
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    governing = [
        p for p in policies
        if p["metadata"]["namespace"] == selected.namespace
        and direction in (p["spec"].get("policyTypes") or ["Ingress"])
        and matches(p["spec"].get("podSelector", {}), dict(selected.labels))
    ]
    if not governing:
        return True
    for p in governing:
        for rule in p["spec"].get(key) or []:
            if not _port_matches(rule.get("ports"), port, protocol):
                continue
            peers = rule.get(peers_key)
            if not peers or any(_peer_matches(peer, p["metadata"]["namespace"], other, namespaces) for peer in peers):
                return True
    return False


def connection_allowed(src: Peer, dst: Peer, port: int, policies: list[dict], namespaces: dict[str, dict[str, str]], protocol: str = "TCP") -> bool:
    """Whether a connection from ``src`` to ``dst`` on ``port`` gets through: the source's
    egress policies let it out and the destination's ingress policies let it in (policies add
    up; a pod that no policy of a direction selects is open in that direction). A pod always
    reaches itself."""
    if src == dst:
        return True
    return _direction_allows("Egress", src, dst, port, protocol, policies, namespaces) and _direction_allows(
        "Ingress", dst, src, port, protocol, policies, namespaces
    )


def egress_policies_selecting(pod: PodTemplate, policies: list[dict]) -> list[dict]:
    """Policies in the pod's namespace whose podSelector matches it and that govern egress."""
    return [
        p for p in policies
        if p["metadata"]["namespace"] == pod.namespace
        and "Egress" in (p["spec"].get("policyTypes") or [])
        and matches(p["spec"].get("podSelector", {}), dict(pod.labels))
    ]
