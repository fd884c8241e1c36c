"""make up's preflight names every problem at once, one line each on stderr, exit status 2.

Missing kind and pulumi are fetched when tools/toolchain.json pins them for this platform
(tests/unit/test_toolchain.py); what cannot be fetched is named with how to install it."""

from __future__ import annotations

from tools import preflight, toolchain


def _none(name, path=None):
    return None


def test_all_tools_present_and_docker_running_is_clean(tmp_path, capsys):
    def which(name, path=None):
        return f"/usr/bin/{name}"

    versions = {"/usr/bin/kind": (0, 31, 0, 1), "/usr/bin/pulumi": (3, 272, 0, 1)}
    choices, problems = toolchain.plan(
        toolchain.load(), tmp_path, docker=lambda: None, python=lambda: None, which=which,
        version_of=lambda path, command: versions[str(path)],
    )
    assert problems == []
    assert [str(c.path) for c in choices] == ["/usr/bin/kind", "/usr/bin/pulumi"]


def test_each_tool_that_cannot_be_fetched_is_named_with_an_install_hint(tmp_path):
    """With nothing on PATH and no pins for this platform, docker, kind and pulumi are all named."""
    config = toolchain.load()
    for tool in config["tools"].values():
        tool["sha256"] = {}
    _, problems = toolchain.plan(
        config, tmp_path, docker=lambda: toolchain.docker_problem(which=_none), python=lambda: None,
        which=_none, platform_of=lambda c: "linux/amd64",
    )
    assert [line.split()[0] for line in problems] == ["docker", "kind", "pulumi"]
    assert "install it from https://docs.docker.com/get-docker/" in problems[0]
    assert "install it yourself: https://kind.sigs.k8s.io/" in problems[1]
    assert "install it yourself: curl -fsSL https://get.pulumi.com" in problems[2]


def test_a_stopped_docker_daemon_is_reported():
    assert toolchain.docker_problem(which=lambda t: f"/usr/bin/{t}", daemon_up=lambda: False) == (
        "docker is installed but its daemon is not reachable: start Docker Desktop or `sudo systemctl start docker`"
    )


def test_main_exits_2_with_the_problems_on_stderr(monkeypatch, capsys):
    monkeypatch.setattr(toolchain.shutil, "which", lambda *a, **k: None)
    assert preflight.main() == 2
    captured = capsys.readouterr()
    assert "docker is not installed" in captured.err
    assert "pulumi is not on PATH" in captured.err
    assert captured.out == ""


def test_the_kind_the_toolchain_accepts_enforces_network_policies():
    """kindnet enforces NetworkPolicies from kind v0.24.0 (kube-network-policies in kindnetd,
    kind's "implement network policies", first tagged v0.24.0): an older kind would accept the
    policies and ignore them. The preflight refuses any kind below the supported minimum."""
    kind = toolchain.load()["tools"]["kind"]
    assert toolchain.parse_version(kind["supported"]["min"]) >= (0, 24, 0, 1)
    assert toolchain.parse_version(kind["version"]) >= (0, 24, 0, 1)
