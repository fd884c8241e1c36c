"""Edges of every declared key, through the CLI's hand-over and the settings loader.

- A bounded key (integers, ports, sizes, CIDR prefix lengths, prices, percentages) is tried at
  lo-1, lo, hi and hi+1 (one step past the bound): inside values are accepted, outside ones
  refused with exactly the key's own line, ``cloud-platform:<key> must be <form> (got "<v>")``.
- An enumerated key is tried at each allowed value and one wrong value.
- Every other key at one valid and one invalid value.

``EDGES`` has one entry per key; a key ``Pulumi.yaml`` declares without one fails, naming the
key. ``context`` holds the other keys an edge needs so that no rule between keys speaks
instead of the key's own bound (``nodeDesiredSize = 0`` with ``nodeMinSize = 0``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from components.cost.assumptions import USAGE_DEFAULTS
from stacks.settings import KEYS_BY_NAME, PROJECT, ConfigError, validate
from tests.config_space import declared_keys
from tools.cliconfig import Secret
from tools.mockrun import ConfigRefused, stack_config

P = f"{PROJECT}:"
EDGES_FILE = "tests/unit/test_config_edges.py"
EMAIL = {"alertEmailTo": "oncall@example.com", "alertEmailFrom": "alerts@example.com", "alertSmtpSmarthost": "smtp.example.com:587"}


@dataclass(frozen=True)
class Bounded:
    """Accepts ``lo``..``hi``; ``step`` past either bound is refused as ``form``. ``write``
    turns the bounded figure into the key's value (a prefix length into a CIDR)."""

    lo: Any
    hi: Any
    form: str
    step: Any = 1
    write: Callable[[Any], Any] = str
    stack: str = "dev"
    context: dict[str, Any] = field(default_factory=dict)
    # The exact line for lo-1 when a rule between keys sets the lower bound above the key's own.
    low_line: str | None = None

    def inside(self) -> list:
        return [self.write(self.lo), self.write(self.hi)]

    def outside(self) -> list:
        return [self.write(self.lo - self.step), self.write(self.hi + self.step)]


@dataclass(frozen=True)
class Enum:
    """Accepts each of ``values``; ``wrong`` is refused as ``form`` (None: the CLI's type check)."""

    values: tuple
    wrong: Any
    form: str | None
    stack: str = "dev"
    context: dict[str, Any] = field(default_factory=dict)
    per_value: dict[Any, dict[str, Any]] = field(default_factory=dict)  # context for one value only

    def inside(self) -> list:
        return list(self.values)

    def outside(self) -> list:
        return [self.wrong]


@dataclass(frozen=True)
class Form:
    """A free-form key: ``good`` accepted, ``bad`` refused as ``form``."""

    good: Any
    bad: Any
    form: str
    stack: str = "dev"
    context: dict[str, Any] = field(default_factory=dict)

    def inside(self) -> list:
        return [self.good]

    def outside(self) -> list:
        return [self.bad]


def price(lo: str, hi: str) -> Bounded:
    return Bounded(Decimal(lo), Decimal(hi), f"a decimal number from {lo} to {hi}", Decimal("0.01"))


def ints(lo: int, hi: int, stack: str = "dev", low_line: str | None = None, own_lo: int | None = None, **context: Any) -> Bounded:
    """``lo``..``hi`` accepted; ``own_lo``: the key's own lower bound, when a rule between
    keys (``low_line``) raises it to ``lo``."""
    form = f"an integer from {lo if own_lo is None else own_lo} to {hi}"
    return Bounded(lo, hi, form, stack=stack, context=context, low_line=low_line)


def one_of(*values: str, wrong: str, stack: str = "dev", **context: Any) -> Enum:
    return Enum(values, wrong, "one of " + ", ".join(values), stack, context)


BOOLEAN = Enum((True, False), "yes", None)
DNS_LABEL = "a DNS label (lowercase letters, digits and '-', at most 32 characters)"
INSTANCE_TYPES_FORM = "comma-separated EC2 instance types, such as t3.medium"
PUBLIC_CIDRS = "comma-separated IPv4 CIDRs such as 203.0.113.0/24, never 0.0.0.0/0 (or empty)"
PRINCIPALS = "comma-separated IAM role or user ARNs, arn:aws:iam::<account>:role/<name> (or empty)"

EDGES: dict[str, Bounded | Enum | Form] = {
    "target": one_of("kind", "eks", wrong="gke", stack="eks"),
    "profile": one_of("dev", "staging", "prod", wrong="production", tripImageTag="prod-63"),
    # The name's length, 1 to 32 characters.
    "clusterName": Bounded(1, 32, DNS_LABEL, write=lambda n: "c" * n),
    "kubeContext": Form("", " kind-x ", "a kubeconfig context name without surrounding spaces"),
    "kindWorkers": ints(1, 5),
    "cpuHourlyPrice": price("0", "100"),
    "memoryGibHourlyPrice": price("0", "100"),
    "monthlyBudget": price("0.01", "10000000"),
    "maxIncreasePercent": price("0", "10000"),
    "alertSlackWebhookUrl": Form(Secret("https://hooks.slack.com/services/T/B/X"), Secret("http://hooks.slack.com/x"), "an https:// URL (or empty)"),
    "alertEmailTo": Form("oncall@example.com", "oncall", "an e-mail address (or empty)", context=EMAIL),
    "alertEmailFrom": Form("alerts@example.com", "alerts@", "an e-mail address (or empty)", context=EMAIL),
    # The port, 1 to 65535.
    "alertSmtpSmarthost": Bounded(1, 65535, "host:port with a port from 1 to 65535 (or empty)",
                                  write=lambda port: f"smtp.example.com:{port}", context=EMAIL),
    # Any password, but only as a secret.
    "alertSmtpPassword": Form(Secret("s3cret"), "s3cret", None, context=EMAIL),
    "opencost": BOOLEAN,
    "finopsDemo": BOOLEAN,
    "tripImageTag": Form("prod-63", "latest", 'a pinned image tag such as prod-63 (letters, digits, \'_\', \'.\', \'-\'; not "latest")'),
    "awsRegion": Form("eu-west-1", "eu-west-9", "an AWS region with EKS, such as ap-northeast-2", stack="eks"),
    "kubernetesVersion": one_of("1.35", wrong="1.34", stack="eks"),
    # The prefix length, /16 to /20.
    "vpcCidr": Bounded(16, 20, "a private IPv4 CIDR from /16 to /20, such as 10.0.0.0/16", write=lambda n: f"10.0.0.0/{n}", stack="eks"),
    "availabilityZones": ints(2, 3, stack="eks"),
    "natGateways": one_of("single", "per-az", wrong="per-zone", stack="eks"),
    "baseInstanceTypes": Form("t3.xlarge", "t3.large,,Large", INSTANCE_TYPES_FORM, stack="eks"),
    "spotInstanceTypes": Form("m5.large,m5a.large,m6i.large", "m5.large,M5A", INSTANCE_TYPES_FORM, stack="eks"),
    "baseArch": Enum(("amd64", "arm64"), "x86_64", "one of amd64, arm64", "eks", per_value={"arm64": {"baseInstanceTypes": "t4g.large"}}),
    "spotArch": Enum(("amd64", "arm64"), "aarch64", "one of amd64, arm64", "eks",
                     per_value={"arm64": {"spotInstanceTypes": "m6g.large,m7g.large,t4g.large"}}),
    # The base group hosts controllers and stateful pods: at least 1 node, by a rule between keys.
    "baseMinSize": ints(1, 50, "eks", own_lo=0, baseDesiredSize=50, baseMaxSize=50,
                        low_line=f"{P}baseMinSize must be at least 1: stateful pods and controllers run only there (got 0)"),
    "baseDesiredSize": ints(1, 50, "eks", own_lo=0, baseMinSize=1, baseMaxSize=50,
                            low_line=f"{P}baseDesiredSize must lie between {P}baseMinSize and {P}baseMaxSize (got min 1, desired 0, max 50)"),
    "baseMaxSize": ints(1, 50, "eks", baseMinSize=1, baseDesiredSize=1),
    "spotMinSize": ints(0, 50, "eks", spotDesiredSize=50, spotMaxSize=50),
    "spotDesiredSize": ints(0, 50, "eks", spotMinSize=0, spotMaxSize=50),
    "spotMaxSize": ints(1, 50, "eks", spotMinSize=0, spotDesiredSize=0),
    "spotDiscountPercent": price("0", "90"),
    "costAssumptions": Form("natGb=250,logGb=20", "natGb=lots",
                            "name=number pairs separated by commas, names among " + ", ".join(USAGE_DEFAULTS) + " (or empty)", stack="eks"),
    "domain": Form("walk.example.org", "Walk.Example", "a lowercase DNS domain such as 2025teamproject.store (or empty)", stack="eks"),
    "hostedZoneId": Form("Z0WALKZONE42", "zone-1", "a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ (or empty)", stack="eks"),
    "certificateArn": Form("arn:aws:acm:ap-northeast-2:123456789012:certificate/0f0e0d0c-0b0a-4090-8070-605040302010", "arn:aws:acm:ap-northeast-2:123456789012:cert/x",
                           "an ACM certificate ARN, arn:aws:acm:<region>:<account>:certificate/<id> (or empty)", stack="eks"),
    "adminPrincipalArns": Form("arn:aws:iam::123456789012:role/a,arn:aws:iam::123456789012:user/b", "arn:aws:iam::123:role/a", PRINCIPALS, stack="eks"),
    "viewerPrincipalArns": Form("arn:aws:iam::123456789012:role/ci-preview", "arn:aws:sts::123456789012:role/x", PRINCIPALS, stack="eks"),
    "ecrKeepImages": ints(1, 1000, stack="eks"),
    # The prefix length, /1 to /32: /0 is the whole internet.
    "apiPublicAccessCidrs": Bounded(1, 32, PUBLIC_CIDRS, write=lambda n: f"0.0.0.0/{n}", stack="eks"),
    "adminCidrs": Bounded(1, 32, PUBLIC_CIDRS, write=lambda n: f"192.0.2.7/32,0.0.0.0/{n}", stack="eks"),
}


def refusal(stack: str, key: str, value: Any, context: dict[str, Any]) -> list[str]:
    """The lines the CLI or the loader answer with ``key = value`` on ``stack`` ([] if accepted)."""
    overrides = {f"{P}{k}": v for k, v in {**context, key: value}.items()}
    try:
        config, secrets = stack_config(stack, overrides)
        validate(config, frozenset(secrets))
    except (ConfigRefused, ConfigError) as error:
        return str(error).splitlines()
    return []


def expected_line(key: str, form: str | None, value: Any) -> str:
    if form is None and isinstance(value, str) and KEYS_BY_NAME[key].secret:
        return f"{P}{key} must be a secret: set it with `pulumi config set --secret {key} ...`"
    if form is None:  # the CLI's own type check
        return f"Stack 'dev' with configuration key '{key}' must be of type '{declared_keys()[key]['type']}'"
    shown = "[secret]" if isinstance(value, Secret) else f'"{value}"'
    return f"{P}{key} must be {form} (got {shown})"


def cases() -> list[tuple[str, Any, bool]]:
    out = []
    for key in declared_keys():
        edge = EDGES.get(key)
        if edge is None:
            out.append((key, None, False))
            continue
        out += [(key, v, True) for v in edge.inside()] + [(key, v, False) for v in edge.outside()]
    return out


def _id(value: Any) -> str:
    return "secret" if isinstance(value, Secret) else str(value)


@pytest.mark.parametrize(
    "key,value,accepted", cases(), ids=[f"{k}={_id(v)}-{'in' if ok else 'out'}" for k, v, ok in cases()]
)
def test_edge(key, value, accepted):
    edge = EDGES.get(key)
    if edge is None:
        pytest.fail(
            f"cloud-platform:{key} is declared in Pulumi.yaml but has no edges: add it to EDGES in {EDGES_FILE} "
            "(Bounded for a bounded value, Enum for a choice, Form otherwise)",
            pytrace=False,
        )
    context = {**edge.context, **getattr(edge, "per_value", {}).get(value, {})}
    lines = refusal(edge.stack, key, value, context)
    if accepted:
        assert lines == [], f"{key} = {_id(value)} is inside its bounds but was refused: {lines}"
    elif isinstance(edge, Bounded) and edge.low_line and value == edge.outside()[0]:
        assert lines == [edge.low_line]
    else:
        assert lines == [expected_line(key, edge.form, value)]


def test_every_integer_and_decimal_key_is_tried_at_its_bounds():
    declared = declared_keys()
    decimals = {k.name for k in KEYS_BY_NAME.values() if k.kind == "string" and k.check and "decimal number" in (k.check("x") or "")}
    bounded = {k for k, d in declared.items() if d["type"] == "integer"} | decimals
    assert {"cpuHourlyPrice", "memoryGibHourlyPrice", "monthlyBudget", "maxIncreasePercent"} <= decimals
    assert not {k for k in bounded if not isinstance(EDGES.get(k), Bounded)}


def test_edges_name_only_declared_keys():
    stale = sorted(set(EDGES) - set(declared_keys()))
    assert not stale, f"{EDGES_FILE} has edges for keys Pulumi.yaml no longer declares: {', '.join(stale)}"
