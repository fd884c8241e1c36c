"""NetworkPolicies of ``monitoring``, ``tracing`` and the agents' namespace, as pure builders.

Every namespace starts from ``netpol.baseline_manifests`` (deny ingress, deny egress, DNS).
Then each chart pod gets exactly its real clients and destinations, from the releases and
ports the stack installs:

- Prometheus scrapes the application pods on their metrics ports (``scrape_targets``, from
  the workloads' scrape targets), the exporters and components of the stack, CoreDNS, the kubelets
  and node-exporter (on the nodes), and the Kubernetes API; it sends alerts to Alertmanager.
- Loki accepts pushes only from Alloy and queries only from Grafana (and Prometheus's scrape).
- Alertmanager accepts only Prometheus (and Grafana's Alertmanager datasource); it reaches the internet on its receivers' ports only.
- Grafana accepts Prometheus's scrape and, where it is published, the platform's external
  sources; it queries Prometheus, Loki and Jaeger, and the Kubernetes API (dashboard sidecar).
- Jaeger accepts OTLP from the applications that trace (``otlp_clients``) and queries from
  Grafana (and the published UI's sources); it opens nothing.
- The controllers (the operator, kube-state-metrics, metrics-server, Alloy, OpenCost) reach the
  Kubernetes API; metrics-server and the operator's webhook accept the control plane.

Pods select by the labels the charts set (``app.kubernetes.io/name``), never by namespace.
node-exporter runs on the host network, where NetworkPolicies do not apply; Prometheus's egress
to the nodes' port covers it.
Ref: https://kubernetes.io/docs/concepts/services-networking/network-policies/ (hostNetwork pods)
"""

from __future__ import annotations

from dataclasses import dataclass

from components.manifests import standard_labels
from components.netpol import (
    DNS_LABELS,
    DNS_NAMESPACE,
    Egress,
    Rule,
    allow_manifest,
    baseline_manifests,
    egress_manifest,
    internet,
)
from components.observability.ownership import OWNER, PART_OF
from components.platform import Platform

NAME = "app.kubernetes.io/name"
# Container ports of the pinned charts (kube-prometheus-stack 88.5.3, loki 18.11.0, alloy
# 1.11.1, jaeger 4.11.1, metrics-server 3.13.1, opencost): web ports and metrics ports.
PROMETHEUS_PORT, RELOADER_PORT, ALERTMANAGER_PORT, GRAFANA_PORT = 9090, 8080, 9093, 3000
KSM_PORTS, OPERATOR_PORT = (8080, 8081), 10250
LOKI_PORT, ALLOY_PORT = 3100, 12345
JAEGER_OTLP, JAEGER_UI, JAEGER_METRICS = (4317, 4318), 16686, 8888
METRICS_SERVER_PORT, OPENCOST_PORTS = 10250, (9003, 9090)
COREDNS_METRICS, KUBELET_PORT, NODE_EXPORTER_PORT = 9153, 10250, 9100
# The control plane's metrics on the nodes, where the platform scrapes them (kind, with its
# kubeadm patches): controller-manager 10257, scheduler 10259, etcd 2381, kube-proxy 10249
# (kube-prometheus-stack's defaults, etcd's port from ``prometheus._scrapers``).
CONTROL_PLANE_METRICS = (10257, 10259, 2381, 10249)
# The pods each chart labels app.kubernetes.io/name (the operator sets "prometheus" and
# "alertmanager" on the pods of its custom resources).
PODS = {
    "prometheus": "prometheus",
    "alertmanager": "alertmanager",
    "grafana": "grafana",
    "kube-state-metrics": "kube-state-metrics",
    "operator": "kube-prometheus-stack-prometheus-operator",
    "loki": "loki",
    "alloy": "alloy",
    "metrics-server": "metrics-server",
    "opencost": "opencost",
    "jaeger": "jaeger",
}


@dataclass(frozen=True)
class Flows:
    """What the observability stack's policies are derived from.

    ``monitoring``, ``tracing``, ``agents``: the namespaces (``agents`` holds Alloy);
    ``scrape_targets``: (namespace, metrics ports) of the application pods Prometheus scrapes
    (their own policies admit only Prometheus's pods, on those ports); ``otlp_clients``: (namespace, pod)
    of the applications that send traces; ``ui_published``: Grafana and the Jaeger UI are
    reached from the platform's ``external_sources`` (kind's NodePorts, eks's admin ALB);
    ``alert_ports``: the receivers' ports on the internet (Slack 443, the SMTP smarthost's);
    ``opencost``: OpenCost is installed (``opencost_egress``: its outside destinations).
    """

    monitoring: str
    tracing: str
    agents: str
    scrape_targets: tuple[tuple[str, tuple[int, ...]], ...]
    otlp_clients: tuple[tuple[str, str], ...]
    ui_published: bool
    alert_ports: tuple[int, ...] = ()
    opencost: bool = False
    opencost_egress: tuple[Egress, ...] = ()


def _in(namespace: str, key: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return namespace, ((NAME, PODS[key]),)


def _to(namespace: str, key: str, ports: tuple[int, ...]) -> Egress:
    return Egress(ports, remote_labelled=(_in(namespace, key),))


def _from(namespace: str, key: str, ports: tuple[int, ...]) -> Rule:
    return Rule(ports, remote_labelled=(_in(namespace, key),))


def api_server(platform: Platform) -> Egress:
    """The Kubernetes API as pods reach it after the Service's DNAT: the control plane's
    addresses (kind: the node network, eks: the endpoint's interfaces in the VPC)."""
    return Egress(platform.api_server_ports, cidrs=platform.node_network)


def _control_plane(platform: Platform, port: int) -> Rule:
    return Rule((port,), cidrs=platform.node_network)


def _ingress(f: Flows, platform: Platform) -> dict[str, tuple[str, tuple[Rule, ...]]]:
    """Per chart pod: (namespace, who may connect to it)."""
    m, t = f.monitoring, f.tracing
    ui = (Rule((GRAFANA_PORT,), cidrs=platform.external_sources),) if f.ui_published and platform.external_sources else ()
    jaeger_ui = (Rule((JAEGER_UI,), cidrs=platform.external_sources),) if f.ui_published and platform.external_sources else ()
    out: dict[str, tuple[str, tuple[Rule, ...]]] = {
        "prometheus": (m, (_from(m, "grafana", (PROMETHEUS_PORT,)), *((_from(m, "opencost", (PROMETHEUS_PORT,)),) if f.opencost else ()))),
        # Grafana's Alertmanager datasource: kube-prometheus-stack provisions it by default
        # (grafana.sidecar.datasources.alertmanager.enabled in its values.yaml).
        "alertmanager": (m, (_from(m, "prometheus", (ALERTMANAGER_PORT, RELOADER_PORT)), _from(m, "grafana", (ALERTMANAGER_PORT,)))),
        "grafana": (m, (_from(m, "prometheus", (GRAFANA_PORT,)), *ui)),
        "kube-state-metrics": (m, (_from(m, "prometheus", KSM_PORTS),)),
        "operator": (m, (_from(m, "prometheus", (OPERATOR_PORT,)), _control_plane(platform, OPERATOR_PORT))),
        "loki": (m, (_from(f.agents, "alloy", (LOKI_PORT,)), _from(m, "grafana", (LOKI_PORT,)), _from(m, "prometheus", (LOKI_PORT,)))),
        "alloy": (f.agents, (_from(m, "prometheus", (ALLOY_PORT,)),)),
        "metrics-server": (m, (_control_plane(platform, METRICS_SERVER_PORT),)),
        "jaeger": (
            t,
            (
                Rule(JAEGER_OTLP, remote=f.otlp_clients),
                _from(m, "grafana", (JAEGER_UI,)),
                _from(m, "prometheus", (JAEGER_METRICS,)),
                *jaeger_ui,
            ),
        ),
    }
    if f.opencost:
        out["opencost"] = (m, (_from(m, "prometheus", OPENCOST_PORTS[:1]),))
    return out


def _egress(f: Flows, platform: Platform) -> dict[str, tuple[str, tuple[Egress, ...]]]:
    """Per chart pod: (namespace, where it may connect). Jaeger and Loki open nothing."""
    m, t, api = f.monitoring, f.tracing, api_server(platform)
    targets = (
        _to(m, "alertmanager", (ALERTMANAGER_PORT, RELOADER_PORT)),
        _to(m, "grafana", (GRAFANA_PORT,)),
        _to(m, "kube-state-metrics", KSM_PORTS),
        _to(m, "operator", (OPERATOR_PORT,)),
        _to(m, "loki", (LOKI_PORT,)),
        _to(f.agents, "alloy", (ALLOY_PORT,)),
        _to(t, "jaeger", (JAEGER_METRICS,)),
        *((_to(m, "opencost", OPENCOST_PORTS[:1]),) if f.opencost else ()),
        Egress((COREDNS_METRICS,), remote_labelled=((DNS_NAMESPACE, DNS_LABELS),)),
        Egress((KUBELET_PORT, NODE_EXPORTER_PORT), cidrs=platform.node_network),
        *((Egress(CONTROL_PLANE_METRICS, cidrs=platform.node_network),) if platform.cluster_scrapers else ()),
        api,
    )
    apps = tuple(Egress(ports, namespaces=(namespace,)) for namespace, ports in f.scrape_targets)
    out: dict[str, tuple[str, tuple[Egress, ...]]] = {
        "prometheus": (m, (*apps, *targets)),
        "grafana": (
            m,
            (
                _to(m, "prometheus", (PROMETHEUS_PORT,)),
                _to(m, "alertmanager", (ALERTMANAGER_PORT,)),
                _to(m, "loki", (LOKI_PORT,)),
                _to(t, "jaeger", (JAEGER_UI,)),
                api,
            ),
        ),
        "kube-state-metrics": (m, (api,)),
        "operator": (m, (api,)),
        "alloy": (f.agents, (_to(m, "loki", (LOKI_PORT,)), api)),
        "metrics-server": (m, (Egress((KUBELET_PORT,), cidrs=platform.node_network), api)),
    }
    if f.alert_ports:
        out["alertmanager"] = (m, (internet(f.alert_ports),))
    if f.opencost:
        out["opencost"] = (m, (_to(m, "prometheus", (PROMETHEUS_PORT,)), api, *f.opencost_egress))
    return out


def _labels(name: str) -> dict[str, str]:
    return standard_labels(name, "network-policy", PART_OF, OWNER)


def network_policies(f: Flows, platform: Platform) -> list[dict]:
    """The baseline in each namespace, then one ingress and one egress policy per chart pod
    that accepts or opens connections."""
    policies: list[dict] = []
    for namespace in dict.fromkeys((f.monitoring, f.tracing, f.agents)):
        policies += baseline_manifests(namespace, _labels)
    for key, (namespace, rules) in _ingress(f, platform).items():
        policies.append(allow_manifest(key, namespace, rules, _labels(f"{key}-ingress"), selector={NAME: PODS[key]}))
    for key, (namespace, rules) in _egress(f, platform).items():
        policies.append(egress_manifest(key, namespace, rules, _labels(f"{key}-egress"), selector={NAME: PODS[key]}))
    return policies
