"""``python -m tools diff --base <git-ref> [--stack S ...] [--format text|markdown]``.

Renders each stack twice, offline: the base ref (its tree exported with ``git archive`` into a
temporary directory, its own program run under its own mocks harness in a subprocess) and the
working tree. Prints the objects added, changed and removed, a unified YAML diff of each changed
object (collapsed ``<details>`` in markdown), and the monthly cost of both sides, priced by the
working tree's cost model. Exits 1 when a stack breaks the budget guard: its estimate above
``monthlyBudget``, or up by more than ``maxIncreasePercent`` on the base.
"""

from __future__ import annotations

import difflib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from components.cost.inventory import Declared, collect, integral, redact
from components.cost.model import Estimate
from stacks.costs import estimate_for
from stacks.settings import ConfigError, Settings, settings_from, validate
from tools.cost import stack_settings
from tools.mockrun import ROOT_DIR, run_program, stack_names

# Runs inside the base tree with that tree's own code: only ``tools.mockrun`` is assumed, which
# every ref since the harness exists has. Registrations and stack config go out as JSON.
_BASE_SCRIPT = """
import json, sys
from tools.mockrun import run_program, stack_config, stack_names
out = {}
for stack in sys.argv[2:]:
    if stack not in stack_names():
        out[stack] = None
        continue
    run = run_program(stack, preview=False)
    config, secrets = stack_config(stack)
    out[stack] = {
        "registrations": [
            {"type": r.type, "name": r.name, "inputs": r.inputs, "secret_paths": r.secret_paths, "custom": r.custom}
            for r in run.registrations
        ],
        "config": config,
        "secrets": secrets,
    }
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
"""


@dataclass(frozen=True)
class Side:
    """One stack rendered on one side: its objects by key, and its cost estimate."""

    objects: dict[str, dict]
    estimate: Estimate | None
    settings: Settings | None


def object_key(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj['kind']} {where}{meta.get('name', '')}"


@dataclass(frozen=True)
class Record(Declared):
    """A registration as the diff needs it: ``custom`` tells resources from components."""

    custom: bool = True


def objects_of(declared: list[Record]) -> dict[str, dict]:
    """Kubernetes objects, Helm releases (with their values) and other cloud resources, by key."""
    rendered = collect(declared)
    out = {object_key(o): o for o in rendered.objects}
    for release in rendered.releases:
        out[f"HelmRelease {release['namespace']}/{release['name']}"] = release
    for d in declared:
        if d.custom and not d.type.startswith(("kubernetes:", "pulumi:providers:")):
            out[f"{d.type} {d.name}"] = redact(integral(d.inputs), "", d.secret_paths)
    return out


def side(stack: str, registrations: list[Record], settings: Settings) -> Side:
    est = estimate_for(stack, registrations, settings)
    return Side(objects_of(registrations), est, settings)


def head_side(stack: str) -> Side:
    settings = stack_settings(stack)
    run = run_program(stack, preview=False)
    records = [Record(r.type, r.name, r.inputs, r.secret_paths, r.custom) for r in run.registrations]
    return side(stack, records, settings)


class BaseRefError(Exception):
    """The base ref cannot be read or rendered: a usage or environment error (exit 2), never
    confused with a budget breach (exit 1)."""


def verify_ref(ref: str, repo: Path = ROOT_DIR) -> None:
    """Fail fast, before any stack is rendered, when ``ref`` names no commit."""
    found = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], capture_output=True, check=False
    )
    if found.returncode != 0:
        raise BaseRefError(
            f"tools diff: --base {ref} is not a commit in {repo}: give a branch, tag or commit "
            "(git fetch it first in a shallow CI checkout)"
        )


def export_tree(ref: str, into: Path, repo: Path = ROOT_DIR) -> None:
    """The tree of ``ref`` (committed files only) unpacked into ``into``."""
    archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", ref], capture_output=True, check=False)
    if archive.returncode != 0:
        raise BaseRefError(f"tools diff: git archive {ref} failed: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")


def base_sides(ref: str, stacks: list[str], fallback: dict[str, Settings], repo: Path = ROOT_DIR) -> dict[str, Side]:
    """Each stack as ``ref`` declares it. A stack the base lacks is an empty side. Base config
    the working tree's loader rejects (keys added or removed since) is priced with the working
    tree's settings."""
    with tempfile.TemporaryDirectory(prefix="cloud-platform-base-") as tmp:
        export_tree(ref, Path(tmp), repo)
        out_file = Path(tmp) / ".base-render.json"
        proc = subprocess.run(
            [sys.executable, "-c", _BASE_SCRIPT, str(out_file), *stacks],
            cwd=tmp, env=_env(tmp), capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            raise BaseRefError(f"tools diff: rendering {ref} failed:\n{proc.stderr.strip()[-2000:]}")
        data = json.loads(out_file.read_text())
    sides = {}
    for stack in stacks:
        if data.get(stack) is None:
            sides[stack] = Side({}, None, None)
            continue
        records = [Record(**r) for r in data[stack]["registrations"]]
        try:
            settings = settings_from(validate(data[stack]["config"], frozenset(data[stack]["secrets"])), stack)
        except ConfigError:
            if stack not in fallback:  # a removed stack whose config today's loader rejects
                sides[stack] = Side(objects_of(records), None, None)
                continue
            settings = fallback[stack]
        sides[stack] = side(stack, records, settings)
    return sides


def _env(tree: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = tree
    return env


@dataclass(frozen=True)
class StackDiff:
    stack: str
    added: list[str]
    removed: list[str]
    changed: dict[str, str]  # key -> unified diff
    base_usd: float | None
    head_usd: float
    problems: list[str]


def _yaml(obj: dict) -> list[str]:
    return yaml.safe_dump(obj, sort_keys=True).splitlines(keepends=True)


def compare(stack: str, base: Side, head: Side) -> StackDiff:
    """What changed from ``base`` to ``head``, the cost of each, and the budget guard's verdict."""
    added = sorted(set(head.objects) - set(base.objects))
    removed = sorted(set(base.objects) - set(head.objects))
    changed = {}
    for key in sorted(set(base.objects) & set(head.objects)):
        if base.objects[key] != head.objects[key]:
            diff = difflib.unified_diff(_yaml(base.objects[key]), _yaml(head.objects[key]), f"base/{key}", f"head/{key}")
            changed[key] = "".join(diff)
    base_usd = base.estimate.summary()["monthly"] if base.estimate else None
    if head.estimate is None:  # the change removes the stack
        return StackDiff(stack, added, removed, changed, base_usd, 0.0, [])
    summary = head.estimate.summary()
    problems = budget_problems(stack, base_usd, summary["monthly"], head.settings, summary.get("unpriced", []))
    return StackDiff(stack, added, removed, changed, base_usd, summary["monthly"], problems)


def budget_problems(
    stack: str, base_usd: float | None, head_usd: float, settings: Settings, unpriced: list[str] = ()
) -> list[str]:
    """The budget guard: one line per limit the head estimate breaks. An estimate that leaves
    something unpriced cannot be checked, so it fails too."""
    problems = []
    if unpriced:
        problems.append(f"{stack}: no price data for {', '.join(unpriced)}; add it to components/cost/prices.py")
    budget = settings.pricing.monthly_budget
    if head_usd > budget:
        problems.append(
            f"{stack}: estimated ${head_usd:,.2f}/month exceeds cloud-platform:monthlyBudget (${budget:,.2f})"
        )
    limit = settings.pricing.max_increase_percent
    if base_usd:
        increase = (head_usd - base_usd) / base_usd * 100
        if increase > limit:
            problems.append(
                f"{stack}: estimated cost rises {increase:.1f}% (${base_usd:,.2f} -> ${head_usd:,.2f}/month), "
                f"more than cloud-platform:maxIncreasePercent ({limit:g}%)"
            )
    return problems


def _cost_line(d: StackDiff) -> str:
    if d.base_usd is None:
        return f"${d.head_usd:,.2f}/month (new stack)"
    delta = d.head_usd - d.base_usd
    pct = f", {delta / d.base_usd * 100:+.1f}%" if d.base_usd else ""
    return f"${d.base_usd:,.2f} -> ${d.head_usd:,.2f}/month ({delta:+,.2f}{pct})"


def format_text(diffs: list[StackDiff], ref: str) -> str:
    out = []
    for d in diffs:
        out.append(f"== {d.stack}: {len(d.added)} added, {len(d.changed)} changed, {len(d.removed)} removed against {ref}")
        out.append(f"   cost: {_cost_line(d)}")
        out += [f"+ {k}" for k in d.added] + [f"- {k}" for k in d.removed]
        for key, text in d.changed.items():
            out += [f"~ {key}", text.rstrip("\n")]
        out += [f"BUDGET: {p}" for p in d.problems]
        out.append("")
    return "\n".join(out)


def format_markdown(diffs: list[StackDiff], ref: str) -> str:
    out = [f"### Manifest and cost diff against `{ref}`", "", "| stack | added | changed | removed | monthly cost |", "|---|---|---|---|---|"]
    out += [f"| {d.stack} | {len(d.added)} | {len(d.changed)} | {len(d.removed)} | {_cost_line(d).replace('->', '→')} |" for d in diffs]
    for d in diffs:
        if not (d.added or d.removed or d.changed or d.problems):
            continue
        out += ["", f"#### {d.stack}"]
        bullets = [f"- :x: **Budget guard:** {p}" for p in d.problems]
        bullets += [f"- added `{k}`" for k in d.added] + [f"- removed `{k}`" for k in d.removed]
        out += ["", *bullets] if bullets else []
        for key, text in d.changed.items():
            out += ["", f"<details><summary>changed <code>{key}</code></summary>", "", "```diff", text.rstrip("\n"), "```", "", "</details>"]
    return "\n".join(out) + "\n"


def base_stack_names(ref: str, repo: Path = ROOT_DIR) -> list[str]:
    """The stacks ``ref`` has a ``Pulumi.<stack>.yaml`` for."""
    listing = subprocess.run(["git", "-C", str(repo), "ls-tree", "--name-only", ref], capture_output=True, text=True, check=False)
    names = [n for n in listing.stdout.split() if n.startswith("Pulumi.") and n.endswith(".yaml") and n != "Pulumi.yaml"]
    return [n[len("Pulumi.") : -len(".yaml")] for n in names]


def run_diff(ref: str, stacks: list[str] | None = None, repo: Path = ROOT_DIR) -> list[StackDiff]:
    """Every stack of either side (or ``stacks``): a stack only the base has shows as removed."""
    verify_ref(ref, repo)
    known = stack_names()
    stacks = stacks or sorted(set(known) | set(base_stack_names(ref, repo)))
    heads = {s: head_side(s) for s in stacks if s in known}
    bases = base_sides(ref, stacks, {s: h.settings for s, h in heads.items()}, repo)
    empty = Side({}, None, None)
    return [compare(s, bases[s], heads.get(s, empty)) for s in stacks]
