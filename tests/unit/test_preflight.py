"""make up's preflight names each missing tool with how to install it."""

from __future__ import annotations

from tools import preflight


KIND = lambda: "kind v0.31.0 go1.25.5 linux/amd64"  # noqa: E731  (`kind version`'s output)


def test_all_tools_present_and_docker_running_is_clean():
    assert preflight.problems(which=lambda t: f"/usr/bin/{t}", docker_ok=lambda: True, kind_version=KIND) == []


def test_a_kind_that_does_not_enforce_network_policies_is_reported():
    lines = preflight.problems(which=lambda t: f"/usr/bin/{t}", docker_ok=lambda: True, kind_version=lambda: "kind v0.23.0 go1.22.2 linux/amd64")
    assert lines == [
        "kind v0.23.0 does not enforce NetworkPolicies (its kindnet ignores them): install kind v0.24.0 or newer "
        "(v0.31.0 is what the stacks are tested with)"
    ]
    assert preflight.kind_version_problem("kind v0.24.0 go1.22.6 linux/amd64") is None
    assert "could not be read" in preflight.kind_version_problem(None)


def test_each_missing_tool_is_named_with_an_install_hint():
    lines = preflight.problems(which=lambda t: None, docker_ok=lambda: True)
    assert [line.split()[0] for line in lines] == ["docker", "kind", "pulumi"]
    assert all("install it from https://" in line for line in lines)


def test_a_stopped_docker_daemon_is_reported():
    lines = preflight.problems(which=lambda t: f"/usr/bin/{t}", docker_ok=lambda: False, kind_version=KIND)
    assert lines == [
        "docker is installed but its daemon is not reachable: start Docker Desktop or `sudo systemctl start docker`"
    ]


def test_main_exits_non_zero_when_something_is_missing(monkeypatch, capsys):
    monkeypatch.setattr(preflight.shutil, "which", lambda t: None)
    assert preflight.main() == 1
    assert "kind is not installed" in capsys.readouterr().out
