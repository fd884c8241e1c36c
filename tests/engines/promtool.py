"""Run ``promtool test rules`` on the rule groups the program renders, plus the chart's
recording rules they build on (``kps_recording_rules.py``)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import rendered
from tests.engines.kps_recording_rules import RECORDING_RULE_GROUPS
from tests.engines.tool import run

RULE_FILES = ("platform-rules.yaml", "kps-recording-rules.yaml")


def platform_rule_groups(stack: str) -> list[dict]:
    """``spec.groups`` of the rendered ``platform-rules`` PrometheusRule."""
    (rule,) = [o for o in rendered(stack).objects if o["kind"] == "PrometheusRule" and o["metadata"]["name"] == "platform-rules"]
    return rule["spec"]["groups"]


def promtool_test(stack: str, tests: list[dict], folder: Path, groups: list[dict] | None = None, evaluation_interval: str = "1m"):
    """Write the rendered rules (``groups`` instead, when given: those of another setting of
    ``stack``), the recording rules and a unit-test file; run promtool. A coarser
    ``evaluation_interval`` keeps tests that span days cheap."""
    folder.mkdir(parents=True, exist_ok=True)
    groups = platform_rule_groups(stack) if groups is None else groups
    (folder / RULE_FILES[0]).write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    (folder / RULE_FILES[1]).write_text(yaml.safe_dump({"groups": RECORDING_RULE_GROUPS}, sort_keys=False))
    doc = {"rule_files": list(RULE_FILES), "evaluation_interval": evaluation_interval, "tests": tests}
    (folder / "test.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, width=1000))
    return run("promtool", "test", "rules", "test.yaml", cwd=folder)
