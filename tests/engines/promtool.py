"""Run ``promtool test rules`` on the rule groups the program renders, plus the chart's
recording rules they build on (``kps_recording_rules.py``).

Every case of the session runs in **one** ``promtool test rules`` process, started in the
background when collection ends (``tests/engines/conftest.py``) while the other tests run;
each ``@pytest.mark.promtool`` test then asserts its own case's outcome. A case is one test
file (``rule_files`` + ``tests``), so promtool reports it on its own (``Unit Testing: <file>``
then ``SUCCESS`` or ``FAILED:`` with the errors).

A case's rule file holds, from what the stack renders (and the chart's recording rules), the
alerting rules it tests and every recording rule their expressions, or its ``promql_expr_test``
expressions, read, transitively. Other alerting rules cannot change its outcome: no rule reads
``ALERTS`` (asserted; if one did, the case would get every rule). Files are named by the hash
of everything they evaluate, so a case whose rules and input are identical on two stacks (every
alert but the budget one) is evaluated once, and both stacks' tests assert that one outcome.
One process per case, each evaluating every rule, cost 56 processes and about 44 s.

Test modules declare their cases with ``cases_from`` at import, before collection ends.
"""

from __future__ import annotations

import atexit
import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.conftest import rendered
from tests.engines.kps_recording_rules import RECORDING_RULE_GROUPS
from tests.engines.tool import find, require

EVALUATION_INTERVAL = "1m"

# stack -> {case id -> promtool ``tests:`` entries, or a ``Case`` with its own rules}; one source per test module.
CaseSource = Callable[[str], dict[str, "list[dict] | Case"]]
_SOURCES: list[CaseSource] = []


def cases_from(source: CaseSource) -> CaseSource:
    """Declare a test module's promtool cases (a decorator on ``source(stack)``)."""
    _SOURCES.append(source)
    return source


def platform_rule_groups(stack: str) -> list[dict]:
    """``spec.groups`` of the rendered ``platform-rules`` PrometheusRule."""
    (rule,) = [o for o in rendered(stack).objects if o["kind"] == "PrometheusRule" and o["metadata"]["name"] == "platform-rules"]
    return rule["spec"]["groups"]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    output: str


def _dump(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False, width=1000)


def _digest(*texts: str) -> str:
    return hashlib.sha256("\0".join(texts).encode()).hexdigest()[:16]


def _reads(expr: str, name: str) -> bool:
    return re.search(rf"(?<![\w:]){re.escape(name)}(?![\w:])", expr) is not None


def rules_for(groups: list[dict], tests: list[dict]) -> list[dict]:
    """The groups, cut down to the alerting rules ``tests`` name and the recording rules that
    they, or the tested expressions, read (transitively); all of them when a rule reads ALERTS."""
    rules = [r for g in groups for r in g["rules"]]
    if any(_reads(r["expr"], "ALERTS") or _reads(r["expr"], "ALERTS_FOR_STATE") for r in rules):
        return groups
    alerts = {a["alertname"] for t in tests for a in t.get("alert_rule_test", [])}
    wanted = [r["expr"] for r in rules if r.get("alert") in alerts]
    wanted += [e["expr"] for t in tests for e in t.get("promql_expr_test", [])]
    records: set[str] = set()
    while True:
        found = {r["record"] for r in rules if "record" in r and r["record"] not in records and any(_reads(e, r["record"]) for e in wanted)}
        if not found:
            break
        records |= found
        wanted += [r["expr"] for r in rules if r.get("record") in found]
    kept = []
    for group in groups:
        chosen = [r for r in group["rules"] if r.get("alert") in alerts or r.get("record") in records]
        if chosen:
            kept.append({**group, "rules": chosen})
    return kept


@dataclass(frozen=True)
class Case:
    """A case that brings its own rules, for a source to give instead of ``tests`` entries: the
    rule ``groups`` it evaluates (those of a non-default setting, or a rule with a wrong value
    swapped in; the chart's recording rules are added unless ``recording_rules`` is False), its
    ``tests`` entries and its evaluation interval (a coarser one keeps cases that span days cheap)."""

    groups: list[dict]
    tests: list[dict]
    evaluation_interval: str = EVALUATION_INTERVAL
    recording_rules: bool = True


class Batch:
    """The session's cases written to one folder and run by one background promtool."""

    def __init__(self, stacks: list[str]):
        self.folder = Path(tempfile.mkdtemp(prefix="promtool-batch-"))
        atexit.register(shutil.rmtree, self.folder, True)
        self.files: dict[tuple[str, str], str] = {}
        for stack in stacks:
            groups = platform_rule_groups(stack) + RECORDING_RULE_GROUPS
            for source in _SOURCES:
                for case_id, tests in source(stack).items():
                    interval = EVALUATION_INTERVAL
                    if isinstance(tests, Case):
                        own, interval = tests.groups + (RECORDING_RULE_GROUPS if tests.recording_rules else []), tests.evaluation_interval
                        rules, tests = _dump({"groups": own}), tests.tests
                    else:
                        rules = _dump({"groups": rules_for(groups, tests)})
                    rules_name = f"rules-{_digest(rules)}.yaml"
                    (self.folder / rules_name).write_text(rules)
                    text = _dump({"rule_files": [rules_name], "evaluation_interval": interval, "tests": tests})
                    name = f"case-{_digest(text, rules)}.yaml"
                    (self.folder / name).write_text(text)
                    self.files[(stack, case_id)] = name
        self.log = self.folder / "promtool.log"
        unique = sorted(set(self.files.values()))
        with self.log.open("w") as out:  # one stream: promtool's stdout and stderr interleave in order
            self.process = subprocess.Popen([require("promtool"), "test", "rules", *unique], cwd=self.folder, stdout=out, stderr=subprocess.STDOUT)
        self._outcomes: dict[str, Outcome] | None = None

    def outcome(self, stack: str, case_id: str) -> Outcome:
        if self._outcomes is None:
            self.process.wait(timeout=600)
            self._outcomes = parse(self.log.read_text())
        name = self.files[(stack, case_id)]
        return self._outcomes.get(name, Outcome(False, f"promtool reported nothing for {name}:\n{self.log.read_text()[-4000:]}"))


_SECTION = re.compile(r"^Unit Testing:\s+(\S+)\s*$", re.M)


def parse(log: str) -> dict[str, Outcome]:
    """``Unit Testing: <file>`` sections of promtool's output, each SUCCESS or not."""
    marks = list(_SECTION.finditer(log))
    out = {}
    for i, mark in enumerate(marks):
        body = log[mark.end() : marks[i + 1].start() if i + 1 < len(marks) else len(log)]
        out[mark.group(1)] = Outcome(body.strip().startswith("SUCCESS"), body.strip())
    return out


_BATCH: Batch | None = None


def start(stacks: list[str]) -> None:
    """Start the session's promtool run (once), if promtool is installed; without it each
    test skips or fails (CI) with the package to install when it asks for its outcome."""
    global _BATCH
    if _BATCH is None and find("promtool"):
        _BATCH = Batch(stacks)


def outcome(stack: str, case_id: str) -> Outcome:
    """The outcome of one case of the session's batch (starting it if collection did not)."""
    require("promtool")
    if _BATCH is None:
        from tests.conftest import STACKS

        start(STACKS)
    assert _BATCH is not None
    return _BATCH.outcome(stack, case_id)

