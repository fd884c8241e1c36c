"""Data stores: generated credentials, StatefulSets with claims, and the store catalogue.

``StatefulStore`` runs one database as a StatefulSet behind a headless Service, with a
``volumeClaimTemplate`` whose claims are retained when the StatefulSet is deleted or scaled.
``GeneratedSecret`` makes a Kubernetes Secret whose values come from pulumi-random.
The catalogue functions (``postgres_store``, ``redis_workload``, ``kafka_kraft_store``)
return pure specs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.declare import declare
from components.manifests import (
    claim_spec,
    metadata,
    pod_spec,
    selector_labels,
    service_account_manifest,
    standard_labels,
)
from components.placement import pod_placement
from components.platform import Platform
from components.profiles import DataStoreSizes
from components.specs import (
    CommandProbe,
    Container,
    EnvVar,
    Mount,
    Ownership,
    Port,
    ServicePort,
    Volume,
    WorkloadSpec,
)

# Images run as these users (their Dockerfiles' own non-root accounts).
POSTGRES_IMAGE, POSTGRES_UID = "postgres:17.6-alpine", 70
REDIS_IMAGE, REDIS_UID = "redis:7.0-alpine", 999
KAFKA_KRAFT_IMAGE, KAFKA_KRAFT_UID = "apache/kafka:3.9.1", 1000
# Where a container finds the Secret keys it is given as files (mode 0440, group fsGroup).
SECRETS_DIR = "/run/secrets/credentials"
REDIS_CONFIG_KEY = "redis.conf"


@dataclass(frozen=True)
class StoreSpec:
    """One StatefulSet data store.

    The volumeClaimTemplate is ``<name>-storage``, so claims are ``<name>-storage-<name>-0``
    (seed 004: ``mysql-storage-mysql-0``) and a re-created StatefulSet of the same name
    reattaches them. The container must mount that volume.
    """

    name: str
    service_name: str
    container: Container
    port: ServicePort
    storage_gi: int
    part_of: str
    fs_group: int
    init_containers: tuple[Container, ...] = ()
    volumes: tuple[Volume, ...] = ()

    def __post_init__(self) -> None:
        if not any(m.volume == self.claim for m in self.container.mounts):
            raise ValueError(f"{self.name}: the container must mount its claim {self.claim}")

    @property
    def claim(self) -> str:
        return f"{self.name}-storage"


def store_labels(spec: StoreSpec, owner: Ownership) -> dict[str, str]:
    return standard_labels(spec.name, "database", spec.part_of, owner)


def headless_service_manifest(spec: StoreSpec, namespace: str, owner: Ownership) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(spec.service_name, namespace, store_labels(spec, owner)),
        "spec": {
            "clusterIP": "None",
            "selector": selector_labels(spec.name),
            "ports": [
                {"name": spec.port.name, "port": spec.port.port, "targetPort": spec.port.target_port, "protocol": "TCP"}
            ],
        },
    }


def statefulset_manifest(spec: StoreSpec, namespace: str, owner: Ownership, platform: Platform) -> dict:
    labels = store_labels(spec, owner)
    container = spec.container
    pod = pod_spec((container,), spec.volumes, spec.init_containers, spec.fs_group, spec.name)
    # A single replica with a volume: on-demand base nodes only, never Spot.
    pod.update(pod_placement(platform.placement, "base"))
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata(spec.name, namespace, labels),
        "spec": {
            "serviceName": spec.service_name,
            "replicas": 1,
            "selector": {"matchLabels": selector_labels(spec.name)},
            # Claims outlive the StatefulSet: deleting or scaling it never deletes data.
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "template": {
                "metadata": {"labels": labels},
                "spec": pod,
            },
            "volumeClaimTemplates": [
                {"metadata": {"name": spec.claim, "labels": labels}, "spec": claim_spec(spec.storage_gi, platform.storage_class)}
            ],
        },
    }


@dataclass(frozen=True)
class StatefulStoreArgs:
    spec: StoreSpec
    namespace: str
    owner: Ownership
    platform: Platform


class StatefulStore(pulumi.ComponentResource):
    """A ServiceAccount, a headless Service and a StatefulSet with a retained claim.

    The StatefulSet is ``retain_on_delete``: ``pulumi destroy`` leaves it (and its claim) in
    the cluster, so a later ``pulumi up`` re-adopts the data. Outputs: ``service_name``.
    """

    def __init__(self, name: str, args: StatefulStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:data:StatefulStore", name, None, opts)
        labels = store_labels(args.spec, args.owner)
        account = declare(
            f"{name}-serviceaccount",
            service_account_manifest(args.spec.name, args.namespace, labels),
            pulumi.ResourceOptions(parent=self),
        )
        svc = headless_service_manifest(args.spec, args.namespace, args.owner)
        self.service = k8s.core.v1.Service(
            f"{name}-service", metadata=svc["metadata"], spec=svc["spec"], opts=pulumi.ResourceOptions(parent=self)
        )
        sts = statefulset_manifest(args.spec, args.namespace, args.owner, args.platform)
        self.statefulset = k8s.apps.v1.StatefulSet(
            f"{name}-statefulset",
            metadata=sts["metadata"],
            spec=sts["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.service, account], retain_on_delete=True),
        )
        self.service_name = self.service.metadata.name
        self.register_outputs({"service_name": self.service_name})


@dataclass(frozen=True)
class GeneratedSecretArgs:
    """``keys`` become Secret keys, each a fresh random password of ``length`` characters.
    ``literals`` are non-secret companions (user names, database names) stored alongside.
    ``derived`` are ``(key, password key, template)``: files built from a password, such as
    Redis's ``requirepass {password}`` config, so no password goes on a command line."""

    secret_name: str
    namespace: str
    keys: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]
    literals: tuple[tuple[str, str], ...] = ()
    derived: tuple[tuple[str, str, str], ...] = ()
    length: int = 24


class GeneratedSecret(pulumi.ComponentResource):
    """A Kubernetes Secret filled by pulumi-random. Passwords exist only in state (encrypted)
    and in the cluster; the ``passwords`` output stays secret."""

    def __init__(self, name: str, args: GeneratedSecretArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:data:GeneratedSecret", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Alphanumeric only: the values end up in connection strings and shell arguments.
        self.passwords = {
            key: random.RandomPassword(f"{name}-{key}", length=args.length, special=False, opts=child).result
            for key in args.keys
        }
        data: dict[str, pulumi.Input[str]] = {**dict(args.literals), **self.passwords}
        for key, source, template in args.derived:
            data[key] = self.passwords[source].apply(lambda pw, t=template: t.format(password=pw))
        self.secret = k8s.core.v1.Secret(
            f"{name}-secret",
            metadata={"name": args.secret_name, "namespace": args.namespace, "labels": dict(args.labels)},
            type="Opaque",
            string_data=data,
            opts=child,
        )
        self.secret_name = self.secret.metadata.name
        self.register_outputs({"secret_name": self.secret_name})


def postgres_store(sizes: DataStoreSizes, secret: str, database: str, user: str, part_of: str) -> StoreSpec:
    """PostgreSQL 17 with the password from ``secret`` (key ``postgres-password``).

    ``pg_isready`` gates readiness; the root filesystem stays read-only, with emptyDirs for the
    socket directory and /tmp.
    """
    ready = ("pg_isready", "-U", user, "-d", database, "-h", "127.0.0.1")
    container = Container(
        name="postgres",
        image=POSTGRES_IMAGE,
        resources=sizes.resources,
        run_as_user=POSTGRES_UID,
        ports=(Port("postgres", 5432),),
        env=(
            EnvVar("POSTGRES_DB", database),
            EnvVar("POSTGRES_USER", user),
            # The image reads *_FILE variables: the password never sits in the environment.
            # Ref: https://hub.docker.com/_/postgres (Docker Secrets)
            EnvVar("POSTGRES_PASSWORD_FILE", f"{SECRETS_DIR}/postgres-password"),
            EnvVar("PGDATA", "/var/lib/postgresql/data/pgdata"),
        ),
        liveness=CommandProbe(30, 10, command=ready),
        readiness=CommandProbe(5, 5, command=ready),
        mounts=(
            Mount("postgres-storage", "/var/lib/postgresql/data"),
            Mount("run", "/var/run/postgresql"),
            Mount("tmp", "/tmp"),
            Mount("credentials", SECRETS_DIR, read_only=True),
        ),
    )
    return StoreSpec(
        name="postgres",
        service_name="postgres-service",
        container=container,
        port=ServicePort("postgres", 5432, "postgres"),
        storage_gi=sizes.storage_gi,
        part_of=part_of,
        fs_group=POSTGRES_UID,
        volumes=(
            Volume("run", empty_dir_limit_mi=16),
            Volume("tmp", empty_dir_limit_mi=64),
            Volume("credentials", secret=secret, items=(("postgres-password", "postgres-password"),)),
        ),
    )


def redis_config(password_key: str) -> tuple[str, str, str]:
    """The Secret key holding Redis's auth config, for ``GeneratedSecretArgs.derived``."""
    return (REDIS_CONFIG_KEY, password_key, "requirepass {password}\n")


def redis_workload(sizes: DataStoreSizes, secret: str, password_key: str, name: str, part_of: str) -> WorkloadSpec:
    """A password-protected Redis cache as a Deployment whose Service shares its ``name``
    (seed 004: AOF on, ``maxmemory 100mb`` with LRU eviction, data on an ``emptyDir`` capped
    at 200Mi).

    The password reaches Redis only as a file: ``redis.conf`` (``requirepass``, from the
    Secret key that ``redis_config`` derives) is the server's config file, and the readiness
    probe hands the password to ``redis-cli`` through ``REDISCLI_AUTH`` (an environment
    variable of the probe's process, filled by ``cat`` of the file). The password appears on
    no command line, so not in the process list.
    Ref: https://redis.io/docs/latest/develop/tools/cli/ (REDISCLI_AUTH)
    """
    auth = f"{SECRETS_DIR}/password"
    auth_ping = ("sh", "-c", f'REDISCLI_AUTH="$(cat {auth})" redis-cli ping | grep -q PONG')
    container = Container(
        name="redis",
        image=REDIS_IMAGE,
        resources=sizes.resources,
        run_as_user=REDIS_UID,
        ports=(Port("redis", 6379),),
        command=("redis-server", f"{SECRETS_DIR}/{REDIS_CONFIG_KEY}"),
        args=(
            "--appendonly", "yes",
            "--maxmemory", "100mb",
            "--maxmemory-policy", "allkeys-lru",
        ),
        liveness=CommandProbe(15, 10, tcp_port=6379),
        readiness=CommandProbe(5, 5, command=auth_ping),
        mounts=(Mount("data", "/data"), Mount("credentials", SECRETS_DIR, read_only=True)),
    )
    return WorkloadSpec(
        name=name,
        containers=(container,),
        replicas=1,
        service_ports=(ServicePort("redis", 6379, "redis"),),
        component="cache",
        part_of=part_of,
        volumes=(
            Volume("data", empty_dir_limit_mi=200),
            Volume("credentials", secret=secret, items=((password_key, "password"), (REDIS_CONFIG_KEY, REDIS_CONFIG_KEY))),
        ),
        fs_group=REDIS_UID,
    )


def kafka_kraft_store(sizes: DataStoreSizes, service_name: str, part_of: str) -> StoreSpec:
    """A single Apache Kafka broker in KRaft mode (no ZooKeeper), topics auto-created.

    The image writes its server.properties at start, so its root filesystem stays writable.
    Ref: https://hub.docker.com/r/apache/kafka (environment-variable configuration).
    """
    env = (
        EnvVar("KAFKA_NODE_ID", "1"),
        EnvVar("KAFKA_PROCESS_ROLES", "broker,controller"),
        EnvVar("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093"),
        EnvVar("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://{service_name}:9092"),
        EnvVar("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
        EnvVar("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"),
        EnvVar("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093"),
        EnvVar("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1"),
        EnvVar("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1"),
        EnvVar("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1"),
        EnvVar("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true"),
        EnvVar("KAFKA_LOG_DIRS", "/var/lib/kafka/data/logs"),
        EnvVar("KAFKA_HEAP_OPTS", "-Xms256m -Xmx256m"),
    )
    container = Container(
        name="kafka",
        image=KAFKA_KRAFT_IMAGE,
        resources=sizes.resources,
        run_as_user=KAFKA_KRAFT_UID,
        ports=(Port("kafka", 9092), Port("controller", 9093)),
        env=env,
        startup=CommandProbe(10, 5, tcp_port=9092, failure_threshold=30),
        liveness=CommandProbe(0, 15, tcp_port=9092),
        readiness=CommandProbe(0, 10, tcp_port=9092),
        mounts=(Mount("kafka-storage", "/var/lib/kafka/data"),),
        read_only_root=False,
    )
    return StoreSpec(
        name="kafka",
        service_name=service_name,
        container=container,
        port=ServicePort("kafka", 9092, "kafka"),
        storage_gi=sizes.storage_gi,
        part_of=part_of,
        fs_group=KAFKA_KRAFT_UID,
    )

