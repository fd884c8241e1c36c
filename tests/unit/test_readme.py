"""The README runs as written (issue 18, item 3): every ``make`` and ``python -m tools``
command it tells a user to type is a Makefile target or is accepted by the tools' parser, the
tools are run with the venv's interpreter, and figures that drift are checked against the
tools' own output."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.conftest import ROOT, STACKS
from tools.__main__ import build_parser

README = (ROOT / "README.md").read_text()
PLACEHOLDERS = {"<stack>": "dev", "$STACK": "dev", "<name>": "dev", "<exit>": "0"}
_ENV = re.compile(r"^(?:[A-Z_]+=\S+\s+)*")


def _code() -> list[str]:
    """Inline code spans, and the lines of fenced blocks."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", README, flags=re.S | re.M)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", README, flags=re.S | re.M)
    return re.findall(r"`([^`\n]+)`", prose) + [line for block in fenced for line in block.splitlines()]


def _commands(program: str) -> list[str]:
    """Each piece of code that starts (after VAR=value assignments) with ``program`` and
    arguments (the bare name is prose naming the program, not a command)."""
    found = []
    for code in _code():
        rest = _ENV.sub("", code.strip())
        if rest.startswith(program + " "):
            found.append(rest.split("#", 1)[0].strip())
    return found


def _argv(command: str, program: str) -> list[str]:
    text = command[len(program) :]
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return shlex.split(text)


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return {m for line in re.findall(r"^([a-z][\w .-]*):(?!=)", makefile, flags=re.M) for m in line.split()}


def test_the_tools_are_run_with_the_venvs_python():
    """The system Python has no pulumi: ``python -m tools`` there ends in a traceback."""
    bare = [c for c in _code() if re.search(r"(?<![\w/.])python3? -m tools\b", c)]
    assert bare == []


def test_every_tools_command_in_the_readme_is_accepted_by_the_parser():
    commands = _commands(".venv/bin/python -m tools")
    assert len(commands) >= 15
    parser = build_parser()
    for command in commands:
        argv = _argv(command, ".venv/bin/python -m tools")
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"README command not accepted by the tools' parser: {command}")


def test_every_make_command_in_the_readme_is_a_makefile_target_with_a_known_stack():
    commands = _commands("make")
    assert len(commands) >= 10
    targets = _make_targets()
    for command in commands:
        words = _argv(command, "make")
        assert words and words[0] in targets, command
        for word in words[1:]:
            name, _, value = word.partition("=")
            assert re.fullmatch(r"[A-Z_]+", name), command  # make VAR=value, nothing else
            if name == "STACK":
                assert value in STACKS, command


def test_the_parser_and_makefile_used_above_are_the_real_ones():
    assert {"up", "test", "render", "preview", "destroy", "backend", "preflight", "clean"} <= _make_targets()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["nonsense"])


# Figures that drift, each checked against what the tools (or the tests that count) produce.


def _row(first_cell_start: str) -> list[str]:
    (line,) = [ln for ln in README.splitlines() if ln.startswith(f"| {first_cell_start}")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def _money(text: str) -> float:
    return float(re.search(r"\$([\d,]+\.\d\d)", text).group(1).replace(",", ""))


def test_the_engine_table_counts_every_stack():
    from tests.engines.test_alert_rules import stack_cases
    from tests.engines.test_alertmanager import MODES, routing_cases
    from tests.engines.test_finops_queries import EXPECTED
    from tests.engines.test_nginx import CLOUDMART_SERVICES

    named = re.search(r"on the rendered output of every stack \(([^)]*)\)", README).group(1)
    assert sorted(named.split(", ")) == STACKS
    per_stack = {
        "every alert of `platform-rules`": {s: f"{len(stack_cases(s))} cases for {len({c.alert for c in stack_cases(s)})} alerts" for s in STACKS},
        "every query of": {s: f"{len(EXPECTED)} queries" for s in STACKS},
        "the Alertmanager config": {s: str(len(MODES)) for s in STACKS},
        "where each kind of alert goes": {s: str(len(MODES) * len(routing_cases(s))) for s in STACKS},
        "CloudMart's five": {s: str(len(CLOUDMART_SERVICES)) for s in STACKS},
    }
    totals = {
        "every alert of `platform-rules`": sum(len(stack_cases(s)) for s in STACKS),
        "every query of": len(EXPECTED) * len(STACKS),
        "the Alertmanager config": len(MODES) * len(STACKS),
        "where each kind of alert goes": sum(len(MODES) * len(routing_cases(s)) for s in STACKS),
        "CloudMart's five": len(CLOUDMART_SERVICES) * len(STACKS),
    }
    for row, counts in per_stack.items():
        cells = _row(row)
        assert set(counts.values()) == {cells[2]}, row
        assert cells[3] == str(totals[row]), row


def test_resource_and_labelled_object_counts_are_the_renders():
    from tests.conftest import KIND_STACKS, rendered, rendered_with_demo, stack_run

    kind = {(len(stack_run(s, False).registrations), len(rendered(s).objects), len(rendered(s).releases)) for s in KIND_STACKS}
    ((resources, objects, releases),) = kind
    assert f"Each kind stack has {resources} resources: {objects} Kubernetes objects and {releases} Helm releases." in README
    kind_demo = {len(rendered_with_demo(s).objects) for s in KIND_STACKS}
    ((demo,),) = [kind_demo]
    eks, eks_demo = len(rendered("eks").objects), len(rendered_with_demo("eks").objects)
    assert (
        f"Measured: **{objects} of {objects}** objects on each kind stack and {eks} of {eks} on eks "
        f"({demo} and {eks_demo} with the FinOps demo)." in README
    )


def test_the_eks_cost_table_is_what_tools_cost_prints():
    from tools.cost import estimate_stack, to_json

    estimate = to_json(estimate_stack("eks"))
    infra = estimate["infrastructure"]
    cells = _row("EBS gp3, Seoul")
    claims = sum(r["storageGi"] for r in estimate["workloadRows"])
    listed = re.search(r"(\d+) GiB of claims \(([^)]*)\)", cells[0])
    assert int(listed.group(1)) == claims
    assert sum(int(n) for n in re.findall(r"\d+", listed.group(2))) == claims
    volumes = sum(v for k, v in infra.items() if k.startswith("node volumes"))
    assert _money(cells[2]) == pytest.approx(infra["EBS gp3 claims"] + volumes, abs=0.01)
    total = _row("**total before traffic")
    assert total[2] == f"**about ${int(estimate['monthly'])}**"


def test_the_budget_row_names_every_stack_files_budget_and_the_estimates():
    import yaml

    from tools.cost import estimate_stack, to_json

    cells = _row("`cloud-platform:monthlyBudget`")
    for stack in STACKS:
        config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        budget = config.get("cloud-platform:monthlyBudget")
        if budget is not None:
            assert re.search(rf"`{stack}`( sets)? {budget}\b", cells[2]), stack
            assert f"${to_json(estimate_stack(stack))['monthly']:.2f}" in cells[2], stack


def test_no_timing_of_this_machine_is_quoted_as_a_fact():
    """Timings drift with the machine and its load; the README gives none as a figure."""
    assert re.findall(r"\(\d+(?:\.\d+)? s on the", README) == []
