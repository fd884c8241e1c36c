"""Issue 9, isolation: every pod in an application namespace is selected by a NetworkPolicy,
each data store admits exactly the clients the seeds name, exporters only ``monitoring``,
published ports their platform sources, and Kafka UI and the ingestor nothing.

The expected flows are written here from the seeds, not read from the code:
seed 000 (CloudMart: DB_HOST, REDIS_HOST, KAFKA_BROKERS of each service) and seed 004
(Trip: currency and history on MySQL, ranking on MongoDB; Redis and Kafka for the APIs; the
ingestor publishes to Kafka; Kafka UI reads Kafka; Kafka runs on ZooKeeper).
"""

from __future__ import annotations

import ipaddress

import pytest

from components.netpol import MONITORING_NAMESPACE
from components.observability.stack import MONITORING
from tests.security.helpers import app_namespaces, namespace_labels, objects, of_kind, trip_namespace
from tools.netpol import admitted, ingress_policies_selecting, pod_templates

TRIP_APIS = ("service-currency", "service-history", "service-ranking")
CLOUDMART_STORES = {
    ("postgres", 5432): {"user-service", "payment-service"},
    ("redis-service", 6379): {"product-service"},
    ("kafka", 9092): {"order-service", "payment-service", "notification-service"},
}
TRIP_STORES = {
    ("mysql", 3306): {"service-currency", "service-history"},
    ("mongodb", 27017): {"service-ranking"},
    ("service-redis", 6379): set(TRIP_APIS),
    ("kafka", 9092): {*TRIP_APIS, "service-dataingestor", "kafka-ui"},
    ("zookeeper", 2181): {"kafka"},
}
# kind's pod and Service networks (kubeadm defaults kind keeps): node sources must not reach into them.
KIND_POD_CIDR, KIND_SERVICE_CIDR = ipaddress.ip_network("10.244.0.0/16"), ipaddress.ip_network("10.96.0.0/12")
# The subnet Docker gives kind's network on a default install.
KIND_DOCKER_NETWORK = ipaddress.ip_network("172.18.0.0/16")


def _world(stack: str):
    objs = objects(stack)
    policies = [o for o in objs if o["kind"] == "NetworkPolicy"]
    return pod_templates(objs), policies, namespace_labels(stack)


def _pod(stack: str, namespace: str, name: str):
    pods, _, _ = _world(stack)
    (pod,) = [p for p in pods if p.namespace == namespace and p.name == name]
    return pod


def _admitted(stack: str, namespace: str, name: str) -> dict:
    pods, policies, namespaces = _world(stack)
    return admitted(_pod(stack, namespace, name), policies, pods, namespaces)


def test_monitoring_namespace_name_is_the_observability_stacks():
    assert MONITORING_NAMESPACE == MONITORING


def test_every_pod_template_in_an_application_namespace_is_selected_by_a_policy(stack):
    pods, policies, _ = _world(stack)
    in_apps = [p for p in pods if p.namespace in app_namespaces(stack)]
    assert {p.namespace for p in in_apps} == set(app_namespaces(stack))
    uncovered = [(p.namespace, p.owner) for p in in_apps if not ingress_policies_selecting(p, policies)]
    assert uncovered == []


def test_every_application_namespace_denies_ingress_by_default(stack):
    for ns in app_namespaces(stack):
        denies = [
            p for p in of_kind(stack, "NetworkPolicy", ns)
            if p["spec"]["podSelector"] == {} and p["spec"]["policyTypes"] == ["Ingress"] and not p["spec"].get("ingress")
        ]
        assert len(denies) == 1, ns


@pytest.mark.parametrize("store,port", sorted(CLOUDMART_STORES))
def test_cloudmart_stores_admit_only_their_seed_clients(stack, store, port):
    expected = {("pod", "cloudmart", c) for c in CLOUDMART_STORES[(store, port)]}
    assert _admitted(stack, "cloudmart", store) == {port: expected}


@pytest.mark.parametrize("store,port", sorted(TRIP_STORES))
def test_trip_stores_admit_only_their_seed_clients(stack, store, port):
    ns = trip_namespace(stack)
    expected = {("pod", ns, c) for c in TRIP_STORES[(store, port)]}
    assert _admitted(stack, ns, store) == {port: expected}


@pytest.mark.parametrize("name", ["kafka-ui", "service-dataingestor"])
def test_kafka_ui_and_the_ingestor_accept_nothing(stack, name):
    assert _admitted(stack, trip_namespace(stack), name) == {}


# Issue 15: scrape rules admit Prometheus's pods (app.kubernetes.io/name=prometheus in
# monitoring), not the whole namespace (Grafana, Loki, Alloy...).
PROMETHEUS = ("selector", '{"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}', '{"matchLabels": {"app.kubernetes.io/name": "prometheus"}}')


def test_exporter_ports_accept_only_prometheus(stack):
    pods, _, _ = _world(stack)
    checked = 0
    for pod in [p for p in pods if p.namespace in app_namespaces(stack)]:
        ports = {
            port["containerPort"]
            for c in pod.pod_spec()["containers"]
            for port in c.get("ports") or []
            if port["name"] == "metrics"
        }
        for port in ports:
            assert _admitted(stack, pod.namespace, pod.name)[port] == {PROMETHEUS}, pod.owner
            checked += 1
    assert checked >= 5  # the five CloudMart exporter sidecars


def test_scraped_pods_admit_prometheus_on_their_scrape_port(stack):
    for kind in ("Deployment", "StatefulSet"):
        for o in of_kind(stack, kind):
            if o["metadata"]["namespace"] not in app_namespaces(stack):
                continue
            annotations = o["spec"]["template"]["metadata"].get("annotations") or {}
            if annotations.get("prometheus.io/scrape") == "true":
                port = int(annotations["prometheus.io/port"])
                sources = _admitted(stack, o["metadata"]["namespace"], o["metadata"]["name"])[port]
                assert PROMETHEUS in sources, o["metadata"]["name"]
                assert ("namespace", "monitoring") not in sources, o["metadata"]["name"]


def _backends(stack: str, service: dict):
    pods, _, _ = _world(stack)
    selector = service["spec"]["selector"]
    return [p for p in pods if p.namespace == service["metadata"]["namespace"] and selector.items() <= dict(p.labels).items()]


def test_published_node_ports_admit_kind_node_addresses_and_no_pod_network(kind_stack):
    stack = kind_stack
    services = [s for s in of_kind(stack, "Service") if s["spec"].get("type") == "NodePort" and s["metadata"]["namespace"] in app_namespaces(stack)]
    assert {s["metadata"]["name"] for s in services} == {"user-service", "product-service", "order-service"}
    for service in services:
        (port,) = [p["targetPort"] for p in service["spec"]["ports"] if "nodePort" in p]
        for pod in _backends(stack, service):
            cidrs = [ipaddress.ip_network(s[1]) for s in _admitted(stack, pod.namespace, pod.name)[port] if s[0] == "cidr"]
            assert any(KIND_DOCKER_NETWORK.subnet_of(c) for c in cidrs), service["metadata"]["name"]
            assert not any(c.overlaps(KIND_POD_CIDR) or c.overlaps(KIND_SERVICE_CIDR) for c in cidrs)


def test_ingress_backends_admit_the_ingress_controller(kind_stack):
    stack = kind_stack
    ingresses = of_kind(stack, "Ingress")
    assert {i["metadata"]["name"] for i in ingresses} == {"trip-service-ingress", "cloudmart-ingress"}
    for ingress in ingresses:
        services = {s["metadata"]["name"]: s for s in of_kind(stack, "Service", ingress["metadata"]["namespace"])}
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = services[backend["name"]]
                (target,) = [p["targetPort"] for p in service["spec"]["ports"] if p["port"] == backend["port"]["number"]]
                for pod in _backends(stack, service):
                    container_ports = {p["name"]: p["containerPort"] for c in pod.pod_spec()["containers"] for p in c.get("ports") or []}
                    port = container_ports.get(target, target)
                    assert ("namespace", "ingress-nginx") in _admitted(stack, pod.namespace, pod.name)[port]


def test_finops_demo_web_app_admits_seed_002s_load_test():
    sources = _admitted("dev", "production", "web-app")[8080]
    load_test = ("selector", "{}", '{"matchLabels": {"run": "load-test"}}')
    assert load_test in sources


def test_no_application_pod_admits_every_source(stack):
    pods, policies, namespaces = _world(stack)
    for pod in [p for p in pods if p.namespace in app_namespaces(stack)]:
        for port, sources in admitted(pod, policies, pods, namespaces).items():
            assert ("any",) not in sources and port != "all-ports", pod.owner


@pytest.mark.parametrize("namespace,name", [("staging", "api-server"), ("development", "dev-service")])
def test_finops_demo_apps_without_a_seed_flow_accept_nothing(namespace, name):
    assert _admitted("dev", namespace, name) == {}


def _entry_backends(stack: str):
    """(pod, port) behind every Ingress path and every LoadBalancer Service in an
    application namespace."""
    for ingress in of_kind(stack, "Ingress"):
        ns = ingress["metadata"]["namespace"]
        if ns not in app_namespaces(stack):
            continue  # Grafana and the Jaeger UI: their chart pods have their own policies (test_flows)
        services = {s["metadata"]["name"]: s for s in of_kind(stack, "Service", ns)}
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = services[backend["name"]]
                (target,) = [p["targetPort"] for p in service["spec"]["ports"] if p["port"] == backend["port"]["number"]]
                yield from ((pod, target) for pod in _backends(stack, service))
    for service in of_kind(stack, "Service"):
        if service["spec"].get("type") == "LoadBalancer":
            yield from ((pod, p["targetPort"]) for p in service["spec"]["ports"] for pod in _backends(stack, service))


def test_load_balancer_backends_admit_the_public_subnets_on_eks():
    """On eks the ALB and the NLB reach pod IPs from their interfaces in the public subnets
    (no in-cluster ingress controller): those CIDRs, and no namespace, on the public port."""
    from tests.conftest import EKS_STACKS

    if not EKS_STACKS:
        pytest.skip("no eks stack file")
    from components.aws.specs import subnet_plan
    from tools.render import checked_config

    stack = EKS_STACKS[0]
    values = checked_config(stack)
    public = {p.cidr for p in subnet_plan(values["vpcCidr"], values["availabilityZones"]) if p.public}
    checked = 0
    for pod, target in _entry_backends(stack):
        container_ports = {p["name"]: p["containerPort"] for c in pod.pod_spec()["containers"] for p in c.get("ports") or []}
        sources = _admitted(stack, pod.namespace, pod.name)[container_ports.get(target, target)]
        assert {s[1] for s in sources if s[0] == "cidr"} >= public, (pod.namespace, pod.name)
        assert ("namespace", "ingress-nginx") not in sources
        checked += 1
    assert checked >= 5  # the Trip APIs and frontend (ALB and NLB), CloudMart's three published services
