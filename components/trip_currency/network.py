"""Trip Currency's ingress and NetworkPolicies, as pure manifest builders.

Isolation follows who uses what (``catalog.APIS[*].uses`` and the stores' own clients):
each store admits only its clients, on its one port. The ingress controller reaches the
frontend and the APIs; Prometheus reaches the APIs' metrics port.
"""

from __future__ import annotations

from components.manifests import metadata, selector_labels, standard_labels
from components.platform import Platform
from components.profiles import TripSizes
from components.trip_currency.catalog import (
    API_PORT,
    APIS,
    FRONTEND,
    FRONTEND_PORT,
    INGESTOR,
    INGESTOR_USES,
    KAFKA,
    KAFKA_UI,
    MONGODB,
    MYSQL,
    OWNER,
    PART_OF,
    REDIS,
    ZOOKEEPER,
    Endpoint,
    namespace_name,
)

INGRESS_NAME = "trip-service-ingress"
# The controller's and Prometheus's namespaces, matched by the label Kubernetes sets on
# every namespace. Ref: https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-namespace-by-its-name
INGRESS_CONTROLLER_NAMESPACE = "ingress-nginx"
MONITORING_NAMESPACE = "monitoring"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def ingress_paths() -> list[tuple[str, str, int]]:
    """(path, service, port): each API under its seed path, the frontend at ``/``. Longer
    prefixes win in every controller, so the catch-all ``/`` goes last only for reading."""
    return [(a.path, a.name, API_PORT) for a in APIS] + [("/", FRONTEND, FRONTEND_PORT)]


def ingress_manifest(trip: TripSizes, platform: Platform) -> dict:
    """``trip-service-ingress``; class, annotations, host and TLS are platform data."""
    paths = [
        {"path": path, "pathType": "Prefix", "backend": {"service": {"name": svc, "port": {"number": port}}}}
        for path, svc, port in ingress_paths()
    ]
    rule: dict = {"http": {"paths": paths}}
    if platform.ingress_host:
        rule["host"] = platform.ingress_host
    spec: dict = {"ingressClassName": platform.ingress_class, "rules": [rule]}
    if platform.tls:
        tls: dict = {"hosts": list(platform.tls.hosts)}
        if platform.tls.secret_name:
            tls["secretName"] = platform.tls.secret_name
        spec["tls"] = [tls]
    labels = standard_labels(INGRESS_NAME, "ingress", PART_OF, OWNER)
    meta = metadata(INGRESS_NAME, namespace_name(trip), labels, dict(platform.ingress_annotations) or None)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


FRONTEND_LB_NAME = "service-frontend-nlb"


def frontend_load_balancer(trip: TripSizes, platform: Platform) -> dict | None:
    """The frontend's own load balancer where the platform provisions one (seed 004: an NLB
    on eks), else ``None``. It allocates no NodePorts: the load balancer targets pod IPs."""
    if not platform.load_balancer_annotations:
        return None
    labels = standard_labels(FRONTEND_LB_NAME, "frontend", PART_OF, OWNER)
    spec = {
        "type": "LoadBalancer",
        "allocateLoadBalancerNodePorts": False,
        "selector": selector_labels(FRONTEND),
        "ports": [{"name": "http", "port": FRONTEND_PORT, "targetPort": "http", "protocol": "TCP"}],
    }
    meta = metadata(FRONTEND_LB_NAME, namespace_name(trip), labels, dict(platform.load_balancer_annotations))
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


def store_clients() -> dict[Endpoint, tuple[str, ...]]:
    """Each store and the pods (by name) that may open connections to it."""
    uses = [(a.name, a.uses) for a in APIS] + [
        (INGESTOR, INGESTOR_USES),
        (KAFKA_UI.pod, (KAFKA,)),
        (KAFKA.pod, (ZOOKEEPER,)),
    ]
    out: dict[Endpoint, tuple[str, ...]] = {}
    for store in (MYSQL, MONGODB, REDIS, KAFKA, ZOOKEEPER):
        out[store] = tuple(client for client, used in uses if store in used)
    return out


def _pods(names: tuple[str, ...]) -> list[dict]:
    return [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": n}}} for n in names]


def _namespaces(names: tuple[str, ...]) -> list[dict]:
    return [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: n}}} for n in names]


def policy_manifest(trip: TripSizes, target: str, port: int, peers: list[dict]) -> dict:
    """Ingress to ``target`` pods only from ``peers``, only on ``port``."""
    name = f"{target}-ingress"
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(name, namespace_name(trip), standard_labels(name, "network-policy", PART_OF, OWNER)),
        "spec": {
            "podSelector": {"matchLabels": selector_labels(target)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": peers, "ports": [{"protocol": "TCP", "port": port}]}],
        },
    }


def network_policies(trip: TripSizes) -> list[dict]:
    """One policy per store, per API and for the frontend. Kafka UI has none: it is reached
    only through ``kubectl port-forward``, which no NetworkPolicy sees anyway."""
    policies = [policy_manifest(trip, s.pod, s.port, _pods(c)) for s, c in store_clients().items()]
    for api in APIS:
        peers = _namespaces((INGRESS_CONTROLLER_NAMESPACE, MONITORING_NAMESPACE))
        policies.append(policy_manifest(trip, api.name, API_PORT, peers))
    policies.append(policy_manifest(trip, FRONTEND, FRONTEND_PORT, _namespaces((INGRESS_CONTROLLER_NAMESPACE,))))
    return policies
