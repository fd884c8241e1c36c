"""CloudMart as seed 000 describes it: five services, their sizes, probes, HPAs, ports and data layer."""

from __future__ import annotations

import dataclasses

import pytest

from components import cloudmart
from components.cloudmart import cloudmart_services, namespace_manifest, nginx_conf
from components.datastores import kafka_kraft_store, postgres_store, redis_workload
from components.platform import Platform
from components.profiles import PROFILES
from components.quota import NamespacePods, limit_range_manifest, namespace_ceiling, resource_quota_manifest
from components.specs import parse_cpu_m, parse_memory_mi
from components.workload import deployment_manifest, hpa_manifest, service_manifest

SPECS = {s.name: s for s in cloudmart_services()}
KIND = Platform(name="kind", exposure="NodePort", ingress_class="nginx")


def test_namespace_is_labelled_for_cost_tracking():
    meta = namespace_manifest()["metadata"]
    assert meta["name"] == "cloudmart"
    assert {"project": "cloudmart", "team": "platform", "cost-center": "CC-2001", "app.kubernetes.io/part-of": "cloudmart"}.items() <= meta["labels"].items()


def test_all_five_services_exist():
    assert set(SPECS) == {"user-service", "product-service", "order-service", "payment-service", "notification-service"}


@pytest.mark.parametrize(
    "name,replicas,requests,limits",
    [
        ("user-service", 2, ("100m", "128Mi"), ("300m", "256Mi")),
        ("product-service", 3, ("150m", "256Mi"), ("500m", "512Mi")),
        ("order-service", 2, ("100m", "128Mi"), ("300m", "256Mi")),
    ],
)
def test_seed_replicas_requests_and_limits(name, replicas, requests, limits):
    deployment = deployment_manifest(SPECS[name], "cloudmart", cloudmart.OWNER)
    assert deployment["spec"]["replicas"] == replicas
    app = deployment["spec"]["template"]["spec"]["containers"][0]
    assert (app["resources"]["requests"]["cpu"], app["resources"]["requests"]["memory"]) == requests
    assert (app["resources"]["limits"]["cpu"], app["resources"]["limits"]["memory"]) == limits


@pytest.mark.parametrize("name", sorted(SPECS))
def test_exporter_sidecar_on_9113_with_seed_resources(name):
    pod = deployment_manifest(SPECS[name], "cloudmart", cloudmart.OWNER)["spec"]["template"]["spec"]
    exporter = pod["containers"][1]
    assert exporter["image"] == "nginx/nginx-prometheus-exporter:0.11.0"
    assert exporter["args"] == ["-nginx.scrape-uri=http://localhost:8080/stub_status"]
    assert exporter["ports"][0]["containerPort"] == 9113
    assert exporter["resources"] == {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "50m", "memory": "64Mi"}}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_seed_probe_timings(name):
    app = deployment_manifest(SPECS[name], "cloudmart", cloudmart.OWNER)["spec"]["template"]["spec"]["containers"][0]
    assert app["livenessProbe"]["httpGet"] == {"path": "/health", "port": 8080}
    assert (app["livenessProbe"]["initialDelaySeconds"], app["livenessProbe"]["periodSeconds"]) == (30, 10)
    assert app["readinessProbe"]["httpGet"] == {"path": "/ready", "port": 8080}
    assert (app["readinessProbe"]["initialDelaySeconds"], app["readinessProbe"]["periodSeconds"]) == (10, 5)


@pytest.mark.parametrize("title", ["User", "Product", "Order", "Payment", "Notification"])
def test_nginx_config_answers_the_seed_locations(title):
    conf = nginx_conf(title)
    for location in ("location /health", "location /ready", "location /stub_status", "location /"):
        assert location in conf
    assert f'return 200 "{title} Service v1.0 - CloudMart\\n";' in conf
    assert "listen 8080;" in conf
    assert "pid /tmp/nginx.pid;" in conf  # writable only under /tmp with a read-only root


@pytest.mark.parametrize("name", sorted(SPECS))
def test_service_has_http_and_metrics_ports(name):
    ports = service_manifest(SPECS[name], "cloudmart", cloudmart.OWNER, KIND)["spec"]["ports"]
    assert [(p["name"], p["port"], p["targetPort"]) for p in ports] == [("http", 80, 8080), ("metrics", 9113, 9113)]


def test_node_ports_30080_to_30082_on_kind():
    node_ports = {
        name: service_manifest(SPECS[name], "cloudmart", cloudmart.OWNER, KIND)["spec"]["ports"][0].get("nodePort")
        for name in SPECS
    }
    assert node_ports == {
        "user-service": 30080,
        "product-service": 30081,
        "order-service": 30082,
        "payment-service": None,
        "notification-service": None,
    }
    assert cloudmart.node_ports() == (30080, 30081, 30082)


def test_user_hpa_follows_the_seed_exactly():
    hpa = hpa_manifest(SPECS["user-service"], "cloudmart", cloudmart.OWNER)["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 8)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["metrics"]}
    assert targets == {"cpu": 70, "memory": 80}
    assert hpa["behavior"] == {
        "scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]},
        "scaleUp": {"stabilizationWindowSeconds": 0, "policies": [{"type": "Percent", "value": 100, "periodSeconds": 30}]},
    }


@pytest.mark.parametrize(
    "name,bounds", [("product-service", (2, 10)), ("order-service", (1, 6)), ("payment-service", (2, 6)), ("notification-service", (1, 5))]
)
def test_hpa_bounds_at_cpu_70(name, bounds):
    hpa = hpa_manifest(SPECS[name], "cloudmart", cloudmart.OWNER)["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == bounds
    assert [m["resource"]["target"]["averageUtilization"] for m in hpa["metrics"] if m["resource"]["name"] == "cpu"] == [70]


@pytest.mark.parametrize(
    "name,variables",
    [
        ("user-service", {"DB_HOST": "postgres-service"}),
        ("product-service", {"REDIS_HOST": "redis-service"}),
        ("order-service", {"KAFKA_BROKERS": "kafka-service:9092"}),
    ],
)
def test_env_points_at_the_data_layer(name, variables):
    app = deployment_manifest(SPECS[name], "cloudmart", cloudmart.OWNER)["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in app["env"]}
    assert env["SERVICE_NAME"] == name
    for key, value in variables.items():
        assert env[key] == value


def test_data_layer_service_names_match_the_env_vars():
    dev = PROFILES["dev"]
    assert postgres_store(dev.postgres, "s", "db", "u", "cloudmart").service_name == "postgres-service"
    assert redis_workload(dev.redis, "s", "k", cloudmart.REDIS_SERVICE, "cloudmart").name == "redis-service"
    kafka = kafka_kraft_store(dev.kafka, cloudmart.KAFKA_SERVICE, "cloudmart")
    assert kafka.service_name == "kafka-service"
    env = {e.name: e.value for e in kafka.container.env}
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft: no ZooKeeper
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka-service:9092"


def _quota_inputs():
    dev = PROFILES["dev"]
    workloads = (redis_workload(dev.redis, "s", "k", "redis-service", "cloudmart"), *cloudmart_services())
    stores = (postgres_store(dev.postgres, "s", "db", "u", "cloudmart"), kafka_kraft_store(dev.kafka, "kafka-service", "cloudmart"))
    return workloads, stores


def test_quota_fits_every_workload_at_its_hpa_maximum_plus_a_surge_pod():
    workloads, stores = _quota_inputs()
    hard = resource_quota_manifest("q", "cloudmart", NamespacePods(workloads, stores), {})["spec"]["hard"]
    # Independent sum: per pod (app + exporter) x (HPA max + 1 surge), plus the stores.
    expected_cpu = sum(
        sum(c.resources.cpu_request_m for c in w.containers) * (w.max_replicas + 1) for w in workloads
    ) + sum(s.container.resources.cpu_request_m for s in stores)
    assert parse_cpu_m(hard["requests.cpu"]) >= expected_cpu
    assert int(hard["pods"]) == sum(w.max_replicas + 1 for w in workloads) + len(stores)
    ceiling, _ = namespace_ceiling(NamespacePods(workloads, stores))
    assert parse_memory_mi(hard["limits.memory"]) >= ceiling.memory_limit_mi


def test_limit_range_admits_the_smallest_and_largest_container():
    workloads, stores = _quota_inputs()
    limits = limit_range_manifest("l", "cloudmart", NamespacePods(workloads, stores), {})["spec"]["limits"][0]
    assert parse_cpu_m(limits["min"]["cpu"]) <= 10  # the seed's exporter sidecar requests 10m
    assert parse_memory_mi(limits["min"]["memory"]) <= 16
    largest = max(c.resources.cpu_limit_m for w in workloads for c in w.containers)
    assert parse_cpu_m(limits["max"]["cpu"]) >= largest


def test_a_store_whose_container_does_not_mount_its_claim_is_rejected():
    good = postgres_store(PROFILES["dev"].postgres, "s", "db", "u", "cloudmart")
    assert good.claim == "postgres-storage"
    with pytest.raises(ValueError, match="must mount its claim postgres-storage"):
        dataclasses.replace(good, container=dataclasses.replace(good.container, mounts=()))
