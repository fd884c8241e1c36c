"""Trip Currency as seed 004 describes it: names, ports, replicas, sizes, HPAs, the CronJob,
stores, claims, ingress, config, and isolation, per environment (pure builders, no mocks)."""

from __future__ import annotations

import pytest

from components.datastores import headless_service_manifest, statefulset_manifest
from components.platform import Platform, Tls
from components.profiles import PROFILES
from components.trip_currency import catalog, network, stores
from components.trip_currency.catalog import (
    APIS,
    OWNER,
    api_spec,
    frontend_spec,
    ingestor_manifest,
    namespace_manifest,
    service_config,
    service_config_manifest,
)
from components.workload import configmap_manifest, deployment_manifest, hpa_manifest, service_manifest
from tools.validate import validate_object

KIND = Platform(name="kind", exposure="NodePort", ingress_class="nginx", ingress_namespace="ingress-nginx")
# An eks-like platform: the eks stack itself belongs to another issue.
EKS = Platform(
    name="eks",
    exposure="ClusterIP",
    ingress_class="alb",
    ingress_annotations=(("alb.ingress.kubernetes.io/scheme", "internet-facing"),),
    ingress_host="2025teamproject.store",
    tls=Tls(hosts=("2025teamproject.store",)),
    storage_class="gp3-encrypted",
    registry="716773066105.dkr.ecr.ap-northeast-2.amazonaws.com",
    cloud_provider="aws",
    region="ap-northeast-2",
)
ENVS = ("dev", "staging", "prod", "eks")
API_NAMES = ("service-currency", "service-history", "service-ranking")


def trip(env):
    return PROFILES[env].trip


def keys(env, platform=KIND):
    return tuple(service_config(trip(env), platform))


def api(env, name, platform=KIND, tag="t-1"):
    (entry,) = [a for a in APIS if a.name == name]
    return api_spec(entry, trip(env), platform, tag, keys(env, platform))


def deployment_of(spec, env):
    return deployment_manifest(spec, catalog.namespace_name(trip(env)), OWNER)


def resources(requests, limits):
    return {"requests": dict(zip(("cpu", "memory"), requests)), "limits": dict(zip(("cpu", "memory"), limits))}


@pytest.mark.parametrize("env,namespace", [("dev", "trip-service-dev"), ("staging", "trip-service-staging"), ("prod", "trip-service-prod"), ("eks", "trip-service-prod")])
def test_namespace_per_environment_carries_team_and_cost_center(env, namespace):
    meta = namespace_manifest(trip(env))["metadata"]
    assert meta["name"] == namespace
    assert meta["labels"]["team"] == "trip" and meta["labels"]["cost-center"] == "CC-3004"


@pytest.mark.parametrize("env,environment,level", [("dev", "dev", "debug"), ("staging", "staging", "info"), ("prod", "prod", "info")])
def test_service_config_has_environment_and_log_level_only_on_kind(env, environment, level):
    assert service_config_manifest(trip(env), KIND)["data"] == {"ENVIRONMENT": environment, "LOG_LEVEL": level}


def test_service_config_adds_cloud_provider_and_region_on_eks():
    data = service_config_manifest(trip("eks"), EKS)["data"]
    assert data == {"ENVIRONMENT": "prod", "LOG_LEVEL": "info", "CLOUD_PROVIDER": "aws", "REGION": "ap-northeast-2"}


@pytest.mark.parametrize("env,replicas", [("dev", 1), ("staging", 2), ("prod", 3), ("eks", 3)])
def test_replicas_per_environment(env, replicas):
    for name in API_NAMES:
        assert deployment_of(api(env, name), env)["spec"]["replicas"] == replicas
    assert deployment_of(frontend_spec(trip(env), KIND, "t"), env)["spec"]["replicas"] == replicas


@pytest.mark.parametrize(
    "env,requests,limits",
    [("dev", ("100m", "256Mi"), ("500m", "384Mi")), ("staging", ("100m", "256Mi"), ("500m", "448Mi")), ("prod", ("100m", "256Mi"), ("500m", "512Mi")), ("eks", ("100m", "256Mi"), ("500m", "512Mi"))],
)
def test_api_resources_per_environment(env, requests, limits):
    for name in API_NAMES:
        app = deployment_of(api(env, name), env)["spec"]["template"]["spec"]["containers"][0]
        assert app["resources"] == resources(requests, limits)


@pytest.mark.parametrize("name", API_NAMES)
def test_api_port_health_probes_and_prometheus_annotations(name):
    spec = api("dev", name)
    deployment = deployment_of(spec, "dev")
    app = deployment["spec"]["template"]["spec"]["containers"][0]
    assert app["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert app["livenessProbe"]["httpGet"] == {"path": "/health", "port": 8000}
    assert app["readinessProbe"]["httpGet"] == {"path": "/health", "port": 8000}
    assert deployment["spec"]["template"]["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true", "prometheus.io/port": "8000", "prometheus.io/path": "/metrics",
    }
    service = service_manifest(spec, "trip-service-dev", OWNER, KIND)
    assert service["metadata"]["name"] == name
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"][0]["port"] == 8000


def test_ranking_waits_longer_before_liveness_because_mongodb_starts_slowly():
    delay = {n: api("dev", n).containers[0].liveness.initial_delay_seconds for n in API_NAMES}
    assert delay["service-ranking"] > delay["service-currency"] == delay["service-history"]


@pytest.mark.parametrize("env", ENVS)
def test_api_hpa_is_1_to_10_at_cpu_70_and_memory_90(env):
    for name in API_NAMES:
        hpa = hpa_manifest(api(env, name), "ns", OWNER)["spec"]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (1, 10)
        targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["metrics"]}
        assert targets == {"cpu": 70, "memory": 90}


@pytest.mark.parametrize("name,store_vars", [("service-currency", "MYSQL"), ("service-history", "MYSQL"), ("service-ranking", "MONGODB")])
def test_apis_reach_their_database_with_the_secret(name, store_vars):
    env = {e["name"]: e for e in deployment_of(api("dev", name), "dev")["spec"]["template"]["spec"]["containers"][0]["env"]}
    host = "service-mysql" if store_vars == "MYSQL" else "service-mongodb"
    assert env[f"{store_vars}_HOST"]["value"] == host
    assert env[f"{store_vars}_DATABASE"]["value"] == "currency_db"
    assert env[f"{store_vars}_USER"]["value"] == "trip_user"
    key = "mysql-password" if store_vars == "MYSQL" else "mongodb-password"
    assert env[f"{store_vars}_PASSWORD"]["valueFrom"] == {"secretKeyRef": {"name": "trip-service-secrets", "key": key}}
    assert env["ENVIRONMENT"]["valueFrom"] == {"configMapKeyRef": {"name": "trip-service-config", "key": "ENVIRONMENT"}}
    assert env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "redis-password"


@pytest.mark.parametrize("name,waits_for", [("service-currency", "service-mysql 3306"), ("service-ranking", "service-mongodb 27017")])
def test_apis_wait_for_their_stores_before_starting(name, waits_for):
    (init,) = deployment_of(api("dev", name), "dev")["spec"]["template"]["spec"]["initContainers"]
    assert f"nc -z -w 2 {waits_for}" in init["command"][2]
    assert "nc -z -w 2 service-redis 6379" in init["command"][2]


@pytest.mark.parametrize("env,tag", [("dev", "dev-latest"), ("prod", "prod-63")])
def test_images_come_from_the_platform_registry_with_the_given_tag(env, tag):
    assert api(env, "service-currency", tag=tag).containers[0].image == f"docker.io/korgosu/service-currency:{tag}"
    assert api("eks", "service-history", EKS, "b7").containers[0].image.startswith("716773066105.dkr.ecr.")


@pytest.mark.parametrize(
    "env,requests,limits", [("dev", ("50m", "32Mi"), ("200m", "64Mi")), ("prod", ("100m", "256Mi"), ("500m", "512Mi"))]
)
def test_frontend_port_resources_and_hpa(env, requests, limits):
    spec = frontend_spec(trip(env), KIND, "t")
    app = deployment_of(spec, env)["spec"]["template"]["spec"]["containers"][0]
    assert app["ports"][0]["containerPort"] == 80
    assert app["resources"] == resources(requests, limits)
    hpa = hpa_manifest(spec, "ns", OWNER)["spec"]
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["metrics"]}
    assert (hpa["minReplicas"], hpa["maxReplicas"], targets) == (1, 10, {"cpu": 70, "memory": 80})


@pytest.mark.parametrize("platform,url", [(KIND, "http://localhost/api/v1"), (EKS, "https://2025teamproject.store/api/v1")])
def test_frontend_config_holds_the_api_url(platform, url):
    config = configmap_manifest(frontend_spec(trip("prod"), platform, "t"), "ns", OWNER)
    assert config["metadata"]["name"] == "frontend-config"
    assert config["data"] == {"API_URL": url}


def test_ingestor_cronjob_policy_and_resources():
    cron = ingestor_manifest(trip("dev"), KIND, "dev-latest", keys("dev"))
    spec = cron["spec"]
    assert cron["metadata"]["name"] == "service-dataingestor"
    assert (spec["schedule"], spec["concurrencyPolicy"]) == ("*/5 * * * *", "Forbid")
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 1)
    job = spec["jobTemplate"]["spec"]
    assert (job["activeDeadlineSeconds"], job["backoffLimit"]) == (600, 2)
    (container,) = job["template"]["spec"]["containers"]
    assert container["resources"] == resources(("100m", "256Mi"), ("500m", "512Mi"))
    assert {"name": "KAFKA_BOOTSTRAP_SERVERS", "value": "service-kafka:9092"} in container["env"]
    assert job["template"]["spec"]["restartPolicy"] == "Never"


STORES = {s.name: s for s in stores.trip_stores(trip("prod"))}


@pytest.mark.parametrize("name,service,port,image,claim", [
    ("mysql", "service-mysql", 3306, "mysql:8.0", "mysql-storage"),
    ("mongodb", "service-mongodb", 27017, "mongo:6.0", "mongodb-storage"),
])
@pytest.mark.parametrize("env", ENVS)
def test_databases_are_statefulsets_with_headless_services_and_10gi_claims(env, name, service, port, image, claim):
    store = {s.name: s for s in stores.trip_stores(trip(env))}[name]
    platform = EKS if env == "eks" else KIND
    svc = headless_service_manifest(store, "ns", OWNER)
    assert (svc["metadata"]["name"], svc["spec"]["clusterIP"], svc["spec"]["ports"][0]["port"]) == (service, "None", port)
    sts = statefulset_manifest(store, "ns", OWNER, platform)
    assert sts["metadata"]["name"] == name and sts["spec"]["serviceName"] == service
    assert sts["spec"]["template"]["spec"]["containers"][0]["image"] == image
    (template,) = sts["spec"]["volumeClaimTemplates"]
    assert template["metadata"]["name"] == claim
    assert template["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert template["spec"].get("storageClassName") == platform.storage_class
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}


def test_mysql_creates_currency_db_for_trip_user_with_generated_passwords():
    env = {e.name: e for e in STORES["mysql"].container.env}
    assert (env["MYSQL_DATABASE"].value, env["MYSQL_USER"].value) == ("currency_db", "trip_user")
    # Issue 9: the passwords are files of the Secret, read through the image's *_FILE variables.
    assert "MYSQL_PASSWORD" not in env and "MYSQL_ROOT_PASSWORD" not in env
    files = _secret_files(STORES["mysql"])
    assert files[env["MYSQL_PASSWORD_FILE"].value] == "mysql-password"
    assert files[env["MYSQL_ROOT_PASSWORD_FILE"].value] == "mysql-root-password"


def test_mongodb_root_password_is_a_file_of_the_secret():
    env = {e.name: e for e in STORES["mongodb"].container.env}
    assert "MONGO_INITDB_ROOT_PASSWORD" not in env
    assert _secret_files(STORES["mongodb"])[env["MONGO_INITDB_ROOT_PASSWORD_FILE"].value] == "mongodb-password"


def test_mysql_probe_logs_in_with_an_option_file_not_a_password_argument():
    probe = " ".join(STORES["mysql"].container.readiness.command)
    assert " -p" not in probe and "PASSWORD" not in probe
    cnf = _secret_files(STORES["mysql"])
    (path,) = [p for p, key in cnf.items() if key == "mysql-client.cnf"]
    assert f"--defaults-extra-file={path}" in probe
    key, source, template = stores.mysql_client_config()
    assert (key, source) == ("mysql-client.cnf", "mysql-password")
    assert template.format(password="pw") == "[client]\nuser=trip_user\npassword=pw\n"


def _secret_files(store) -> dict[str, str]:
    """Paths inside the container -> the Secret key they hold."""
    volumes = {v.name: v for v in store.volumes}
    out = {}
    for m in store.container.mounts:
        v = volumes.get(m.volume)
        if v is not None and v.secret == "trip-service-secrets":
            out.update({f"{m.path}/{path}": key for key, path in v.items})
    return out


def test_kafka_uses_zookeeper_and_auto_creates_topics():
    kafka = statefulset_manifest(STORES["kafka"], "ns", OWNER, KIND)["spec"]["template"]["spec"]
    (container,) = kafka["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert container["image"] == "confluentinc/cp-kafka:7.4.0"
    assert env["KAFKA_ZOOKEEPER_CONNECT"] == "service-zookeeper:2181"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "true"
    assert container["resources"] == resources(("100m", "256Mi"), ("500m", "512Mi"))
    assert kafka["enableServiceLinks"] is False  # no KAFKA_PORT injected into Confluent's config
    assert "nc -z -w 2 service-zookeeper 2181" in kafka["initContainers"][0]["command"][2]
    zk = headless_service_manifest(STORES["zookeeper"], "ns", OWNER)
    assert (zk["metadata"]["name"], zk["spec"]["ports"][0]["port"]) == ("service-zookeeper", 2181)
    assert STORES["zookeeper"].container.image == "confluentinc/cp-zookeeper:7.4.0"


def test_redis_follows_the_seed():
    spec = stores.trip_redis(trip("dev"))
    (container,) = deployment_of(spec, "dev")["spec"]["template"]["spec"]["containers"]
    assert spec.name == "service-redis" and container["image"] == "redis:7.0-alpine"
    assert container["args"][:6] == ["--appendonly", "yes", "--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru"]
    assert container["resources"] == resources(("100m", "128Mi"), ("200m", "256Mi"))
    assert spec.volumes[0].to_k8s() == {"name": "data", "emptyDir": {"sizeLimit": "200Mi"}}


def test_redis_reads_its_password_from_a_mounted_config_file():
    spec = stores.trip_redis(trip("dev"))
    pod = deployment_of(spec, "dev")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    argv = container["command"] + container["args"] + container["readinessProbe"]["exec"]["command"]
    assert not any("requirepass" in a or "REDIS_PASSWORD" in a or a == "-a" for a in argv)
    assert "env" not in container  # no password in the environment either
    (config,) = [a for a in container["command"] if a.endswith("redis.conf")]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    (secret,) = [v for v in pod["volumes"] if "secret" in v]
    assert secret["secret"]["secretName"] == "trip-service-secrets"
    files = {f'{mounts[secret["name"]]}/{i["path"]}': i["key"] for i in secret["secret"]["items"]}
    assert files[config] == "redis.conf"
    assert "REDISCLI_AUTH" in container["readinessProbe"]["exec"]["command"][2]


def test_kafka_ui_is_pinned_to_a_release_and_points_at_the_broker():
    (container,) = stores.kafka_ui_spec(trip("dev").kafka_ui).containers
    assert container.image == "provectuslabs/kafka-ui:v0.7.2"
    assert {(e.name, e.value) for e in container.env} >= {("KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS", "service-kafka:9092")}


@pytest.mark.parametrize("name", ["mysql", "mongodb", "zookeeper", "kafka"])
def test_every_store_has_startup_liveness_and_readiness_probes(name):
    c = STORES[name].container
    assert c.liveness and c.readiness and c.startup
    redis = stores.trip_redis(trip("dev")).containers[0]
    assert redis.liveness and redis.readiness


def test_ingress_routes_the_seed_paths_on_kind():
    ingress = network.ingress_manifest(trip("dev"), KIND)
    assert ingress["metadata"]["name"] == "trip-service-ingress"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    (rule,) = ingress["spec"]["rules"]
    assert "host" not in rule and "tls" not in ingress["spec"]
    routes = {p["path"]: (p["pathType"], p["backend"]["service"]["name"], p["backend"]["service"]["port"]["number"]) for p in rule["http"]["paths"]}
    assert routes == {
        "/api/v1/currencies": ("Prefix", "service-currency", 8000),
        "/api/v1/history": ("Prefix", "service-history", 8000),
        "/api/v1/rankings": ("Prefix", "service-ranking", 8000),
        "/": ("Prefix", "service-frontend", 80),
    }


def test_ingress_class_annotations_host_and_tls_come_from_the_platform():
    ingress = network.ingress_manifest(trip("eks"), EKS)
    assert ingress["metadata"]["namespace"] == "trip-service-prod"
    assert ingress["metadata"]["annotations"] == {"alb.ingress.kubernetes.io/scheme": "internet-facing"}
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["spec"]["rules"][0]["host"] == "2025teamproject.store"
    assert ingress["spec"]["tls"] == [{"hosts": ["2025teamproject.store"]}]


def _policies():
    """target pod -> (peer pods, peer namespaces or "<namespace>/<pod>", the one port), over
    the ingress allow policies."""
    out = {}
    for p in network.network_policies(trip("dev"), KIND):
        if not p["spec"].get("ingress"):
            continue  # the default denies, DNS and the egress policies
        peers = [f for rule in p["spec"]["ingress"] for f in rule["from"]]
        (port,) = {port["port"] for rule in p["spec"]["ingress"] for port in rule["ports"]}
        pods = {f["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for f in peers if "podSelector" in f and "namespaceSelector" not in f}
        nss = {
            f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            + (f"/{f['podSelector']['matchLabels']['app.kubernetes.io/name']}" if "podSelector" in f else "")
            for f in peers
            if "namespaceSelector" in f
        }
        target = p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        out[target] = (pods, nss, port)
    return out


@pytest.mark.parametrize("target,clients,port", [
    ("mysql", {"service-currency", "service-history"}, 3306),
    ("mongodb", {"service-ranking"}, 27017),
    ("service-redis", {"service-currency", "service-history", "service-ranking"}, 6379),
    ("kafka", {"service-currency", "service-history", "service-ranking", "service-dataingestor", "kafka-ui"}, 9092),
    ("zookeeper", {"kafka"}, 2181),
])
def test_each_store_admits_only_its_clients(target, clients, port):
    assert _policies()[target] == (clients, set(), port)


def test_ingress_controller_reaches_frontend_and_apis_and_prometheus_scrapes_the_apis():
    policies = _policies()
    assert policies["service-frontend"] == (set(), {"ingress-nginx"}, 80)
    for name in API_NAMES:
        assert policies[name] == (set(), {"ingress-nginx", "monitoring/prometheus"}, 8000)


def test_policy_selectors_match_the_pods_they_protect():
    # A policy whose selector matches no pod would leave the store open.
    pod_names = {s.name for s in STORES.values()} | {"service-redis", *API_NAMES, "service-frontend", "kafka-ui", "service-dataingestor"}
    for target, (clients, _, _) in _policies().items():
        assert target in pod_names and clients <= pod_names


def test_eks_shaped_builders_are_strict_valid():
    t = trip("eks")
    objects = [namespace_manifest(t), service_config_manifest(t, EKS), network.ingress_manifest(t, EKS)]
    objects += network.network_policies(t, EKS)
    objects.append(ingestor_manifest(t, EKS, "b7", keys("eks", EKS)))
    for entry in APIS:
        objects.append(deployment_of(api_spec(entry, t, EKS, "b7", keys("eks", EKS)), "eks"))
    objects += [statefulset_manifest(s, "trip-service-prod", OWNER, EKS) for s in stores.trip_stores(t)]
    assert [p for o in objects for p in validate_object(o)] == []
