"""Typed, Pulumi-free data that describes workloads: sizes, probes, ports, autoscaling.

Every number a manifest carries starts here or in a module that builds these values
(``stacks/profiles.py``, the component catalogues). Nothing in this module imports Pulumi,
so the data is reviewed, diffed and unit-tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


def cpu_quantity(millicores: int) -> str:
    """Render millicores the way ``kubectl`` shows them: ``100m`` or ``1``."""
    return f"{millicores // 1000}" if millicores % 1000 == 0 else f"{millicores}m"


def memory_quantity(mebibytes: int) -> str:
    """Render MiB as ``Gi`` when whole, else ``Mi``."""
    return f"{mebibytes // 1024}Gi" if mebibytes % 1024 == 0 else f"{mebibytes}Mi"


@dataclass(frozen=True)
class Resources:
    """Requests and limits of one container, in millicores and MiB.

    Requests are the cost baseline the FinOps dashboard reads, so they are mandatory;
    a limit below its request is rejected here rather than by the API server.
    """

    cpu_request_m: int
    memory_request_mi: int
    cpu_limit_m: int
    memory_limit_mi: int

    def __post_init__(self) -> None:
        if min(self.cpu_request_m, self.memory_request_mi) <= 0:
            raise ValueError(f"requests must be positive: {self}")
        if self.cpu_limit_m < self.cpu_request_m or self.memory_limit_mi < self.memory_request_mi:
            raise ValueError(f"limits must be >= requests: {self}")

    def to_k8s(self) -> dict[str, dict[str, str]]:
        return {
            "requests": {"cpu": cpu_quantity(self.cpu_request_m), "memory": memory_quantity(self.memory_request_mi)},
            "limits": {"cpu": cpu_quantity(self.cpu_limit_m), "memory": memory_quantity(self.memory_limit_mi)},
        }


@dataclass(frozen=True)
class HttpProbe:
    """An HTTP GET probe; timings are the seed's where it gives them."""

    path: str
    port: int | str
    initial_delay_seconds: int
    period_seconds: int
    timeout_seconds: int = 1
    failure_threshold: int = 3

    def to_k8s(self) -> dict:
        return {
            "httpGet": {"path": self.path, "port": self.port},
            "initialDelaySeconds": self.initial_delay_seconds,
            "periodSeconds": self.period_seconds,
            "timeoutSeconds": self.timeout_seconds,
            "failureThreshold": self.failure_threshold,
        }


@dataclass(frozen=True)
class CommandProbe:
    """An exec or TCP probe for data stores that speak no HTTP."""

    initial_delay_seconds: int
    period_seconds: int
    command: tuple[str, ...] = ()
    tcp_port: int | None = None
    timeout_seconds: int = 5
    failure_threshold: int = 6

    def __post_init__(self) -> None:
        if bool(self.command) == (self.tcp_port is not None):
            raise ValueError("a CommandProbe needs exactly one of command or tcp_port")

    def to_k8s(self) -> dict:
        action = {"exec": {"command": list(self.command)}} if self.command else {"tcpSocket": {"port": self.tcp_port}}
        return {
            **action,
            "initialDelaySeconds": self.initial_delay_seconds,
            "periodSeconds": self.period_seconds,
            "timeoutSeconds": self.timeout_seconds,
            "failureThreshold": self.failure_threshold,
        }


Probe = HttpProbe | CommandProbe


@dataclass(frozen=True)
class ScalePolicy:
    kind: Literal["Percent", "Pods"]
    value: int
    period_seconds: int


@dataclass(frozen=True)
class ScaleRule:
    stabilization_window_seconds: int
    policies: tuple[ScalePolicy, ...]

    def to_k8s(self) -> dict:
        return {
            "stabilizationWindowSeconds": self.stabilization_window_seconds,
            "policies": [
                {"type": p.kind, "value": p.value, "periodSeconds": p.period_seconds} for p in self.policies
            ],
        }


# Seed 000, step 3-1: scale up fast (double every 30 s), scale down slowly (halve per minute
# after a 5-minute window). Every HPA here uses it unless its spec names another.
SEED_SCALE_UP = ScaleRule(0, (ScalePolicy("Percent", 100, 30),))
SEED_SCALE_DOWN = ScaleRule(300, (ScalePolicy("Percent", 50, 60),))


@dataclass(frozen=True)
class Hpa:
    """autoscaling/v2 bounds and targets (utilisation in percent of requests)."""

    min_replicas: int
    max_replicas: int
    cpu_utilization: int | None = 70
    memory_utilization: int | None = None
    scale_up: ScaleRule = SEED_SCALE_UP
    scale_down: ScaleRule = SEED_SCALE_DOWN

    def __post_init__(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise ValueError(f"HPA needs 1 <= min <= max: {self}")
        if self.cpu_utilization is None and self.memory_utilization is None:
            raise ValueError("an HPA needs at least one metric")


@dataclass(frozen=True)
class Port:
    name: str
    container_port: int


@dataclass(frozen=True)
class ServicePort:
    """A Service port; ``node_port`` is used only where the platform exposes NodePorts."""

    name: str
    port: int
    target_port: int | str
    node_port: int | None = None


@dataclass(frozen=True)
class EnvVar:
    """A literal value, or a key of a Secret (``secret``/``key``) or of a ConfigMap (``config_map``/``key``)."""

    name: str
    value: str | None = None
    secret: str | None = None
    config_map: str | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        sources = [self.value is not None, self.secret is not None, self.config_map is not None]
        if sum(sources) != 1 or ((self.secret or self.config_map) and not self.key):
            raise ValueError(f"EnvVar {self.name} needs exactly one source (and a key for refs)")

    def to_k8s(self) -> dict:
        if self.value is not None:
            return {"name": self.name, "value": self.value}
        ref_kind, ref_name = ("secretKeyRef", self.secret) if self.secret else ("configMapKeyRef", self.config_map)
        return {"name": self.name, "valueFrom": {ref_kind: {"name": ref_name, "key": self.key}}}


@dataclass(frozen=True)
class Mount:
    """A volume mount; ``sub_path`` mounts one file of a ConfigMap, as the seed does for nginx.conf."""

    volume: str
    path: str
    sub_path: str | None = None
    read_only: bool = False


@dataclass(frozen=True)
class Volume:
    """A pod volume: a ConfigMap, a Secret or an emptyDir (optionally size-capped).

    ``items`` projects only these Secret keys, as ``(key, file name)``, so a container sees
    the one password it needs and not the Secret's others. Files are mode 0440: readable by
    the pod's fsGroup, which the restricted profile's non-root users belong to.
    """

    name: str
    config_map: str | None = None
    secret: str | None = None
    empty_dir_limit_mi: int | None = None
    items: tuple[tuple[str, str], ...] = ()

    def to_k8s(self) -> dict:
        if self.config_map:
            return {"name": self.name, "configMap": {"name": self.config_map}}
        if self.secret:
            source: dict = {"secretName": self.secret}
            if self.items:
                source["items"] = [{"key": k, "path": p} for k, p in self.items]
                source["defaultMode"] = 0o440
            return {"name": self.name, "secret": source}
        empty: dict = {} if self.empty_dir_limit_mi is None else {"sizeLimit": memory_quantity(self.empty_dir_limit_mi)}
        return {"name": self.name, "emptyDir": empty}


@dataclass(frozen=True)
class Container:
    """One container. ``run_as_user`` is the image's own unprivileged user."""

    name: str
    image: str
    resources: Resources
    run_as_user: int
    ports: tuple[Port, ...] = ()
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: tuple[EnvVar, ...] = ()
    liveness: Probe | None = None
    readiness: Probe | None = None
    startup: Probe | None = None
    mounts: tuple[Mount, ...] = ()
    read_only_root: bool = True


@dataclass(frozen=True)
class ScrapeTarget:
    """The seed's ``prometheus.io/*`` pod annotations."""

    port: int
    path: str = "/metrics"


@dataclass(frozen=True)
class WorkloadSpec:
    """Everything the Workload component needs to build a Deployment and its companions.

    ``config`` becomes a ConfigMap named ``config_name``; an HPA is created when ``hpa`` is
    set, and a PDB when the minimum replica count (HPA minimum, else ``replicas``) is >= 2.
    The Service is named ``service_name`` where a seed names it apart from the Deployment
    (seed 002's ``web-app-service``), else ``name``. ``extra_labels`` go on every object and
    the pod template (seed labels such as ``app``/``tier``), never on the selector.
    """

    name: str
    containers: tuple[Container, ...]
    replicas: int
    service_ports: tuple[ServicePort, ...]
    component: str
    part_of: str
    init_containers: tuple[Container, ...] = ()
    volumes: tuple[Volume, ...] = ()
    hpa: Hpa | None = None
    config_name: str | None = None
    config: tuple[tuple[str, str], ...] = ()
    scrape: ScrapeTarget | None = None
    extra_labels: tuple[tuple[str, str], ...] = ()
    fs_group: int | None = None
    service_name: str | None = None

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise ValueError(f"{self.name}: replicas must be >= 1")
        if bool(self.config) != bool(self.config_name):
            raise ValueError(f"{self.name}: config and config_name go together")

    @property
    def min_replicas(self) -> int:
        """Pods scheduled at rollout: the declared replicas, never below the HPA minimum."""
        return max(self.replicas, self.hpa.min_replicas) if self.hpa else self.replicas

    @property
    def max_replicas(self) -> int:
        return self.hpa.max_replicas if self.hpa else self.replicas

    @property
    def service(self) -> str:
        return self.service_name or self.name


@dataclass(frozen=True)
class Ownership:
    """Who pays for and runs a namespace's objects: ``team`` and ``cost-center`` labels."""

    team: str
    cost_center: str
    extra: tuple[tuple[str, str], ...] = field(default=())


_CPU = {"": 1000, "m": 1}
_MEM = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024 * 1024, "k": 1000 / 1024**2, "M": 1000**2 / 1024**2, "G": 1000**3 / 1024**2}


def parse_cpu_m(quantity: str | int | float) -> float:
    """``"250m"`` -> 250, ``"1"`` or ``1`` -> 1000 (millicores)."""
    text = str(quantity)
    unit = "m" if text.endswith("m") else ""
    return float(text[: len(text) - len(unit)]) * _CPU[unit]


def parse_memory_mi(quantity: str | int) -> float:
    """``"128Mi"`` -> 128, ``"1Gi"`` -> 1024, ``"100M"`` -> 95.37 (MiB); a bare number is bytes."""
    text = str(quantity)
    for unit in sorted(_MEM, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * _MEM[unit]
    return float(text) / 1024**2
