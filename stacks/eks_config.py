"""The eks target's config: the checks of its keys, the rules between them, and the typed
value ``stacks/settings.py`` hands to ``stacks/eks.py``. No Pulumi import.

The keys themselves are declared with the others in ``stacks/settings.py`` (``KEYS``) and in
``Pulumi.yaml``.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.aws.specs import ARCHES, BASE_POOL, SPOT_POOL, NodeGroupSpec
from components.cost.assumptions import USAGE_DEFAULTS, Assumptions, parse_usage
from components.cost.instances import INSTANCE_TYPES

PROJECT = "cloud-platform"

# Commercial regions with EKS (the `aws` partition). Ref: https://docs.aws.amazon.com/general/latest/gr/eks.html
REGIONS = (
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ca-central-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
    "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
)  # fmt: skip

# EKS minors in standard support in Nov 2026: 1.34 until 2 Dec 2026, 1.35 until 27 Mar 2027.
# Ref: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html and
# https://endoflife.date/amazon-eks (release and end-of-standard-support dates).
# Only 1.35 is accepted: 1.34 leaves standard support within days (the STANDARD upgrade
# policy would then force an upgrade), every object is validated against 1.35 schemas, and
# the Cluster Autoscaler pin (chart 9.59.0, 1.35.0) must match the cluster's minor.
KUBERNETES_VERSIONS = ("1.35",)

_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")
_CERT_ARN = re.compile(r"arn:aws:acm:([a-z0-9-]+):(\d{12}):certificate/[0-9a-f-]{36}")
_PRINCIPAL_ARN = re.compile(r"arn:aws:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}")
_INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9]+")


@dataclass(frozen=True)
class PoolDefaults:
    """A node group's keys (``<name>InstanceTypes``, ``<name>Arch``, ``<name>Min/Desired/MaxSize``)."""

    name: str
    description: str
    capacity_type: str
    instance_types: str
    arch: str
    sizes: tuple[int, int, int]
    types_rule: str = ""


POOLS = (
    PoolDefaults(BASE_POOL, "on-demand base group (controllers, stateful and single-replica pods)", "ON_DEMAND",
                 "t3.large", "amd64", (2, 2, 4)),
    PoolDefaults(SPOT_POOL, "Spot group (stateless replicas, tainted cloud-platform/spot)", "SPOT",
                 "m5.large,m5a.large,m6i.large,m6a.large", "amd64", (1, 2, 6),
                 "; at least 3 interchangeable types of the same vCPU and memory"),
)
MIN_SPOT_TYPES = 3
# The keys the two groups replaced (issue 16): a stack still setting one is told what to set.
RENAMED = {
    "systemNodes": f"{PROJECT}:baseMinSize/baseDesiredSize/baseMaxSize",
    "nodeInstanceTypes": f"{PROJECT}:spotInstanceTypes (stateless replicas) or {PROJECT}:baseInstanceTypes",
    "nodeCapacityType": f"nothing: {PROJECT}:base* is on-demand and {PROJECT}:spot* is Spot",
    "nodeMinSize": f"{PROJECT}:spotMinSize (and {PROJECT}:baseMinSize)",
    "nodeDesiredSize": f"{PROJECT}:spotDesiredSize (and {PROJECT}:baseDesiredSize)",
    "nodeMaxSize": f"{PROJECT}:spotMaxSize (and {PROJECT}:baseMaxSize)",
}
def check_cost_assumptions(v: str) -> str | None:
    try:
        parse_usage(v)
    except ValueError:
        return "name=number pairs separated by commas, names among " + ", ".join(USAGE_DEFAULTS) + " (or empty)"
    return None


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def check_region(v: str) -> str | None:
    return None if v in REGIONS else "an AWS region with EKS, such as ap-northeast-2"


def check_vpc_cidr(v: str) -> str | None:
    """A private IPv4 network from /16 to /20: room for 2-3 AZs of public and private subnets."""
    form = "a private IPv4 CIDR from /16 to /20, such as 10.0.0.0/16"
    try:
        net = ipaddress.IPv4Network(v, strict=True)
    except ValueError:
        return form
    return None if net.is_private and 16 <= net.prefixlen <= 20 else form


def check_domain(v: str) -> str | None:
    return None if v == "" or _DOMAIN.fullmatch(v) else "a lowercase DNS domain such as 2025teamproject.store (or empty)"


def check_zone_id(v: str) -> str | None:
    return None if v == "" or _ZONE_ID.fullmatch(v) else "a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ (or empty)"


def check_certificate_arn(v: str) -> str | None:
    if v == "" or _CERT_ARN.fullmatch(v):
        return None
    return "an ACM certificate ARN, arn:aws:acm:<region>:<account>:certificate/<id> (or empty)"


def check_principals(v: str) -> str | None:
    ok = all(_PRINCIPAL_ARN.fullmatch(p) for p in _csv(v))
    return None if ok else "comma-separated IAM role or user ARNs, arn:aws:iam::<account>:role/<name> (or empty)"


@functools.cache
def ec2_instance_types() -> frozenset[str]:
    """Every instance type EC2's API accepts: the ``InstanceType`` enumeration of the EC2 service
    model that botocore ships (pinned through boto3 in requirements.txt), read offline."""
    import botocore.session  # the service model only: no client, no credentials, no network

    model = botocore.session.get_session().get_service_model("ec2")
    return frozenset(model.shape_for("InstanceType").enum)


def check_instance_types(v: str) -> str | None:
    """For any key holding comma-separated instance types: each must be an EC2 instance type,
    or a node group would fail at AWS after the VPC, NAT gateway and cluster exist (and the
    cost estimate would price it at nothing)."""
    types = _csv(v)
    known = ec2_instance_types()
    unknown = [t for t in types if t not in known]
    if types and not unknown:
        return None
    form = "comma-separated EC2 instance types, such as t3.medium"
    if not unknown or not all(_INSTANCE_TYPE.fullmatch(t) for t in unknown):
        return form
    near = difflib.get_close_matches(unknown[0], sorted(known), n=1, cutoff=0.6)
    hint = f"; did you mean {near[0]}?" if near else ""
    return f"{form} ({unknown[0]} is not an EC2 instance type{hint})"


def check_public_cidrs(v: str) -> str | None:
    """Comma-separated IPv4 CIDRs, none of them the whole internet: the API server's public
    endpoint (``apiPublicAccessCidrs``) and the admin UIs (``adminCidrs``) must never be
    open to 0.0.0.0/0. Empty is accepted (closed)."""
    form = "comma-separated IPv4 CIDRs such as 203.0.113.0/24, never 0.0.0.0/0 (or empty)"
    for part in _csv(v):
        try:
            net = ipaddress.IPv4Network(part, strict=True)
        except ValueError:
            return form
        if net.prefixlen == 0:
            return form
    return None


def cross_key_problems(values: Mapping[str, Any], reported: set[str]) -> list[str]:
    """Rules between eks keys; they apply only when the target is eks. A rule on a key
    already reported as bad stays silent: its value here would be the default, not the user's."""
    if values["target"] != "eks" or "target" in reported:
        return []
    p = PROJECT
    problems = []
    for pool in POOLS:
        problems += _pool_problems(pool, values, reported)
    if not values["domain"] and "domain" not in reported:
        problems.append(f'{p}:domain must be set for target eks (a DNS domain such as 2025teamproject.store; got "")')
    if not values["hostedZoneId"] and not values["certificateArn"] and not {"hostedZoneId", "certificateArn"} & reported:
        problems.append(
            f"{p}:certificateArn or {p}:hostedZoneId must be set for target eks "
            "(an issued ACM certificate, or the Route 53 zone that validates a new one)"
        )
    match = _CERT_ARN.fullmatch(values["certificateArn"])
    if match and match.group(1) != values["awsRegion"] and "awsRegion" not in reported:
        problems.append(
            f"{p}:certificateArn must be in {p}:awsRegion {values['awsRegion']}, the ALB's region "
            f'(got a certificate in "{match.group(1)}")'
        )
    if values["kubeContext"]:
        problems.append(f"{p}:kubeContext applies only to target kind; eks builds its kubeconfig from the cluster")
    return problems


def _pool_problems(pool: PoolDefaults, values: Mapping[str, Any], reported: set[str]) -> list[str]:
    p, n = PROJECT, pool.name
    out = []
    low, want, high = values[f"{n}MinSize"], values[f"{n}DesiredSize"], values[f"{n}MaxSize"]
    if not low <= want <= high and not {f"{n}MinSize", f"{n}DesiredSize", f"{n}MaxSize"} & reported:
        out.append(f"{p}:{n}DesiredSize must lie between {p}:{n}MinSize and {p}:{n}MaxSize (got min {low}, desired {want}, max {high})")
    if n == BASE_POOL and low < 1 and f"{n}MinSize" not in reported:
        out.append(f"{p}:baseMinSize must be at least 1: stateful pods and controllers run only there (got 0)")
    if f"{n}InstanceTypes" in reported or f"{n}Arch" in reported:
        return out
    types = _csv(values[f"{n}InstanceTypes"])
    unknown = [t for t in types if t not in INSTANCE_TYPES]
    if unknown:
        return out + [
            f"{p}:{n}InstanceTypes has types without capacity data: {', '.join(unknown)} "
            f"(known: {', '.join(INSTANCE_TYPES)}; add one to components/cost/instances.py)"
        ]
    arch = values[f"{n}Arch"]
    wrong = [t for t in types if INSTANCE_TYPES[t].arch != arch]
    if wrong:
        out.append(f"{p}:{n}InstanceTypes must all be {p}:{n}Arch {arch} (got {', '.join(f'{t} ({INSTANCE_TYPES[t].arch})' for t in wrong)})")
    if pool.capacity_type == "SPOT":
        sizes = {INSTANCE_TYPES[t].size for t in types}
        if len(set(types)) < MIN_SPOT_TYPES or len(sizes) > 1:
            out.append(
                f"{p}:{n}InstanceTypes must be at least {MIN_SPOT_TYPES} different types of the same vCPU and memory, "
                f"so one reclaimed Spot pool does not empty the group (got {', '.join(types)})"
            )
    return out


@dataclass(frozen=True)
class EksSettings:
    """Validated eks config (see ``Pulumi.yaml`` for each key's meaning)."""

    region: str
    kubernetes_version: str
    vpc_cidr: str
    az_count: int
    nat_per_az: bool
    node_groups: tuple[NodeGroupSpec, ...]
    cost: Assumptions
    domain: str
    hosted_zone_id: str | None
    certificate_arn: str | None
    admin_principals: tuple[str, ...]
    viewer_principals: tuple[str, ...]
    ecr_keep_images: int
    api_public_cidrs: tuple[str, ...] = ()
    admin_cidrs: tuple[str, ...] = ()

    @property
    def api_public(self) -> bool:
        """The API server has a public endpoint only when CIDRs are listed; else private only."""
        return bool(self.api_public_cidrs)


def eks_settings(values: Mapping[str, Any]) -> EksSettings:
    return EksSettings(
        region=values["awsRegion"],
        kubernetes_version=values["kubernetesVersion"],
        vpc_cidr=values["vpcCidr"],
        az_count=values["availabilityZones"],
        nat_per_az=values["natGateways"] == "per-az",
        node_groups=tuple(
            NodeGroupSpec(
                pool=pool.name,
                instance_types=_csv(values[f"{pool.name}InstanceTypes"]),
                capacity_type=pool.capacity_type,
                arch=values[f"{pool.name}Arch"],
                min_size=values[f"{pool.name}MinSize"],
                desired_size=values[f"{pool.name}DesiredSize"],
                max_size=values[f"{pool.name}MaxSize"],
            )
            for pool in POOLS
        ),
        cost=Assumptions(float(values["spotDiscountPercent"]), parse_usage(values["costAssumptions"])),
        domain=values["domain"],
        hosted_zone_id=values["hostedZoneId"] or None,
        certificate_arn=values["certificateArn"] or None,
        admin_principals=_csv(values["adminPrincipalArns"]),
        viewer_principals=_csv(values["viewerPrincipalArns"]),
        ecr_keep_images=values["ecrKeepImages"],
        api_public_cidrs=_csv(values["apiPublicAccessCidrs"]),
        admin_cidrs=_csv(values["adminCidrs"]),
    )

