"""Quantities follow declarations: every priced line of the cost estimate counts exactly the
resources of its kind that the stack declares, on every stack and on a non-default setting of
each key that changes a count (``COUNTED_BY``).

The counts here are made from the registrations and rendered objects directly (NAT gateways,
Elastic IPs, KMS keys, clusters, ALBs per Ingress group, LoadBalancer Services, claims of
StatefulSets, PVCs and charts), never from the cost model's own ``Found``. Nodes are priced as
``tools cost`` bin-packs them: each group's count must lie within its declared min and max
size, and its volumes are that many launch-template disks. Usage lines carry the
``costAssumptions`` figure they name. A priced line no rule here recognises fails.
"""

from __future__ import annotations

import re

import pytest

from components.charts import PINS, chart_footprint
from components.cost.prices import AP_NORTHEAST_2
from components.specs import parse_memory_mi
from tests.config_space import DEV_WALK, EKS_NAT_PER_AZ, EKS_WALK, Result, Setting, render, setting
from tests.conftest import STACKS
from tools.render import node_count

QUANTITIES_FILE = "tests/stacks/test_cost_quantities.py"

# key -> a setting where it takes a non-default value that changes a count of priced things.
COUNTED_BY: dict[str, Setting] = {
    "natGateways": EKS_NAT_PER_AZ,  # 3 gateways and 3 Elastic IPs instead of 1
    "availabilityZones": EKS_WALK,  # 2 zones: 2 public subnets, per-az gateways, LB addresses
    "baseMinSize": EKS_WALK,  # the base group's bounds and the Spot group's hold the packed counts
    "baseDesiredSize": EKS_WALK,
    "baseMaxSize": EKS_WALK,
    "spotMinSize": EKS_WALK,
    "spotDesiredSize": EKS_WALK,
    "spotMaxSize": EKS_WALK,
    "costAssumptions": EKS_WALK,  # usage lines: natGb=250, logGb=20
    "kindWorkers": DEV_WALK,  # DaemonSet pods on 4 nodes
    "opencost": DEV_WALK,  # OpenCost's pods
    "finopsDemo": DEV_WALK,  # the demo's Deployments
}
# tools bootstrap-backend creates two KMS keys outside every stack (the state bucket's and the
# secrets provider's); the estimate keeps paying for them.
BACKEND_KEYS = 2
USAGE = re.compile(r"\((\w+)=([0-9.]+)\)$")
SETTINGS = [setting(s) for s in STACKS] + sorted(set(COUNTED_BY.values()), key=lambda s: s.describe())


def _gi(size: str) -> float:
    return parse_memory_mi(size) / 1024


def declared_counts(r: Result) -> dict[str, object]:
    """What the stack declares, counted from registrations and objects, by priced line."""
    count = lambda token: len(r.of_type(token))  # noqa: E731
    groups = {g.inputs["nodeGroupName"]: g.inputs for g in r.of_type("eks:index:ManagedNodeGroup")}
    albs = sorted({
        o["metadata"]["annotations"].get("alb.ingress.kubernetes.io/group.name") or f"{o['metadata']['namespace']}/{o['metadata']['name']}"
        for o in r.objects("Ingress")
        if o["spec"].get("ingressClassName") == "alb"
    })
    nlbs = sorted(
        f"{o['metadata']['namespace']}/{o['metadata']['name']}"
        for o in r.objects("Service")
        if o["spec"].get("type") == "LoadBalancer"
    )
    public_subnets = sum(1 for s in r.of_type("aws:ec2/subnet:Subnet") if s.inputs.get("mapPublicIpOnLaunch"))
    claims = sum(
        _gi(t["spec"]["resources"]["requests"]["storage"]) * o["spec"].get("replicas", 1)
        for o in r.objects("StatefulSet")
        for t in o["spec"].get("volumeClaimTemplates", [])
    )
    claims += sum(_gi(o["spec"]["resources"]["requests"]["storage"]) for o in r.objects("PersistentVolumeClaim"))
    nodes = node_count(r.values)
    claims += sum(
        fp.storage_gi * fp.copies for rel in r.rendered.releases for fp in chart_footprint(PINS[rel["chart"]], rel["values"], nodes)
    )
    disks = {
        t.name.removesuffix("-launch-template"): int(t.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"])
        for t in r.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    }
    return {
        "EKS control plane": count("eks:index:Cluster"),
        "node groups": {n: (g["scalingConfig"]["minSize"], g["scalingConfig"]["maxSize"]) for n, g in groups.items()},
        "node disks": {g["nodeGroupName"]: disks[name.removesuffix("-nodes")] for name, g in
                       ((x.name, x.inputs) for x in r.of_type("eks:index:ManagedNodeGroup"))},
        "NAT gateways": count("aws:ec2/natGateway:NatGateway"),
        "Elastic IPs": count("aws:ec2/eip:Eip"),
        "ALB": albs,
        "NLB": nlbs,
        "LB public IPv4": max(public_subnets, 2),
        "EBS gp3 claims": round(claims, 3),
        "KMS keys of the stack": count("aws:kms/key:Key"),
        "KMS keys of the state backend": BACKEND_KEYS,
        "usage": dict(r.settings.eks.cost.usage) if r.settings.eks else {},
    }


SINGLE = ("EKS control plane", "NAT gateways", "Elastic IPs", "EBS gp3 claims", "KMS keys of the stack", "KMS keys of the state backend")


def priced_counts(r: Result) -> dict[str, object]:
    """The estimate's lines, grouped as ``declared_counts`` groups what is declared."""
    out: dict[str, object] = {"nodes": {}, "node volumes": {}, "ALB": [], "NLB": [], "LB public IPv4": set(), "usage": {}}
    for item in r.estimate.infrastructure:
        name = item.name
        usage = USAGE.search(name)
        if usage:
            assert float(usage.group(2)) == item.quantity, name
            out["usage"].setdefault(usage.group(1), item.quantity)
        elif name.startswith("nodes "):
            out["nodes"][name.split()[1]] = (item.quantity, item.max_quantity)
        elif name.startswith("node volumes "):
            out["node volumes"][name.split()[2]] = (item.quantity, item.max_quantity)
        elif name.startswith(("ALB ", "NLB ")):
            out[item.kind].append(name.split(" ", 1)[1])
        elif name.startswith("public IPv4 of "):
            out["LB public IPv4"].add(item.quantity)
        elif name.startswith(SINGLE):
            out[next(k for k in SINGLE if name.startswith(k))] = item.quantity
        else:
            pytest.fail(f"priced line {name!r} has no declared count: add one to {QUANTITIES_FILE}", pytrace=False)
    return out


@pytest.mark.parametrize("s", SETTINGS, ids=lambda s: s.name)
def test_every_priced_line_counts_what_the_stack_declares(s):
    r = render(s)
    if not r.estimate.infrastructure:
        assert r.settings.target == "kind" and not r.of_type("eks:index:Cluster")
        return
    priced, declared = priced_counts(r), declared_counts(r)
    (ipv4,) = priced.pop("LB public IPv4") or {declared["LB public IPv4"]}
    assert ipv4 == declared.pop("LB public IPv4")
    # Nodes are bin-packed (tools cost): each group's count lies within its declared bounds, its
    # volumes are that many launch-template disks.
    nodes, volumes = priced.pop("nodes"), priced.pop("node volumes")
    bounds, disks = declared.pop("node groups"), declared.pop("node disks")
    assert set(nodes) == set(volumes) == set(bounds)
    for group, (low, high) in nodes.items():
        assert bounds[group][0] <= low <= high <= bounds[group][1], (group, low, high, bounds[group])
        assert volumes[group] == (low * disks[group], high * disks[group])
    priced["ALB"], priced["NLB"] = sorted(priced["ALB"]), sorted(priced["NLB"])
    for key in SINGLE:
        priced.setdefault(key, 0)
    assert priced == declared


@pytest.mark.parametrize("s", SETTINGS, ids=lambda s: s.name)
def test_the_exported_estimate_prices_the_same_lines(s):
    """The program's own ``monthlyCostEstimate`` (from its declarations) has the same lines and
    figures as the estimate of its registrations."""
    r = render(s)
    exported = r.run.outputs["monthlyCostEstimate"]
    assert exported.get("infrastructure", {}) == {i.name: round(i.min_usd, 2) for i in r.estimate.infrastructure}


@pytest.mark.parametrize("s", SETTINGS, ids=lambda s: s.name)
def test_workload_rows_count_declared_replicas_and_nodes(s):
    """Deployments and StatefulSets at their declared replicas, chart DaemonSets once per node
    (kind: control plane + kindWorkers; eks: the nodes the estimate prices)."""
    r = render(s)
    rows = {(w.requests.namespace, w.requests.kind, w.requests.name): w.requests.replicas[0] for w in r.estimate.workloads}
    for o in r.objects("Deployment") + r.objects("StatefulSet"):
        assert rows[(o["metadata"]["namespace"], o["kind"], o["metadata"]["name"])] == o["spec"].get("replicas", 1)
    nodes = sum(i.quantity for i in r.estimate.infrastructure if i.kind == "EC2" and i.name.startswith("nodes ")) or node_count(r.values)
    daemons = [
        (rel["namespace"], f"chart:{rel['chart']}", fp.name)
        for rel in r.rendered.releases
        for fp in chart_footprint(PINS[rel["chart"]], rel["values"], nodes)
        if fp.kind == "DaemonSet"
    ]
    assert daemons and all(rows[d] == nodes for d in daemons)


def test_nat_gateways_per_az_bill_three_gateways():
    """The issue's figures: $43.07 for one gateway, $129.21 for one in each of 3 zones."""
    unit = AP_NORTHEAST_2.nat_gateway.monthly
    for s, gateways, usd in ((setting("eks"), 1, 43.07), (EKS_NAT_PER_AZ, 3, 129.21)):
        (line,) = [i for i in render(s).estimate.infrastructure if i.kind == "NAT" and i.unit == "gateway"]
        assert (line.quantity, round(line.min_usd, 2)) == (gateways, usd) and round(gateways * unit, 2) == usd


def test_each_count_key_is_walked_at_a_non_default_value():
    from stacks.settings import KEYS_BY_NAME

    for key, s in COUNTED_BY.items():
        assert key in KEYS_BY_NAME, f"{key} is no longer declared: update COUNTED_BY in {QUANTITIES_FILE}"
        assert render(s).values[key] != KEYS_BY_NAME[key].default, f"{s.describe()} leaves {key} at its default"
