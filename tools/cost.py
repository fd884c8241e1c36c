"""``python -m tools cost <stack> [--format table|json|markdown]``: the monthly cost estimate.

Offline: the stack's real program runs under mocks (as ``tools render`` does), and its
registrations go through ``components.cost.model.estimate``, the same computation the program
runs on its own declarations for the ``monthlyCostEstimate`` output.
"""

from __future__ import annotations

import json

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
    settings = stack_settings(stack)  # bad config stops here, before the program runs
    return estimate_run(run_program(stack, preview=False), settings)


def to_json(e: Estimate) -> dict:
    """The summary (what the stack exports) plus every workload and infrastructure line."""
    return {
        "stack": e.stack,
        **e.summary(),
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
        text += f"; {s['ratioToBaseline']:.2f}x the naive EKS baseline (${s['baseline']:,.2f})"
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
    if e.baseline:
        parts += ["", "Naive EKS baseline (seed 004's eksctl setup):", "", table(infra_head, _infra_rows(e.baseline))]
    if s.get("unpriced"):
        parts += ["", "Unpriced (no price data): " + ", ".join(s["unpriced"])]
    return "\n".join(parts) + "\n"


def format_estimate(e: Estimate, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_json(e), indent=2) + "\n"
    return render_text(e, markdown=fmt == "markdown")
