"""``tools diff``: objects added, changed and removed between two renders, the cost delta, and
the budget guard (``monthlyBudget``, ``maxIncreasePercent``)."""

from __future__ import annotations


import pytest

from components.cost.inventory import HELM_CHART
from stacks.settings import KEYS_BY_NAME, PROJECT, ConfigError, settings_from, validate
from tests.unit.test_tools_cli import _append, stack_files  # noqa: F401 - the fixture
from tools import __main__ as cli
from tools.diff import Record, Side, StackDiff, base_stack_names, budget_problems, compare, format_markdown, format_text, side

P = f"{PROJECT}:"
DEFAULTS = settings_from(validate({}), "t")


def deployment(name: str, replicas: int, cpu: str = "100m", image: str = "nginx:1.27") -> Record:
    res = {"requests": {"cpu": cpu, "memory": "128Mi"}, "limits": {"cpu": cpu, "memory": "128Mi"}}
    spec = {"replicas": replicas, "template": {"spec": {"containers": [{"name": "c", "image": image, "resources": res}]}}}
    return Record("kubernetes:apps/v1:Deployment", name, {"metadata": {"name": name, "namespace": "shop"}, "spec": spec})


def config_map(name: str) -> Record:
    return Record("kubernetes:core/v1:ConfigMap", name, {"metadata": {"name": name, "namespace": "shop"}, "data": {"a": "1"}})


BASE = [deployment("web", 2), deployment("worker", 1), config_map("old-config")]
HEAD = [deployment("web", 2), deployment("worker", 1, image="nginx:1.28"), config_map("new-config"),
        Record("aws:kms/key:Key", "secrets", {"description": "k"}), Record("cloud-platform:apps:Workload", "w", {}, custom=False)]


def test_diff_of_two_synthetic_renders_lists_exactly_what_was_added_changed_and_removed():
    d = compare("t", side("t", BASE, DEFAULTS), side("t", HEAD, DEFAULTS))
    assert d.added == ["ConfigMap shop/new-config", "aws:kms/key:Key secrets"]  # components are not objects
    assert d.removed == ["ConfigMap shop/old-config"]
    assert list(d.changed) == ["Deployment shop/worker"]
    diff = d.changed["Deployment shop/worker"]
    lines = diff.splitlines()
    assert lines[:2] == ["--- base/Deployment shop/worker", "+++ head/Deployment shop/worker"]
    edits = [line.strip() for line in lines[2:] if line[:1] in "+-"]
    assert edits == ["-      - image: nginx:1.27", "+      - image: nginx:1.28"]


def test_cost_delta_is_priced_on_both_sides():
    d = compare("t", side("t", BASE, DEFAULTS), side("t", [deployment("web", 4), deployment("worker", 1)], DEFAULTS))
    one_pod = (0.1 * 0.031611 + 0.125 * 0.004237) * 730  # 100m, 128Mi
    assert d.base_usd == pytest.approx(round(3 * one_pod, 2))
    assert d.head_usd == pytest.approx(round(5 * one_pod, 2))


def test_a_changed_helm_release_is_diffed_by_its_values():
    def release(replicas: int) -> Record:
        values = {"replicas": replicas, "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "50m", "memory": "64Mi"}}}
        return Record(HELM_CHART, "ms", {"chart": "metrics-server", "version": "3.13.1", "namespace": "ops", "values": values})

    d = compare("t", side("t", [release(1)], DEFAULTS), side("t", [release(2)], DEFAULTS))
    assert list(d.changed) == ["HelmRelease ops/ms"]
    assert "-  replicas: 1" in d.changed["HelmRelease ops/ms"] and "+  replicas: 2" in d.changed["HelmRelease ops/ms"]


def guard(budget: str, percent: str):
    return settings_from(validate({P + "monthlyBudget": budget, P + "maxIncreasePercent": percent}), "t")


def test_budget_guard_trips_over_the_monthly_budget_with_the_reason():
    assert budget_problems("dev", 80.0, 120.0, guard("100", "1000")) == [
        "dev: estimated $120.00/month exceeds cloud-platform:monthlyBudget ($100.00)"
    ]


def test_budget_guard_trips_on_a_larger_increase_than_allowed():
    assert budget_problems("dev", 80.0, 100.0, guard("500", "20")) == [
        "dev: estimated cost rises 25.0% ($80.00 -> $100.00/month), more than cloud-platform:maxIncreasePercent (20%)"
    ]


def test_budget_guard_passes_within_budget_and_allowed_increase():
    assert budget_problems("dev", 80.0, 96.0, guard("100", "20")) == []
    assert budget_problems("eks", None, 90.0, guard("100", "0")) == []  # a new stack has no base to rise from


def test_max_increase_percent_is_a_declared_validated_key():
    assert KEYS_BY_NAME["maxIncreasePercent"].default == "25"
    assert DEFAULTS.pricing.max_increase_percent == 25
    with pytest.raises(ConfigError) as err:
        validate({P + "maxIncreasePercent": "-5"})
    assert str(err.value).startswith(f'{P}maxIncreasePercent must be a decimal number from 0 to ')


def _diff_with_problem() -> StackDiff:
    return StackDiff("dev", ["Deployment shop/new"], [], {"Deployment shop/web": "--- a\n+++ b\n-x\n+y\n"}, 50.0, 200.0,
                     ["dev: estimated $200.00/month exceeds cloud-platform:monthlyBudget ($100.00)"])


def test_markdown_collapses_each_changed_object_and_names_the_budget_breach():
    md = format_markdown([_diff_with_problem()], "main")
    assert "<details><summary>changed <code>Deployment shop/web</code></summary>" in md and "```diff" in md
    assert "| dev | 1 | 1 | 0 | $50.00 → $200.00/month (+150.00, +300.0%) |" in md
    assert "**Budget guard:** dev: estimated $200.00/month exceeds" in md
    assert "BUDGET: dev: estimated $200.00" in format_text([_diff_with_problem()], "main")


def test_cli_exits_non_zero_with_the_reason_when_the_guard_trips(monkeypatch, capsys):
    monkeypatch.setattr("tools.diff.run_diff", lambda ref, stacks: [_diff_with_problem()])
    assert cli.main(["diff", "--base", "main", "--stack", "dev"]) == 1
    assert "budget guard: dev: estimated $200.00/month exceeds cloud-platform:monthlyBudget" in capsys.readouterr().err
    monkeypatch.setattr("tools.diff.run_diff", lambda ref, stacks: [StackDiff("dev", [], [], {}, 50.0, 50.0, [])])
    assert cli.main(["diff", "--base", "main", "--stack", "dev"]) == 0


def test_tools_diff_renders_a_git_ref_in_a_subprocess_and_the_working_tree(capsys):
    """The real command against the repository's HEAD (always present, shallow clones too):
    the base renders in a subprocess from the ref's tree, the working tree in this process."""
    code = cli.main(["diff", "--base", "HEAD", "--stack", "dev"])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert out.startswith("== dev: ") and "against HEAD" in out
    assert "   cost: $" in out and "/month" in out


def test_a_stack_the_change_removes_lists_every_object_removed_and_trips_no_guard():
    d = compare("old", side("old", BASE, DEFAULTS), Side({}, None, None))
    assert d.added == [] and list(d.changed) == []
    assert d.removed == ["ConfigMap shop/old-config", "Deployment shop/web", "Deployment shop/worker"]
    assert d.head_usd == 0 and d.problems == []


def test_the_base_stacks_are_read_from_the_ref():
    assert {"dev", "staging", "prod"} <= set(base_stack_names("HEAD"))


def test_budget_guard_fails_an_estimate_it_cannot_price():
    assert budget_problems("eks", 300.0, 0.0, guard("500", "20"), ["nodes apps (p5.48xlarge on-demand)"]) == [
        "eks: no price data for nodes apps (p5.48xlarge on-demand); add it to components/cost/prices.py"
    ]


def test_cost_with_a_bad_budget_key_prints_only_the_problem_line_and_exits_2(stack_files, capsys):
    _append(stack_files, "dev", '  cloud-platform:maxIncreasePercent: "lots"\n')
    assert cli.main(["cost", "dev"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [f'{P}maxIncreasePercent must be a decimal number from 0 to 10000 (got "lots")']
