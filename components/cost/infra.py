"""AWS infrastructure a stack declares, priced per month (nodes as the capacity model packs
them, usage from stated assumptions), what keeps billing after destroy, and the naive baseline.

Read from the type tokens the eks stack registers (inputs in Pulumi's camelCase names):
``eks:index:Cluster``, ``eks:index:ManagedNodeGroup`` (``instanceTypes``, ``capacityType``,
``scalingConfig {minSize, desiredSize, maxSize}``, ``labels``, ``taints``, ``diskSize`` or the
launch template's root volume), ``aws:ec2/natGateway:NatGateway``,
``aws:ec2/eip:Eip``, ``aws:kms/key:Key``; and from the Kubernetes objects the AWS Load Balancer
Controller turns into load balancers: one ALB per ``alb.ingress.kubernetes.io/group.name`` (an
Ingress without a group gets its own), one NLB per LoadBalancer Service annotated
``service.beta.kubernetes.io/aws-load-balancer-type: external``.
Ref: https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#group.name
Ref: https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/nlb/
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from components.cost.assumptions import Assumptions
from components.cost.capacity import GroupCapacity, Packing
from components.cost.inventory import DeclaredLike, Rendered
from components.cost.prices import AwsPrices, Price, spot_price
from components.specs import parse_memory_mi

CLUSTER = "eks:index:Cluster"
NODE_GROUP = "eks:index:ManagedNodeGroup"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
KMS_KEY = "aws:kms/key:Key"
SUBNET = "aws:ec2/subnet:Subnet"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REPOSITORY = "aws:ecr/repository:Repository"

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
# The naive baseline (issue 16): the same workload as seed 004 deploys it with eksctl's
# defaults, each figure from eksctl's source (eksctl-io/eksctl at 99984adb6, 2026-08-22):
# - one NAT gateway: pkg/apis/eksctl.io/v1alpha5/vpc.go, ClusterNATDefault = ClusterSingleNAT;
# - 80 GB gp3 root volumes: types.go, DefaultNodeVolumeSize = 80 (NodeVolumeTypeGP3 the default);
# - nodes in the public subnets with a public IPv4 each: types.go, PrivateNetworking false by
#   default, and pkg/cfn/builder/vpc_ipv4.go sets MapPublicIpOnLaunch on public subnets;
# - no control-plane logs: cloudwatch.go, ClusterCloudWatchLogging.EnableTypes is optional, empty;
# - no customer-managed KMS key;
# - on-demand t3.medium (seed 004: `eksctl create cluster --node-type t3.medium`), as many as
#   the same bin-packing needs for the same pods (``capacity.baseline_group``), 3 AZs.
BASELINE_INSTANCE = "t3.medium"
BASELINE_DISK_GB = 80
BASELINE_AZS = 3
EKSCTL = "eksctl-io/eksctl@99984adb6"
# tools bootstrap-backend creates two keys outside every stack: the state bucket's and the
# secrets provider's (tools/bootstrap_backend.py), both with yearly rotation.
BACKEND_KMS_KEYS = 2
# KMS rotation: AWS's KMS pricing page (as stored, an older copy) charges $1/month per rotated
# key version; AWS announced in April 2024 that only the first and second rotations add
# $1/month each, later ones nothing, so a yearly-rotated key costs $1, then $2, then at most $3
# a month. This session could read that change only in a third-party post (canglad.com, "Update:
# On April 12, 2024 ... AWS announced the reduction of KMS key rotation charges"), not on an AWS
# page; a second third-party page (cloudburn.io, "AWS KMS Pricing", 2026-03-14) describes the same
# rotation update, dated May 2024. Still no AWS page: the bill prices the first year
# ($1/key-month) and the README states the cap as unconfirmed.
KMS_ROTATION_NOTE = "yearly rotation: +$1/month after the 1st and the 2nd rotation, then no more (April 2024 change; not confirmed on an AWS page)"


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
    """A managed node group as declared: every instance type, labels, taints, bounds, disk."""

    name: str
    instance_types: tuple[str, ...]
    capacity: str
    desired: int
    maximum: int
    disk_gb: int
    minimum: int = 0
    labels: tuple[tuple[str, str], ...] = ()
    taints: tuple[tuple[str, str, str], ...] = ()

    @property
    def instance_type(self) -> str:
        return self.instance_types[0]

    def capacity_model(self) -> GroupCapacity:
        return GroupCapacity(
            self.name, dict(self.labels).get("cloud-platform/pool", self.name), self.instance_type, self.capacity,
            self.labels, self.taints, self.minimum, self.desired, self.maximum,
        )


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
    log_groups: int = 0
    repositories: int = 0

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

        disk = _launch_template_disk(declared)
        return Found(
            clusters=count(CLUSTER),
            node_groups=tuple(_node_group(d, disk) for d in declared if d.type == NODE_GROUP),
            log_groups=count(LOG_GROUP),
            repositories=count(REPOSITORY),
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


_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


def _launch_template_disk(declared: Sequence[DeclaredLike]) -> int | None:
    """The root volume of the node launch templates (every template here has the same one)."""
    for d in declared:
        if d.type == LAUNCH_TEMPLATE:
            for mapping in d.inputs.get("blockDeviceMappings") or []:
                size = (mapping.get("ebs") or {}).get("volumeSize")
                if size:
                    return int(size)
    return None


def _node_group(d: DeclaredLike, template_disk: int | None) -> NodeGroup:
    scaling = d.inputs.get("scalingConfig") or {}
    desired = int(scaling.get("desiredSize", scaling.get("minSize", 1)))
    disk = d.inputs.get("diskSize") or (template_disk if d.inputs.get("launchTemplate") is not None else None)
    return NodeGroup(
        name=d.inputs.get("nodeGroupName") or d.name,
        instance_types=tuple(d.inputs.get("instanceTypes") or ["t3.medium"]),
        capacity=d.inputs.get("capacityType") or "ON_DEMAND",
        desired=desired,
        maximum=int(scaling.get("maxSize", desired)),
        disk_gb=int(disk or DEFAULT_DISK_GB),
        minimum=int(scaling.get("minSize", 0)),
        labels=tuple(sorted((d.inputs.get("labels") or {}).items())),
        taints=tuple((t["key"], t.get("value", ""), _EFFECTS.get(t["effect"], t["effect"])) for t in d.inputs.get("taints") or []),
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


def node_price(g: NodeGroup, prices: AwsPrices, assumptions: Assumptions) -> Price | None:
    """On-demand list price, or Spot as the stated discount below the dearest on-demand type."""
    known = [prices.on_demand[t] for t in g.instance_types if t in prices.on_demand]
    if len(known) != len(g.instance_types):
        return None
    if g.capacity == "SPOT":
        return spot_price(max(known, key=lambda p: p.usd), assumptions.spot_discount_percent)
    return prices.on_demand[g.instance_type]


def _nodes(g: NodeGroup, nodes: tuple[int, int], prices: AwsPrices, assumptions: Assumptions) -> list[Item]:
    """One group's nodes (bin-packed counts at declared replicas and at HPA maximum) and disks."""
    low, high = nodes
    kind = g.capacity.lower().replace("_", "-")
    label = f"nodes {g.name} ({g.instance_type} {kind})" if len(g.instance_types) == 1 else (
        f"nodes {g.name} ({'/'.join(g.instance_types)} {kind})"
    )
    price = node_price(g, prices, assumptions)
    if price is None:
        nodes_item = Item(label, "EC2", low, "node", 0.0, "no price in components/cost/prices.py", high, priced=False)
    else:
        nodes_item = _item(label, "EC2", low, "node", price, high)
    disks = _item(f"node volumes {g.name} ({g.disk_gb} GB gp3 each)", "EBS", low * g.disk_gb, "GB", prices.gp3_gb_month, high * g.disk_gb)
    return [nodes_item, disks]


def _load_balancer_items(lbs: Sequence[LoadBalancer], azs: int, prices: AwsPrices, usage: dict[str, float]) -> list[Item]:
    out = []
    for lb in lbs:
        alb = lb.kind == "ALB"
        out.append(_item(f"{lb.kind} {lb.name}", lb.kind, 1, "load balancer", prices.alb if alb else prices.nlb))
        units = usage["albLcu"] if alb else usage["nlbLcu"]
        name = "albLcu" if alb else "nlbLcu"
        out.append(_item(f"{lb.kind} {lb.name} capacity units ({name}={units:g})", lb.kind, units, "LCU", prices.alb_lcu if alb else prices.nlb_lcu))
        if lb.public:
            out.append(_item(f"public IPv4 of {lb.kind} {lb.name} (one per AZ)", "IPv4", azs, "address", prices.public_ipv4))
    return out


def _usage_items(prices: AwsPrices, usage: dict[str, float], logs: bool, kind: str = "") -> list[Item]:
    """Traffic and storage from the stated assumptions, each named with its figure."""
    out = [
        _item(f"NAT data processing (natGb={usage['natGb']:g})", "NAT", usage["natGb"], "GB", prices.nat_gateway_gb),
        _item(f"cross-AZ traffic (crossAzGb={usage['crossAzGb']:g})", "EC2", usage["crossAzGb"], "GB", prices.cross_az_gb),
        _item(f"ECR storage (ecrGb={usage['ecrGb']:g})", "ECR", usage["ecrGb"], "GB", prices.ecr_gb_month),
        _item(f"Route 53 hosted zones (hostedZones={usage['hostedZones']:g})", "Route53", usage["hostedZones"], "zone", prices.route53_zone),
        _item(f"Route 53 queries (dnsQueriesMillions={usage['dnsQueriesMillions']:g})", "Route53", usage["dnsQueriesMillions"],
              "million", prices.route53_million_queries),
    ]
    if logs:
        out += [
            _item(f"control-plane logs ingested (logGb={usage['logGb']:g})", "Logs", usage["logGb"], "GB", prices.logs_ingested_gb),
            _item(f"control-plane logs stored, 30-day retention (logGb={usage['logGb']:g})", "Logs", usage["logGb"], "GB", prices.logs_stored_gb),
        ]
    return out


def items(
    found: Found, claims_gb: float, prices: AwsPrices, nodes: dict[str, tuple[int, int]], assumptions: Assumptions
) -> tuple[Item, ...]:
    """The stack's AWS bill, line by line: node counts come from the bin-packing (``nodes``:
    group name -> billed nodes at declared replicas and at HPA maximum)."""
    out = [_item("EKS control plane", "EKS", found.clusters, "cluster", prices.eks_control_plane)] if found.clusters else []
    for group in found.node_groups:
        out += _nodes(group, nodes.get(group.name, (group.desired, group.maximum)), prices, assumptions)
    if found.nat_gateways:
        out.append(_item("NAT gateways (hourly)", "NAT", found.nat_gateways, "gateway", prices.nat_gateway))
    if found.eips:
        out.append(_item("Elastic IPs (public IPv4)", "IPv4", found.eips, "address", prices.public_ipv4))
    out += _load_balancer_items(found.load_balancers, found.azs, prices, assumptions.usage)
    if claims_gb:
        out.append(_item("EBS gp3 claims", "EBS", round(claims_gb, 3), "GB", prices.gp3_gb_month))
    if found.kms_keys:
        out.append(replace(_item("KMS keys of the stack", "KMS", found.kms_keys, "key", prices.kms_key), source=f"{prices.kms_key.source}; {KMS_ROTATION_NOTE}"))
    if found.clusters:
        out.append(_item("KMS keys of the state backend (tools bootstrap-backend)", "KMS", BACKEND_KMS_KEYS, "key", prices.kms_key))
        out += _usage_items(prices, assumptions.usage, logs=found.log_groups > 0)
    return tuple(out)


def after_destroy(found: Found, claims_gb: float, prices: AwsPrices, assumptions: Assumptions) -> tuple[Item, ...]:
    """What keeps billing after `pulumi destroy`: retained volumes (reclaim Retain, claims
    kept), protected KMS keys (until deleted by hand, then 30 days of pending deletion free of
    charge), ECR repositories kept on delete with their images, and the state backend's keys."""
    if not found.clusters:
        return ()
    out = []
    if claims_gb:
        out.append(_item("retained EBS volumes of the claims", "EBS", round(claims_gb, 3), "GB", prices.gp3_gb_month))
    if found.kms_keys:
        out.append(_item("protected KMS keys of the stack", "KMS", found.kms_keys, "key", prices.kms_key))
    if found.repositories:
        out.append(_item(f"ECR repositories kept ({found.repositories}) with their images (ecrGb)", "ECR",
                         assumptions.usage["ecrGb"], "GB", prices.ecr_gb_month))
    out.append(_item("KMS keys of the state backend", "KMS", BACKEND_KMS_KEYS, "key", prices.kms_key))
    return tuple(out)


def baseline_group() -> NodeGroup:
    """eksctl's node group as seed 004 makes it: t3.medium on-demand, 80 GB, no labels or taints."""
    return NodeGroup("baseline", (BASELINE_INSTANCE,), "ON_DEMAND", 0, 1000, BASELINE_DISK_GB)


def naive_baseline(found: Found, claims_gb: float, prices: AwsPrices, packing: Packing, assumptions: Assumptions) -> tuple[Item, ...]:
    """The same workload deployed the seeds' naive way (see the constants above), its t3.medium
    count from the same bin-packing. Only for a stack with an EKS cluster."""
    if not found.clusters:
        return ()
    (result,) = packing.groups
    n = result.billed_nodes
    group = replace(baseline_group(), desired=n, maximum=n)
    nodes, disks = _nodes(group, (n, n), prices, assumptions)
    lbs = tuple(LoadBalancer(lb.kind, lb.name, lb.public) for lb in found.load_balancers)
    cite = lambda item, source: replace(item, source=f"{source}; {item.source}")  # noqa: E731
    return (
        _item("EKS control plane", "EKS", 1, "cluster", prices.eks_control_plane),
        cite(nodes, f"seed 004 --node-type t3.medium, count bin-packed ({EKSCTL})"),
        cite(disks, f"{EKSCTL} DefaultNodeVolumeSize = 80"),
        cite(_item("public IPv4 of each node (public subnets)", "IPv4", n, "address", prices.public_ipv4),
             f"{EKSCTL} PrivateNetworking false, MapPublicIpOnLaunch"),
        cite(_item("NAT gateway (one)", "NAT", 1, "gateway", prices.nat_gateway), f"{EKSCTL} ClusterNATDefault = ClusterSingleNAT"),
        _item("Elastic IP of the NAT gateway", "IPv4", 1, "address", prices.public_ipv4),
        *_load_balancer_items(lbs, BASELINE_AZS, prices, assumptions.usage),
        _item("EBS gp3 claims", "EBS", round(claims_gb, 3), "GB", prices.gp3_gb_month),
        *_usage_items(prices, assumptions.usage, logs=False),
    )
