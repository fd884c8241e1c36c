"""The levers between the naive baseline and the eks bill, each priced by the same estimate.

A lever is a variant of what the stack declares (a node group's types or capacity, a log
group, a load balancer): its saving is the difference between the two estimates at declared
replicas. Applied levers say what the bill would be without them; the others what it would
be with them, and why they are not taken. No Pulumi import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from components.cost import infra
from components.cost.assumptions import Assumptions
from components.cost.inventory import Declared, DeclaredLike, collect
from components.cost.model import Estimate, estimate
from components.cost.prices import REGIONS
from components.observability.options import Pricing

GOAL_RATIO = 0.6


@dataclass(frozen=True)
class Lever:
    name: str
    applied: bool
    saving: float
    tradeoff: str


def _groups(declared: Sequence[DeclaredLike], pool: str, **inputs) -> list[DeclaredLike]:
    out = []
    for d in declared:
        if d.type == infra.NODE_GROUP and (d.inputs.get("labels") or {}).get("cloud-platform/pool") == pool:
            d = Declared(d.type, d.name, {**d.inputs, **inputs}, list(d.secret_paths))
        out.append(d)
    return out


def _without(declared: Sequence[DeclaredLike], token: str) -> list[DeclaredLike]:
    return [d for d in declared if d.type != token]


def levers(declared: Sequence[DeclaredLike], current: Estimate, pricing: Pricing, assumptions: Assumptions) -> list[Lever]:
    """The lever table of an eks estimate (empty for a stack without node groups)."""
    declared = list(declared)
    region = current.region
    if current.capacity is None or region not in REGIONS:
        return []
    prices = REGIONS[region]
    now = current.monthly[0]

    def bill(variant: Callable[[list[DeclaredLike]], list[DeclaredLike]]) -> float:
        return estimate(current.stack, variant(declared), pricing, 1, region, assumptions).monthly[0]

    packed = sum(r.billed_nodes for r in current.capacity[0].groups)
    base_type = next((r.group.instance_type for r in current.capacity[0].groups if r.group.pool == "base"), "?")
    disks = {g.name: g.disk_gb for g in infra.Found.of(declared, collect(declared)).node_groups}
    disk_gb = max(disks.values(), default=infra.DEFAULT_DISK_GB)
    nat = prices.nat_gateway.monthly + prices.public_ipv4.monthly
    nlb_items = [i for i in current.infrastructure if i.kind == "NLB" or i.name.startswith("public IPv4 of NLB")]
    log_items = [i for i in current.infrastructure if i.kind == "Logs"]
    return [
        Lever("Spot group for the stateless replicas (tainted; stateful pods never land there)", True,
              bill(lambda d: _groups(d, "spot", capacityType="ON_DEMAND")) - now,
              "a Spot reclaim takes a node with 2 minutes' notice: replicas are spread over zones and nodes with a PDB, "
              "and prefer Spot but may fall back on base room"),
        Lever(f"Base group on {base_type} (its requests are CPU-bound) instead of seed 004's t3.medium", True,
              bill(lambda d: _groups(d, "base", instanceTypes=["t3.medium"])) - now,
              "t3/t3a are burstable: sustained CPU above their baseline is billed as unlimited credits"),
        Lever("Nodes in private subnets: no public IPv4 per node (eksctl's default has one)", True,
              packed * prices.public_ipv4.monthly, "nodes reach the internet through the NAT gateway only"),
        Lever(f"{disk_gb} GB gp3 root volumes instead of eksctl's 80 GB", True,
              packed * (infra.BASELINE_DISK_GB - disk_gb) * prices.gp3_gb_month.monthly,
              "room for images and logs of about 20 pods per node; raise it for larger nodes"),
        Lever("One NAT gateway (natGateways: single) instead of one per zone", True, 2 * nat,
              "a zone outage in the NAT's zone cuts the other zones' egress until it returns (per-az restores it)"),
        Lever("Base group on Graviton (t4g.medium, baseArch arm64)", False,
              now - bill(lambda d: _groups(d, "base", instanceTypes=["t4g.medium"], amiType="AL2023_ARM_64_STANDARD")),
              "not taken: every image on base must publish linux/arm64, and the Trip images' manifests are unknown "
              "(README: checking image architectures)"),
        Lever("Base group on Spot too (stateful pods on Spot)", False,
              now - bill(lambda d: _groups(d, "base", capacityType="SPOT")),
              "not taken: MySQL, MongoDB, Kafka, PostgreSQL, Prometheus and Loki run one replica each; a reclaim "
              "stops them, and their EBS volumes pin them to one zone"),
        Lever("Frontend behind the shared ALB instead of its own NLB", False, sum(i.min_usd for i in nlb_items),
              "not taken: seed 004 gives the frontend its NLB"),
        Lever("No control-plane logs (eksctl's default)", False, sum(i.min_usd for i in log_items),
              "not taken: the audit log is the only record of who changed what in the cluster"),
    ]


def best_case(current: Estimate, table: Sequence[Lever]) -> float:
    """The bill with every lever not taken taken as well (savings treated as additive)."""
    return current.monthly[0] - sum(lv.saving for lv in table if not lv.applied)


def goal_line(current: Estimate, table: Sequence[Lever]) -> str:
    base = current.baseline_usd or 0.0
    goal = GOAL_RATIO * base
    low = round(current.monthly[0], 2)
    best = best_case(current, table)
    reached = "reached" if low <= goal else "not reached"
    return (
        f"Goal: at most {GOAL_RATIO}x the baseline, ${goal:,.2f}/month. This bill: ${low:,.2f} "
        f"({current.summary()['ratioToBaseline']:.3f}x): {reached}. With every lever not taken as well: "
        f"${best:,.2f} ({best / base:.3f}x)."
    )

