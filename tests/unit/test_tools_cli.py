"""``python -m tools``: clean errors for bad config, and usage lines that match what it accepts."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

import tools.__main__ as tools_main
from tests.conftest import ROOT
from tools import preflight


@pytest.fixture
def project_copy(tmp_path):
    """The project without its venv and build output, so a test may edit a stack file."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "build", ".git", "__pycache__", ".pulumi-*"))
    return copy


@pytest.fixture
def stack_files(tmp_path, monkeypatch):
    """The stack files alone, in a folder the in-process tools read them from, so a test may
    edit one: for errors found before the program would run."""
    import tools.mockrun

    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(tools.mockrun, "ROOT_DIR", tmp_path)
    return tmp_path


def _append(folder, stack: str, extra_config: str) -> None:
    with (folder / f"Pulumi.{stack}.yaml").open("a") as stack_file:
        stack_file.write(extra_config)


def _render(copy, extra_config: str) -> subprocess.CompletedProcess:
    with (copy / "Pulumi.dev.yaml").open("a") as stack_file:
        stack_file.write(extra_config)
    return subprocess.run(
        [sys.executable, "-m", "tools", "render", "dev", "--out", str(copy / "build")],
        cwd=copy, capture_output=True, text=True, timeout=300,
    )


def test_render_with_bad_values_prints_only_the_problem_lines_and_exits_2(project_copy):
    result = _render(project_copy, "  cloud-platform:kindWorkers: 9\n  cloud-platform:alertSmtpSmarthost: smtp.example.com:99999\n")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        'cloud-platform:alertSmtpSmarthost must be host:port with a port from 1 to 65535 (or empty) (got "smtp.example.com:99999")',
        'cloud-platform:kindWorkers must be an integer from 1 to 5 (got "9")',
    ]
    assert not (project_copy / "build").exists()


def test_render_with_a_value_the_cli_refuses_prints_the_cli_line_and_exits_2(stack_files, capsys):
    _append(stack_files, "dev", "  cloud-platform:alertEmailTo: [ops@example.com]\n")
    assert tools_main.main(["render", "dev", "--out", str(stack_files / "build")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == ["Stack 'dev' with configuration key 'alertEmailTo' must be of type 'string'"]
    assert not (stack_files / "build").exists()


def _documented_usages() -> list[str]:
    """Every ``python -m tools ...`` command line the tools document."""
    docs = (tools_main.__doc__ or "") + (preflight.__doc__ or "")
    found = re.findall(r"``python -m tools ([^`]+)``", docs)
    found += re.findall(r"^  ((?:render|preflight)\b[^\n]*?)\s{2,}\S", docs, flags=re.M)
    return found


def test_every_documented_usage_line_is_accepted():
    usages = _documented_usages()
    assert any(u.startswith("preflight") for u in usages) and any(u.startswith("render") for u in usages)
    for usage in usages:
        argv = usage.replace("<stack>", "dev").replace("DIR", "build/dev").replace("<command>", "preflight").split()
        # Optional parts written [--flag VALUE] must be accepted both with and without them.
        for variant in ([a.strip("[]") for a in argv], [a for a in re.sub(r"\[[^]]*\]", "", " ".join(argv)).split()]):
            tools_main.build_parser().parse_args(variant)


def test_an_instance_type_ec2_does_not_have_stops_tools_cost_before_pricing(stack_files, capsys):
    """t3.gigantic once priced at $0.00 and fooled the budget guard; now it is a config error."""
    stack_file = stack_files / "Pulumi.eks.yaml"
    text = re.sub(r"(?m)^  cloud-platform:baseInstanceTypes:.*\n", "", stack_file.read_text())
    stack_file.write_text(text + "  cloud-platform:baseInstanceTypes: t3.gigantic\n")
    assert tools_main.main(["cost", "eks"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "cloud-platform:baseInstanceTypes must be comma-separated EC2 instance types, such as t3.medium "
        '(t3.gigantic is not an EC2 instance type) (got "t3.gigantic")'
    ]
