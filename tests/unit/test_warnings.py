"""A green run prints no deprecation warning: the program, run for real under the mocks, emits
none under the filters ``__main__.py`` sets. Those filters name the exact messages and modules
of the provider SDKs' import-time deprecations for resources the program never declares, so a
new warning still shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# eks imports every provider SDK the program uses (kind stacks use a subset of them).
@pytest.mark.parametrize("stack", ["eks"])
def test_the_program_prints_no_deprecation_warning(stack, tmp_path):
    # A fresh interpreter that shows every DeprecationWarning (Python hides them outside
    # __main__ by default), running the whole program as `tools render` does.
    result = subprocess.run(
        [sys.executable, "-W", "default::DeprecationWarning", "-m", "tools", "render", stack, "--out", str(tmp_path / "out")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "DeprecationWarning" not in result.stderr, result.stderr
