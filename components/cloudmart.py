"""CloudMart: the five-service shop of seed 000 with its PostgreSQL, Redis and Kafka.

``cloudmart_services()`` is the seed's catalogue as data; ``CloudMart`` registers the
namespace, the data layer, the quota, one ``Workload`` per service and the Ingress.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.datastores import (
    GeneratedSecret,
    GeneratedSecretArgs,
    StatefulStore,
    StatefulStoreArgs,
    kafka_kraft_store,
    postgres_store,
    redis_config,
    redis_workload,
)
from components.declare import declare
from components.manifests import ingress_manifest, metadata, standard_labels
from components.namespaces import namespace_manifest as owned_namespace
from components.netpol import Egress, Rule, allow_manifest, baseline_manifests, egress_manifest, entry_rules, otlp_egress, scrape_rule
from components.platform import Platform
from components.profiles import Profile
from components.quota import NamespacePods, namespace_limits
from components.specs import (
    Container,
    EnvVar,
    Hpa,
    HttpProbe,
    Mount,
    Ownership,
    Port,
    Resources,
    ScrapeTarget,
    ServicePort,
    Volume,
    WorkloadSpec,
)
from components.workload import Workload, WorkloadArgs

NAMESPACE = "cloudmart"
PART_OF = "cloudmart"
OWNER = Ownership(team="platform", cost_center="CC-2001", extra=(("project", "cloudmart"),))

# The seed runs nginx:alpine as root; the unprivileged build of the same nginx listens on
# 8080 as uid 101, so the restricted securityContext holds with a read-only root filesystem.
NGINX_IMAGE, NGINX_UID = "nginxinc/nginx-unprivileged:1.28.0-alpine", 101
EXPORTER_IMAGE, EXPORTER_UID = "nginx/nginx-prometheus-exporter:0.11.0", 65534
HTTP_PORT, METRICS_PORT = 8080, 9113
SECRET_NAME = "cloudmart-credentials"
# Every service is also reachable through the ingress controller under /cloudmart/<short
# name>, so its traffic passes ingress-nginx, whose metrics feed the SLO alerts. The seed's
# NodePorts stay. Prefix paths need no rewrite: each service's nginx answers any path.
INGRESS_NAME, INGRESS_PREFIX, SERVICE_PORT = "cloudmart-ingress", "/cloudmart", 80
POSTGRES_SERVICE, REDIS_SERVICE, KAFKA_SERVICE = "postgres-service", "redis-service", "kafka-service"


@dataclass(frozen=True)
class ServiceEntry:
    """One CloudMart service as the seed describes it."""

    name: str
    title: str
    replicas: int
    resources: Resources
    hpa: Hpa
    env: tuple[EnvVar, ...]
    node_port: int | None = None


# Seed 000 step 2/3. Payment and notification are not sized by the seed: payment carries
# revenue (an outage loses sales) and waits on an external API, so it is sized like user
# with two replicas always up (and so a PDB); notification only sends messages, bursts
# with campaigns and tolerates delay, so it gets half of that and may run one pod.
EXPORTER_RESOURCES = Resources(10, 16, 50, 64)
SERVICES: tuple[ServiceEntry, ...] = (
    ServiceEntry(
        "user-service", "User", 2, Resources(100, 128, 300, 256),
        Hpa(2, 8, cpu_utilization=70, memory_utilization=80),
        (EnvVar("DB_HOST", POSTGRES_SERVICE),), node_port=30080,
    ),
    ServiceEntry(
        "product-service", "Product", 3, Resources(150, 256, 500, 512),
        Hpa(2, 10, cpu_utilization=70),
        (EnvVar("REDIS_HOST", REDIS_SERVICE),), node_port=30081,
    ),
    ServiceEntry(
        "order-service", "Order", 2, Resources(100, 128, 300, 256),
        Hpa(1, 6, cpu_utilization=70),
        (EnvVar("KAFKA_BROKERS", f"{KAFKA_SERVICE}:9092"),), node_port=30082,
    ),
    ServiceEntry(
        "payment-service", "Payment", 2, Resources(100, 128, 300, 256),
        Hpa(2, 6, cpu_utilization=70),
        (EnvVar("DB_HOST", POSTGRES_SERVICE), EnvVar("KAFKA_BROKERS", f"{KAFKA_SERVICE}:9092")),
    ),
    ServiceEntry(
        "notification-service", "Notification", 1, Resources(50, 64, 200, 128),
        Hpa(1, 5, cpu_utilization=70),
        (EnvVar("KAFKA_BROKERS", f"{KAFKA_SERVICE}:9092"),),
    ),
)


def nginx_conf(title: str) -> str:
    """The seed's nginx.conf, plus the paths an unprivileged, read-only nginx needs (/tmp)."""
    return f"""pid /tmp/nginx.pid;
events {{
    worker_connections 1024;
}}
http {{
    client_body_temp_path /tmp/client_temp;
    proxy_temp_path /tmp/proxy_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;
    server {{
        listen {HTTP_PORT};

        location /health {{
            access_log off;
            return 200 "healthy\\n";
            add_header Content-Type text/plain;
        }}

        location /ready {{
            access_log off;
            return 200 "ready\\n";
            add_header Content-Type text/plain;
        }}

        location /stub_status {{
            stub_status;
            access_log off;
        }}

        location / {{
            return 200 "{title} Service v1.0 - CloudMart\\n";
            add_header Content-Type text/plain;
        }}
    }}
}}
"""


def service_spec(entry: ServiceEntry) -> WorkloadSpec:
    """One seed service: nginx with its ConfigMap, the exporter sidecar, probes and HPA."""
    config_name = f"{entry.name}-nginx-config"
    app = Container(
        name=entry.name,
        image=NGINX_IMAGE,
        resources=entry.resources,
        run_as_user=NGINX_UID,
        ports=(Port("http", HTTP_PORT),),
        env=(EnvVar("SERVICE_NAME", entry.name), *entry.env),
        liveness=HttpProbe("/health", HTTP_PORT, initial_delay_seconds=30, period_seconds=10),
        readiness=HttpProbe("/ready", HTTP_PORT, initial_delay_seconds=10, period_seconds=5),
        mounts=(Mount("nginx-config", "/etc/nginx/nginx.conf", sub_path="nginx.conf", read_only=True), Mount("tmp", "/tmp")),
    )
    exporter = Container(
        name="nginx-exporter",
        image=EXPORTER_IMAGE,
        resources=EXPORTER_RESOURCES,
        run_as_user=EXPORTER_UID,
        ports=(Port("metrics", METRICS_PORT),),
        args=(f"-nginx.scrape-uri=http://localhost:{HTTP_PORT}/stub_status",),
        liveness=HttpProbe("/metrics", METRICS_PORT, initial_delay_seconds=10, period_seconds=15),
        readiness=HttpProbe("/metrics", METRICS_PORT, initial_delay_seconds=5, period_seconds=10),
    )
    return WorkloadSpec(
        name=entry.name,
        containers=(app, exporter),
        replicas=entry.replicas,
        service_ports=(
            ServicePort("http", SERVICE_PORT, HTTP_PORT, node_port=entry.node_port),
            ServicePort("metrics", METRICS_PORT, METRICS_PORT),
        ),
        component="backend",
        part_of=PART_OF,
        volumes=(Volume("nginx-config", config_map=config_name), Volume("tmp", empty_dir_limit_mi=64)),
        hpa=entry.hpa,
        config_name=config_name,
        config=(("nginx.conf", nginx_conf(entry.title)),),
        scrape=ScrapeTarget(METRICS_PORT),
        extra_labels=(("app", entry.name), ("tier", "backend"), ("version", "v1")),
    )


def cloudmart_services() -> tuple[WorkloadSpec, ...]:
    return tuple(service_spec(entry) for entry in SERVICES)


def namespace_manifest() -> dict:
    """``cloudmart``: every pod meets the restricted Pod Security profile, so it is enforced."""
    return owned_namespace(NAMESPACE, OWNER, PART_OF, "restricted")


# The data stores' pods (``app.kubernetes.io/name``) by the Service name clients use, and port.
STORES = {POSTGRES_SERVICE: ("postgres", 5432), REDIS_SERVICE: (REDIS_SERVICE, 6379), KAFKA_SERVICE: ("kafka", 9092)}


def store_clients() -> dict[str, tuple[str, ...]]:
    """Each store's pod and the services that connect to it, read from the seed's env
    (``DB_HOST``, ``REDIS_HOST``, ``KAFKA_BROKERS`` name the store's Service)."""
    out: dict[str, tuple[str, ...]] = {}
    for service, (pod, _) in STORES.items():
        out[pod] = tuple(e.name for e in SERVICES if any(service in (v.value or "") for v in e.env))
    return out


def network_policies(platform: Platform) -> list[dict]:
    """Default deny of ingress and egress, and DNS; then, ingress: each service's HTTP port
    from the ingress controller (and from the platform's external sources where the seed
    publishes a NodePort, or where a load balancer reaches pods directly); the exporter port
    from Prometheus's pods only; each store's port from its clients only. Egress: each service
    to the stores its env names (``store_clients``) and to Jaeger's OTLP ports; the stores
    open no connection."""
    def labels(name: str) -> dict[str, str]:
        return standard_labels(name, "network-policy", PART_OF, OWNER)

    policies = baseline_manifests(NAMESPACE, labels)
    for entry in SERVICES:
        rules = (
            scrape_rule((METRICS_PORT,)),
            *entry_rules(platform, HTTP_PORT, node_port=entry.node_port is not None),
        )
        policies.append(allow_manifest(entry.name, NAMESPACE, rules, labels(f"{entry.name}-ingress")))
    clients = store_clients()
    for pod, port in STORES.values():
        policies.append(allow_manifest(pod, NAMESPACE, (Rule((port,), pods=clients[pod]),), labels(f"{pod}-ingress")))
    for entry in SERVICES:
        stores = tuple(Egress((port,), pods=(pod,)) for pod, port in STORES.values() if entry.name in clients[pod])
        policies.append(egress_manifest(entry.name, NAMESPACE, (*stores, otlp_egress()), labels(f"{entry.name}-egress")))
    return policies


def ingress_path(entry: ServiceEntry) -> str:
    return f"{INGRESS_PREFIX}/{entry.name.removesuffix('-service')}"


def cloudmart_ingress(platform: Platform) -> dict:
    """``cloudmart-ingress``: ``/cloudmart/user`` -> user-service, and so on for all five."""
    labels = standard_labels(INGRESS_NAME, "ingress", PART_OF, OWNER)
    paths = [(ingress_path(e), e.name, SERVICE_PORT) for e in SERVICES]
    return ingress_manifest(metadata(INGRESS_NAME, NAMESPACE, labels), platform, paths)


@dataclass(frozen=True)
class CloudMartArgs:
    """``ingress_depends_on``: what the Ingress waits for (the controller's release)."""

    profile: Profile
    platform: Platform
    ingress_depends_on: tuple[pulumi.Resource, ...] = ()


class CloudMart(pulumi.ComponentResource):
    """The ``cloudmart`` namespace (restricted Pod Security), its NetworkPolicies, quota and
    limits, PostgreSQL, Redis and Kafka, the five services of seed 000, and
    ``cloudmart-ingress`` routing all five through the ingress controller.

    Outputs: ``namespace`` and ``services`` (Kubernetes Service names).
    """

    def __init__(self, name: str, args: CloudMartArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:apps:CloudMart", name, None, opts)
        profile, platform = args.profile, args.platform
        self.namespace = declare(
            f"{name}-namespace",
            namespace_manifest(),
            pulumi.ResourceOptions(parent=self, retain_on_delete=profile.retain_data),
        )
        inside = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        for policy in network_policies(platform):
            declare(f"{name}-{policy['metadata']['name']}", policy, inside)
        secret = GeneratedSecret(
            f"{name}-credentials",
            GeneratedSecretArgs(
                SECRET_NAME,
                NAMESPACE,
                ("postgres-password", "redis-password"),
                labels=tuple(standard_labels(SECRET_NAME, "secret", PART_OF, OWNER).items()),
                derived=(redis_config("redis-password"),),
            ),
            opts=inside,
        )
        after_secret = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, secret])
        postgres = postgres_store(profile.postgres, SECRET_NAME, "cloudmart", "cloudmart", PART_OF)
        kafka = kafka_kraft_store(profile.kafka, KAFKA_SERVICE, PART_OF)
        redis = redis_workload(profile.redis, SECRET_NAME, "redis-password", REDIS_SERVICE, PART_OF)
        services = cloudmart_services()
        for store in (postgres, kafka):
            StatefulStore(f"{name}-{store.name}", StatefulStoreArgs(store, NAMESPACE, OWNER, platform), opts=after_secret)
        for spec in (redis, *services):
            Workload(f"{name}-{spec.name}", WorkloadArgs(spec, NAMESPACE, OWNER, platform), opts=after_secret)
        pods = NamespacePods((redis, *services), (postgres, kafka))
        for obj in namespace_limits(NAMESPACE, pods, lambda n: standard_labels(n, "quota", PART_OF, OWNER)):
            declare(f"{name}-{obj['metadata']['name'].removeprefix(NAMESPACE + '-')}", obj, inside)
        after_controller = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, *args.ingress_depends_on])
        declare(f"{name}-ingress", cloudmart_ingress(platform), after_controller)
        self.services = [s.name for s in services]
        self.register_outputs({"namespace": NAMESPACE, "services": self.services})


def node_ports() -> tuple[int, ...]:
    """NodePorts CloudMart publishes where the platform maps them (seed 000: 30080-30082)."""
    return tuple(e.node_port for e in SERVICES if e.node_port)


def urls(platform: Platform) -> dict[str, str]:
    """Where a browser reaches each service: the seed's localhost-mapped NodePorts (kind),
    and every service through the ingress (``<name>-ingress``)."""
    scheme = "https" if platform.tls else "http"
    host = platform.ingress_host or "localhost"
    out = {f"{e.name}-ingress": f"{scheme}://{host}{ingress_path(e)}" for e in SERVICES}
    if platform.node_ports:
        out.update({e.name: f"http://localhost:{e.node_port}" for e in SERVICES if e.node_port})
    return out
