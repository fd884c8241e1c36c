"""The FinOps demo workloads of seed 001: three namespaces with distinct cost centers, so the
FinOps dashboard has something to compare (production, staging and development).

Optional (config ``finopsDemo``, off by default). They request 0.85 vCPU at their declared
replicas, more than the dev laptop budget leaves, so turn them on where there is room.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.cloudmart import NGINX_IMAGE, NGINX_UID
from components.platform import Platform
from components.specs import Container, Hpa, HttpProbe, Mount, Ownership, Port, Resources, ServicePort, Volume, WorkloadSpec
from components.workload import Workload, WorkloadArgs

PART_OF = "finops-demo"
PORT = 8080  # the unprivileged nginx listens here and serves its welcome page on /


@dataclass(frozen=True)
class DemoApp:
    """One seed 001 deployment and the namespace (with its owner labels) it lives in."""

    namespace: str
    owner: Ownership
    name: str
    replicas: int
    resources: Resources
    hpa: Hpa | None


# Seed 001 "FinOps sample namespaces": labels, replicas, requests/limits and HPAs as written.
APPS: tuple[DemoApp, ...] = (
    DemoApp(
        "production", Ownership("frontend", "CC-1001"), "web-app", 3, Resources(200, 256, 500, 512),
        Hpa(2, 10, cpu_utilization=70, memory_utilization=80),
    ),
    DemoApp("staging", Ownership("qa", "CC-1002"), "api-server", 2, Resources(100, 128, 300, 256), Hpa(1, 5, cpu_utilization=70)),
    DemoApp("development", Ownership("dev", "CC-1003"), "dev-service", 1, Resources(50, 64, 100, 128), None),
)


def demo_spec(app: DemoApp) -> WorkloadSpec:
    container = Container(
        name=app.name,
        image=NGINX_IMAGE,
        resources=app.resources,
        run_as_user=NGINX_UID,
        ports=(Port("http", PORT),),
        liveness=HttpProbe("/", PORT, initial_delay_seconds=10, period_seconds=10),
        readiness=HttpProbe("/", PORT, initial_delay_seconds=5, period_seconds=5),
        mounts=(Mount("tmp", "/tmp"),),
    )
    return WorkloadSpec(
        name=app.name,
        containers=(container,),
        replicas=app.replicas,
        service_ports=(ServicePort("http", 80, PORT),),
        component="demo",
        part_of=PART_OF,
        volumes=(Volume("tmp", empty_dir_limit_mi=64),),
        hpa=app.hpa,
    )


def namespace_manifest(app: DemoApp) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": app.namespace, "labels": {"team": app.owner.team, "cost-center": app.owner.cost_center}},
    }


@dataclass(frozen=True)
class FinOpsDemoArgs:
    platform: Platform


class FinOpsDemo(pulumi.ComponentResource):
    """Namespaces ``production``, ``staging`` and ``development`` with the seed's deployments
    and HPAs. Outputs: ``namespaces``."""

    def __init__(self, name: str, args: FinOpsDemoArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:demo:FinOpsDemo", name, None, opts)
        for app in APPS:
            ns = namespace_manifest(app)
            namespace = k8s.core.v1.Namespace(
                f"{name}-{app.namespace}-namespace", metadata=ns["metadata"], opts=pulumi.ResourceOptions(parent=self)
            )
            Workload(
                f"{name}-{app.name}",
                WorkloadArgs(demo_spec(app), app.namespace, app.owner, args.platform),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
            )
        self.namespaces = [app.namespace for app in APPS]
        self.register_outputs({"namespaces": self.namespaces})
