"""The settings loader: the only code that reads Pulumi config.

Every key of the ``cloud-platform`` namespace is declared once in ``KEYS`` (type, default,
description, check). ``Pulumi.yaml`` declares the same keys, and a test keeps the two equal.
``load_settings`` validates everything before the first resource is declared; any problem
stops the run with one line per bad key that names the key, the expected form and the value.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from components.observability.options import Alerting, Features, Pricing
from components.profiles import PROFILES, Profile
from stacks import eks_config
from stacks.eks_config import EksSettings
from stacks.kubeconfig import read_kubeconfig

PROJECT = "cloud-platform"

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$")


class ConfigError(Exception):
    """Bad configuration: the message is the whole story, one line per problem."""


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
)

KEYS_BY_NAME: dict[str, Key] = {k.name: k for k in KEYS}


@dataclass(frozen=True)
class Settings:
    """Validated, typed settings for one stack. Built only by ``load_settings``."""

    stack: str
    target: str
    profile: Profile
    cluster_name: str
    kube_context: str | None
    kind_workers: int
    pricing: Pricing
    alerting: Alerting
    features: Features
    trip_image_tag: str
    eks: EksSettings | None = None

    @property
    def creates_cluster(self) -> bool:
        return self.kube_context is None


def _is_list_or_object(raw: str) -> bool:
    """The CLI hands a YAML list or map over as JSON text; a string key must not take one."""
    if not raw.lstrip().startswith(("[", "{")):
        return False
    try:
        return isinstance(json.loads(raw), (list, dict))
    except ValueError:
        return False


def _parse(key: Key, raw: Any) -> tuple[Any, str | None]:
    """Turn a raw config value (CLI values are strings) into the key's type, or report why not."""
    if key.kind == "string":
        if not isinstance(raw, str):
            return None, "a string"
        return (None, "a string, not a list or an object") if _is_list_or_object(raw) else (raw, None)
    if key.kind == "integer":
        if isinstance(raw, bool):
            return None, "an integer"
        if isinstance(raw, int):
            return raw, None
        if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
            return int(raw), None
        return None, "an integer"
    if key.kind == "boolean":
        if isinstance(raw, bool):
            return raw, None
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true", None
        return None, "true or false"
    raise AssertionError(f"undeclared kind {key.kind}")


def _shown(key: Key, raw: Any) -> str:
    return "[secret]" if key.secret else json.dumps(raw) if not isinstance(raw, str) else f'"{raw}"'


def _unknown_key(name: str) -> str:
    if name in eks_config.RENAMED:
        return f"{PROJECT}:{name} was renamed: set {eks_config.RENAMED[name]} instead (README: Node groups)"
    near = difflib.get_close_matches(name, KEYS_BY_NAME, n=1, cutoff=0.5)
    hint = f'; did you mean "{PROJECT}:{near[0]}"?' if near else f"; valid keys: {', '.join(KEYS_BY_NAME)}"
    return f"{PROJECT}:{name} is not a known key{hint}"


def _check_one(key: Key, value: Any, is_secret: bool) -> tuple[Any, str | None]:
    """The parsed value, or the one line that says what is wrong (a secret's value never shown)."""
    if key.secret and not is_secret:
        return None, f"{PROJECT}:{key.name} must be a secret: set it with `pulumi config set --secret {key.name} ...`"
    parsed, expected = _parse(key, value)
    if expected is None and key.check is not None:
        expected = key.check(parsed)
    if expected is not None:
        return None, f"{PROJECT}:{key.name} must be {expected} (got {_shown(key, value)})"
    return parsed, None


def validate(raw: Mapping[str, Any], secret_keys: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Check raw ``{"cloud-platform:key": value}`` config; return parsed values by short name.

    Keys of other namespaces (``kubernetes:``, ``aws:``) belong to their providers and are ignored.
    The CLI hands every ``Pulumi.yaml`` default over as a plain string, so an empty value of a
    secret key means "not set", secret or not. Raises ConfigError listing every problem, once
    each, one per line.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    reported: set[str] = set()
    prefix = f"{PROJECT}:"
    given = {k[len(prefix) :]: v for k, v in raw.items() if k.startswith(prefix)}
    for name, value in sorted(given.items()):
        key = KEYS_BY_NAME.get(name)
        if key is None:
            problems.append(_unknown_key(name))
            continue
        if key.secret and value == "":
            continue  # the project default: not set
        parsed, problem = _check_one(key, value, f"{prefix}{name}" in secret_keys)
        if problem is not None:
            problems.append(problem)
            reported.add(name)
            continue
        values[name] = parsed
    resolved = {k.name: values.get(k.name, k.default) for k in KEYS}
    problems += _cross_key_problems(resolved, reported)
    if problems:
        raise ConfigError("\n".join(problems))
    return resolved


def _cross_key_problems(values: Mapping[str, Any], reported: set[str]) -> list[str]:
    """Rules that span keys: a profile without a default image tag needs ``tripImageTag``,
    and e-mail alerts need a sender and a server. A rule on a key already reported as bad
    stays silent: each problem is said once, and truthfully."""
    problems = []
    profile = PROFILES.get(values["profile"])
    tag_needed = profile is not None and profile.trip.image_tag is None
    if tag_needed and not values["tripImageTag"] and "tripImageTag" not in reported:
        problems.append(
            f"{PROJECT}:tripImageTag must be set for profile {profile.name} "
            '(a pinned build tag such as prod-63; got "")'
        )
    email_keys = {"alertEmailTo", "alertEmailFrom", "alertSmtpSmarthost"}
    if values["alertEmailTo"] and not (values["alertEmailFrom"] and values["alertSmtpSmarthost"]) and not email_keys & reported:
        problems.append(f"{PROJECT}:alertEmailTo needs {PROJECT}:alertEmailFrom and {PROJECT}:alertSmtpSmarthost as well")
    return problems + eks_config.cross_key_problems(values, reported)


def settings_from(values: Mapping[str, Any], stack: str) -> Settings:
    """Build Settings from validated values (``validate``'s result)."""
    profile = PROFILES[values["profile"]]
    return Settings(
        stack=stack,
        target=values["target"],
        profile=profile,
        cluster_name=values["clusterName"],
        kube_context=values["kubeContext"] or None,
        kind_workers=values["kindWorkers"],
        pricing=Pricing(
            cpu_hourly=float(values["cpuHourlyPrice"]),
            memory_gib_hourly=float(values["memoryGibHourlyPrice"]),
            monthly_budget=float(values["monthlyBudget"]),
            max_increase_percent=float(values["maxIncreasePercent"]),
        ),
        alerting=Alerting(
            slack_webhook_url=values["alertSlackWebhookUrl"] or None,
            email_to=values["alertEmailTo"] or None,
            email_from=values["alertEmailFrom"] or None,
            smtp_smarthost=values["alertSmtpSmarthost"] or None,
            smtp_password=values["alertSmtpPassword"] or None,
        ),
        features=Features(opencost=values["opencost"], finops_demo=values["finopsDemo"]),
        trip_image_tag=values["tripImageTag"] or profile.trip.image_tag,
        eks=eks_config.eks_settings(values) if values["target"] == "eks" else None,
    )


def load_settings() -> Settings:
    """Read and validate this stack's config; raise ConfigError before anything is declared.

    The CLI hands config to the program in ``PULUMI_CONFIG``; mocks and the automation API
    set it in-process. Both are read, so unknown keys are caught either way.
    """
    import pulumi  # the one place Pulumi config is read
    from pulumi.runtime import config as runtime_config

    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret = {k for k in raw if runtime_config.is_config_secret(k)}
    secret |= set(runtime_config.get_config_secret_keys_env())
    values = validate(raw, frozenset(secret))
    return settings_from(values, pulumi.get_stack())
