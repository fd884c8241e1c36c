"""The Makefile's toolchain edge: Python >= 3.11 checked first, a foreign .venv rebuilt,
``make up`` naming every missing tool before it builds .venv, and ``make clean`` naming what it
leaves behind. Runs make on a copy, with stand-in interpreters."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, missing_tool

FILES = (
    "Makefile", "requirements.txt", "requirements-dev.txt", "constraints.txt", "tools/toolchain.py", "tools/toolchain.json",
    *sorted(p.name for p in ROOT.glob("Pulumi*.yaml")),  # make checks STACK against the stack files
)


def _make() -> str:
    path = shutil.which("make")
    if path is None:
        missing_tool("make not found: install the Debian package make (apt-get install make)")
    return path


@pytest.fixture
def project(tmp_path):
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _interpreter(path, identity: str):
    """A stand-in Python that answers the Makefile's identity question with ``identity``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "{identity}"\n')
    path.chmod(0o755)
    return path


def _run(project, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_make(), "--no-print-directory", *args], cwd=project, capture_output=True, text=True, timeout=60)


def test_an_old_python_is_refused_with_a_clear_message_before_venv_is_built(project):
    old = _interpreter(project / "old-python", "/opt/python3.10/bin/python3.10 3.10.12")
    result = _run(project, "venv", f"PYTHON={old}")
    assert result.returncode != 0
    assert "cloud-platform needs Python 3.11 or newer to build .venv" in result.stderr
    assert f"'{old}' is Python 3.10.12" in result.stderr
    assert not (project / ".venv").exists()


def test_a_missing_python_is_named(project):
    result = _run(project, "venv", "PYTHON=/nonexistent/python3")
    assert result.returncode != 0
    assert "'/nonexistent/python3' is not a working Python. cloud-platform needs Python 3.11 or newer" in result.stderr


def test_a_venv_built_by_another_interpreter_is_rebuilt(project):
    _interpreter(project / ".venv" / "bin" / "python", "/opt/python3.11/bin/python3.11 3.11.2")
    (project / ".venv" / ".installed").touch()
    new = _interpreter(project / "new-python", "/opt/python3.12/bin/python3.12 3.12.1")
    plan = _run(project, "-n", "venv", f"PYTHON={new}").stdout
    assert "rm -rf .venv" in plan and f"{new} -m venv .venv" in plan
    same = _interpreter(project / "same-python", "/opt/python3.11/bin/python3.11 3.11.2")
    assert "Nothing to be done" in _run(project, "-n", "venv", f"PYTHON={same}").stdout


def test_clean_removes_build_output_and_says_what_it_leaves_and_why(project):
    for folder in ("build/dev", ".pytest_cache", ".venv", ".pulumi-state", ".bin/kind-0.31.0"):
        (project / folder).mkdir(parents=True)
    (project / ".pulumi-passphrase").write_text("x\n")
    result = _run(project, "clean", "PYTHON=/bin/false")
    assert result.returncode == 0
    assert not (project / "build").exists() and not (project / ".pytest_cache").exists()
    lines = [line for line in result.stdout.splitlines() if line.startswith("make clean leaves")]
    assert [line.split()[3] for line in lines] == [".venv/:", ".pulumi-state/:", ".pulumi-passphrase:", ".bin/:"]
    assert "state" in lines[1] and "destroy" in lines[1] and "decrypts" in lines[2]
    assert "make clean-tools" in lines[3]
    assert all((project / p).exists() for p in (".venv", ".pulumi-state", ".pulumi-passphrase", ".bin"))


def test_clean_tools_removes_the_fetched_clis(project):
    (project / ".bin" / "kind-0.31.0").mkdir(parents=True)
    assert _run(project, "clean-tools", "PYTHON=/bin/false").returncode == 0
    assert not (project / ".bin").exists()


def test_make_up_in_a_fresh_clone_names_every_missing_tool_in_seconds_before_building_venv(project, tmp_path_factory):
    """Only python3 and make on PATH: no docker, kind or pulumi. The tool check runs with the
    system Python before .venv, names docker and pulumi (kind would be fetched, so it is not
    missing) on stderr, and stops; nothing is created."""
    bindir = tmp_path_factory.mktemp("path")
    (bindir / "python3").symlink_to(os.path.realpath(sys._base_executable))
    (bindir / "make").symlink_to(_make())
    started = time.monotonic()
    result = subprocess.run(
        [str(bindir / "make"), "--no-print-directory", "up"], cwd=project, capture_output=True, text=True, timeout=60,
        env={"PATH": str(bindir), "HOME": str(project)},
    )
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    problems = [line for line in result.stderr.splitlines() if line.startswith("toolchain: ")]
    assert [line.split()[1] for line in problems] == ["docker", "pulumi"], result.stderr
    assert elapsed < 5, f"make up took {elapsed:.1f}s to name the missing tools"
    assert not (project / ".venv").exists() and not (project / ".bin").exists()
    assert not (project / ".pulumi-state").exists()
