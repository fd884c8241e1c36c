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
