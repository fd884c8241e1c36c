"""``python -m tools preflight``: check the tools ``make up`` needs before anything is created.

Each missing tool is named with how to install it, on stderr; the exit status is 2 (an
environment error, the project's convention) when any is missing, so ``make up`` stops before
Pulumi declares a single resource.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Tool:
    name: str
    why: str
    install: str


TOOLS = (
    Tool("docker", "runs the kind node containers", "https://docs.docker.com/get-docker/ (Docker Desktop, or docker-ce on Linux)"),
    Tool("kind", "creates the local cluster", "https://kind.sigs.k8s.io/docs/user/quick-start/#installation (v0.31.0 or newer)"),
    Tool("pulumi", "deploys the stack", "https://www.pulumi.com/docs/iac/download-install/ (curl -fsSL https://get.pulumi.com | sh)"),
)


def problems(which: Callable[[str], str | None] = shutil.which, docker_ok: Callable[[], bool] | None = None) -> list[str]:
    """One line per missing prerequisite (empty when all is well)."""
    found = []
    for tool in TOOLS:
        if which(tool.name) is None:
            found.append(f"{tool.name} is not installed ({tool.why}): install it from {tool.install}")
    if which("docker") is not None and not (docker_ok or _docker_daemon_up)():
        found.append("docker is installed but its daemon is not reachable: start Docker Desktop or `sudo systemctl start docker`")
    return found


def _docker_daemon_up() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def main() -> int:
    found = problems()
    for line in found:
        print(f"preflight: {line}", file=sys.stderr)
    if not found:
        print("preflight: docker, kind and pulumi are ready", file=sys.stderr)
    return 2 if found else 0
