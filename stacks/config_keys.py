"""Every key of the ``cloud-platform`` namespace, declared once (type, default, description,
check), and which other namespaces a stack may set: those of the providers the program uses.

``Pulumi.yaml`` declares the same keys, and a test keeps the two equal. The loader that reads
them is ``stacks/settings.py``. No Pulumi import.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from stacks import eks_config
from stacks.kubeconfig import read_kubeconfig

PROJECT = "cloud-platform"
# Pulumi's own namespace (``pulumi:disable-default-providers``, ``pulumi:tags``).
ENGINE_NAMESPACE = "pulumi"

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$")


@dataclass(frozen=True)
class Key:
    """One declared config key.

    ``kind`` is the Pulumi.yaml type (string, integer, boolean). ``check`` returns the
    expected form when a parsed value is unacceptable, else ``None``. ``secret`` keys must be
    set with ``pulumi config set --secret`` and are never echoed in errors.
    """

    name: str
    kind: str
    default: Any
    description: str
    check: Callable[[Any], str | None] | None = None
    secret: bool = False


def _one_of(*choices: str) -> Callable[[Any], str | None]:
    return lambda v: None if v in choices else "one of " + ", ".join(choices)


def _int_between(lo: int, hi: int) -> Callable[[Any], str | None]:
    return lambda v: None if lo <= v <= hi else f"an integer from {lo} to {hi}"


def _dns_label(v: str) -> str | None:
    return None if _DNS_LABEL.match(v) else "a DNS label (lowercase letters, digits and '-', at most 32 characters)"


def _readable(number: float) -> str:
    """A bound as people write it: 10000000, 0.01 (never 1e+07)."""
    text = format(Decimal(repr(float(number))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _decimal(lo: float, hi: float) -> Callable[[Any], str | None]:
    """Pulumi.yaml has no decimal type, so prices are strings parsed here."""

    def check(v: str) -> str | None:
        try:
            ok = lo <= float(v) <= hi and v.strip() == v
        except ValueError:
            ok = False
        return None if ok else f"a decimal number from {_readable(lo)} to {_readable(hi)}"

    return check


def _optional(pattern: str, form: str) -> Callable[[Any], str | None]:
    compiled = re.compile(pattern)
    return lambda v: None if v == "" or compiled.fullmatch(v) else f"{form} (or empty)"


_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
# A Docker tag (https://docs.docker.com/reference/cli/docker/image/tag/), never the moving
# ``latest``: a prod rollout must name the build it ships.
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def _image_tag(v: str) -> str | None:
    if v == "" or (_IMAGE_TAG.match(v) and v != "latest"):
        return None
    return "a pinned image tag such as prod-63 (letters, digits, '_', '.', '-'; not \"latest\")"


_HOST_PORT = re.compile(r"([A-Za-z0-9.-]+):(\d{1,5})")


def _host_port(v: str) -> str | None:
    match = _HOST_PORT.fullmatch(v)
    if v == "" or (match and 1 <= int(match.group(2)) <= 65535):
        return None
    return "host:port with a port from 1 to 65535 (or empty)"


def _context_name(v: str) -> str | None:
    """The context must exist in the kubeconfig the provider reads, or every resource would be
    declared against a cluster that is not there."""
    if v == "":
        return None
    if len(v) > 253 or v.strip() != v:
        return "a kubeconfig context name without surrounding spaces"
    kubeconfig = read_kubeconfig()
    if v in kubeconfig.contexts:
        return None
    return f"an existing kubeconfig context ({kubeconfig.describe()})"


def _node_group_keys() -> tuple[Key, ...]:
    """The keys of the two eks node groups, ``base`` and ``spot`` (defaults in ``eks_config.POOLS``)."""
    out = []
    for pool in eks_config.POOLS:
        what = f"eks: {pool.description}"
        out += [
            Key(f"{pool.name}InstanceTypes", "string", pool.instance_types,
                f"{what}: comma-separated instance types of one architecture{pool.types_rule}.", eks_config.check_instance_types),
            Key(f"{pool.name}Arch", "string", pool.arch,
                f"{what}: CPU architecture, amd64 or arm64 (Graviton; every image placed there must publish it).",
                _one_of(*eks_config.ARCHES)),
            Key(f"{pool.name}MinSize", "integer", pool.sizes[0], f"{what}: minimum nodes.", _int_between(0, 50)),
            Key(f"{pool.name}DesiredSize", "integer", pool.sizes[1], f"{what}: nodes at creation (the autoscaler moves it).", _int_between(0, 50)),
            Key(f"{pool.name}MaxSize", "integer", pool.sizes[2], f"{what}: maximum nodes the autoscaler may reach.", _int_between(1, 50)),
        ]
    return tuple(out)


KEYS: tuple[Key, ...] = (
    Key("target", "string", "kind", "Cluster target: kind (a local kind cluster) or eks (AWS EKS).", _one_of("kind", "eks")),
    Key(
        "profile",
        "string",
        "dev",
        "Size profile: dev, staging or prod (replicas, requests, limits, storage).",
        _one_of("dev", "staging", "prod"),
    ),
    Key("clusterName", "string", "cloud-platform", "Name of the kind or EKS cluster that `pulumi up` creates.", _dns_label),
    Key(
        "kubeContext",
        "string",
        "",
        "Use this existing kubeconfig context instead of creating a kind cluster (empty: create one).",
        _context_name,
    ),
    Key("kindWorkers", "integer", 2, "Number of kind worker nodes (seed 000: 2).", _int_between(1, 5)),
    Key(
        "cpuHourlyPrice",
        "string",
        "0.031611",
        "USD per vCPU-hour for the FinOps cost panels, the budget alert and OpenCost (default: OpenCost's).",
        _decimal(0, 100),
    ),
    Key(
        "memoryGibHourlyPrice",
        "string",
        "0.004237",
        "USD per GiB-hour of memory for the FinOps cost panels, the budget alert and OpenCost (default: OpenCost's).",
        _decimal(0, 100),
    ),
    Key(
        "monthlyBudget",
        "string",
        "100",
        "USD per month the stack may cost: above it, the MonthlyCostOverBudget alert fires (live requests) "
        "and `tools diff` fails (the estimate: requests on kind, the AWS bill on eks).",
        _decimal(0.01, 10_000_000),
    ),
    Key(
        "maxIncreasePercent",
        "string",
        "25",
        "Largest increase of the estimated monthly cost, in percent of the base, that `tools diff` lets a change make.",
        _decimal(0, 10_000),
    ),
    Key(
        "alertSlackWebhookUrl",
        "string",
        "",
        "Slack incoming-webhook URL for Alertmanager (secret; empty: no Slack notifications).",
        _optional(r"https://\S+", "an https:// URL"),
        secret=True,
    ),
    Key("alertEmailTo", "string", "", "Alert e-mail recipient (empty: no e-mail notifications).", _optional(_EMAIL, "an e-mail address")),
    Key("alertEmailFrom", "string", "", "Sender address and SMTP user for alert e-mail.", _optional(_EMAIL, "an e-mail address")),
    Key(
        "alertSmtpSmarthost",
        "string",
        "",
        "SMTP server for alert e-mail, host:port.",
        _host_port,
    ),
    Key("alertSmtpPassword", "string", "", "SMTP password for alert e-mail (secret).", secret=True),
    Key("opencost", "boolean", False, "Install OpenCost, reading the platform's Prometheus and the configured prices."),
    Key(
        "finopsDemo",
        "boolean",
        False,
        "Deploy seed 001's FinOps demo namespaces (production, staging, development); needs 0.85 vCPU of room.",
    ),
    Key(
        "tripImageTag",
        "string",
        "",
        "Tag of the Trip Currency images (korgosu/*). Empty: the profile's tag (dev-latest, "
        "staging-latest); prod has none and must pin a build tag such as prod-63.",
        _image_tag,
    ),
    # eks target (stacks/eks_config.py holds the checks and the rules between these keys).
    Key("awsRegion", "string", "ap-northeast-2", "eks: AWS region of the cluster, the ALB and the certificate (seed 004: ap-northeast-2).", eks_config.check_region),
    Key(
        "kubernetesVersion",
        "string",
        "1.35",
        "eks: Kubernetes minor of the cluster (1.35: in EKS standard support, matching the pinned Cluster Autoscaler).",
        _one_of(*eks_config.KUBERNETES_VERSIONS),
    ),
    Key("vpcCidr", "string", "10.0.0.0/16", "eks: the VPC's private IPv4 CIDR, /16 to /20.", eks_config.check_vpc_cidr),
    Key("availabilityZones", "integer", 3, "eks: availability zones for the subnets (2 or 3).", _int_between(2, 3)),
    Key(
        "natGateways",
        "string",
        "single",
        "eks: NAT gateways, single (one, cheapest) or per-az (one per zone, survives a zone outage).",
        _one_of("single", "per-az"),
    ),
    *_node_group_keys(),
    Key(
        "spotDiscountPercent",
        "string",
        "60",
        "eks: assumed Spot discount below on-demand, in percent, for the cost estimate (Spot prices move; "
        "check `aws ec2 describe-spot-price-history`).",
        _decimal(0, 90),
    ),
    Key(
        "costAssumptions",
        "string",
        "",
        "eks: monthly usage the cost estimate assumes, as name=number pairs separated by commas "
        "(natGb, logGb, albLcu, nlbLcu, crossAzGb, ecrGb, hostedZones, dnsQueriesMillions); unset names keep their defaults.",
        eks_config.check_cost_assumptions,
    ),
    Key("domain", "string", "", "eks: public DNS domain of the ALB hosts (required on eks).", eks_config.check_domain),
    Key(
        "hostedZoneId",
        "string",
        "",
        "eks: Route 53 hosted zone that validates a new ACM certificate (empty: use certificateArn).",
        eks_config.check_zone_id,
    ),
    Key(
        "certificateArn",
        "string",
        "",
        "eks: an issued ACM certificate in awsRegion covering the hosts (empty: create one, needs hostedZoneId).",
        eks_config.check_certificate_arn,
    ),
    Key(
        "adminPrincipalArns",
        "string",
        "",
        "eks: comma-separated IAM role/user ARNs given cluster-admin access entries.",
        eks_config.check_principals,
    ),
    Key(
        "viewerPrincipalArns",
        "string",
        "",
        "eks: comma-separated IAM role/user ARNs given read-only access entries (AmazonEKSAdminViewPolicy), "
        "e.g. the CI preview role that runs the drift check.",
        eks_config.check_principals,
    ),
    Key("ecrKeepImages", "integer", 30, "eks: images each ECR repository keeps (lifecycle policy).", _int_between(1, 1000)),
    Key(
        "apiPublicAccessCidrs",
        "string",
        "",
        "eks: comma-separated CIDRs that may reach the Kubernetes API's public endpoint; never 0.0.0.0/0. "
        "Empty: private endpoint only (run pulumi and kubectl from inside the VPC, e.g. over a VPN).",
        eks_config.check_public_cidrs,
    ),
    Key(
        "adminCidrs",
        "string",
        "",
        "eks: comma-separated CIDRs admitted to Grafana and the Jaeger UI on a separate admin ALB; never 0.0.0.0/0. "
        "Empty: no admin ALB, reach them with kubectl port-forward.",
        eks_config.check_public_cidrs,
    ),
)

KEYS_BY_NAME: dict[str, Key] = {k.name: k for k in KEYS}


@functools.cache
def provider_namespaces() -> frozenset[str]:
    """Config namespaces of the resource providers the program uses: the Python packages in its
    environment that carry a ``pulumi-plugin.json`` with ``"resource": true``, the file Pulumi's
    Python language host reads to know which provider plugins a program needs (``aws``,
    ``kubernetes``, ``eks``, ``random``, ``command``, ``tls`` with today's requirements). A
    provider added to requirements.txt is accepted with no list to edit here.
    Ref: https://www.pulumi.com/docs/iac/guides/building-extending/packages/ (pulumi-plugin.json)
    """
    found = set()
    for entry in sys.path:
        for path in Path(entry or ".").glob("pulumi_*/pulumi-plugin.json"):
            try:
                plugin = json.loads(path.read_text() or "{}")
            except (OSError, ValueError):
                continue
            if plugin.get("resource") and plugin.get("name"):
                found.add(str(plugin["name"]))
    return frozenset(found)
