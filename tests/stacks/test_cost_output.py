"""``monthlyCostEstimate``: exported by every stack, from the program's own declarations, and the
same figures ``tools cost`` prints from the mock run's registrations."""

from __future__ import annotations

import pytest

from components.cost.prices import AP_NORTHEAST_2
from tests.conftest import EKS_STACKS, stack_run
from tools.__main__ import main as cli
from tools.cost import estimate_run, stack_settings


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_every_stack_exports_its_estimate_and_it_matches_the_tool(stack, preview):
    run = stack_run(stack, preview)
    exported = run.outputs["monthlyCostEstimate"]
    assert "monthlyCostEstimate" not in run.secret_outputs  # figures, nothing to hide
    assert exported == estimate_run(run, stack_settings(stack)).summary()
    assert exported["currency"] == "USD" and exported["monthly"] > 0


def test_kind_stacks_are_priced_from_their_requests_within_their_budget(kind_stack):
    stack = kind_stack
    exported = stack_run(stack, False).outputs["monthlyCostEstimate"]
    assert exported["basis"] == "workload requests"  # kind has no bill: its requests are priced
    # The render summary's requests at OpenCost's prices: the dev figure is the README's 2.58 vCPU / 6.37 GiB.
    if stack == "dev":
        assert exported["monthly"] == pytest.approx((2.58 * 0.031611 + 6.37 * 0.004237) * 730, abs=0.3)
    assert exported["monthly"] <= stack_settings(stack).pricing.monthly_budget


@pytest.mark.parametrize("fmt,marker", [("table", "USD/mo min/max"), ("markdown", "| namespace | workload |"), ("json", '"workloadRows"')])
def test_tools_cost_prints_each_format(capsys, fmt, marker):
    assert cli(["cost", "dev", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert out.startswith(("dev: $", "### dev: $", "{")) and marker in out


@pytest.mark.parametrize("stack", EKS_STACKS)
def test_an_eks_stack_is_priced_from_its_configured_infrastructure_and_beats_the_baseline(stack):
    settings = stack_settings(stack)
    assert settings.eks is not None
    eks, hourly = settings.eks, 730
    s = stack_run(stack, False).outputs["monthlyCostEstimate"]
    assert s["basis"] == "infrastructure" and s["region"] == eks.region and s["unpriced"] == []
    items = s["infrastructure"]
    assert items["EKS control plane"] == pytest.approx(0.10 * hourly)
    base = eks.node_groups[0]
    assert items[f"nodes {settings.cluster_name}-base ({base.instance_types[0]} on-demand)"] == pytest.approx(
        round(base.desired_size * AP_NORTHEAST_2.on_demand[base.instance_types[0]].usd * hourly, 2)
    )
    nat = eks.az_count if eks.nat_per_az else 1
    assert items["NAT gateways (hourly)"] == pytest.approx(round(nat * 0.059 * hourly, 2))
    lbs = [k for k in items if k.startswith(("ALB ", "NLB ")) and "capacity units" not in k]
    assert [k for k in lbs if k.startswith("ALB ")] == ["ALB trip-service-alb"]  # one shared ALB (seed 004)
    assert len([k for k in lbs if k.startswith("NLB ")]) == 1  # the frontend's NLB
    assert s["ratioToBaseline"] < 1  # the seeds' naive setup is the baseline to beat
