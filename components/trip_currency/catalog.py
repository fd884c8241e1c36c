"""Trip Currency (seed 004) as data: names, ports, images, APIs, frontend, ingestor, config.

Everything here is pure: functions of the profile's ``TripSizes``, the ``Platform`` and the
image tag, returning specs or manifest dicts. The data stores live in ``stores.py``, the
ingress and NetworkPolicies in ``network.py``, and ``component.py`` registers it all.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.manifests import metadata, pod_spec, service_account_manifest, standard_labels
from components.placement import pod_placement
from components.namespaces import namespace_manifest as owned_namespace
from components.platform import Platform
from components.profiles import TripSizes
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

PART_OF = "trip-currency"
# Cost is tracked per team; CC-3004 is Trip Currency's cost centre (seed 004 names none).
OWNER = Ownership(team="trip", cost_center="CC-3004", extra=(("project", PART_OF),))
SECRET_NAME = "trip-service-secrets"
SERVICE_CONFIG = "trip-service-config"
FRONTEND_CONFIG = "frontend-config"
SECRET_KEYS = ("mysql-password", "mysql-root-password", "mongodb-password", "redis-password")
DATABASE, DB_USER = "currency_db", "trip_user"
API_PORT, FRONTEND_PORT = 8000, 80
# The team's images are not documented as non-root; these are the conventional unprivileged
# users (a Python app user, nginx's own). The README lists checking them as a live check.
APP_UID, NGINX_UID = 1000, 101
WAIT_IMAGE, WAIT_UID = "busybox:1.37.0", 65534
WAIT_RESOURCES = Resources(10, 16, 50, 32)
INGESTOR = "service-dataingestor"
FRONTEND = "service-frontend"


@dataclass(frozen=True)
class Endpoint:
    """A data store as its clients see it: pod name (selector), Service and port."""

    pod: str
    service: str
    port: int


MYSQL = Endpoint("mysql", "service-mysql", 3306)
MONGODB = Endpoint("mongodb", "service-mongodb", 27017)
REDIS = Endpoint("service-redis", "service-redis", 6379)
KAFKA = Endpoint("kafka", "service-kafka", 9092)
ZOOKEEPER = Endpoint("zookeeper", "service-zookeeper", 2181)
KAFKA_UI = Endpoint("kafka-ui", "kafka-ui", 8080)


@dataclass(frozen=True)
class ApiEntry:
    """One API of seed 004. ``uses`` are the stores it talks to (they gate its start and
    its NetworkPolicies); ``liveness_delay`` is longer for ranking, whose MongoDB
    initialises slowly."""

    name: str
    path: str
    uses: tuple[Endpoint, ...]
    liveness_delay: int = 30


# Seed 004: currency and history on MySQL, ranking on MongoDB. The seed names Redis as the
# cache and Kafka as the message queue without saying who uses them; all three APIs get both.
APIS: tuple[ApiEntry, ...] = (
    ApiEntry("service-currency", "/api/v1/currencies", (MYSQL, REDIS, KAFKA)),
    ApiEntry("service-history", "/api/v1/history", (MYSQL, REDIS, KAFKA)),
    ApiEntry("service-ranking", "/api/v1/rankings", (MONGODB, REDIS, KAFKA), liveness_delay=90),
)
INGESTOR_USES = (KAFKA,)
API_HPA = Hpa(1, 10, cpu_utilization=70, memory_utilization=90)
FRONTEND_HPA = Hpa(1, 10, cpu_utilization=70, memory_utilization=80)


def built_images() -> tuple[str, ...]:
    """The images this project builds itself (seed 004's ``korgosu/*``): the registry must
    hold a repository for each."""
    return (*(a.name for a in APIS), FRONTEND, INGESTOR)


def namespace_name(trip: TripSizes) -> str:
    return f"trip-service-{trip.environment}"


def image(platform: Platform, name: str, tag: str) -> str:
    return f"{platform.registry}/{name}:{tag}"


def namespace_manifest(trip: TripSizes) -> dict:
    """Every Trip pod meets the restricted Pod Security profile, so it is enforced."""
    return owned_namespace(namespace_name(trip), OWNER, PART_OF, "restricted")


def service_config(trip: TripSizes, platform: Platform) -> dict[str, str]:
    """``trip-service-config``: the environment, plus where it runs when the platform says."""
    data = {"ENVIRONMENT": trip.environment, "LOG_LEVEL": trip.log_level}
    if platform.cloud_provider:
        data["CLOUD_PROVIDER"] = platform.cloud_provider
    if platform.region:
        data["REGION"] = platform.region
    return data


def service_config_manifest(trip: TripSizes, platform: Platform) -> dict:
    labels = standard_labels(SERVICE_CONFIG, "config", PART_OF, OWNER)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(SERVICE_CONFIG, namespace_name(trip), labels),
        "data": service_config(trip, platform),
    }


def api_url(platform: Platform) -> str:
    """The browser reaches the APIs through the same Ingress as the frontend."""
    scheme = "https" if platform.tls else "http"
    return f"{scheme}://{platform.ingress_host or 'localhost'}/api/v1"


def store_env(store: Endpoint) -> tuple[EnvVar, ...]:
    """Connection settings for one store; passwords come from the Secret, never literals."""
    if store is MYSQL or store is MONGODB:
        prefix, key = ("MYSQL", "mysql-password") if store is MYSQL else ("MONGODB", "mongodb-password")
        return (
            EnvVar(f"{prefix}_HOST", store.service),
            EnvVar(f"{prefix}_PORT", str(store.port)),
            EnvVar(f"{prefix}_DATABASE", DATABASE),
            EnvVar(f"{prefix}_USER", DB_USER),
            EnvVar(f"{prefix}_PASSWORD", secret=SECRET_NAME, key=key),
        )
    if store is REDIS:
        return (
            EnvVar("REDIS_HOST", store.service),
            EnvVar("REDIS_PORT", str(store.port)),
            EnvVar("REDIS_PASSWORD", secret=SECRET_NAME, key="redis-password"),
        )
    return (EnvVar("KAFKA_BOOTSTRAP_SERVERS", f"{store.service}:{store.port}"),)


def config_env(keys: tuple[str, ...]) -> tuple[EnvVar, ...]:
    return tuple(EnvVar(k, config_map=SERVICE_CONFIG, key=k) for k in keys)


def wait_for(stores: tuple[Endpoint, ...], uid: int = WAIT_UID) -> Container:
    """An init container that blocks until every store's Service answers on its port.

    Headless Services resolve only to ready pods, so this waits for readiness, not just
    for the pod: the app starts once, instead of crash-looping while the stores boot.
    """
    checks = " && ".join(
        f"until nc -z -w 2 {s.service} {s.port}; do echo waiting for {s.service}; sleep 2; done" for s in stores
    )
    return Container(
        name="wait-for-stores",
        image=WAIT_IMAGE,
        resources=WAIT_RESOURCES,
        run_as_user=uid,
        command=("sh", "-c", checks),
    )


def api_spec(entry: ApiEntry, trip: TripSizes, platform: Platform, tag: str, config_keys: tuple[str, ...]) -> WorkloadSpec:
    """One API: port 8000, ``/health`` probes, Prometheus annotations, the seed's HPA."""
    env = config_env(config_keys) + tuple(e for store in entry.uses for e in store_env(store))
    app = Container(
        name=entry.name,
        image=image(platform, entry.name, tag),
        resources=trip.api,
        run_as_user=APP_UID,
        ports=(Port("http", API_PORT),),
        env=env,
        liveness=HttpProbe("/health", API_PORT, initial_delay_seconds=entry.liveness_delay, period_seconds=10),
        readiness=HttpProbe("/health", API_PORT, initial_delay_seconds=10, period_seconds=5),
        mounts=(Mount("tmp", "/tmp"),),
    )
    return WorkloadSpec(
        name=entry.name,
        containers=(app,),
        replicas=trip.replicas,
        service_ports=(ServicePort("http", API_PORT, "http"),),
        component="api",
        part_of=PART_OF,
        init_containers=(wait_for(entry.uses),),
        volumes=(Volume("tmp", empty_dir_limit_mi=64),),
        hpa=API_HPA,
        scrape=ScrapeTarget(API_PORT),
        extra_labels=(("app", entry.name),),
    )


def frontend_spec(trip: TripSizes, platform: Platform, tag: str) -> WorkloadSpec:
    """The React frontend on port 80, with ``frontend-config`` holding the API URL.

    nginx runs unprivileged on a read-only root filesystem; the paths it writes (its cache
    and temp files, its pid file) are emptyDirs. The README's manual check 8 confirms the
    image starts this way.
    """
    app = Container(
        name=FRONTEND,
        image=image(platform, FRONTEND, tag),
        resources=trip.frontend,
        run_as_user=NGINX_UID,
        ports=(Port("http", FRONTEND_PORT),),
        env=(EnvVar("API_URL", config_map=FRONTEND_CONFIG, key="API_URL"),),
        liveness=HttpProbe("/", FRONTEND_PORT, initial_delay_seconds=10, period_seconds=10),
        readiness=HttpProbe("/", FRONTEND_PORT, initial_delay_seconds=5, period_seconds=5),
        mounts=(Mount("cache", "/var/cache/nginx"), Mount("run", "/var/run"), Mount("tmp", "/tmp")),
    )
    return WorkloadSpec(
        name=FRONTEND,
        containers=(app,),
        replicas=trip.replicas,
        service_ports=(ServicePort("http", FRONTEND_PORT, "http"),),
        component="frontend",
        part_of=PART_OF,
        volumes=(
            Volume("cache", empty_dir_limit_mi=64),
            Volume("run", empty_dir_limit_mi=8),
            Volume("tmp", empty_dir_limit_mi=32),
        ),
        hpa=FRONTEND_HPA,
        config_name=FRONTEND_CONFIG,
        config=(("API_URL", api_url(platform)),),
        extra_labels=(("app", FRONTEND),),
    )


@dataclass(frozen=True)
class CronPolicy:
    """Seed 004's ingestor schedule: every five minutes, never overlapping, 10-minute cap."""

    schedule: str = "*/5 * * * *"
    concurrency: str = "Forbid"
    active_deadline_seconds: int = 600
    backoff_limit: int = 2
    successful_history: int = 3
    failed_history: int = 1


INGESTOR_POLICY = CronPolicy()


def ingestor_container(trip: TripSizes, platform: Platform, tag: str, config_keys: tuple[str, ...]) -> Container:
    return Container(
        name=INGESTOR,
        image=image(platform, INGESTOR, tag),
        resources=trip.ingestor,
        run_as_user=APP_UID,
        env=config_env(config_keys) + tuple(e for s in INGESTOR_USES for e in store_env(s)),
        mounts=(Mount("tmp", "/tmp"),),
    )


def ingestor_labels() -> dict[str, str]:
    return standard_labels(INGESTOR, "ingestor", PART_OF, OWNER)


def ingestor_service_account(trip: TripSizes) -> dict:
    return service_account_manifest(INGESTOR, namespace_name(trip), ingestor_labels())


def ingestor_manifest(trip: TripSizes, platform: Platform, tag: str, config_keys: tuple[str, ...]) -> dict:
    """The data-ingestor CronJob; it publishes to Kafka, so it waits for Kafka first."""
    policy, ns = INGESTOR_POLICY, namespace_name(trip)
    labels = ingestor_labels()
    pod = pod_spec(
        (ingestor_container(trip, platform, tag, config_keys),),
        (Volume("tmp", empty_dir_limit_mi=64),),
        (wait_for(INGESTOR_USES),),
        service_account=INGESTOR,
    )
    pod["restartPolicy"] = "Never"
    pod.update(pod_placement(platform.placement, "base"))
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": metadata(INGESTOR, ns, labels),
        "spec": {
            "schedule": policy.schedule,
            "concurrencyPolicy": policy.concurrency,
            "successfulJobsHistoryLimit": policy.successful_history,
            "failedJobsHistoryLimit": policy.failed_history,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {
                    "activeDeadlineSeconds": policy.active_deadline_seconds,
                    "backoffLimit": policy.backoff_limit,
                    "template": {"metadata": {"labels": labels}, "spec": pod},
                },
            },
        },
    }
