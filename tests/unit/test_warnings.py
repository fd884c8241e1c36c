"""A green run prints no deprecation warning: the program, run for real under the mocks, emits
none under the filters ``__main__.py`` sets. Those filters name the exact messages and modules
of the provider SDKs' import-time deprecations for resources the program never declares, so a
new warning still shows."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter that shows every DeprecationWarning (Python hides them outside __main__
# by default), running the whole eks program as `tools render` does; eks imports every
# provider SDK the program uses. It starts when this module is collected and runs on the other
# core while the session goes on; the test waits for it.
_OUT = tempfile.TemporaryDirectory(prefix="warnings-render-")
_RENDER = subprocess.Popen(
    [sys.executable, "-W", "default::DeprecationWarning", "-m", "tools", "render", "eks", "--out", str(Path(_OUT.name) / "out")],
    cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
)


def test_the_eks_program_prints_no_deprecation_warning():
    try:
        _, stderr = _RENDER.communicate(timeout=300)
    finally:
        _OUT.cleanup()
    assert _RENDER.returncode == 0, stderr
    assert "DeprecationWarning" not in stderr, stderr
