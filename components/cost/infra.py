"""AWS infrastructure a stack declares, priced per month, and the seeds' naive EKS baseline.

Read from the type tokens the eks stack registers (inputs in Pulumi's camelCase names):
``eks:index:Cluster``, ``eks:index:ManagedNodeGroup`` (``instanceTypes``, ``capacityType``,
``scalingConfig {minSize, desiredSize, maxSize}``, ``diskSize``), ``aws:ec2/natGateway:NatGateway``,
``aws:ec2/eip:Eip``, ``aws:kms/key:Key``; and from the Kubernetes objects the AWS Load Balancer
Controller turns into load balancers: one ALB per ``alb.ingress.kubernetes.io/group.name`` (an
Ingress without a group gets its own), one NLB per LoadBalancer Service annotated
``service.beta.kubernetes.io/aws-load-balancer-type: external``.
Ref: https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#group.name
Ref: https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/nlb/
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from components.cost.inventory import DeclaredLike, Rendered
from components.cost.prices import AwsPrices, Price
from components.specs import parse_memory_mi

CLUSTER = "eks:index:Cluster"
NODE_GROUP = "eks:index:ManagedNodeGroup"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
KMS_KEY = "aws:kms/key:Key"
SUBNET = "aws:ec2/subnet:Subnet"

ALB_GROUP = "alb.ingress.kubernetes.io/group.name"
ALB_SCHEME = "alb.ingress.kubernetes.io/scheme"
NLB_TYPE = "service.beta.kubernetes.io/aws-load-balancer-type"
NLB_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"

# EKS managed node groups default to a 20 GiB root volume when ``diskSize`` is unset ("The
# default disk size is 20 GiB for Linux and Bottlerocket").
# Ref: https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html (diskSize)
DEFAULT_DISK_GB = 20
# An ALB needs subnets in at least two AZs, and holds one public IPv4 in each.
MIN_LB_AZS = 2
# The naive baseline: seed 004's `eksctl create cluster --node-type t3.medium --nodes 3`, with
# eksctl's defaults (80 GiB gp3 node volumes, 3 AZs), a NAT gateway per AZ, an ALB and an NLB.
# Ref: https://github.com/eksctl-io/eksctl/blob/main/pkg/apis/eksctl.io/v1alpha5/types.go
#      (DefaultNodeVolumeSize = 80, DefaultNodeVolumeType = gp3, RecommendedAvailabilityZones = 3)
BASELINE_NODES = 3
BASELINE_INSTANCE = "t3.medium"
BASELINE_DISK_GB = 80
BASELINE_AZS = 3


@dataclass(frozen=True)
class Item:
    """One priced line: ``quantity`` units at ``unit_usd`` per month each (``max_quantity`` at
    the node groups' maximum). ``priced`` is False when no price is known for it."""

    name: str
    kind: str
    quantity: float
    unit: str
    unit_usd: float
    source: str
    max_quantity: float | None = None
    priced: bool = True

    @property
    def min_usd(self) -> float:
        return self.quantity * self.unit_usd

    @property
    def max_usd(self) -> float:
        return (self.quantity if self.max_quantity is None else self.max_quantity) * self.unit_usd


def _item(name: str, kind: str, quantity: float, unit: str, price: Price, max_quantity: float | None = None) -> Item:
    return Item(name, kind, quantity, unit, price.monthly, f"{price.source} ({price.date})", max_quantity)


@dataclass(frozen=True)
class NodeGroup:
    name: str
    instance_type: str
    capacity: str
    desired: int
    maximum: int
    disk_gb: int


@dataclass(frozen=True)
class LoadBalancer:
    kind: str  # ALB or NLB
    name: str
    public: bool


@dataclass(frozen=True)
class Found:
    """The priced things a stack declares."""

    clusters: int = 0
    node_groups: tuple[NodeGroup, ...] = ()
    nat_gateways: int = 0
    eips: int = 0
    kms_keys: int = 0
    public_subnets: int = 0
    load_balancers: tuple[LoadBalancer, ...] = ()
    standalone_claims_gi: float = 0.0
    tokens: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_aws(self) -> bool:
        return any(t.startswith(("aws:", "eks:")) for t in self.tokens)

    @property
    def azs(self) -> int:
        return max(self.public_subnets, MIN_LB_AZS)

    def desired_nodes(self) -> int:
        return sum(g.desired for g in self.node_groups)

    @staticmethod
    def of(declared: Sequence[DeclaredLike], rendered: Rendered) -> Found:
        def count(token: str) -> int:
            return sum(1 for d in declared if d.type == token)

        return Found(
            clusters=count(CLUSTER),
            node_groups=tuple(_node_group(d) for d in declared if d.type == NODE_GROUP),
            nat_gateways=count(NAT_GATEWAY),
            eips=count(EIP),
            kms_keys=count(KMS_KEY),
            public_subnets=sum(1 for d in declared if d.type == SUBNET and d.inputs.get("mapPublicIpOnLaunch")),
            load_balancers=load_balancers(rendered.objects),
            standalone_claims_gi=sum(
                parse_memory_mi(o["spec"]["resources"]["requests"]["storage"]) / 1024
                for o in rendered.objects
                if o["kind"] == "PersistentVolumeClaim"
            ),
            tokens=frozenset(d.type for d in declared),
        )


def _node_group(d: DeclaredLike) -> NodeGroup:
    scaling = d.inputs.get("scalingConfig") or {}
    desired = int(scaling.get("desiredSize", scaling.get("minSize", 1)))
    return NodeGroup(
        name=d.inputs.get("nodeGroupName") or d.name,
        instance_type=(d.inputs.get("instanceTypes") or ["t3.medium"])[0],
        capacity=d.inputs.get("capacityType") or "ON_DEMAND",
        desired=desired,
        maximum=int(scaling.get("maxSize", desired)),
        disk_gb=int(d.inputs.get("diskSize") or DEFAULT_DISK_GB),
    )


def load_balancers(objects: Sequence[dict]) -> tuple[LoadBalancer, ...]:
    """ALBs (one per Ingress group) and NLBs (one per ``external`` LoadBalancer Service)."""
    albs: dict[str, bool] = {}
    nlbs = []
    for o in objects:
        meta = o.get("metadata", {})
        notes = meta.get("annotations") or {}
        if o["kind"] == "Ingress" and (o.get("spec", {}).get("ingressClassName") == "alb" or ALB_GROUP in notes):
            key = notes.get(ALB_GROUP) or f"{meta.get('namespace')}/{meta['name']}"
            albs[key] = albs.get(key, False) or notes.get(ALB_SCHEME) == "internet-facing"
        elif o["kind"] == "Service" and o.get("spec", {}).get("type") == "LoadBalancer" and notes.get(NLB_TYPE) == "external":
            nlbs.append(LoadBalancer("NLB", f"{meta.get('namespace')}/{meta['name']}", notes.get(NLB_SCHEME) == "internet-facing"))
    return tuple(LoadBalancer("ALB", k, public) for k, public in sorted(albs.items())) + tuple(nlbs)


def _nodes(g: NodeGroup, prices: AwsPrices) -> list[Item]:
    table = prices.spot if g.capacity == "SPOT" else prices.on_demand
    label = f"nodes {g.name} ({g.instance_type} {g.capacity.lower().replace('_', '-')})"
    price = table.get(g.instance_type)
    if price is None:
        nodes = Item(label, "EC2", g.desired, "node", 0.0, "no price in components/cost/prices.py", g.maximum, priced=False)
    else:
        nodes = _item(label, "EC2", g.desired, "node", price, g.maximum)
    disks = _item(
        f"node volumes {g.name} ({g.disk_gb} GB gp3 each)", "EBS", g.desired * g.disk_gb, "GB", prices.gp3_gb_month,
        g.maximum * g.disk_gb,
    )
    return [nodes, disks]


def _load_balancer_items(lbs: Sequence[LoadBalancer], azs: int, prices: AwsPrices) -> list[Item]:
    out = []
    for lb in lbs:
        out.append(_item(f"{lb.kind} {lb.name}", lb.kind, 1, "load balancer", prices.alb if lb.kind == "ALB" else prices.nlb))
        if lb.public:
            out.append(_item(f"public IPv4 of {lb.kind} {lb.name} (one per AZ)", "IPv4", azs, "address", prices.public_ipv4))
    return out


def items(found: Found, claims_gb: float, prices: AwsPrices) -> tuple[Item, ...]:
    """The stack's AWS bill, line by line (data processing and LCUs are traffic: left out)."""
    out = [_item("EKS control plane", "EKS", found.clusters, "cluster", prices.eks_control_plane)] if found.clusters else []
    for group in found.node_groups:
        out += _nodes(group, prices)
    if found.nat_gateways:
        out.append(_item("NAT gateways (hourly; $/GB processed not included)", "NAT", found.nat_gateways, "gateway", prices.nat_gateway))
    if found.eips:
        out.append(_item("Elastic IPs (public IPv4)", "IPv4", found.eips, "address", prices.public_ipv4))
    out += _load_balancer_items(found.load_balancers, found.azs, prices)
    if claims_gb:
        out.append(_item("EBS gp3 claims", "EBS", round(claims_gb, 3), "GB", prices.gp3_gb_month))
    if found.kms_keys:
        out.append(_item("KMS keys", "KMS", found.kms_keys, "key", prices.kms_key))
    return tuple(out)


def naive_baseline(found: Found, claims_gb: float, prices: AwsPrices) -> tuple[Item, ...]:
    """The seeds' naive EKS setup: 3 on-demand t3.medium, a NAT gateway (and its EIP) in each of
    eksctl's 3 AZs, an internet-facing ALB and NLB, and the same claims. Only for a stack with
    an EKS cluster."""
    if not found.clusters:
        return ()
    azs = BASELINE_AZS
    group = NodeGroup("baseline", BASELINE_INSTANCE, "ON_DEMAND", BASELINE_NODES, BASELINE_NODES, BASELINE_DISK_GB)
    lbs = (LoadBalancer("ALB", "baseline", True), LoadBalancer("NLB", "baseline", True))
    return (
        _item("EKS control plane", "EKS", 1, "cluster", prices.eks_control_plane),
        *_nodes(group, prices),
        _item("NAT gateway per AZ", "NAT", azs, "gateway", prices.nat_gateway),
        _item("Elastic IPs of the NAT gateways", "IPv4", azs, "address", prices.public_ipv4),
        *_load_balancer_items(lbs, azs, prices),
        _item("EBS gp3 claims", "EBS", round(claims_gb, 3), "GB", prices.gp3_gb_month),
    )
