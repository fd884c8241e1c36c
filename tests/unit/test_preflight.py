"""make up's preflight names each missing tool with how to install it."""

from __future__ import annotations

from tools import preflight


def test_all_tools_present_and_docker_running_is_clean():
    assert preflight.problems(which=lambda t: f"/usr/bin/{t}", docker_ok=lambda: True) == []


def test_each_missing_tool_is_named_with_an_install_hint():
    lines = preflight.problems(which=lambda t: None, docker_ok=lambda: True)
    assert [line.split()[0] for line in lines] == ["docker", "kind", "pulumi"]
    assert all("install it from https://" in line for line in lines)


def test_a_stopped_docker_daemon_is_reported():
    lines = preflight.problems(which=lambda t: f"/usr/bin/{t}", docker_ok=lambda: False)
    assert lines == [
        "docker is installed but its daemon is not reachable: start Docker Desktop or `sudo systemctl start docker`"
    ]


def test_main_exits_2_on_stderr_when_something_is_missing(monkeypatch, capsys):
    """A missing tool is an environment error: exit 2, every line on stderr, none on stdout."""
    missing = preflight.problems(which=lambda t: None, docker_ok=lambda: True)
    monkeypatch.setattr(preflight, "problems", lambda: missing)
    assert preflight.main() == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert [line.split()[1] for line in err.splitlines()] == ["docker", "kind", "pulumi"]
