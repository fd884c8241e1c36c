"""Trip Currency's ingress and NetworkPolicies, as pure manifest builders.

Isolation follows who uses what (``catalog.APIS[*].uses`` and the stores' own clients):
the namespace denies all ingress by default, and each store admits only its clients, on
its one port. The ingress controller (or, where a load balancer reaches pods directly, the
platform's external sources) reaches the frontend and the APIs; Prometheus reaches the
APIs' metrics port. Kafka UI and the ingestor admit nothing.
"""

from __future__ import annotations

from components.manifests import ingress_manifest as shared_ingress_manifest
from components.manifests import metadata, selector_labels, standard_labels
from components.netpol import (
    Egress,
    Rule,
    allow_manifest,
    baseline_manifests,
    egress_manifest,
    entry_rules,
    internet,
    otlp_egress,
    scrape_rule,
)
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


def ingress_paths() -> list[tuple[str, str, int]]:
    """(path, service, port): each API under its seed path, the frontend at ``/``. Longer
    prefixes win in every controller, so the catch-all ``/`` goes last only for reading."""
    return [(a.path, a.name, API_PORT) for a in APIS] + [("/", FRONTEND, FRONTEND_PORT)]


def ingress_manifest(trip: TripSizes, platform: Platform) -> dict:
    """``trip-service-ingress``; class, annotations, host and TLS are platform data."""
    labels = standard_labels(INGRESS_NAME, "ingress", PART_OF, OWNER)
    return shared_ingress_manifest(metadata(INGRESS_NAME, namespace_name(trip), labels), platform, ingress_paths())


FRONTEND_LB_NAME = "service-frontend-nlb"


def frontend_load_balancer(trip: TripSizes, platform: Platform) -> dict | None:
    """The frontend's own load balancer where the platform provisions one (seed 004: an NLB
    on eks), else ``None``. It allocates no NodePorts: the load balancer targets pod IPs.
    Its one port is the platform's ``load_balancer_port`` (eks: 443, where the NLB terminates
    TLS) to the frontend's HTTP port: no plain-HTTP listener."""
    if not platform.load_balancer_annotations:
        return None
    labels = standard_labels(FRONTEND_LB_NAME, "frontend", PART_OF, OWNER)
    spec = {
        "type": "LoadBalancer",
        "allocateLoadBalancerNodePorts": False,
        "selector": selector_labels(FRONTEND),
        "ports": [{"name": "public", "port": platform.load_balancer_port or FRONTEND_PORT, "targetPort": "http", "protocol": "TCP"}],
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


def _labels(name: str) -> dict[str, str]:
    return standard_labels(name, "network-policy", PART_OF, OWNER)


def public_rules(platform: Platform, port: int, scraped: bool) -> tuple[Rule, ...]:
    """Who reaches a pod served through the Ingress (no NodePorts here), plus Prometheus."""
    rules = entry_rules(platform, port, node_port=False)
    return (*rules, scrape_rule((port,))) if scraped else rules


# The ingestor fetches exchange rates from a public HTTPS API (seed 004): it alone may reach
# the internet, on 443 only. NetworkPolicies cannot name a host, so "the internet" is every
# address outside the private ranges (``netpol.internet``).
INGESTOR_EXTERNAL_PORTS = (443,)


def egress_rules() -> dict[str, tuple[Egress, ...]]:
    """Where each pod may connect, from the same ``uses`` that gate its start: the APIs to
    their stores and Jaeger's OTLP ports; the ingestor to Kafka and its external API; Kafka UI
    to Kafka; Kafka to ZooKeeper. The stores, ZooKeeper and the frontend open nothing."""
    out: dict[str, list[Egress]] = {}
    for store, clients in store_clients().items():
        for client in clients:
            out.setdefault(client, []).append(Egress((store.port,), pods=(store.pod,)))
    for api in APIS:
        out[api.name].append(otlp_egress())
    out[INGESTOR].append(internet(INGESTOR_EXTERNAL_PORTS))
    return {pod: tuple(rules) for pod, rules in out.items()}


def network_policies(trip: TripSizes, platform: Platform) -> list[dict]:
    """Default deny of ingress and egress, and DNS; one ingress policy per store, per API and
    for the frontend; one egress policy per pod that opens connections (``egress_rules``).
    Kafka UI and the ingestor admit nothing: Kafka UI is reached only through
    ``kubectl port-forward``, which no NetworkPolicy sees, and the ingestor serves nothing."""
    ns = namespace_name(trip)
    policies = baseline_manifests(ns, _labels)
    for store, clients in store_clients().items():
        policies.append(allow_manifest(store.pod, ns, (Rule((store.port,), pods=clients),), _labels(f"{store.pod}-ingress")))
    for api in APIS:
        policies.append(allow_manifest(api.name, ns, public_rules(platform, API_PORT, True), _labels(f"{api.name}-ingress")))
    frontend = public_rules(platform, FRONTEND_PORT, False)
    policies.append(allow_manifest(FRONTEND, ns, frontend, _labels(f"{FRONTEND}-ingress")))
    for pod, rules in egress_rules().items():
        policies.append(egress_manifest(pod, ns, rules, _labels(f"{pod}-egress")))
    return policies
