"""The reusable Workload component: a Deployment, its Service, and the HPA, PDB and ConfigMap
its spec asks for.

The manifest builders are pure functions of ``(WorkloadSpec, namespace, Ownership, Platform)``;
the component only registers what they return.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.declare import declare
from components.manifests import (
    config_checksum,
    metadata,
    pod_spec,
    selector_labels,
    service_account_manifest,
    standard_labels,
)
from components.placement import pod_placement, spread_constraints, workload_pool
from components.platform import Platform
from components.specs import Hpa, Ownership, WorkloadSpec


def workload_labels(spec: WorkloadSpec, owner: Ownership) -> dict[str, str]:
    return {**standard_labels(spec.name, spec.component, spec.part_of, owner), **dict(spec.extra_labels)}


def configmap_manifest(spec: WorkloadSpec, namespace: str, owner: Ownership) -> dict | None:
    if not spec.config_name:
        return None
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(spec.config_name, namespace, workload_labels(spec, owner)),
        "data": dict(spec.config),
    }


def deployment_manifest(spec: WorkloadSpec, namespace: str, owner: Ownership, platform: Platform | None = None) -> dict:
    """The Deployment. Where it can run two or more replicas, they spread over zones and nodes;
    on a platform with node pools, it runs on Spot when it always has two or more replicas and
    on the on-demand base pool otherwise (``components.placement``)."""
    labels = workload_labels(spec, owner)
    annotations: dict[str, str] = {}
    if spec.scrape:
        # Seed 000: the annotation-based scrape contract, honoured by the platform's Prometheus.
        annotations = {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": str(spec.scrape.port),
            "prometheus.io/path": spec.scrape.path,
        }
    if spec.config:
        annotations["checksum/config"] = config_checksum(dict(spec.config))
    template_meta: dict = {"labels": labels}
    if annotations:
        template_meta["annotations"] = annotations
    pod = pod_spec(spec.containers, spec.volumes, spec.init_containers, spec.fs_group, spec.name)
    pod.update(pod_placement(platform.placement if platform else None, workload_pool(spec.min_replicas, has_claims=False)))
    if spec.max_replicas >= 2:
        zone_policy = platform.zone_spread if platform else "ScheduleAnyway"
        pod["topologySpreadConstraints"] = spread_constraints(selector_labels(spec.name), zone_policy)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(spec.name, namespace, labels),
        "spec": {
            "replicas": spec.min_replicas,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector_labels(spec.name)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": template_meta,
                "spec": pod,
            },
        },
    }


def service_manifest(spec: WorkloadSpec, namespace: str, owner: Ownership, platform: Platform) -> dict:
    """ClusterIP everywhere, except NodePort where the platform maps node ports and the spec names one."""
    wants_node_port = platform.node_ports and any(p.node_port for p in spec.service_ports)
    ports = []
    for p in spec.service_ports:
        port: dict = {"name": p.name, "port": p.port, "targetPort": p.target_port, "protocol": "TCP"}
        if wants_node_port and p.node_port:
            port["nodePort"] = p.node_port
        ports.append(port)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(spec.service, namespace, workload_labels(spec, owner)),
        "spec": {
            "type": "NodePort" if wants_node_port else "ClusterIP",
            "selector": selector_labels(spec.name),
            "ports": ports,
        },
    }


def workload_service_account(spec: WorkloadSpec, namespace: str, owner: Ownership) -> dict:
    """The workload's own ServiceAccount, named like it; its pods mount no token."""
    return service_account_manifest(spec.name, namespace, workload_labels(spec, owner))


def hpa_metrics(hpa: Hpa) -> list[dict]:
    metrics = []
    for resource, target in (("cpu", hpa.cpu_utilization), ("memory", hpa.memory_utilization)):
        if target is not None:
            metrics.append(
                {
                    "type": "Resource",
                    "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": target}},
                }
            )
    return metrics


def hpa_manifest(spec: WorkloadSpec, namespace: str, owner: Ownership) -> dict | None:
    if spec.hpa is None:
        return None
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(f"{spec.name}-hpa", namespace, workload_labels(spec, owner)),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
            "minReplicas": spec.hpa.min_replicas,
            "maxReplicas": spec.hpa.max_replicas,
            "metrics": hpa_metrics(spec.hpa),
            "behavior": {"scaleUp": spec.hpa.scale_up.to_k8s(), "scaleDown": spec.hpa.scale_down.to_k8s()},
        },
    }


def pdb_manifest(spec: WorkloadSpec, namespace: str, owner: Ownership) -> dict | None:
    """A PDB for every Deployment that can run two or more pods: a drain (node upgrade, Spot
    interruption, autoscaler scale-down) evicts one pod at a time. ``maxUnavailable: 1`` (never
    ``minAvailable``) so that at one replica the budget still lets the pod go: it never blocks
    a drain."""
    if spec.max_replicas < 2:
        return None
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(f"{spec.name}-pdb", namespace, workload_labels(spec, owner)),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(spec.name)}},
    }


@dataclass(frozen=True)
class WorkloadArgs:
    spec: WorkloadSpec
    namespace: str
    owner: Ownership
    platform: Platform


class Workload(pulumi.ComponentResource):
    """ServiceAccount, Deployment, Service, and the ConfigMap, HPA and PDB that the spec asks for.

    Outputs: ``service_name`` (the Kubernetes Service name).
    """

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:apps:Workload", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        spec, ns, owner = args.spec, args.namespace, args.owner
        config = configmap_manifest(spec, ns, owner)
        self.config_map = (
            k8s.core.v1.ConfigMap(f"{name}-config", metadata=config["metadata"], data=config["data"], opts=child)
            if config
            else None
        )
        account = declare(f"{name}-serviceaccount", workload_service_account(spec, ns, owner), child)
        before = [account, self.config_map] if self.config_map else [account]
        deploy_opts = pulumi.ResourceOptions(parent=self, depends_on=before)
        deployment = deployment_manifest(spec, ns, owner, args.platform)
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment", metadata=deployment["metadata"], spec=deployment["spec"], opts=deploy_opts
        )
        service = service_manifest(spec, ns, owner, args.platform)
        self.service = k8s.core.v1.Service(
            f"{name}-service", metadata=service["metadata"], spec=service["spec"], opts=child
        )
        hpa = hpa_manifest(spec, ns, owner)
        if hpa:
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{name}-hpa", metadata=hpa["metadata"], spec=hpa["spec"], opts=child
            )
        pdb = pdb_manifest(spec, ns, owner)
        if pdb:
            k8s.policy.v1.PodDisruptionBudget(f"{name}-pdb", metadata=pdb["metadata"], spec=pdb["spec"], opts=child)
        self.service_name = self.service.metadata.apply(lambda m: m["name"])
        self.register_outputs({"service_name": self.service_name})
