"""The configuration space the tests walk: every key ``Pulumi.yaml`` declares, and the stack
renders at non-default settings that the config walk (``tests/unit/test_config_walk.py``) and
the cost quantities (``tests/stacks/test_cost_quantities.py``) share.

A ``Setting`` is a stack plus overrides written as stack-file values. ``render(setting)`` runs
the real program once per distinct setting per session; a setting without overrides is the
stack's own run, shared with every other test through ``tests.conftest.stack_run``.

``python -m tests.config_space --table`` prints the walk's table (key, stack, value, assertion).
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.cost.model import Estimate
from stacks.costs import estimate_for
from stacks.settings import PROJECT, Settings, settings_from, validate
from tests.conftest import kubeconfig_doc, stack_run
from tools.cliconfig import Secret
from tools.mockrun import Run, run_program, stack_config
from tools.render import Rendered, collect

ROOT = Path(__file__).resolve().parent.parent


def declared_keys() -> dict[str, dict]:
    """``Pulumi.yaml``'s ``config:`` block: key -> declaration (type, description, default)."""
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]


@dataclass(frozen=True)
class Setting:
    """``stack`` with ``overrides`` (short key -> stack-file value, ``Secret`` for a secure one).
    ``contexts``: kubeconfig contexts to provide through ``KUBECONFIG`` while it renders."""

    stack: str
    overrides: tuple[tuple[str, Any], ...] = ()
    contexts: tuple[str, ...] = ()
    label: str = field(default="", compare=False)  # a short name for test ids and the table

    @property
    def name(self) -> str:
        return self.label or self.stack

    def config(self) -> tuple[dict[str, str], list[str]]:
        """Config as the CLI hands it to the program (``tools.mockrun.stack_config``)."""
        return stack_config(self.stack, {f"{PROJECT}:{k}": v for k, v in self.overrides} or None)

    def describe(self) -> str:
        shown = [f"{k}={'[secret]' if isinstance(v, Secret) else v}" for k, v in self.overrides]
        return self.stack + (f" + {', '.join(shown)}" if shown else "")


def setting(stack: str, contexts: tuple[str, ...] = (), label: str = "", **overrides: Any) -> Setting:
    return Setting(stack, tuple(sorted(overrides.items())), contexts, label)


class Result:
    """One render: the run, its objects and releases, the validated values and settings."""

    def __init__(self, setting: Setting, run: Run, values: dict[str, Any]):
        self.setting = setting
        self.run = run
        self.values = values
        self.settings: Settings = settings_from(values, setting.stack)
        self.rendered: Rendered = collect(run)

    def of_type(self, token: str) -> list:
        return self.run.of_type(token)

    def objects(self, kind: str, name: str | None = None) -> list[dict]:
        return [o for o in self.rendered.objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]

    def release(self, suffix: str) -> dict:
        (found,) = [r for r in self.rendered.releases if r["name"].endswith(suffix)]
        return found

    @functools.cached_property
    def estimate(self) -> Estimate:
        return estimate_for(self.setting.stack, self.run.registrations, self.settings)


@contextmanager
def _kubeconfig(contexts: tuple[str, ...]) -> Iterator[None]:
    """A kubeconfig holding ``contexts``, pointed to by KUBECONFIG (restored afterwards)."""
    if not contexts:
        yield
        return
    old = os.environ.get("KUBECONFIG")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kubeconfig"
        path.write_text(yaml.safe_dump(kubeconfig_doc(contexts)))
        os.environ["KUBECONFIG"] = str(path)
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("KUBECONFIG", None)
            else:
                os.environ["KUBECONFIG"] = old


@functools.cache
def render(s: Setting) -> Result:
    """``s`` rendered once per session (``preview=False``), after the loader accepted it."""
    with _kubeconfig(s.contexts):
        config, secrets = s.config()
        values = validate(config, frozenset(secrets))
        run = stack_run(s.stack, False) if not s.overrides else run_program(s.stack, False, config, secrets)
    return Result(s, run, values)


# --- Settings shared by the walk and the cost quantities ---------------------------------
ADMIN = "arn:aws:iam::123456789012:role/walk-admin"
VIEWER = "arn:aws:iam::123456789012:role/walk-viewer"
CERTIFICATE = "arn:aws:acm:us-west-2:123456789012:certificate/0f0e0d0c-0b0a-4090-8070-605040302010"
SLACK_URL = "https://hooks.slack.com/services/T0WALK/B0WALK/walkwalkwalk"

# Every kind key but target, profile and kubeContext, at a non-default value, in one dev render.
DEV_WALK = setting(
    "dev",
    label="dev-walk",
    kindWorkers=3,
    cpuHourlyPrice="0.05",
    memoryGibHourlyPrice="0.01",
    monthlyBudget="123",
    maxIncreasePercent="10",
    alertSlackWebhookUrl=Secret(SLACK_URL),
    alertEmailTo="oncall@example.com",
    alertEmailFrom="alerts@example.com",
    alertSmtpSmarthost="smtp.example.com:2525",
    alertSmtpPassword=Secret("walk-smtp-password"),
    opencost=True,
    finopsDemo=True,
    tripImageTag="walk-7",
)
# An existing cluster's context instead of a new kind cluster.
DEV_CONTEXT = setting("dev", label="dev-context", contexts=("walk-context",), kubeContext="walk-context")
# The eks keys at non-default values, with a new certificate validated in hostedZoneId's zone
# (in the region with price data, so that the estimate prices every line).
EKS_WALK = setting(
    "eks",
    label="eks-walk",
    vpcCidr="10.20.0.0/18",
    availabilityZones=2,
    natGateways="per-az",
    baseInstanceTypes="t4g.xlarge",
    baseArch="arm64",
    baseMinSize=3,
    baseDesiredSize=5,
    baseMaxSize=7,
    spotInstanceTypes="m6g.large,m7g.large,t4g.large",
    spotArch="arm64",
    spotMinSize=0,
    spotDesiredSize=3,
    spotMaxSize=9,
    spotDiscountPercent="50",
    costAssumptions="natGb=250,logGb=20",
    domain="walk.example.org",
    hostedZoneId="Z0WALKZONE42",
    adminPrincipalArns=ADMIN,
    viewerPrincipalArns=VIEWER,
    ecrKeepImages=12,
    apiPublicAccessCidrs="198.51.100.0/24",
    adminCidrs="192.0.2.0/24,198.51.100.7/32",
)
# Another region, with an issued certificate there and no hosted zone: nothing in Route 53,
# no external-dns.
EKS_CERTIFICATE = setting("eks", label="eks-certificate", awsRegion="us-west-2", certificateArn=CERTIFICATE, hostedZoneId="")
# One gateway per zone, everything else as committed (the issue's $43.07 vs $129.21).
EKS_NAT_PER_AZ = setting("eks", label="eks-nat-per-az", natGateways="per-az")


def table() -> str:
    """The walk's per-key table, generated from its registry."""
    from tests.unit.test_config_walk import WALK

    declared = declared_keys()
    lines = ["| key | rendered on | value | asserted |", "|---|---|---|---|"]
    for key in declared:
        entry = WALK.get(key)
        if entry is None:
            lines.append(f"| `{key}` | - | - | **no walk entry** |")
            continue
        overrides = dict(entry.setting.overrides)
        value = overrides[key] if key in overrides else entry.setting.config()[0][f"{PROJECT}:{key}"]
        shown = "[secret]" if isinstance(value, Secret) else value
        lines.append(f"| `{key}` | {entry.setting.name} | `{shown}` | {entry.asserts} |")
    covered = sum(1 for k in declared if k in WALK)
    lines.append(f"\n{covered} of {len(declared)} declared keys covered.")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv != ["--table"]:
        print("usage: python -m tests.config_space --table", file=sys.stderr)
        return 2
    print(table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
