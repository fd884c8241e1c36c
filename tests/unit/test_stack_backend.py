"""``make up/preview/destroy STACK=eks`` use the S3 backend and KMS secrets provider that
``tools bootstrap-backend --save`` records, or stop with the exact commands (issue 18, item 6);
an unknown STACK is refused before anything is built, in the words ``tools render`` uses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.unit.test_makefile import _make
from tools import stackenv

S3 = "s3://pulumi-state-123456789012-ap-northeast-2?region=ap-northeast-2&awssdk=v2"
KMS = "awskms://alias/cloud-platform-secrets?region=ap-northeast-2"


@pytest.fixture
def project(tmp_path):
    """What make and ``python -m tools backend`` read: the Makefile, the stack files, the code."""
    for path in [ROOT / "Makefile", *ROOT.glob("Pulumi*.yaml")]:
        shutil.copy(path, tmp_path / path.name)
    for folder in ("tools", "components", "stacks"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _make_in(project, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    # -o: the venv counts as built (the suite's interpreter runs the tools), so make goes straight on.
    command = [_make(), "--no-print-directory", "-o", ".venv/.installed", f"PY={sys.executable}", *args]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=120)


def test_an_eks_stack_without_a_cloud_backend_stops_with_the_commands_to_run(project):
    result = _make_in(project, "backend", "STACK=eks")
    assert result.returncode == 2
    assert f"PULUMI_BACKEND_URL is file://{project}/.pulumi-state" in result.stderr
    assert "PULUMI_SECRETS_PROVIDER is not set" in result.stderr
    assert "  .venv/bin/python -m tools bootstrap-backend --stack eks --save" in result.stderr.splitlines()


def test_up_on_eks_stops_before_pulumi_without_the_backend(project):
    result = _make_in(project, "up", "STACK=eks", "-o", "preflight")
    assert result.returncode == 2
    assert "pulumi stack select" not in result.stdout
    assert not (project / ".pulumi-state").exists()


def test_the_saved_backend_file_is_what_make_uses_for_eks(project):
    stackenv.write_backend_file("eks", stackenv.Backend(S3, KMS), project)
    result = _make_in(project, "backend", "STACK=eks")
    assert result.returncode == 0, result.stderr
    assert f"backend: eks uses {S3} with secrets provider {KMS}" in result.stderr
    dry = _make_in(project, "-n", "up", "STACK=eks", "-o", "preflight", "-o", "backend")
    assert 'pulumi stack select --create eks --non-interactive --secrets-provider "$PULUMI_SECRETS_PROVIDER"' in dry.stdout


def test_exported_variables_win_over_the_saved_file(project, monkeypatch):
    stackenv.write_backend_file("eks", stackenv.Backend("file:///stale", "passphrase"), project)
    env = {"PULUMI_BACKEND_URL": S3, "PULUMI_SECRETS_PROVIDER": KMS}
    assert stackenv.problems("eks", env, project) == []
    assert len(stackenv.problems("eks", {}, project)) == 2


def test_kind_stacks_keep_the_local_file_backend(project):
    result = _make_in(project, "-n", "up", "STACK=dev", "-o", "preflight", "-o", "backend")
    assert "pulumi stack select --create dev --non-interactive  >/dev/null" in result.stdout
    assert stackenv.problems("dev", {}, project) == []


@pytest.mark.parametrize("target", ["up", "preview", "destroy"])
def test_an_unknown_stack_is_refused_before_the_venv_is_built(project, target):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    result = subprocess.run(
        [_make(), "--no-print-directory", target, "STACK=nope"], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "unknown stack 'nope': expected one of dev, eks, prod, staging" in result.stderr
    assert not (project / ".venv").exists()


def test_tools_backend_refuses_an_unknown_stack_like_render(project):
    assert stackenv.problems("nope", {}, project) == ["unknown stack 'nope': expected one of dev, eks, prod, staging"]


def test_the_saved_file_is_git_ignored():
    assert ".pulumi-backend-*.mk" in (ROOT / ".gitignore").read_text().splitlines()
