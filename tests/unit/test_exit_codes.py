"""One convention for every tool (issue 18, item 4): 0 success, 1 a check found a problem,
2 a usage or environment error; messages on stderr. Each tool's usage/environment path is
exercised here; the problem paths (exit 1) are tested beside each tool."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT
from tools import toolchain
from tools.__main__ import build_parser, main

USAGE_ERRORS = {
    "render": ["render", "nope", "--out", "build/nope"],
    "cost": ["cost", "nope"],
    "policy": ["policy", "nope"],
    "charts": ["charts", "nope"],
    "diff": ["diff", "--base", "main", "--stack", "nope"],
    "backend": ["backend", "nope"],
    "preflight": ["preflight", "nowhere"],
    "bootstrap-backend": ["bootstrap-backend", "--state-key-alias", "no-prefix"],
    "drift": ["drift", "--stack", "eks"],
}


def _exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as stop:  # argparse's usage errors
        return stop.code


def test_every_command_has_a_usage_error_case():
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # noqa: SLF001 - the parser is the source
    assert commands == set(USAGE_ERRORS)


@pytest.mark.parametrize("command", sorted(USAGE_ERRORS))
def test_a_usage_error_exits_2_on_stderr(command, capsys):
    assert _exit_code(USAGE_ERRORS[command]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip()


def test_diff_against_a_ref_that_does_not_exist_exits_2_not_1(capsys):
    """1 is the budget guard's: the pull-request check must tell a typo from a cost breach."""
    assert main(["diff", "--base", "no-such-ref"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[0].startswith("tools diff: --base no-such-ref is not a commit")


def test_kind_preflight_missing_tools_exit_2_on_stderr(monkeypatch, capsys):
    monkeypatch.setattr(toolchain.shutil, "which", lambda *a, **k: None)
    assert main(["preflight"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "docker is not installed" in err


def test_the_readme_states_the_convention():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Exit codes") :]
    section = section[: section.index("\n## ", 1)]
    for code, meaning in (("0", "success"), ("1", "a check found a problem"), ("2", "a usage or environment error")):
        assert re.search(rf"\| `{code}` \| {meaning}", section), (code, meaning)
    assert "stderr" in section
