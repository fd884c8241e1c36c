"""The one mocks harness: runs the real ``__main__.py`` per stack file and caches the result.

``stack_run(stack, preview)`` is shared by stack and render tests; each (stack, mode) pair
runs once per session.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.mockrun import Run, run_program, stack_config, stack_names  # noqa: E402
from tools.render import Rendered, collect  # noqa: E402

STACKS = stack_names()

# Alert credentials as a user sets them: `pulumi config set --secret` (a secure entry in the
# stack file) for the webhook and the SMTP password. Shared by the modules that run stacks
# with them, so each stack runs once with them (tools/mockrun.py caches identical runs).
SLACK_SETTINGS = {"cloud-platform:alertSlackWebhookUrl": {"secure": "v1:ciphertext"}}
EMAIL_SETTINGS = {
    "cloud-platform:alertEmailTo": "ops@example.com",
    "cloud-platform:alertEmailFrom": "alerts@example.com",
    "cloud-platform:alertSmtpSmarthost": "smtp.example.com:587",
    "cloud-platform:alertSmtpPassword": {"secure": "v1:ciphertext"},
}


def target_of(stack: str) -> str:
    """The stack file's target (``kind`` when it sets none, Pulumi.yaml's default)."""
    return stack_config(stack)[0].get("cloud-platform:target", "kind")


KIND_STACKS = [s for s in STACKS if target_of(s) == "kind"]
EKS_STACKS = [s for s in STACKS if target_of(s) == "eks"]


def missing_tool(message: str) -> None:
    """A test needs a tool that is not installed: skip with ``message`` (one line naming the
    package), or fail under ``CI=true``, where the tool must be there."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@functools.cache
def stack_run(stack: str, preview: bool) -> Run:
    return run_program(stack, preview=preview)


@functools.cache
def rendered(stack: str) -> Rendered:
    return collect(stack_run(stack, preview=False))


@functools.cache
def rendered_with_demo(stack: str) -> Rendered:
    """The stack with seed 001's FinOps demo switched on (``finopsDemo: true``)."""
    config, secrets = stack_config(stack, {"cloud-platform:finopsDemo": "true"})
    return collect(run_program(stack, preview=False, config=config, secret_keys=secrets))


@pytest.fixture(params=[(s, p) for s in STACKS for p in (True, False)], ids=lambda sp: f"{sp[0]}-{'preview' if sp[1] else 'up'}")
def any_run(request) -> Run:
    stack, preview = request.param
    return stack_run(stack, preview)


@pytest.fixture(params=STACKS)
def stack(request) -> str:
    return request.param


@pytest.fixture(params=KIND_STACKS)
def kind_stack(request) -> str:
    """Stacks on kind only: for what exists only there (the kind cluster, ingress-nginx,
    localhost NodePorts)."""
    return request.param


def kubeconfig_doc(contexts: tuple[str, ...]) -> dict:
    """A kubeconfig with one context (and its cluster and user) per name."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": c, "cluster": {"server": "https://127.0.0.1:6443"}} for c in contexts],
        "users": [{"name": c, "user": {}} for c in contexts],
        "contexts": [{"name": c, "context": {"cluster": c, "user": c}} for c in contexts],
    }


@pytest.fixture
def kubeconfig(tmp_path, monkeypatch):
    """A temporary kubeconfig, pointed to by KUBECONFIG, with the given context names."""

    def write(*contexts: str) -> Path:
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(kubeconfig_doc(contexts)))
        monkeypatch.setenv("KUBECONFIG", str(path))
        return path

    return write
