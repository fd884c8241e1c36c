"""Sizes per environment, as typed data in one place.

A profile carries what differs between dev, staging, prod and eks: data-store sizes and
storage, and whether data outlives ``pulumi destroy``. Seed-fixed sizes (the CloudMart
services of seed 000) live in their component catalogue, not here, because they do not vary.
Nothing here imports Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.observability.sizes import DEV as _OBS_DEV
from components.observability.sizes import PROD as _OBS_PROD
from components.observability.sizes import STAGING as _OBS_STAGING
from components.observability.sizes import ObservabilitySizes
from components.specs import Resources


@dataclass(frozen=True)
class DataStoreSizes:
    """Resources and claim size of one data store."""

    resources: Resources
    storage_gi: int = 0


@dataclass(frozen=True)
class TripSizes:
    """Trip Currency (seed 004) for one environment.

    Attributes:
        environment: ``ENVIRONMENT`` in ``trip-service-config`` and the namespace suffix
            (``trip-service-<environment>``); eks runs as ``prod``.
        log_level: ``LOG_LEVEL`` in ``trip-service-config``.
        replicas: replicas of the three APIs and the frontend (seed table: 1, 2, 3, 3).
        image_tag: tag of the ``korgosu/*`` images; ``None`` means the stack must pin one
            in config (``tripImageTag``), as prod and eks do with a build tag.
        api, frontend, ingestor: per-container resources of the seed's services.
        redis, kafka, zookeeper, mysql, mongodb: data stores (``storage_gi`` is the claim).
        kafka_ui: the Kafka UI container.
    """

    environment: str
    log_level: str
    replicas: int
    image_tag: str | None
    api: Resources
    frontend: Resources
    ingestor: Resources
    redis: DataStoreSizes
    kafka: DataStoreSizes
    zookeeper: DataStoreSizes
    kafka_ui: Resources
    mysql: DataStoreSizes
    mongodb: DataStoreSizes


# Seed 004 fixes the APIs, frontend, ingestor, Redis and Kafka requests; it leaves MySQL,
# MongoDB, ZooKeeper and Kafka UI open. On dev those are trimmed hard (25m or 20m CPU) so the
# whole trip namespace requests at most 0.75 vCPU and 2.2 GiB: the laptop bound of 2.8 vCPU /
# 7 GiB for the dev stack. Their limits stay generous, so they still start; they are slow.
_TRIP_SEED_INGESTOR = Resources(100, 256, 500, 512)
_TRIP_SEED_REDIS = DataStoreSizes(Resources(100, 128, 200, 256))
_TRIP_SEED_KAFKA_RESOURCES = Resources(100, 256, 500, 512)

_TRIP_DEV = TripSizes(
    environment="dev",
    log_level="debug",
    replicas=1,
    image_tag="dev-latest",
    api=Resources(100, 256, 500, 384),
    frontend=Resources(50, 32, 200, 64),
    ingestor=_TRIP_SEED_INGESTOR,
    redis=_TRIP_SEED_REDIS,
    kafka=DataStoreSizes(_TRIP_SEED_KAFKA_RESOURCES, storage_gi=1),
    zookeeper=DataStoreSizes(Resources(20, 128, 250, 384), storage_gi=1),
    kafka_ui=Resources(20, 128, 250, 512),
    mysql=DataStoreSizes(Resources(25, 320, 500, 768), storage_gi=10),
    mongodb=DataStoreSizes(Resources(25, 192, 500, 512), storage_gi=10),
)

# Staging sits between dev and prod ("in between" in seed 004's table).
_TRIP_STAGING = TripSizes(
    environment="staging",
    log_level="info",
    replicas=2,
    image_tag="staging-latest",
    api=Resources(100, 256, 500, 448),
    frontend=Resources(75, 128, 350, 256),
    ingestor=_TRIP_SEED_INGESTOR,
    redis=_TRIP_SEED_REDIS,
    kafka=DataStoreSizes(_TRIP_SEED_KAFKA_RESOURCES, storage_gi=5),
    zookeeper=DataStoreSizes(Resources(50, 256, 500, 512), storage_gi=2),
    kafka_ui=Resources(50, 256, 500, 512),
    mysql=DataStoreSizes(Resources(100, 512, 1000, 1024), storage_gi=10),
    mongodb=DataStoreSizes(Resources(100, 384, 1000, 768), storage_gi=10),
)

_TRIP_PROD = TripSizes(
    environment="prod",
    log_level="info",
    replicas=3,
    image_tag=None,
    api=Resources(100, 256, 500, 512),
    frontend=Resources(100, 256, 500, 512),
    ingestor=_TRIP_SEED_INGESTOR,
    redis=_TRIP_SEED_REDIS,
    kafka=DataStoreSizes(_TRIP_SEED_KAFKA_RESOURCES, storage_gi=10),
    zookeeper=DataStoreSizes(Resources(100, 256, 500, 512), storage_gi=5),
    kafka_ui=Resources(100, 256, 500, 512),
    mysql=DataStoreSizes(Resources(250, 768, 1000, 1536), storage_gi=10),
    mongodb=DataStoreSizes(Resources(250, 512, 1000, 1024), storage_gi=10),
)


@dataclass(frozen=True)
class Profile:
    """One environment's sizes.

    Attributes:
        name: ``dev``, ``staging``, ``prod`` or ``eks``.
        retain_data: keep data namespaces (and so their claims) on ``pulumi destroy``.
            Off for dev, where the kind cluster itself is thrown away.
        postgres, redis, kafka: CloudMart's data layer.
        observability: the monitoring, logging and tracing stack (components/observability/sizes.py).
        trip: Trip Currency's sizes, replicas and image tag (seed 004).
    """

    name: str
    retain_data: bool
    postgres: DataStoreSizes
    redis: DataStoreSizes
    kafka: DataStoreSizes
    observability: ObservabilitySizes
    trip: TripSizes


# The dev sizes are the smallest that start reliably: Kafka's JVM needs its heap (256 MiB,
# set in the component) plus metaspace; Redis's limit sits above its 100 MB maxmemory.
_DEV = Profile(
    name="dev",
    retain_data=False,
    postgres=DataStoreSizes(Resources(50, 128, 500, 512), storage_gi=2),
    redis=DataStoreSizes(Resources(25, 32, 200, 160)),
    kafka=DataStoreSizes(Resources(100, 448, 1000, 768), storage_gi=2),
    observability=_OBS_DEV,
    trip=_TRIP_DEV,
)

_STAGING = Profile(
    name="staging",
    retain_data=True,
    postgres=DataStoreSizes(Resources(100, 256, 1000, 1024), storage_gi=5),
    redis=DataStoreSizes(Resources(50, 64, 200, 160)),
    kafka=DataStoreSizes(Resources(200, 512, 1000, 1024), storage_gi=5),
    observability=_OBS_STAGING,
    trip=_TRIP_STAGING,
)

_PROD = Profile(
    name="prod",
    retain_data=True,
    postgres=DataStoreSizes(Resources(250, 512, 2000, 2048), storage_gi=20),
    redis=DataStoreSizes(Resources(100, 128, 200, 256)),
    kafka=DataStoreSizes(Resources(500, 1024, 2000, 2048), storage_gi=20),
    observability=_OBS_PROD,
    trip=_TRIP_PROD,
)

PROFILES: dict[str, Profile] = {
    "dev": _DEV,
    "staging": _STAGING,
    "prod": _PROD,
    # EKS runs the prod shapes; its own differences (storage class, exposure) are platform data.
    "eks": Profile(
        name="eks", retain_data=True, postgres=_PROD.postgres, redis=_PROD.redis, kafka=_PROD.kafka,
        observability=_OBS_PROD, trip=_TRIP_PROD,
    ),
}
