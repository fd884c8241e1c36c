"""``monthlyCostEstimate``: exported by every stack, from the program's own declarations, and the
same figures ``tools cost`` prints from the mock run's registrations."""

from __future__ import annotations

import pytest

from tests.conftest import stack_run
from tools.__main__ import main as cli
from tools.cost import estimate_run, stack_settings


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_every_stack_exports_its_estimate_and_it_matches_the_tool(stack, preview):
    run = stack_run(stack, preview)
    exported = run.outputs["monthlyCostEstimate"]
    assert "monthlyCostEstimate" not in run.secret_outputs  # figures, nothing to hide
    assert exported == estimate_run(run, stack_settings(stack)).summary()
    assert exported["currency"] == "USD" and exported["monthly"] > 0


def test_kind_stacks_are_priced_from_their_requests_within_their_budget(stack):
    exported = stack_run(stack, False).outputs["monthlyCostEstimate"]
    if exported["basis"] != "workload requests":
        pytest.skip(f"{stack} is priced from its infrastructure")
    # The render summary's requests at OpenCost's prices: the dev figure is the README's 2.59 vCPU / 6.40 GiB.
    if stack == "dev":
        assert exported["monthly"] == pytest.approx((2.59 * 0.031611 + 6.40 * 0.004237) * 730, abs=0.3)
    assert exported["monthly"] <= stack_settings(stack).pricing.monthly_budget


@pytest.mark.parametrize("fmt,marker", [("table", "USD/mo min/max"), ("markdown", "| namespace | workload |"), ("json", '"workloadRows"')])
def test_tools_cost_prints_each_format(capsys, fmt, marker):
    assert cli(["cost", "dev", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert out.startswith(("dev: $", "### dev: $", "{")) and marker in out
