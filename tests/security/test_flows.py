"""Issue 15, flows: on every stack, each connection the platform needs gets through the
NetworkPolicies (nothing breaks), and no other connection does.

The universe is every pod the program declares (with the FinOps demo on) plus the chart pods
of ``monitoring`` and ``tracing`` and CoreDNS, with the labels and container ports their
pinned charts give them (kube-prometheus-stack 88.5.3, loki 18.11.0, alloy 1.11.1, jaeger
4.11.1, metrics-server 3.13.1, opencost; CoreDNS as kind and EKS label it). The expected flows
are written here from the seeds (000, 004: who uses which store), the charts (who talks to
whom) and the issue (controllers to the API, the ingestor alone to the internet), not read
from the code. On kind, ingress-nginx's controller (chart labels, ports 80, 443 and 10254)
is part of it: it reaches the Ingresses' backends.
"""

from __future__ import annotations

import ipaddress
from functools import cache

import pytest

from tests.conftest import target_of
from tests.security.helpers import app_namespaces, namespace_labels, objects, trip_namespace
from tests.security.test_isolation import CLOUDMART_STORES, TRIP_STORES
from tools.cost import stack_settings
from tools.netpol import Peer, connection_allowed, egress_policies_selecting, pod_templates
from tools.render import checked_config

MONITORING, TRACING, AGENTS = "monitoring", "tracing", "monitoring-agents"
# (namespace, app.kubernetes.io/name) -> container ports, from the charts' templates.
CHART_PODS = {
    (MONITORING, "prometheus"): (9090, 8080),
    (MONITORING, "alertmanager"): (9093, 8080),
    (MONITORING, "grafana"): (3000,),
    (MONITORING, "kube-state-metrics"): (8080, 8081),
    (MONITORING, "kube-prometheus-stack-prometheus-operator"): (10250,),
    (MONITORING, "loki"): (3100,),
    (AGENTS, "alloy"): (12345,),
    (MONITORING, "metrics-server"): (10250,),
    (TRACING, "jaeger"): (4317, 4318, 16686, 8888),
}
OPENCOST = ((MONITORING, "opencost"), (9003, 9090))
COREDNS = ("kube-system", "coredns")
INGRESS = ("ingress-nginx", "ingress-nginx")
INGRESS_LABELS = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
DNS_LABELS = {"k8s-app": "kube-dns"}
# Pods that call the Kubernetes API (service discovery, watches, dashboards, log tailing).
API_CLIENTS = {"prometheus", "grafana", "kube-state-metrics", "kube-prometheus-stack-prometheus-operator", "alloy", "metrics-server", "opencost"}
INTERNET_HOST = "93.184.216.34"
METADATA = "169.254.169.254"
TRACING_APPS = {"user-service", "product-service", "order-service", "payment-service", "notification-service",
                "service-currency", "service-history", "service-ranking"}


def _opencost(stack: str) -> bool:
    return stack_settings(stack).features.opencost


@cache
def _world(stack: str):
    """(pods: (namespace, name) -> (labels, ports), policies, namespace labels)."""
    objs = objects(stack)
    pods: dict[tuple[str, str], tuple[dict, tuple[int, ...]]] = {}
    for t in pod_templates(objs):
        ports = tuple(p["containerPort"] for c in t.pod_spec()["containers"] for p in c.get("ports") or [])
        pods[(t.namespace, t.name)] = (dict(t.labels), ports)
    chart = dict(CHART_PODS)
    if _opencost(stack):
        chart[OPENCOST[0]] = OPENCOST[1]
    for (ns, name), ports in chart.items():
        pods[(ns, name)] = ({"app.kubernetes.io/name": name}, ports)
    pods[COREDNS] = (DNS_LABELS, (53, 9153))
    if target_of(stack) == "kind":
        pods[INGRESS] = (INGRESS_LABELS, (80, 443, 10254))
    namespaces = {**namespace_labels(stack), "kube-system": {}}
    return pods, [o for o in objs if o["kind"] == "NetworkPolicy"], namespaces


def _peer(stack: str, key: tuple[str, str]) -> Peer:
    pods, _, _ = _world(stack)
    return Peer.pod(key[0], pods[key][0])


def _allowed(stack: str, src: Peer, dst: Peer, port: int, protocol: str = "TCP") -> bool:
    _, policies, namespaces = _world(stack)
    return connection_allowed(src, dst, port, policies, namespaces, protocol)


def _node_address(stack: str) -> str:
    """A node (and control-plane) address: kind's Docker network, or an address in eks's VPC."""
    if target_of(stack) == "eks":
        return str(next(ipaddress.ip_network(checked_config(stack)["vpcCidr"]).hosts()) + 10)
    return "172.18.0.2"


def _api_port(stack: str) -> int:
    return 443 if target_of(stack) == "eks" else 6443


def _expected_pod_flows(stack: str) -> set[tuple[tuple[str, str], tuple[str, str], int]]:
    pods, _, _ = _world(stack)
    trip = trip_namespace(stack)
    flows: set = set()
    for (store, port), clients in CLOUDMART_STORES.items():
        flows |= {(("cloudmart", c), ("cloudmart", store), port) for c in clients}
    for (store, port), clients in TRIP_STORES.items():
        flows |= {((trip, c), (trip, store), port) for c in clients}
    prometheus = (MONITORING, "prometheus")
    # Prometheus scrapes the apps' metrics ports: CloudMart's exporter sidecars, Trip's APIs.
    for (ns, name), (labels, ports) in pods.items():
        if ns == "cloudmart" and labels.get("app.kubernetes.io/component") == "backend":
            flows.add((prometheus, (ns, name), 9113))
        if ns == trip and labels.get("app.kubernetes.io/component") == "api":
            flows.add((prometheus, (ns, name), 8000))
    chart = {
        (prometheus, (MONITORING, "alertmanager"), 9093), (prometheus, (MONITORING, "alertmanager"), 8080),
        (prometheus, (MONITORING, "grafana"), 3000),
        (prometheus, (MONITORING, "kube-state-metrics"), 8080), (prometheus, (MONITORING, "kube-state-metrics"), 8081),
        (prometheus, (MONITORING, "kube-prometheus-stack-prometheus-operator"), 10250),
        (prometheus, (MONITORING, "loki"), 3100), (prometheus, (AGENTS, "alloy"), 12345),
        (prometheus, (TRACING, "jaeger"), 8888), (prometheus, COREDNS, 9153),
        ((MONITORING, "grafana"), prometheus, 9090), ((MONITORING, "grafana"), (MONITORING, "loki"), 3100),
        ((MONITORING, "grafana"), (MONITORING, "alertmanager"), 9093),  # kube-prometheus-stack's Alertmanager datasource
        ((MONITORING, "grafana"), (TRACING, "jaeger"), 16686),
        ((AGENTS, "alloy"), (MONITORING, "loki"), 3100),
    }
    if _opencost(stack):
        chart |= {(prometheus, (MONITORING, "opencost"), 9003), ((MONITORING, "opencost"), prometheus, 9090)}
    flows |= chart
    if INGRESS in pods:  # the Ingresses' backends (seed 000's /cloudmart/*, seed 004's paths) and the scrape
        for (ns, name), (labels, _) in pods.items():
            if ns == "cloudmart" and labels.get("app.kubernetes.io/component") == "backend":
                flows.add((INGRESS, (ns, name), 8080))
            if ns == trip and labels.get("app.kubernetes.io/component") in ("api", "frontend"):
                flows.add((INGRESS, (ns, name), 8000 if labels["app.kubernetes.io/component"] == "api" else 80))
        flows.add((prometheus, INGRESS, 10254))
    for (ns, name) in pods:
        if name in TRACING_APPS and ns in ("cloudmart", trip):
            flows |= {((ns, name), (TRACING, "jaeger"), p) for p in (4317, 4318)}
        if (ns, name) != COREDNS:
            flows.add(((ns, name), COREDNS, 53))
    return flows


def test_exactly_the_needed_pod_to_pod_flows_get_through(stack):
    """Every pair of pods, on every container port of the destination (and DNS's 53)."""
    pods, _, _ = _world(stack)
    allowed = set()
    for src in pods:
        for dst, (_, ports) in pods.items():
            if src == dst:
                continue
            for port in set(ports) | ({53} if dst == COREDNS else set()):
                if _allowed(stack, _peer(stack, src), _peer(stack, dst), port):
                    allowed.add((src, dst, port))
    expected = _expected_pod_flows(stack)
    assert sorted(expected - allowed) == []  # nothing the platform needs is blocked
    assert sorted(allowed - expected) == []  # and nothing else gets through


def test_every_pod_resolves_names_over_udp_and_tcp(stack):
    pods, _, _ = _world(stack)
    for key in pods:
        if key != COREDNS:
            for protocol in ("UDP", "TCP"):
                assert _allowed(stack, _peer(stack, key), _peer(stack, COREDNS), 53, protocol), (key, protocol)


def test_every_namespace_the_program_creates_denies_egress_by_default(stack):
    _, policies, namespaces = _world(stack)
    created = set(namespaces) - {"kube-system"}
    assert {*app_namespaces(stack), MONITORING, TRACING, AGENTS} <= created
    for ns in created:
        denies = [
            p for p in policies
            if p["metadata"]["namespace"] == ns and p["spec"]["podSelector"] == {}
            and p["spec"]["policyTypes"] == ["Egress"] and not p["spec"].get("egress")
        ]
        assert len(denies) == 1, ns


def test_every_declared_pod_is_governed_for_egress(stack):
    _, policies, _ = _world(stack)
    for template in pod_templates(objects(stack)):
        assert egress_policies_selecting(template, policies), template.owner


def test_only_the_ingestor_reaches_the_internet_and_only_on_443(stack):
    pods, _, _ = _world(stack)
    internet = Peer.address(INTERNET_HOST)
    alerting = stack_settings(stack).alerting
    for key in pods:
        if key == COREDNS:
            continue  # not the program's (kube-system): it forwards to upstream resolvers
        for port in (443, 80):
            expected = key == (trip_namespace(stack), "service-dataingestor") and port == 443
            if key == (MONITORING, "alertmanager") and port == 443 and alerting.slack_webhook_url:
                expected = True
            # Issue 17: on eks OpenCost downloads the AWS price list (pricing.us-east-1.amazonaws.com:443).
            if key == OPENCOST[0] and port == 443 and target_of(stack) == "eks" and _opencost(stack):
                expected = True
            assert _allowed(stack, _peer(stack, key), internet, port) is expected, (key, port)


def test_no_pod_reaches_the_instance_metadata_service(stack):
    pods, _, _ = _world(stack)
    for key in pods:
        if key != COREDNS:
            assert not _allowed(stack, _peer(stack, key), Peer.address(METADATA), 80), key


def test_only_the_controllers_reach_the_kubernetes_api_and_the_kubelets(stack):
    pods, _, _ = _world(stack)
    node = Peer.address(_node_address(stack))
    for key in pods:
        if key == COREDNS:
            continue
        name = key[1]
        controller = (key[0] in (MONITORING, AGENTS) and name in API_CLIENTS) or key == INGRESS
        assert _allowed(stack, _peer(stack, key), node, _api_port(stack)) is controller, key
        assert _allowed(stack, _peer(stack, key), node, 10250) is (name in ("prometheus", "metrics-server") and key[0] == MONITORING), key


def test_prometheus_reaches_the_control_planes_metrics_only_where_it_scrapes_them(stack):
    """kind clusters the stack creates scrape controller-manager, scheduler, etcd and kube-proxy
    on the nodes (kubeadm patches); eks and existing clusters do not."""
    node = Peer.address(_node_address(stack))
    scraped = stack_settings(stack).creates_cluster and target_of(stack) == "kind"
    for port in (10257, 10259, 2381, 10249):
        assert _allowed(stack, _peer(stack, (MONITORING, "prometheus")), node, port) is scraped, port
        assert not _allowed(stack, _peer(stack, (MONITORING, "grafana")), node, port), port


def test_the_control_plane_reaches_metrics_server_and_the_operators_webhook_and_nothing_else(stack):
    node = Peer.address(_node_address(stack))
    assert _allowed(stack, node, _peer(stack, (MONITORING, "metrics-server")), 10250)
    assert _allowed(stack, node, _peer(stack, (MONITORING, "kube-prometheus-stack-prometheus-operator")), 10250)
    assert not _allowed(stack, node, _peer(stack, (MONITORING, "loki")), 3100)
    assert not _allowed(stack, node, _peer(stack, (MONITORING, "prometheus")), 9090)
    assert not _allowed(stack, node, _peer(stack, (TRACING, "jaeger")), 4317)
