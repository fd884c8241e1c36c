"""Trip Currency's data stores (seed 004) as pure specs: MySQL 8.0 and MongoDB 6.0 with
10Gi claims, Redis 7.0 (the foundation's ``redis_workload``), Kafka with ZooKeeper, Kafka UI.

Every store has probes; every store that another store depends on gates that one's start
with an init container (Kafka waits for ZooKeeper).
"""

from __future__ import annotations

from components.datastores import SECRETS_DIR, StoreSpec, redis_workload
from components.profiles import DataStoreSizes, TripSizes
from components.specs import (
    CommandProbe,
    Container,
    EnvVar,
    HttpProbe,
    Mount,
    Port,
    Resources,
    ServicePort,
    Volume,
    WorkloadSpec,
)
from components.trip_currency.catalog import (
    DATABASE,
    DB_USER,
    KAFKA,
    KAFKA_UI,
    MONGODB,
    MYSQL,
    PART_OF,
    REDIS,
    SECRET_NAME,
    WAIT_IMAGE,
    WAIT_RESOURCES,
    ZOOKEEPER,
    wait_for,
)

# Images and the non-root users their Dockerfiles define.
MYSQL_IMAGE, MYSQL_UID = "mysql:8.0", 999
MONGODB_IMAGE, MONGODB_UID = "mongo:6.0", 999
KAFKA_IMAGE, ZOOKEEPER_IMAGE, CONFLUENT_UID = "confluentinc/cp-kafka:7.4.0", "confluentinc/cp-zookeeper:7.4.0", 1000
# Pinned: seed 004 used ``latest``. v0.7.2 is the last release of provectuslabs/kafka-ui.
# Ref: https://github.com/provectus/kafka-ui/releases/tag/v0.7.2
KAFKA_UI_IMAGE, KAFKA_UI_UID = "provectuslabs/kafka-ui:v0.7.2", 100
# JVM heaps sit well inside each container's smallest (dev) limit.
KAFKA_HEAP, ZOOKEEPER_HEAP, KAFKA_UI_HEAP = "-Xms256m -Xmx256m", "-Xms128m -Xmx128m", "-Xms64m -Xmx256m"
# A MySQL option file for trip_user, derived into the Secret: the readiness probe logs in
# with it, so the password is on no command line. Ref: https://dev.mysql.com/doc/refman/8.0/en/option-files.html
MYSQL_CLIENT_CNF = "mysql-client.cnf"
MYSQL_CLIENT_TEMPLATE = "[client]\nuser=" + DB_USER + "\npassword={password}\n"


def mysql_client_config() -> tuple[str, str, str]:
    """The derived Secret key (``GeneratedSecretArgs.derived``) of MySQL's probe login."""
    return (MYSQL_CLIENT_CNF, "mysql-password", MYSQL_CLIENT_TEMPLATE)


def mysql_store(sizes: DataStoreSizes) -> StoreSpec:
    """MySQL 8.0: database ``currency_db``, user ``trip_user``; root password generated too.

    Passwords come from files of the Secret (``MYSQL_*_PASSWORD_FILE``; ref:
    https://hub.docker.com/_/mysql, Docker Secrets). The entrypoint writes outside the data
    directory during initialisation, so the root filesystem stays writable. Readiness logs
    in as ``trip_user`` over TCP with the option file: the entrypoint's temporary init
    server listens on no port, so the pod turns ready only once it is done.
    """
    cnf = f"{SECRETS_DIR}/{MYSQL_CLIENT_CNF}"
    ready = ("sh", "-c", f'mysql --defaults-extra-file={cnf} -h 127.0.0.1 -e "SELECT 1" "$MYSQL_DATABASE"')
    alive = ("sh", "-c", "mysqladmin ping -h 127.0.0.1 --silent")
    container = Container(
        name="mysql",
        image=MYSQL_IMAGE,
        resources=sizes.resources,
        run_as_user=MYSQL_UID,
        ports=(Port("mysql", MYSQL.port),),
        env=(
            EnvVar("MYSQL_DATABASE", DATABASE),
            EnvVar("MYSQL_USER", DB_USER),
            EnvVar("MYSQL_PASSWORD_FILE", f"{SECRETS_DIR}/mysql-password"),
            EnvVar("MYSQL_ROOT_PASSWORD_FILE", f"{SECRETS_DIR}/mysql-root-password"),
        ),
        startup=CommandProbe(10, 10, command=ready, failure_threshold=30),
        liveness=CommandProbe(0, 15, command=alive),
        readiness=CommandProbe(0, 10, command=ready),
        mounts=(
            Mount("mysql-storage", "/var/lib/mysql"),
            Mount("run", "/var/run/mysqld"),
            Mount("tmp", "/tmp"),
            Mount("credentials", SECRETS_DIR, read_only=True),
        ),
        read_only_root=False,
    )
    return StoreSpec(
        name=MYSQL.pod,
        service_name=MYSQL.service,
        container=container,
        port=ServicePort("mysql", MYSQL.port, "mysql"),
        storage_gi=sizes.storage_gi,
        part_of=PART_OF,
        fs_group=MYSQL_UID,
        volumes=(
            Volume("run", empty_dir_limit_mi=16),
            Volume("tmp", empty_dir_limit_mi=256),
            Volume(
                "credentials",
                secret=SECRET_NAME,
                items=tuple((k, k) for k in ("mysql-password", "mysql-root-password", MYSQL_CLIENT_CNF)),
            ),
        ),
    )


def mongodb_store(sizes: DataStoreSizes) -> StoreSpec:
    """MongoDB 6.0 with ``trip_user`` as its root user (password ``mongodb-password``).

    The WiredTiger cache is capped at 0.25 GiB: by default it takes half the node's memory,
    not the container's, and the container is then OOM-killed. The root password comes from
    a file of the Secret (``MONGO_INITDB_ROOT_PASSWORD_FILE``; ref: https://hub.docker.com/_/mongo).
    The probe's ``ping`` needs no login.
    """
    ping = ("mongosh", "--quiet", "--eval", "db.adminCommand('ping')")
    container = Container(
        name="mongodb",
        image=MONGODB_IMAGE,
        resources=sizes.resources,
        run_as_user=MONGODB_UID,
        ports=(Port("mongodb", MONGODB.port),),
        args=("--wiredTigerCacheSizeGB", "0.25"),
        env=(
            EnvVar("MONGO_INITDB_ROOT_USERNAME", DB_USER),
            EnvVar("MONGO_INITDB_ROOT_PASSWORD_FILE", f"{SECRETS_DIR}/mongodb-password"),
            EnvVar("MONGO_INITDB_DATABASE", DATABASE),
        ),
        startup=CommandProbe(10, 10, command=ping, failure_threshold=30),
        liveness=CommandProbe(0, 15, command=ping),
        readiness=CommandProbe(0, 10, command=ping),
        mounts=(
            Mount("mongodb-storage", "/data/db"),
            Mount("configdb", "/data/configdb"),
            Mount("tmp", "/tmp"),
            Mount("credentials", SECRETS_DIR, read_only=True),
        ),
    )
    return StoreSpec(
        name=MONGODB.pod,
        service_name=MONGODB.service,
        container=container,
        port=ServicePort("mongodb", MONGODB.port, "mongodb"),
        storage_gi=sizes.storage_gi,
        part_of=PART_OF,
        fs_group=MONGODB_UID,
        volumes=(
            Volume("configdb", empty_dir_limit_mi=16),
            Volume("tmp", empty_dir_limit_mi=64),
            Volume("credentials", secret=SECRET_NAME, items=(("mongodb-password", "mongodb-password"),)),
        ),
    )


def zookeeper_store(sizes: DataStoreSizes) -> StoreSpec:
    """cp-zookeeper 7.4.0 on ``service-zookeeper:2181``.

    Snapshots and the transaction log both live on the claim (sub-directories made by an
    init container): losing either gives Kafka a new cluster id, and Kafka then refuses to
    start against its old data.
    """
    prepare = Container(
        name="prepare-dirs",
        image=WAIT_IMAGE,
        resources=WAIT_RESOURCES,
        run_as_user=CONFLUENT_UID,
        command=("sh", "-c", "mkdir -p /zk/data /zk/log"),
        mounts=(Mount("zookeeper-storage", "/zk"),),
    )
    container = Container(
        name="zookeeper",
        image=ZOOKEEPER_IMAGE,
        resources=sizes.resources,
        run_as_user=CONFLUENT_UID,
        ports=(Port("client", ZOOKEEPER.port),),
        env=(
            EnvVar("ZOOKEEPER_CLIENT_PORT", str(ZOOKEEPER.port)),
            EnvVar("ZOOKEEPER_TICK_TIME", "2000"),
            EnvVar("KAFKA_HEAP_OPTS", ZOOKEEPER_HEAP),
        ),
        startup=CommandProbe(5, 5, tcp_port=ZOOKEEPER.port, failure_threshold=30),
        liveness=CommandProbe(0, 15, tcp_port=ZOOKEEPER.port),
        readiness=CommandProbe(0, 10, tcp_port=ZOOKEEPER.port),
        mounts=(
            Mount("zookeeper-storage", "/var/lib/zookeeper/data", sub_path="data"),
            Mount("zookeeper-storage", "/var/lib/zookeeper/log", sub_path="log"),
        ),
        # The image renders its properties files under /etc/kafka at start.
        read_only_root=False,
    )
    return StoreSpec(
        name=ZOOKEEPER.pod,
        service_name=ZOOKEEPER.service,
        container=container,
        port=ServicePort("client", ZOOKEEPER.port, "client"),
        storage_gi=sizes.storage_gi,
        part_of=PART_OF,
        fs_group=CONFLUENT_UID,
        init_containers=(prepare,),
    )


def kafka_store(sizes: DataStoreSizes) -> StoreSpec:
    """cp-kafka 7.4.0, one broker on ``service-kafka:9092`` using ZooKeeper; topics are
    auto-created. Logs go to a sub-directory, because a fresh volume's ``lost+found`` is not
    a valid log directory. Service links are off in every pod (``pod_spec``): Kafka's image
    would read the injected ``KAFKA_PORT`` as configuration and fail."""
    env = (
        EnvVar("KAFKA_BROKER_ID", "1"),
        EnvVar("KAFKA_ZOOKEEPER_CONNECT", f"{ZOOKEEPER.service}:{ZOOKEEPER.port}"),
        EnvVar("KAFKA_LISTENERS", f"PLAINTEXT://0.0.0.0:{KAFKA.port}"),
        EnvVar("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://{KAFKA.service}:{KAFKA.port}"),
        EnvVar("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true"),
        EnvVar("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1"),
        EnvVar("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1"),
        EnvVar("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1"),
        EnvVar("KAFKA_LOG_DIRS", "/var/lib/kafka/data/logs"),
        EnvVar("KAFKA_HEAP_OPTS", KAFKA_HEAP),
    )
    container = Container(
        name="kafka",
        image=KAFKA_IMAGE,
        resources=sizes.resources,
        run_as_user=CONFLUENT_UID,
        ports=(Port("kafka", KAFKA.port),),
        env=env,
        startup=CommandProbe(10, 5, tcp_port=KAFKA.port, failure_threshold=30),
        liveness=CommandProbe(0, 15, tcp_port=KAFKA.port),
        readiness=CommandProbe(0, 10, tcp_port=KAFKA.port),
        mounts=(Mount("kafka-storage", "/var/lib/kafka/data"),),
        read_only_root=False,
    )
    return StoreSpec(
        name=KAFKA.pod,
        service_name=KAFKA.service,
        container=container,
        port=ServicePort("kafka", KAFKA.port, "kafka"),
        storage_gi=sizes.storage_gi,
        part_of=PART_OF,
        fs_group=CONFLUENT_UID,
        init_containers=(wait_for((ZOOKEEPER,), uid=CONFLUENT_UID),),
    )


def kafka_ui_spec(resources: Resources) -> WorkloadSpec:
    """Kafka UI on 8080, pointed at the broker; reach it with ``kubectl port-forward``."""
    container = Container(
        name="kafka-ui",
        image=KAFKA_UI_IMAGE,
        resources=resources,
        run_as_user=KAFKA_UI_UID,
        ports=(Port("http", KAFKA_UI.port),),
        env=(
            EnvVar("KAFKA_CLUSTERS_0_NAME", PART_OF),
            EnvVar("KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS", f"{KAFKA.service}:{KAFKA.port}"),
            EnvVar("JAVA_OPTS", KAFKA_UI_HEAP),
        ),
        startup=HttpProbe("/actuator/health", KAFKA_UI.port, 10, 5, failure_threshold=30),
        liveness=HttpProbe("/actuator/health", KAFKA_UI.port, 0, 15),
        readiness=HttpProbe("/actuator/health", KAFKA_UI.port, 0, 10),
        mounts=(Mount("tmp", "/tmp"),),
    )
    return WorkloadSpec(
        name=KAFKA_UI.pod,
        containers=(container,),
        replicas=1,
        service_ports=(ServicePort("http", KAFKA_UI.port, "http"),),
        component="kafka-ui",
        part_of=PART_OF,
        volumes=(Volume("tmp", empty_dir_limit_mi=64),),
    )


def trip_stores(trip: TripSizes) -> tuple[StoreSpec, ...]:
    return (mysql_store(trip.mysql), mongodb_store(trip.mongodb), zookeeper_store(trip.zookeeper), kafka_store(trip.kafka))


def trip_redis(trip: TripSizes) -> WorkloadSpec:
    """Seed 004's Redis, as the foundation builds it, password from ``redis-password``."""
    return redis_workload(trip.redis, SECRET_NAME, "redis-password", REDIS.service, PART_OF)
