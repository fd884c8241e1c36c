"""tools/toolchain.py: kind and the Pulumi CLI are used from PATH at a supported version, or
fetched at the pinned version into .bin/ and verified against the SHA-256 pinned per OS and
architecture. Offline: every download here is served by a fake ``urlopen``, from bytes the
test makes, and any real network call fails the test."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re
import tarfile
import urllib.error
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tools import toolchain

CONFIG = toolchain.load()
TARGETS = {
    ("Linux", "x86_64"): "linux/amd64",
    ("Linux", "aarch64"): "linux/arm64",
    ("Darwin", "x86_64"): "darwin/amd64",
    ("Darwin", "arm64"): "darwin/arm64",
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a test tried the network: {args[:1]}")

    monkeypatch.setattr(toolchain.urllib.request, "urlopen", refuse)


def _served(files: dict):
    """A stand-in for urlopen that serves ``files`` by URL and is offline for anything else."""
    asked = []

    def urlopen(url, timeout=None):
        asked.append(url)
        if url not in files:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        return io.BytesIO(files[url])

    urlopen.asked = asked
    return urlopen


def _with_pins(tool: str, payload: bytes) -> dict:
    """The real config, with ``tool`` pinned to ``payload``'s hash on every platform."""
    config = copy.deepcopy(CONFIG)
    digest = hashlib.sha256(payload).hexdigest()
    config["tools"][tool]["sha256"] = {key: digest for key in config["platforms"]}
    return config


def _tarball(members: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _nothing_on_path(name, path=None):
    return None


# ---------------------------------------------------------------- the verifier


def test_the_verifier_keeps_a_file_whose_sha256_matches(tmp_path):
    download = tmp_path / "kind.part"
    download.write_bytes(b"the kind binary")
    toolchain.verify(download, hashlib.sha256(b"the kind binary").hexdigest(), "https://example.test/kind")
    assert download.read_bytes() == b"the kind binary"


def test_the_verifier_deletes_a_file_whose_sha256_differs_and_says_so_in_one_line(tmp_path):
    download = tmp_path / "kind.part"
    download.write_bytes(b"something else")
    with pytest.raises(toolchain.ToolchainError) as error:
        toolchain.verify(download, hashlib.sha256(b"the kind binary").hexdigest(), "https://example.test/kind")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("checksum mismatch for https://example.test/kind")
    assert hashlib.sha256(b"something else").hexdigest() in message and "deleted" in message
    assert not download.exists()


# ---------------------------------------------------------------- platforms


def test_the_platform_table_covers_the_four_targets():
    assert sorted(CONFIG["platforms"]) == sorted(TARGETS.values())
    for (system, machine), key in TARGETS.items():
        assert toolchain.platform_key(CONFIG, system, machine) == key


def test_kind_is_pinned_for_each_target_with_a_sha256_and_an_official_release_url():
    kind = CONFIG["tools"]["kind"]
    assert sorted(kind["sha256"]) == sorted(TARGETS.values())
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in kind["sha256"].values())
    assert len(set(kind["sha256"].values())) == 4
    assert toolchain._url(kind["url"], kind, "darwin/arm64") == (
        "https://github.com/kubernetes-sigs/kind/releases/download/v0.31.0/kind-darwin-arm64"
    )
    assert "2fee9207736527d2ef29c14e9f3e3f88d09f68c0" in kind["sha256_source"]


def test_pulumi_tarball_urls_use_pulumis_architecture_names():
    pulumi = CONFIG["tools"]["pulumi"]
    urls = {key: toolchain._url(pulumi["url"], pulumi, key) for key in TARGETS.values()}
    prefix = "https://github.com/pulumi/pulumi/releases/download/v3.272.0/pulumi-v3.272.0-"
    assert urls == {
        "linux/amd64": prefix + "linux-x64.tar.gz",
        "linux/arm64": prefix + "linux-arm64.tar.gz",
        "darwin/amd64": prefix + "darwin-x64.tar.gz",
        "darwin/arm64": prefix + "darwin-arm64.tar.gz",
    }


def test_pins_are_only_sha256_values_with_a_named_source():
    for name, tool in CONFIG["tools"].items():
        assert set(tool["sha256"]) <= set(CONFIG["platforms"]), name
        assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in tool["sha256"].values()), name
        assert tool["sha256_source"], name


@pytest.mark.parametrize("system, machine", [("Windows", "AMD64"), ("Linux", "armv7l"), ("FreeBSD", "amd64")])
def test_an_unsupported_platform_is_one_line_naming_the_supported_ones(system, machine):
    with pytest.raises(toolchain.ToolchainError) as error:
        toolchain.platform_key(CONFIG, system, machine)
    message = str(error.value)
    assert "\n" not in message and f"{system}/{machine}" in message
    assert "linux/amd64, linux/arm64, darwin/amd64, darwin/arm64" in message


def test_on_an_unsupported_platform_a_missing_tool_is_a_problem_not_a_download(tmp_path, capsys):
    def windows(config):
        return toolchain.platform_key(config, "Windows", "AMD64")

    status = toolchain.ensure(
        _with_pins("kind", b"x"), tmp_path, needed=["kind"], docker=lambda: None, python=lambda: None,
        which=_nothing_on_path, platform_of=windows,
    )
    assert status == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("toolchain: kind is not on PATH, and Windows/AMD64 is not a platform")
    assert "supported are linux/amd64, linux/arm64, darwin/amd64, darwin/arm64" in line


# ---------------------------------------------------------------- versions


@pytest.mark.parametrize(
    "output, version",
    [
        # kind's pkg/cmd/kind/version: "kind v" + Version() + " " + runtime.Version() + " " + GOOS/GOARCH
        ("kind v0.31.0 go1.25.5 linux/amd64\n", (0, 31, 0, 1)),
        ("kind v0.24.0 go1.22.4 darwin/arm64\n", (0, 24, 0, 1)),
        # `kind version -q`, and a development build (pre-release + commit count + 14-char hash)
        ("0.31.0\n", (0, 31, 0, 1)),
        ("kind v0.33.0-alpha.12+fed268827e21ca go1.25.5 linux/amd64\n", (0, 33, 0, 0)),
        # pulumi's pkg/cmd/pulumi/version prints version.Version, the release tag
        ("v3.272.0\n", (3, 272, 0, 1)),
        ("3.272.0\n", (3, 272, 0, 1)),
        ("v3.273.0-alpha.1765.gabcdef1\n", (3, 273, 0, 0)),
    ],
)
def test_version_output_is_parsed(output, version):
    assert toolchain.parse_version(output) == version


@pytest.mark.parametrize("output", ["", "command not found", "kind version unknown", "go1.25.5"])
def test_output_without_a_version_is_not_a_version(output):
    assert toolchain.parse_version(output) is None


@pytest.mark.parametrize(
    "tool, output, ok",
    [
        ("kind", "kind v0.30.0 go1.24.6 linux/amd64", False),
        ("kind", "kind v0.31.0-alpha.3+abc go1.25.5 linux/amd64", False),
        ("kind", "kind v0.31.0 go1.25.5 linux/amd64", True),
        ("kind", "kind v0.32.0 go1.25.5 linux/amd64", True),
        ("kind", "kind v1.0.0 go1.26 linux/amd64", False),
        ("pulumi", "v3.271.0", False),
        ("pulumi", "v3.272.0", True),
        ("pulumi", "v3.290.1", True),
        ("pulumi", "v4.0.0", False),
    ],
)
def test_the_supported_range(tool, output, ok):
    assert toolchain.in_range(toolchain.parse_version(output), CONFIG["tools"][tool]["supported"]) is ok


# ---------------------------------------------------------------- ensure: use, fetch, refuse


def _versions(table: dict):
    """version_of for ``choose``: the version each path reports, by file name."""
    return lambda path, command: table.get(Path(path).name if Path(path).name in table else str(path))


def test_a_tool_on_path_at_a_supported_version_is_used_as_is_and_the_line_says_which(tmp_path, capsys):
    def which(name, path=None):
        return f"/usr/local/bin/{name}"

    status = toolchain.ensure(
        CONFIG, tmp_path, docker=lambda: None, python=lambda: None, which=which,
        version_of=_versions({"/usr/local/bin/kind": (0, 31, 0, 1), "/usr/local/bin/pulumi": (3, 280, 0, 1)}),
    )
    assert status == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "toolchain: kind 0.31.0: using /usr/local/bin/kind from PATH (supported >= 0.31.0, < 1.0.0)",
        "toolchain: pulumi 3.280.0: using /usr/local/bin/pulumi from PATH (supported >= 3.272.0, < 4.0.0)",
    ]
    assert not any(tmp_path.iterdir())


def test_a_missing_kind_is_fetched_verified_and_made_executable(tmp_path, capsys):
    binary = b"\x7fELF the kind v0.31.0 binary"
    config = _with_pins("kind", binary)
    url = "https://github.com/kubernetes-sigs/kind/releases/download/v0.31.0/kind-linux-amd64"
    urlopen = _served({url: binary})
    status = toolchain.ensure(
        config, tmp_path, urlopen=urlopen, needed=["kind"], docker=lambda: None, python=lambda: None,
        which=_nothing_on_path, platform_of=lambda c: "linux/amd64",
    )
    assert status == 0 and urlopen.asked == [url]
    fetched = tmp_path / "kind-0.31.0" / "kind"
    assert fetched.read_bytes() == binary and fetched.stat().st_mode & 0o111
    assert capsys.readouterr().out == f"toolchain: kind 0.31.0: fetched into {fetched}, sha256 verified\n"
    assert [p.name for p in tmp_path.iterdir()] == ["kind-0.31.0"]  # no partial download left


def test_a_kind_on_path_outside_the_range_is_replaced_by_the_pinned_one_and_the_line_says_why(tmp_path, capsys):
    binary = b"kind v0.31.0"
    config = _with_pins("kind", binary)
    url = "https://github.com/kubernetes-sigs/kind/releases/download/v0.31.0/kind-darwin-arm64"
    status = toolchain.ensure(
        config, tmp_path, urlopen=_served({url: binary}), needed=["kind"], docker=lambda: None, python=lambda: None,
        which=lambda name, path=None: "/opt/homebrew/bin/kind", version_of=_versions({"/opt/homebrew/bin/kind": (0, 20, 0, 1)}),
        platform_of=lambda c: "darwin/arm64",
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "fetched into" in out and "(/opt/homebrew/bin/kind is 0.20.0, outside >= 0.31.0, < 1.0.0)" in out


def test_the_pulumi_tarball_is_verified_and_unpacked_with_its_language_hosts(tmp_path):
    tarball = _tarball({"pulumi/pulumi": b"cli", "pulumi/pulumi-language-python": b"host", "../evil": b"no"})
    config = _with_pins("pulumi", tarball)
    url = "https://github.com/pulumi/pulumi/releases/download/v3.272.0/pulumi-v3.272.0-linux-arm64.tar.gz"
    path = toolchain.install("pulumi", config["tools"]["pulumi"], "linux/arm64", tmp_path, urlopen=_served({url: tarball}))
    assert path == tmp_path / "pulumi-3.272.0" / "pulumi"
    assert sorted(p.name for p in path.parent.iterdir()) == ["pulumi", "pulumi-language-python"]
    assert not (tmp_path.parent / "evil").exists()


def test_a_checksum_mismatch_stops_with_one_line_and_leaves_no_file(tmp_path, capsys):
    config = _with_pins("kind", b"the real binary")
    url = "https://github.com/kubernetes-sigs/kind/releases/download/v0.31.0/kind-linux-amd64"
    status = toolchain.ensure(
        config, tmp_path, urlopen=_served({url: b"a tampered binary"}), needed=["kind"], docker=lambda: None,
        python=lambda: None, which=_nothing_on_path, platform_of=lambda c: "linux/amd64",
    )
    assert status == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"toolchain: checksum mismatch for {url}") and "deleted" in line
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_no_network_is_one_line_naming_the_url_and_the_manual_alternative(tmp_path, capsys):
    config = _with_pins("kind", b"kind")
    status = toolchain.ensure(
        config, tmp_path, urlopen=_served({}), needed=["kind"], docker=lambda: None, python=lambda: None,
        which=_nothing_on_path, platform_of=lambda c: "linux/amd64",
    )
    assert status == 2
    [line] = capsys.readouterr().err.splitlines()
    url = "https://github.com/kubernetes-sigs/kind/releases/download/v0.31.0/kind-linux-amd64"
    assert line.startswith(f"toolchain: could not download {url}")
    assert "install it yourself: https://kind.sigs.k8s.io/docs/user/quick-start/#installation" in line
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_every_problem_is_named_at_once_before_anything_is_downloaded(tmp_path, capsys):
    """Docker missing, an old Python and an unpinned pulumi: three lines, exit 2, no download."""
    urlopen = _served({})
    status = toolchain.ensure(
        CONFIG, tmp_path, urlopen=urlopen, which=_nothing_on_path, platform_of=lambda c: "linux/amd64",
        docker=lambda: toolchain.docker_problem(which=_nothing_on_path),
        python=lambda: toolchain.python_problem((3, 10, 12)),
    )
    assert status == 2 and urlopen.asked == []
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("toolchain: docker is not installed") and "https://docs.docker.com/get-docker/" in lines[0]
    assert lines[1].startswith("toolchain: Python 3.10.12 is too old: cloud-platform needs Python 3.11 or newer")
    assert lines[2].startswith("toolchain: pulumi is not on PATH, and pulumi 3.272.0 is not fetched")
    assert "get.pulumi.com" in lines[2] and "--version 3.272.0" in lines[2]


def test_docker_stays_the_users_a_stopped_daemon_is_one_line():
    line = toolchain.docker_problem(which=lambda name: "/usr/bin/docker", daemon_up=lambda: False)
    assert line == "docker is installed but its daemon is not reachable: start Docker Desktop or `sudo systemctl start docker`"
    assert toolchain.docker_problem(which=lambda name: "/usr/bin/docker", daemon_up=lambda: True) is None


def test_docker_is_not_asked_for_when_only_pulumi_is_needed(tmp_path, capsys):
    def docker():
        raise AssertionError("docker checked for the eks stack")

    status = toolchain.ensure(
        CONFIG, tmp_path, needed=["pulumi"], docker=docker, python=lambda: None,
        which=lambda name, path=None: "/usr/bin/pulumi", version_of=_versions({"/usr/bin/pulumi": (3, 272, 0, 1)}),
    )
    assert status == 0


def test_a_fetched_tool_is_reused_without_downloading_again(tmp_path, capsys):
    fetched = tmp_path / "kind-0.31.0" / "kind"
    fetched.parent.mkdir()
    fetched.write_bytes(b"kind")
    status = toolchain.ensure(
        CONFIG, tmp_path, urlopen=_served({}), needed=["kind"], docker=lambda: None, python=lambda: None,
        which=_nothing_on_path, version_of=_versions({str(fetched): (0, 31, 0, 1)}),
    )
    assert status == 0
    assert capsys.readouterr().out == f"toolchain: kind 0.31.0: using {fetched}, fetched by make\n"


# ---------------------------------------------------------------- run


def test_run_puts_only_fetched_tools_first_on_path(tmp_path, monkeypatch):
    fetched = tmp_path / "kind-0.31.0" / "kind"
    fetched.parent.mkdir()
    fetched.write_bytes(b"kind")
    monkeypatch.setenv("PATH", "/work/.venv/bin:/usr/bin")
    calls = []
    status = toolchain.run(
        CONFIG, ["pulumi", "up"], tmp_path, execvpe=lambda *a: calls.append(a),
        which=lambda name, path=None: "/usr/bin/pulumi" if name == "pulumi" else None,
        version_of=_versions({"/usr/bin/pulumi": (3, 272, 0, 1), str(fetched): (0, 31, 0, 1)}),
    )
    assert status == 0
    [(program, argv, env)] = calls
    assert (program, argv) == ("pulumi", ["pulumi", "up"])
    assert env["PATH"].split(":") == [str(fetched.parent), "/work/.venv/bin", "/usr/bin"]


# ---------------------------------------------------------------- pin


def test_pin_records_the_vendors_published_checksums_for_every_platform(tmp_path):
    config = copy.deepcopy(CONFIG)
    sums = {key: hashlib.sha256(key.encode()).hexdigest() for key in config["platforms"]}
    names = {"linux/amd64": "linux-x64", "linux/arm64": "linux-arm64", "darwin/amd64": "darwin-x64", "darwin/arm64": "darwin-arm64"}
    listing = "".join(f"{sums[key]}  pulumi-v3.272.0-{names[key]}.tar.gz\n" for key in config["platforms"])
    listing += f"{'0' * 64}  pulumi-v3.272.0-windows-x64.zip\n"
    url = "https://github.com/pulumi/pulumi/releases/download/v3.272.0/pulumi-3.272.0-checksums.txt"
    target = tmp_path / "toolchain.json"
    assert toolchain.pin(config, "pulumi", target, urlopen=_served({url: listing.encode()})) == 0
    written = json.loads(target.read_text())["tools"]["pulumi"]
    assert written["sha256"] == sums
    assert url in written["sha256_source"]


def test_pin_reads_kinds_per_file_sha256sum(tmp_path):
    config = copy.deepcopy(CONFIG)
    files = {}
    for key in config["platforms"]:
        name = "kind-" + key.replace("/", "-")
        files[f"https://github.com/kubernetes-sigs/kind/releases/download/v0.31.0/{name}.sha256sum"] = (
            f"{hashlib.sha256(name.encode()).hexdigest()}  {name}\n".encode()
        )
    assert toolchain.pin(config, "kind", tmp_path / "t.json", urlopen=_served(files)) == 0
    pins = json.loads((tmp_path / "t.json").read_text())["tools"]["kind"]["sha256"]
    assert pins["darwin/arm64"] == hashlib.sha256(b"kind-darwin-arm64").hexdigest()


def test_pin_without_the_network_changes_nothing(tmp_path, capsys):
    target = tmp_path / "t.json"
    assert toolchain.pin(copy.deepcopy(CONFIG), "pulumi", target, urlopen=_served({})) == 2
    assert not target.exists()
    assert "could not download https://github.com/pulumi/pulumi/releases/download/v3.272.0/pulumi-3.272.0-checksums.txt" in capsys.readouterr().err


# ---------------------------------------------------------------- one place for the versions


def test_the_workflows_pulumi_version_is_the_pinned_one():
    found = []
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for job in yaml.safe_load(workflow.read_text())["jobs"].values():
            for step in job.get("steps", []):
                if "pulumi-version" in (step.get("with") or {}):
                    found.append((workflow.name, str(step["with"]["pulumi-version"])))
    assert found, "no workflow step sets pulumi-version"
    assert {version for _, version in found} == {CONFIG["tools"]["pulumi"]["version"]}, found


def test_the_pulumi_sdk_pin_matches_the_cli_pin():
    pins = dict(line.split("==", 1) for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line)
    assert pins["pulumi"].strip() == CONFIG["tools"]["pulumi"]["version"]


def test_the_readme_states_the_pinned_versions_and_what_is_fetched():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### What `make up` fetches", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    kind, pulumi = CONFIG["tools"]["kind"], CONFIG["tools"]["pulumi"]
    assert f"kind v{kind['version']}" in section and f"Pulumi CLI {pulumi['version']}" in section
    assert "`.bin/`" in section and "SHA-256" in section and "make clean-tools" in section
    assert f"kind {kind['supported']['min']} or newer" in section or f"v{kind['supported']['min']} or newer" in section
    # the kind pin's source and the pulumi gap are stated, not hidden
    assert "cert-manager/makefile-modules" in section
    assert "is not fetched" in section

