"""The eks capacity model and bill (issue 16): the node groups hold the bin-packed workload at
declared replicas and at every HPA's maximum, nodes are priced from the packing, the JSON
report carries node counts, assumptions and the ratio, and the README's cost block is the
tool's own output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from components.cost.instances import INSTANCE_TYPES
from tests.conftest import EKS_STACKS
from tools.__main__ import main as cli
from tools.cost import format_estimate, report_stack
from tools.mockrun import run_program, stack_config
from stacks.costs import estimate_for
from stacks.settings import settings_from, validate

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"<!-- tools cost eks --format readme: begin -->\n(.*?)<!-- tools cost eks --format readme: end -->", re.S)


def _report(stack: str) -> dict:
    e, table = report_stack(stack)
    return json.loads(format_estimate(e, "json", table))


@pytest.mark.parametrize("stack", EKS_STACKS)
def test_declared_replicas_fit_each_groups_desired_size(stack):
    capacity = _report(stack)["capacity"]
    assert capacity["unplaceable"]["declared"] == []
    for name, g in capacity["groups"].items():
        assert g["nodes"]["declared"] <= g["desiredSize"], f"{name}: {g['nodes']['declared']} nodes needed, desired {g['desiredSize']}"


@pytest.mark.parametrize("stack", EKS_STACKS)
def test_every_hpa_at_its_maximum_fits_each_groups_maximum(stack):
    capacity = _report(stack)["capacity"]
    assert capacity["unplaceable"]["hpaMax"] == []
    for name, g in capacity["groups"].items():
        assert g["nodes"]["hpaMax"] <= g["maxSize"], f"{name}: {g['nodes']['hpaMax']} nodes at HPA maximum, max {g['maxSize']}"


@pytest.mark.parametrize("stack", EKS_STACKS)
def test_the_json_report_has_node_counts_assumptions_and_the_ratio(stack):
    r = _report(stack)
    assert set(r["capacity"]["groups"]) == {"trip-service-cluster-base", "trip-service-cluster-spot"}
    assert r["capacity"]["baselineNodes"] >= 1
    assert {"spotDiscountPercent", "natGb", "logGb", "albLcu", "nlbLcu", "crossAzGb"} <= set(r["assumptions"])
    assert r["ratioToBaseline"] == pytest.approx(round(r["monthly"] / r["baseline"], 3))
    assert r["afterDestroy"] > 0 and r["afterDestroyRows"]
    assert [lv for lv in r["levers"] if not lv["applied"]] and all(lv["tradeoff"] for lv in r["levers"])


def test_t3_medium_allocatable_follows_the_eks_formula():
    t = INSTANCE_TYPES["t3.medium"]
    assert t.max_pods == 17  # 3 ENIs x (6 - 1) + 2
    assert t.reserved_memory_mi == 11 * 17 + 255
    assert t.allocatable_memory_mi == 4096 - 442 - 100
    assert t.reserved_cpu_m == 60 + 10  # 6 % of the first core, 1 % of the second
    assert INSTANCE_TYPES["m5.xlarge"].reserved_cpu_m == 60 + 10 + 10 and INSTANCE_TYPES["m5.xlarge"].max_pods == 58


def _estimate(**overrides):
    config, secrets = stack_config("eks", {f"cloud-platform:{k}": v for k, v in overrides.items()})
    settings = settings_from(validate(config, frozenset(secrets)), "eks")
    return estimate_for("eks", run_program("eks", preview=False, config=config, secret_keys=secrets).registrations, settings)


def test_nodes_are_priced_from_the_packing_not_the_desired_size():
    packed = _estimate().capacity_report()["groups"]["trip-service-cluster-base"]["nodes"]["declared"]
    bigger = _estimate(baseDesiredSize="5")
    row = next(i for i in bigger.infrastructure if i.name.startswith("nodes trip-service-cluster-base"))
    assert row.quantity == packed < 5


def test_the_spot_discount_and_usage_are_stated_assumptions_a_stack_can_override():
    e = _estimate(spotDiscountPercent="50", costAssumptions="natGb=400")
    spot = next(i for i in e.infrastructure if i.name.startswith("nodes trip-service-cluster-spot"))
    assert spot.unit_usd == pytest.approx(0.096 * 0.5 * 730) and "50 % below on-demand" in spot.source
    nat = next(i for i in e.infrastructure if i.name.startswith("NAT data processing"))
    assert nat.name == "NAT data processing (natGb=400)" and nat.min_usd == pytest.approx(400 * 0.059)


def test_the_baseline_is_the_same_pods_on_eksctl_defaults_each_line_citing_its_source():
    e = _estimate()
    rows = {i.name: i for i in e.baseline}
    nodes = e.capacity_report()["baselineNodes"]
    assert rows["nodes baseline (t3.medium on-demand)"].quantity == nodes
    assert rows["node volumes baseline (80 GB gp3 each)"].quantity == 80 * nodes
    assert rows["public IPv4 of each node (public subnets)"].quantity == nodes
    assert rows["NAT gateway (one)"].quantity == 1 and "ClusterSingleNAT" in rows["NAT gateway (one)"].source
    assert "DefaultNodeVolumeSize = 80" in rows["node volumes baseline (80 GB gp3 each)"].source
    assert not [i for i in e.baseline if i.kind in ("KMS", "Logs")]  # eksctl makes neither
    ours = {i.name for i in e.infrastructure}
    assert {n for n in rows if n.startswith(("ALB ", "NLB ", "EBS gp3 claims"))} <= ours  # same load balancers and claims


def test_readme_cost_block_is_the_tools_output(capsys):
    assert cli(["cost", "eks", "--format", "readme"]) == 0
    printed = capsys.readouterr().out
    match = BLOCK.search(README.read_text())
    assert match, "README lacks the generated eks cost block"
    assert match.group(1) == printed, "README is stale: paste `python -m tools cost eks --format readme` between the markers"
