"""The FinOps demo workloads of seed 001: three namespaces with distinct cost centers, so the
FinOps dashboard has something to compare (production, staging and development).

Optional (config ``finopsDemo``, off by default). They request 0.85 vCPU at their declared
replicas, more than the dev laptop budget leaves, so turn them on where there is room.

Each namespace is restricted (Pod Security), denies ingress by default and has a quota and
limit range computed from its own workload (seed 002 names production's ``production-quota``
and ``production-limits``; the others follow the pattern).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.cloudmart import NGINX_IMAGE, NGINX_UID
from components.declare import declare
from components.manifests import standard_labels
from components.namespaces import namespace_manifest as owned_namespace
from components.netpol import Rule, allow_manifest, baseline_manifests
from components.platform import Platform
from components.quota import NamespacePods, namespace_limits
from components.specs import Container, Hpa, HttpProbe, Mount, Ownership, Port, Resources, ServicePort, Volume, WorkloadSpec
from components.workload import Workload, WorkloadArgs

PART_OF = "finops-demo"
PORT = 8080  # the unprivileged nginx listens here and serves its welcome page on /
# Seed 002's load test: ``kubectl run load-test --image=busybox ... wget web-app-service.production``.
# ``kubectl run`` labels its pod ``run=<name>``; the pod may run in any namespace.
LOAD_TEST_LABELS = (("run", "load-test"),)


@dataclass(frozen=True)
class DemoApp:
    """One seed 001 deployment and the namespace (with its owner labels) it lives in.

    ``labels`` are the seed's pod labels (``app``, ``tier``); ``service_name`` is the
    Service name seed 002's load test calls, where it names one; ``load_tested`` admits
    that load test's pod through the NetworkPolicy.
    """

    namespace: str
    owner: Ownership
    name: str
    replicas: int
    resources: Resources
    hpa: Hpa | None
    labels: tuple[tuple[str, str], ...]
    service_name: str | None = None
    load_tested: bool = False


# Seed 001 "FinOps sample namespaces": labels, replicas, requests/limits and HPAs as written.
APPS: tuple[DemoApp, ...] = (
    DemoApp(
        "production", Ownership("frontend", "CC-1001"), "web-app", 3, Resources(200, 256, 500, 512),
        Hpa(2, 10, cpu_utilization=70, memory_utilization=80),
        labels=(("app", "web"), ("tier", "frontend")), service_name="web-app-service", load_tested=True,
    ),
    DemoApp(
        "staging", Ownership("qa", "CC-1002"), "api-server", 2, Resources(100, 128, 300, 256), Hpa(1, 5, cpu_utilization=70),
        labels=(("app", "api"), ("tier", "backend")),
    ),
    DemoApp(
        "development", Ownership("dev", "CC-1003"), "dev-service", 1, Resources(50, 64, 100, 128), None,
        labels=(("app", "dev"), ("tier", "backend")),
    ),
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
        extra_labels=app.labels,
        service_name=app.service_name,
    )


def namespace_manifest(app: DemoApp) -> dict:
    return owned_namespace(app.namespace, app.owner, PART_OF, "restricted")


def _labels(app: DemoApp, name: str, component: str) -> dict[str, str]:
    return standard_labels(name, component, PART_OF, app.owner)


def network_policies(app: DemoApp) -> list[dict]:
    """Default deny of ingress and egress, and DNS; only seed 002's load test reaches the app
    it targets. No seed routes other traffic to the demo apps (the HPAs read metrics-server,
    not the pods), and the apps call nothing."""
    policies = baseline_manifests(app.namespace, lambda n: _labels(app, n, "network-policy"))
    if app.load_tested:
        rules = (Rule((PORT,), labelled=LOAD_TEST_LABELS),)
        policies.append(allow_manifest(app.name, app.namespace, rules, _labels(app, f"{app.name}-ingress", "network-policy")))
    return policies


def quota_manifests(app: DemoApp) -> list[dict]:
    """``<namespace>-quota`` and ``<namespace>-limits`` from the app at its HPA maximum."""
    return namespace_limits(app.namespace, NamespacePods((demo_spec(app),)), lambda n: _labels(app, n, "quota"))


@dataclass(frozen=True)
class FinOpsDemoArgs:
    platform: Platform


class FinOpsDemo(pulumi.ComponentResource):
    """Namespaces ``production``, ``staging`` and ``development`` with the seed's deployments
    and HPAs, each with its NetworkPolicies, ResourceQuota and LimitRange. Outputs: ``namespaces``."""

    def __init__(self, name: str, args: FinOpsDemoArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:demo:FinOpsDemo", name, None, opts)
        for app in APPS:
            namespace = declare(f"{name}-{app.namespace}-namespace", namespace_manifest(app), pulumi.ResourceOptions(parent=self))
            inside = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
            for obj in network_policies(app) + quota_manifests(app):
                declare(f"{name}-{app.namespace}-{obj['metadata']['name']}", obj, inside)
            Workload(f"{name}-{app.name}", WorkloadArgs(demo_spec(app), app.namespace, app.owner, args.platform), opts=inside)
        self.namespaces = [app.namespace for app in APPS]
        self.register_outputs({"namespaces": self.namespaces})
