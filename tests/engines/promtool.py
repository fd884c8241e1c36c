"""Run ``promtool test rules`` on the rule groups the program renders, plus the chart's
recording rules they build on (``kps_recording_rules.py``)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.conftest import rendered
from tests.engines.kps_recording_rules import RECORDING_RULE_GROUPS
from tests.engines.tool import require, run

RULE_FILES = ("platform-rules.yaml", "kps-recording-rules.yaml")


def platform_rule_groups(stack: str) -> list[dict]:
    """``spec.groups`` of the rendered ``platform-rules`` PrometheusRule."""
    (rule,) = [o for o in rendered(stack).objects if o["kind"] == "PrometheusRule" and o["metadata"]["name"] == "platform-rules"]
    return rule["spec"]["groups"]


def promtool_test(stack: str, tests: list[dict], folder: Path):
    """Write the rendered rules, the recording rules and a unit-test file; run promtool."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RULE_FILES[0]).write_text(yaml.safe_dump({"groups": platform_rule_groups(stack)}, sort_keys=False))
    (folder / RULE_FILES[1]).write_text(yaml.safe_dump({"groups": RECORDING_RULE_GROUPS}, sort_keys=False))
    doc = {"rule_files": list(RULE_FILES), "evaluation_interval": "1m", "tests": tests}
    (folder / "test.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, width=1000))
    return run("promtool", "test", "rules", "test.yaml", cwd=folder)


@dataclass(frozen=True)
class Case:
    """One promtool test file of its own: the rule ``groups`` it evaluates (say, those of a
    non-default setting, or a rule with a wrong value swapped in; the chart's recording rules
    are added unless ``recording_rules`` is False), its ``tests`` entries and its evaluation
    interval."""

    groups: list[dict]
    tests: list[dict]
    evaluation_interval: str = "1m"
    recording_rules: bool = True  # False: ``groups`` read no recording rule (cheaper to evaluate)


_SECTION = re.compile(r"^Unit Testing:\s+(\S+)\s*$", re.M)


def run_cases(cases: dict[str, Case], folder: Path) -> dict[str, tuple[bool, str]]:
    """Every case in one ``promtool test rules`` process; case id -> (passed, promtool's report)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RULE_FILES[1]).write_text(yaml.safe_dump({"groups": RECORDING_RULE_GROUPS}, sort_keys=False))
    names = {}
    for i, (case_id, case) in enumerate(cases.items()):
        rules, name = f"rules-{i}.yaml", f"case-{i}.yaml"
        (folder / rules).write_text(yaml.safe_dump({"groups": case.groups}, sort_keys=False))
        files = [rules, RULE_FILES[1]] if case.recording_rules else [rules]
        doc = {"rule_files": files, "evaluation_interval": case.evaluation_interval, "tests": case.tests}
        (folder / name).write_text(yaml.safe_dump(doc, sort_keys=False, width=1000))
        names[name] = case_id
    # One stream, so that each file's errors stay in its ``Unit Testing:`` section.
    log = subprocess.run(
        [require("promtool"), "test", "rules", *names], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300
    ).stdout
    marks = list(_SECTION.finditer(log))
    out = {}
    for i, mark in enumerate(marks):
        body = log[mark.end() : marks[i + 1].start() if i + 1 < len(marks) else len(log)].strip()
        out[names[mark.group(1)]] = (body.startswith("SUCCESS"), body)
    missing = set(cases) - set(out)
    assert not missing, f"promtool reported nothing for {sorted(missing)}:\n{log[-4000:]}"
    return out
