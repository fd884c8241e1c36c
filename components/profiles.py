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
class Profile:
    """One environment's sizes.

    Attributes:
        name: ``dev``, ``staging``, ``prod`` or ``eks``.
        retain_data: keep data namespaces (and so their claims) on ``pulumi destroy``.
            Off for dev, where the kind cluster itself is thrown away.
        postgres, redis, kafka: CloudMart's data layer.
        observability: the monitoring, logging and tracing stack (components/observability/sizes.py).
    """

    name: str
    retain_data: bool
    postgres: DataStoreSizes
    redis: DataStoreSizes
    kafka: DataStoreSizes
    observability: ObservabilitySizes


# The dev sizes are the smallest that start reliably: Kafka's JVM needs its heap (256 MiB,
# set in the component) plus metaspace; Redis's limit sits above its 100 MB maxmemory.
_DEV = Profile(
    name="dev",
    retain_data=False,
    postgres=DataStoreSizes(Resources(50, 128, 500, 512), storage_gi=2),
    redis=DataStoreSizes(Resources(25, 32, 200, 160)),
    kafka=DataStoreSizes(Resources(100, 448, 1000, 768), storage_gi=2),
    observability=_OBS_DEV,
)

_STAGING = Profile(
    name="staging",
    retain_data=True,
    postgres=DataStoreSizes(Resources(100, 256, 1000, 1024), storage_gi=5),
    redis=DataStoreSizes(Resources(50, 64, 200, 160)),
    kafka=DataStoreSizes(Resources(200, 512, 1000, 1024), storage_gi=5),
    observability=_OBS_STAGING,
)

_PROD = Profile(
    name="prod",
    retain_data=True,
    postgres=DataStoreSizes(Resources(250, 512, 2000, 2048), storage_gi=20),
    redis=DataStoreSizes(Resources(100, 128, 200, 256)),
    kafka=DataStoreSizes(Resources(500, 1024, 2000, 2048), storage_gi=20),
    observability=_OBS_PROD,
)

PROFILES: dict[str, Profile] = {
    "dev": _DEV,
    "staging": _STAGING,
    "prod": _PROD,
    # EKS runs the prod shapes; its own differences (storage class, exposure) are platform data.
    "eks": Profile(
        name="eks", retain_data=True, postgres=_PROD.postgres, redis=_PROD.redis, kafka=_PROD.kafka,
        observability=_OBS_PROD,
    ),
}
