"""The monthly cost estimate of a stack, from what it declares.

Two parts, never added together:
- **workloads**: every workload's requested CPU and memory (``inventory.workload_requests``)
  priced at the configured per-vCPU-hour and per-GiB-hour prices (OpenCost's defaults), at
  declared and at HPA-maximum replicas. On kind this *is* the estimate: the laptop costs
  nothing, and these are the figures the ``MonthlyCostOverBudget`` alert prices.
- **infrastructure** (eks): the AWS bill, itemised by the type tokens the eks stack registers
  (control plane, node groups and their volumes, NAT gateways, public IPv4, ALBs per
  ``group.name``, NLBs per ``external`` LoadBalancer Service, gp3 claims, KMS keys) and the
  stated usage. Node counts come from bin-packing the rendered pods onto the groups
  (``capacity``), at declared replicas and at every HPA's maximum. Workloads run on the nodes,
  so the bill is the estimate and the workload figure is its allocation.

``estimate`` is the one computation: ``tools cost``/``tools diff`` call it on a mock run, and
the program calls it on its own declarations for the ``monthlyCostEstimate`` output.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from components.cost import infra
from components.cost.assumptions import Assumptions
from components.cost.capacity import EKS_ADDONS, Packing, pack, without_placement, workload_pods
from components.cost.infra import Item
from components.cost.instances import INSTANCE_TYPES
from components.cost.inventory import DeclaredLike, WorkloadRequests, collect, workload_requests
from components.cost.prices import DEFAULT_REGION, HOURS_PER_MONTH, REGIONS
from components.observability.options import Pricing


@dataclass(frozen=True)
class WorkloadCost:
    """One workload's requests and their monthly price at declared and HPA-maximum replicas."""

    requests: WorkloadRequests
    min_usd: float
    max_usd: float


@dataclass(frozen=True)
class Estimate:
    stack: str
    pricing: Pricing
    workloads: tuple[WorkloadCost, ...]
    infrastructure: tuple[Item, ...]
    baseline: tuple[Item, ...]
    region: str | None
    capacity: tuple[Packing, Packing] | None = None
    baseline_capacity: Packing | None = None
    assumptions: Assumptions | None = None
    after_destroy: tuple[Item, ...] = ()

    @property
    def workloads_usd(self) -> tuple[float, float]:
        return sum(w.min_usd for w in self.workloads), sum(w.max_usd for w in self.workloads)

    @property
    def infrastructure_usd(self) -> tuple[float, float]:
        return sum(i.min_usd for i in self.infrastructure), sum(i.max_usd for i in self.infrastructure)

    @property
    def monthly(self) -> tuple[float, float]:
        """The headline: the AWS bill where there is infrastructure, else the workloads' price."""
        return self.infrastructure_usd if self.infrastructure else self.workloads_usd

    @property
    def baseline_usd(self) -> float | None:
        return sum(i.min_usd for i in self.baseline) if self.baseline else None

    def namespaces(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for w in self.workloads:
            row = out.setdefault(w.requests.namespace, {"min": 0.0, "max": 0.0})
            row["min"] += w.min_usd
            row["max"] += w.max_usd
        return {ns: {k: round(v, 2) for k, v in row.items()} for ns, row in sorted(out.items())}

    def summary(self) -> dict:
        """The ``monthlyCostEstimate`` stack output: USD per month, rounded to cents."""
        low, high = self.monthly
        out: dict = {
            "currency": "USD",
            "hoursPerMonth": HOURS_PER_MONTH,
            "monthly": round(low, 2),
            "monthlyAtMaxScale": round(high, 2),
            "basis": "infrastructure" if self.infrastructure else "workload requests",
            "workloads": {"min": round(self.workloads_usd[0], 2), "max": round(self.workloads_usd[1], 2)},
            "namespaces": self.namespaces(),
            "prices": {"cpuHourly": self.pricing.cpu_hourly, "memoryGibHourly": self.pricing.memory_gib_hourly},
        }
        if self.infrastructure:
            out["region"] = self.region
            out["infrastructure"] = {i.name: round(i.min_usd, 2) for i in self.infrastructure}
            out["unpriced"] = [i.name for i in self.infrastructure if not i.priced]
        if self.baseline_usd:
            out["baseline"] = round(self.baseline_usd, 2)
            out["ratioToBaseline"] = round(low / self.baseline_usd, 3)
        if self.after_destroy:
            out["afterDestroy"] = round(sum(i.min_usd for i in self.after_destroy), 2)
        return out

    def capacity_report(self) -> dict:
        """Node counts per group at declared replicas and at HPA maximum, what the pods
        request there, and the pods that fit nowhere (``tools cost --format json``)."""
        if self.capacity is None:
            return {}
        declared, at_max = self.capacity
        groups = {}
        for low, high in zip(declared.groups, at_max.groups):
            g = low.group
            cpu, mem, slots = low.allocatable
            groups[g.name] = {
                "pool": g.pool, "instanceType": g.instance_type, "capacityType": g.capacity_type,
                "allocatablePerNode": {"cpuCores": round(cpu / 1000, 3), "memoryGi": round(mem / 1024, 3), "pods": slots},
                "minSize": g.min_size, "desiredSize": g.desired_size, "maxSize": g.max_size,
                "nodes": {"declared": low.billed_nodes, "hpaMax": high.billed_nodes},
                "requests": {
                    "declared": {"pods": low.pods, "cpuCores": round(low.cpu_m / 1000, 3), "memoryGi": round(low.memory_mi / 1024, 3)},
                    "hpaMax": {"pods": high.pods, "cpuCores": round(high.cpu_m / 1000, 3), "memoryGi": round(high.memory_mi / 1024, 3)},
                },
            }
        out = {"groups": groups, "unplaceable": {"declared": list(declared.unplaceable), "hpaMax": list(at_max.unplaceable)}}
        if self.baseline_capacity is not None:
            out["baselineNodes"] = self.baseline_capacity.groups[0].billed_nodes
        return out


def workload_cost(w: WorkloadRequests, pricing: Pricing) -> WorkloadCost:
    def usd(t) -> float:
        return (t.cpu_request_m / 1000 * pricing.cpu_hourly + t.memory_request_mi / 1024 * pricing.memory_gib_hourly) * HOURS_PER_MONTH

    return WorkloadCost(w, usd(w.min), usd(w.max))


def estimate(
    stack: str,
    declared: Iterable[DeclaredLike],
    pricing: Pricing,
    nodes: int,
    region: str | None = None,
    assumptions: Assumptions | None = None,
) -> Estimate:
    """Price what ``declared`` holds. ``nodes`` counts DaemonSet pods where the stack declares no
    node groups (kind); with node groups, the bin-packed node count at declared replicas does.
    ``region`` picks the AWS prices (default ap-northeast-2, the only region with price data)
    when the stack declares AWS infrastructure; ``assumptions`` the usage and Spot discount."""
    declared = list(declared)
    assumptions = assumptions or Assumptions()
    rendered = collect(declared)
    found = infra.Found.of(declared, rendered)
    capacity = baseline_capacity = None
    if found.node_groups and all(t in INSTANCE_TYPES for g in found.node_groups for t in g.instance_types):
        groups = [g.capacity_model() for g in found.node_groups]
        low = workload_pods(rendered, at_max=False) + list(EKS_ADDONS)
        high = workload_pods(rendered, at_max=True) + list(EKS_ADDONS)
        capacity = (pack(low, groups), pack(high, groups))
        baseline_capacity = pack(without_placement(low), [infra.baseline_group().capacity_model()])
        nodes = sum(r.billed_nodes for r in capacity[0].groups)
    elif found.node_groups:  # a type without capacity data: its configured sizes, said unpriced
        nodes = found.desired_nodes()
    workloads = workload_requests(rendered, nodes)
    storage_gi = sum(w.storage_gi for w in workloads) + found.standalone_claims_gi
    region = region or DEFAULT_REGION
    items: tuple[Item, ...] = ()
    baseline: tuple[Item, ...] = ()
    kept: tuple[Item, ...] = ()
    if found.is_aws and region in REGIONS:
        prices = REGIONS[region]
        counts = {}
        if capacity is not None:
            counts = {lo.group.name: (lo.billed_nodes, hi.billed_nodes) for lo, hi in zip(capacity[0].groups, capacity[1].groups)}
        items = infra.items(found, storage_gi, prices, counts, assumptions)
        if baseline_capacity is not None:
            baseline = infra.naive_baseline(found, storage_gi, prices, baseline_capacity, assumptions)
        kept = infra.after_destroy(found, storage_gi, prices, assumptions)
    elif found.is_aws:
        # Never a silent $0: the bill is unknown, and the summary says why.
        items = (Item(f"AWS infrastructure in {region}", "AWS", 1, "region", 0.0, "no price data for this region", priced=False),)
    return Estimate(
        stack=stack,
        pricing=pricing,
        workloads=tuple(workload_cost(w, pricing) for w in workloads),
        infrastructure=items,
        baseline=baseline,
        region=region if found.is_aws else None,
        capacity=capacity,
        baseline_capacity=baseline_capacity,
        assumptions=assumptions if found.is_aws else None,
        after_destroy=kept,
    )
