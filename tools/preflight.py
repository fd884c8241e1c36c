"""``python -m tools preflight``: check the tools ``make up`` needs before anything is created.

Each missing tool is named with how to install it; the exit status is non-zero when any is
missing, so ``make up`` stops before Pulumi declares a single resource.
"""

from __future__ import annotations

import re
import shutil
import subprocess
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


# The first kind release whose kindnet enforces NetworkPolicies (kube-network-policies in
# kindnetd: "implement network policies", first tagged v0.24.0). Older kind clusters accept
# the policies and ignore them, silently.
KIND_NETWORK_POLICY_VERSION = (0, 24, 0)
_KIND_VERSION = re.compile(r"\bv(\d+)\.(\d+)\.(\d+)")


def kind_version_problem(output: str | None) -> str | None:
    """A line when ``kind version``'s output names a release before v0.24.0 (or none)."""
    match = _KIND_VERSION.search(output or "")
    if match is None:
        return f"kind version could not be read (got {output!r}): kind v0.24.0 or newer enforces NetworkPolicies"
    found = tuple(int(x) for x in match.groups())
    if found < KIND_NETWORK_POLICY_VERSION:
        return (
            f"kind v{'.'.join(map(str, found))} does not enforce NetworkPolicies (its kindnet ignores them): "
            "install kind v0.24.0 or newer (v0.31.0 is what the stacks are tested with)"
        )
    return None


def problems(
    which: Callable[[str], str | None] = shutil.which,
    docker_ok: Callable[[], bool] | None = None,
    kind_version: Callable[[], str | None] | None = None,
) -> list[str]:
    """One line per missing prerequisite (empty when all is well)."""
    found = []
    for tool in TOOLS:
        if which(tool.name) is None:
            found.append(f"{tool.name} is not installed ({tool.why}): install it from {tool.install}")
    if which("docker") is not None and not (docker_ok or _docker_daemon_up)():
        found.append("docker is installed but its daemon is not reachable: start Docker Desktop or `sudo systemctl start docker`")
    if which("kind") is not None:
        line = kind_version_problem((kind_version or _kind_version)())
        if line:
            found.append(line)
    return found


def _kind_version() -> str | None:
    try:
        return subprocess.run(["kind", "version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None


def _docker_daemon_up() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def main() -> int:
    found = problems()
    for line in found:
        print(f"preflight: {line}")
    if not found:
        print("preflight: docker, kind and pulumi are ready")
    return 1 if found else 0
