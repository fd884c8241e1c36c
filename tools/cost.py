"""``python -m tools cost <stack> [--format table|json|markdown|readme]``: the monthly cost estimate.

``readme`` prints the README's "Cost on EKS" block (node counts, the bill, the baseline, what
keeps billing after destroy, the levers and the goal): a test keeps the README equal to it.

Offline: the stack's real program runs under mocks (as ``tools render`` does), and its
registrations go through ``components.cost.model.estimate``, the same computation the program
runs on its own declarations for the ``monthlyCostEstimate`` output.
"""

from __future__ import annotations

import json

from components.cost.assumptions import USAGE_MEANING
from components.cost.levers import Lever, goal_line, levers
from components.cost.model import Estimate
from stacks.costs import estimate_for
from stacks.settings import Settings, settings_from
from tools.mockrun import Run, run_program
from tools.render import checked_config


def stack_settings(stack: str) -> Settings:
    """The stack's settings; raises ConfigRefused or ConfigError on config the program refuses."""
    return settings_from(checked_config(stack), stack)


def estimate_run(run: Run, settings: Settings) -> Estimate:
    return estimate_for(run.stack, run.registrations, settings)


def estimate_stack(stack: str) -> Estimate:
    return report_stack(stack)[0]


def report_stack(stack: str) -> tuple[Estimate, list[Lever]]:
    """The estimate and, on eks, its lever table (both from the same mock run)."""
    settings = stack_settings(stack)  # bad config stops here, before the program runs
    run = run_program(stack, preview=False)
    e = estimate_run(run, settings)
    table = levers(run.registrations, e, settings.pricing, settings.eks.cost) if settings.eks is not None else []
    return e, table


def to_json(e: Estimate, table: list[Lever] | None = None) -> dict:
    """The summary (what the stack exports) plus every workload and infrastructure line, and on
    eks the node counts per group, the assumptions, what keeps billing after destroy, the levers."""
    extra: dict = {}
    if e.capacity is not None:
        extra["capacity"] = e.capacity_report()
    if e.assumptions is not None:
        extra["assumptions"] = e.assumptions.to_dict()
    if e.after_destroy:
        extra["afterDestroyRows"] = [_item_row(i) for i in e.after_destroy]
    if table:
        extra["levers"] = [{"name": lv.name, "applied": lv.applied, "monthlySaving": round(lv.saving, 2), "tradeoff": lv.tradeoff} for lv in table]
    return {
        "stack": e.stack,
        **e.summary(),
        **extra,
        "workloadRows": [
            {
                "namespace": w.requests.namespace,
                "kind": w.requests.kind,
                "name": w.requests.name,
                "replicas": {"min": w.requests.replicas[0], "max": w.requests.replicas[1]},
                "cpuCores": {"min": round(w.requests.min.cpu_request_m / 1000, 3), "max": round(w.requests.max.cpu_request_m / 1000, 3)},
                "memoryGi": {"min": round(w.requests.min.memory_request_mi / 1024, 3), "max": round(w.requests.max.memory_request_mi / 1024, 3)},
                "storageGi": round(w.requests.storage_gi, 3),
                "usd": {"min": round(w.min_usd, 2), "max": round(w.max_usd, 2)},
            }
            for w in e.workloads
        ],
        "infrastructureRows": [_item_row(i) for i in e.infrastructure],
        "baselineRows": [_item_row(i) for i in e.baseline],
    }


def _item_row(i) -> dict:
    return {
        "name": i.name, "kind": i.kind, "quantity": i.quantity, "unit": i.unit,
        "unitMonthlyUsd": round(i.unit_usd, 4), "monthly": round(i.min_usd, 2), "monthlyAtMax": round(i.max_usd, 2),
        "priced": i.priced, "source": i.source,
    }


def _rows(e: Estimate) -> tuple[list[str], list[list[str]]]:
    head = ["namespace", "workload", "replicas", "vCPU min/max", "GiB min/max", "USD/mo min/max"]
    rows = []
    for w in sorted(e.workloads, key=lambda w: (w.requests.namespace, w.requests.name)):
        r = w.requests
        rows.append([
            r.namespace, f"{r.kind}/{r.name}", f"{r.replicas[0]}-{r.replicas[1]}",
            f"{r.min.cpu_request_m / 1000:.3f} / {r.max.cpu_request_m / 1000:.3f}",
            f"{r.min.memory_request_mi / 1024:.2f} / {r.max.memory_request_mi / 1024:.2f}",
            f"{w.min_usd:.2f} / {w.max_usd:.2f}",
        ])
    return head, rows


def _infra_rows(items) -> list[list[str]]:
    return [[i.name, f"{i.quantity:g} {i.unit}", f"{i.unit_usd:.4f}", f"{i.min_usd:.2f}" + ("" if i.priced else " (unpriced)")] for i in items]


def _table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _markdown_table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(out + ["| " + " | ".join(r) + " |" for r in rows])


def headline(e: Estimate) -> str:
    s = e.summary()
    text = f"{e.stack}: ${s['monthly']:,.2f}/month ({s['basis']}; ${s['monthlyAtMaxScale']:,.2f} at maximum scale)"
    if "baseline" in s:
        text += f"; {s['ratioToBaseline']:.3f}x the naive EKS baseline (${s['baseline']:,.2f})"
    return text


def render_text(e: Estimate, markdown: bool = False) -> str:
    table = _markdown_table if markdown else _table
    s = e.summary()
    parts = [("### " if markdown else "") + headline(e), ""]
    parts.append(f"Workload requests at ${e.pricing.cpu_hourly}/vCPU-h and ${e.pricing.memory_gib_hourly}/GiB-h x 730 h: "
                 f"${s['workloads']['min']:,.2f} at declared replicas, ${s['workloads']['max']:,.2f} at HPA maximum")
    parts += ["", table(*_rows(e))]
    infra_head = ["item", "quantity", "USD/unit/mo", "USD/mo"]
    if e.infrastructure:
        parts += ["", f"AWS infrastructure ({e.region}; prices in components/cost/prices.py):", "", table(infra_head, _infra_rows(e.infrastructure))]
    if e.capacity is not None:
        parts += ["", "Capacity (bin-packed):", "", table(*capacity_rows(e))]
    if e.baseline:
        parts += ["", "Naive EKS baseline (the same pods on eksctl's defaults):", "", table(infra_head, _infra_rows(e.baseline))]
    if e.after_destroy:
        parts += ["", "Keeps billing after `pulumi destroy` (not in the total):", "", table(infra_head, _infra_rows(e.after_destroy))]
    if e.assumptions is not None:
        parts += ["", "Assumptions: " + ", ".join(f"{k}={v:g}" for k, v in e.assumptions.to_dict().items())]
    if s.get("unpriced"):
        parts += ["", "Unpriced (no price data): " + ", ".join(s["unpriced"])]
    return "\n".join(parts) + "\n"


def capacity_rows(e: Estimate) -> tuple[list[str], list[list[str]]]:
    head = ["group", "instance type", "allocatable per node", "nodes at declared", "nodes at HPA max", "min-desired-max",
            "requests at declared", "requests at HPA max"]
    rows = []
    report = e.capacity_report()
    for name, g in report.get("groups", {}).items():
        a, r = g["allocatablePerNode"], g["requests"]
        rows.append([
            f"{g['pool']} ({g['capacityType'].lower().replace('_', '-')})", g["instanceType"],
            f"{a['cpuCores']:g} vCPU, {a['memoryGi']:.2f} GiB, {a['pods']} pods",
            str(g["nodes"]["declared"]), str(g["nodes"]["hpaMax"]), f"{g['minSize']}-{g['desiredSize']}-{g['maxSize']}",
            f"{r['declared']['pods']} pods, {r['declared']['cpuCores']:g} vCPU, {r['declared']['memoryGi']:.2f} GiB",
            f"{r['hpaMax']['pods']} pods, {r['hpaMax']['cpuCores']:g} vCPU, {r['hpaMax']['memoryGi']:.2f} GiB",
        ])
    return head, rows


def render_readme(e: Estimate, table: list[Lever]) -> str:
    """The README's cost block for an eks stack: every figure from this estimate."""
    s = e.summary()
    md = _markdown_table
    item_head = ["item", "quantity", "USD/unit/mo", "USD/mo", "source"]
    rows = lambda items: [[i.name, f"{i.quantity:g} {i.unit}", f"{i.unit_usd:.4f}", f"{i.min_usd:.2f}", i.source] for i in items]  # noqa: E731
    a = e.assumptions
    assumed = ", ".join(f"{k}={v:g} ({USAGE_MEANING[k]})" for k, v in a.usage.items()) if a else ""
    parts = [
        f"`tools cost {e.stack} --format readme` prints this block; a test keeps it equal to the tool's output.",
        "",
        f"**{headline(e)}.** At HPA maximum: ${s['monthlyAtMaxScale']:,.2f}.",
        "",
        f"Assumed (override in `costAssumptions`, `spotDiscountPercent`): Spot {a.spot_discount_percent:g} % below on-demand; {assumed}."
        if a else "",
        "",
        "Capacity (bin-packed, EKS add-ons and DaemonSets included):",
        "",
        md(*capacity_rows(e)),
        "",
        "The bill at declared replicas:",
        "",
        md(item_head, rows(e.infrastructure)),
        "",
        f"The naive baseline, the same pods on eksctl's defaults (${s.get('baseline', 0):,.2f}):",
        "",
        md(item_head, rows(e.baseline)),
        "",
        f"Keeps billing after `pulumi destroy` (${s.get('afterDestroy', 0):,.2f}/month, not in the total above):",
        "",
        md(item_head, rows(e.after_destroy)),
        "",
        "Levers (each priced by the same estimate, at declared replicas):",
        "",
        md(["lever", "taken", "USD/mo saved", "trade-off"],
           [[lv.name, "yes" if lv.applied else "no", f"{lv.saving:.2f}", lv.tradeoff] for lv in table]),
        "",
        goal_line(e, table),
    ]
    return "\n".join(parts) + "\n"


def format_estimate(e: Estimate, fmt: str, table: list[Lever] | None = None) -> str:
    if fmt == "json":
        return json.dumps(to_json(e, table), indent=2) + "\n"
    if fmt == "readme":
        return render_readme(e, table or [])
    return render_text(e, markdown=fmt == "markdown")
