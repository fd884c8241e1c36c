"""Where the engine tests find their external tools (promtool, amtool, nginx).

A missing tool goes to the suite's one skip-or-fail helper (``tests.conftest.missing_tool``):
a skip with one line naming the Debian package, or a failure under ``CI=true``, so CI never
passes by skipping (``.ci/run`` installs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import missing_tool

# tool -> Debian package that ships it
PACKAGES = {"promtool": "prometheus", "amtool": "prometheus-alertmanager", "nginx": "nginx-light"}
# nginx lives in /usr/sbin, which is not on every user's PATH.
EXTRA_DIRS = ("/usr/sbin", "/sbin")


def find(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in EXTRA_DIRS:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def require(name: str) -> str:
    """The tool's path; skip (locally) or fail (``CI=true``) when it is missing."""
    path = find(name)
    if path:
        return path
    missing_tool(f"{name} not found: install the Debian package {PACKAGES[name]} (apt-get install {PACKAGES[name]})")
    raise AssertionError("unreachable: missing_tool skips or fails")


def run(name: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the tool; the result carries its exit code and both streams for the assertion."""
    return subprocess.run([require(name), *args], cwd=cwd, capture_output=True, text=True, timeout=120)
