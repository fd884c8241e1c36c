"""Platform data: everything that differs between clusters, handed to components as a value.

Components read these fields and never ask which cluster they are on. ``stacks/kind.py``
builds the kind value; another target builds its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from components.placement import Placement

Exposure = Literal["NodePort", "ClusterIP"]
# Where the SLO alerts read requests, errors and latency: the in-cluster ingress controller's
# own metrics, or the ALB's CloudWatch metrics (through the CloudWatch exporter).
SliSource = Literal["ingress-nginx", "alb"]
# Cluster add-ons whose health the platform alerts watch (each produces its own metrics).
Addon = Literal["aws-load-balancer-controller", "cluster-autoscaler", "cloudwatch-exporter"]


@dataclass(frozen=True)
class Tls:
    """TLS on ingresses: a Kubernetes Secret name, or none where the controller terminates TLS itself."""

    hosts: tuple[str, ...]
    secret_name: str | None = None


@dataclass(frozen=True)
class Platform:
    """Cluster facts the components consume.

    Attributes:
        name: a short label for logs and outputs (``kind``).
        exposure: ``NodePort`` publishes the fixed seed ports on the nodes (kind maps them
            to localhost); ``ClusterIP`` keeps Services internal and ignores node ports.
        ingress_class: the IngressClass name (``nginx`` on kind).
        ingress_annotations: annotations every Ingress gets (controller-specific). A value
            may be a Pulumi output (eks: the certificate ARN of the ACM resource).
        ingress_host: the host rule for public Ingresses; ``None`` matches any host.
        tls: TLS for Ingresses, or ``None`` for plain HTTP.
        storage_class: StorageClass for claims; ``None`` uses the cluster default.
        registry: registry prefix for this project's own images (``docker.io/korgosu``).
        load_balancer_annotations: annotations for Services of type LoadBalancer; where set,
            the frontend gets its own load balancer (eks: an NLB).
        load_balancer_port: the one port that load balancer serves (eks: 443, TLS terminated
            by the NLB with the platform's certificate); ``None`` serves the pod's own port.
        cluster_scrapers: whether kube-prometheus-stack scrapes controller-manager,
            scheduler, etcd and kube-proxy (possible on kind with its kubeadm patches,
            not on managed control planes).
        kubelet_insecure_tls: metrics-server skips kubelet certificate checks (kind's
            kubelets serve self-signed certificates).
        cloud_provider, region: where the cluster runs, for applications that report it
            (seed 004's ``CLOUD_PROVIDER``/``REGION`` on eks); ``None`` on local clusters.
        ingress_namespace: the namespace of the in-cluster ingress controller whose pods
            proxy to the apps (``ingress-nginx`` on kind); ``None`` where a load balancer
            outside the cluster reaches the pods directly (then ``external_sources`` apply).
        external_sources: CIDRs from which traffic of the public entry points (NodePorts,
            load balancers targeting pod IPs) arrives at the pods, after kube-proxy's SNAT.
            NetworkPolicies admit them on the public ports only. Empty admits none.
        node_network: CIDRs of the nodes and the control plane as pods reach them (kubelets,
            host-network pods, the Kubernetes API after its Service's DNAT, the API server
            calling webhooks and metrics-server): kind's Docker network, eks's VPC.
        api_server_ports: the port(s) the Kubernetes API listens on there (kind 6443, EKS 443).
        placement: node pools by label and taint (eks: on-demand ``base`` and tainted
            ``spot``), read through ``components.placement``; ``None`` where every node is
            alike (kind).
        zone_spread: ``whenUnsatisfiable`` of the zone spread of replicated Deployments:
            ``DoNotSchedule`` where every node has a zone label (eks), ``ScheduleAnyway``
            where none has (kind).
        sli_source: where the SLO alerts and the ingress panels read traffic
            (``ingress-nginx`` on kind, ``alb`` on eks).
        cloud_prices: the cloud publishes node prices OpenCost reads (eks: the AWS price
            list); with OpenCost on, cost panels and the budget alert read OpenCost's series.
            Otherwise they price requests at the configured flat rates.
        spot_price: the hourly Spot price, vCPUs and GiB of the application nodes' instance
            type (from the price table), OpenCost's fallback for Spot nodes; ``None`` elsewhere.
        addons: the cluster add-ons that run (and get alerts): the AWS Load Balancer
            Controller, the Cluster Autoscaler and the CloudWatch exporter on eks.
    """

    name: str
    exposure: Exposure
    ingress_class: str
    ingress_annotations: tuple[tuple[str, Any], ...] = ()
    ingress_host: str | None = None
    tls: Tls | None = None
    storage_class: str | None = None
    registry: str = "docker.io/korgosu"
    load_balancer_annotations: tuple[tuple[str, Any], ...] = ()
    load_balancer_port: int | None = None
    cluster_scrapers: bool = False
    kubelet_insecure_tls: bool = False
    cloud_provider: str | None = None
    region: str | None = None
    ingress_namespace: str | None = None
    external_sources: tuple[str, ...] = ()
    node_network: tuple[str, ...] = ()
    api_server_ports: tuple[int, ...] = (443,)
    placement: Placement | None = None
    zone_spread: Literal["DoNotSchedule", "ScheduleAnyway"] = "ScheduleAnyway"
    sli_source: SliSource = "ingress-nginx"
    cloud_prices: bool = False
    spot_price: tuple[float, int, float] | None = None
    addons: tuple[Addon, ...] = ()

    @property
    def node_ports(self) -> bool:
        return self.exposure == "NodePort"
