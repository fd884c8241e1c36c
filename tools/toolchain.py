"""The CLI tools ``make up``, ``preview`` and ``destroy`` need, checked, fetched and run.

Standard library only: ``make`` runs this file with the system Python *before* ``.venv``
exists, so a missing tool is named in seconds, not after the virtualenv is built.

  python3 tools/toolchain.py ensure [TOOL ...]  check Python, docker, kind and pulumi (or only the
                                                TOOLs named); fetch what is missing into .bin/,
                                                verified; exit 2 on a problem
  python3 tools/toolchain.py check [TOOL ...]   the same checks, without fetching anything
  python3 tools/toolchain.py run -- CMD ...  run CMD with the chosen kind and pulumi first on PATH
  python3 tools/toolchain.py pin TOOL        record TOOL's SHA-256s from the vendor's checksums

Versions, download URLs and SHA-256s live in ``tools/toolchain.json``. A tool already on
PATH at a supported version is used as it is; otherwise the pinned release is downloaded
into the git-ignored ``.bin/``, checked against the pinned SHA-256 for this OS and
architecture, and used from there. Every problem is one line on stderr and exit status 2.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).resolve().parent / "toolchain.json"
BIN = ROOT / ".bin"
MIN_PYTHON = (3, 11)
DOCKER_INSTALL = "https://docs.docker.com/get-docker/ (Docker Desktop, or docker-ce on Linux)"

_OS_NAMES = {"Linux": "linux", "Darwin": "darwin"}
_ARCH_NAMES = {"x86_64": "amd64", "amd64": "amd64", "AMD64": "amd64", "aarch64": "arm64", "arm64": "arm64"}

Version = Tuple[int, int, int, int]  # major, minor, patch, 1 for a release / 0 for a pre-release


class ToolchainError(Exception):
    """A problem the user must act on, as the one line that says so."""


def load(path: Path = CONFIG) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# ---------------------------------------------------------------- platform and versions


def platform_key(config: dict, system: Optional[str] = None, machine: Optional[str] = None) -> str:
    """``linux/amd64`` and the like for this machine, or a ToolchainError naming the supported ones."""
    system = platform.system() if system is None else system
    machine = platform.machine() if machine is None else machine
    key = f"{_OS_NAMES.get(system, system.lower())}/{_ARCH_NAMES.get(machine, machine.lower())}"
    if key not in config["platforms"]:
        raise ToolchainError(
            f"{system}/{machine} is not a platform cloud-platform fetches tools for: "
            f"supported are {', '.join(config['platforms'])}; install kind and pulumi yourself"
        )
    return key


def parse_version(text: str) -> Optional[Version]:
    """The first ``[v]X.Y.Z[-pre]`` in a tool's version output, as a comparable tuple.

    ``kind version`` prints ``kind v0.31.0 go1.25.5 linux/amd64`` (kind's
    pkg/cmd/kind/version: "kind v" + Version() + " " + runtime.Version() + " " + GOOS/GOARCH),
    or ``0.33.0-alpha.12+abcdef`` for a development build. ``pulumi version`` prints
    ``version.Version`` (pulumi's pkg/cmd/pulumi/version), which release builds set to the
    tag, ``v3.272.0``; distribution builds may leave out the ``v``.
    """
    match = re.search(r"(?:^|\s)v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(?:\+\S*)?(?=\s|$)", text.strip())
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    return int(major), int(minor), int(patch), 0 if pre else 1


def _release(text: str) -> Version:
    version = parse_version(text)
    if version is None:
        raise ValueError(f"not a version: {text!r}")
    return version


def in_range(version: Version, supported: dict) -> bool:
    """``min`` inclusive, ``below`` exclusive; a pre-release sorts before its release."""
    return _release(supported["min"]) <= version < _release(supported["below"])[:3] + (0,)


def describe_range(supported: dict) -> str:
    return f">= {supported['min']}, < {supported['below']}"


def show(version: Version) -> str:
    return "%d.%d.%d" % version[:3] + ("" if version[3] else " (pre-release)")


# ---------------------------------------------------------------- download and verify


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str, url: str) -> None:
    """Keep ``path`` only if its SHA-256 is ``expected``; otherwise delete it and say so."""
    actual = sha256_of(path)
    if actual != expected.lower():
        path.unlink()
        raise ToolchainError(
            f"checksum mismatch for {url}: expected sha256 {expected}, got {actual}; "
            f"the download was deleted (run make again; if it repeats, do not use that file)"
        )


def download(url: str, dest: Path, manual: str, urlopen: Callable = urllib.request.urlopen, timeout: float = 60) -> None:
    try:
        with urlopen(url, timeout=timeout) as response, open(dest, "wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        dest.unlink(missing_ok=True)
        reason = getattr(error, "reason", error)
        raise ToolchainError(f"could not download {url} ({reason}): check the network, or install it yourself: {manual}") from None


def _url(template: str, tool: dict, key: str) -> str:
    os_name, arch = key.split("/")
    arch_name = tool.get("arch_names", {}).get(arch, arch)
    return template.format(version=tool["version"], os=os_name, arch=arch, arch_name=arch_name)


def _extract(archive: Path, top: str, bindir: Path) -> List[str]:
    """The regular files under ``top/`` in a .tar.gz, written flat into ``bindir``."""
    written = []
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if not member.isfile() or len(parts) != 2 or parts[0] != top or parts[1] in ("", ".", ".."):
                continue
            source = tar.extractfile(member)
            target = bindir / parts[1]
            with source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
            target.chmod(0o755)
            written.append(parts[1])
    return written


def local_path(name: str, tool: dict, bindir: Path = BIN) -> Path:
    """Where the fetched ``name`` lives: its own directory per version, so that putting it
    first on PATH shadows nothing else (Pulumi's language hosts sit beside ``pulumi``)."""
    return bindir / f"{name}-{tool['version']}" / name


def install(name: str, tool: dict, key: str, bindir: Path = BIN, urlopen: Callable = urllib.request.urlopen) -> Path:
    """Download the pinned ``name`` for ``key``, verify its SHA-256, and unpack it under ``bindir``."""
    expected = tool["sha256"].get(key)
    url = _url(tool["url"], tool, key)
    if not expected:
        raise ToolchainError(not_pinned(name, tool, key))
    target = local_path(name, tool, bindir)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, part = tempfile.mkstemp(prefix=f".{name}-", suffix=".part", dir=bindir)
    os.close(handle)
    part_path = Path(part)
    try:
        download(url, part_path, tool["manual"], urlopen=urlopen)
        verify(part_path, expected, url)
        if tool["archive"] == "binary":
            part_path.chmod(0o755)
            part_path.replace(target)
        elif name not in _extract(part_path, tool["archive_dir"], target.parent):
            raise ToolchainError(f"{url} has no {tool['archive_dir']}/{name}: install it yourself: {tool['manual']}")
    finally:
        part_path.unlink(missing_ok=True)
    return target


def not_pinned(name: str, tool: dict, key: str) -> str:
    return (
        f"{name} {tool['version']} is not fetched: tools/toolchain.json pins no SHA-256 for "
        f"{_url(tool['url'], tool, key).rsplit('/', 1)[-1]}; install it yourself: {tool['manual']}"
    )


# ---------------------------------------------------------------- choosing each tool


@dataclass(frozen=True)
class Choice:
    """What to do about one tool: use ``path``, or fetch it (``fetch``), or report ``problem``."""

    name: str
    path: Optional[Path] = None
    fetch: Optional[str] = None  # the platform key to fetch for
    problem: Optional[str] = None
    line: str = ""


def tool_version(path: Path, command: List[str], runner: Callable = subprocess.run) -> Optional[Version]:
    env = dict(os.environ, PULUMI_SKIP_UPDATE_CHECK="true")
    try:
        result = runner([str(path)] + command[1:], capture_output=True, text=True, timeout=20, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_version(result.stdout) if result.returncode == 0 else None


def _which_outside(name: str, bindir: Path, which: Callable) -> Optional[Path]:
    """``name`` on PATH, ignoring ``bindir`` (what the project fetched is not "the user's")."""
    path = os.environ.get("PATH", "")
    inside = str(bindir.resolve())
    dirs = [d for d in path.split(os.pathsep) if d and not str(Path(d).resolve()).startswith(inside)]
    found = which(name, path=os.pathsep.join(dirs))
    return Path(found) if found else None


def choose(
    name: str,
    tool: dict,
    config: dict,
    bindir: Path = BIN,
    which: Optional[Callable] = None,
    version_of: Callable = tool_version,
    platform_of: Callable = platform_key,
) -> Choice:
    wanted = describe_range(tool["supported"])
    note = ""
    on_path = _which_outside(name, bindir, which or shutil.which)
    if on_path is not None:
        version = version_of(on_path, tool["version_command"])
        if version is not None and in_range(version, tool["supported"]):
            return Choice(name, path=on_path, line=f"{name} {show(version)}: using {on_path} from PATH (supported {wanted})")
        found = "an unreadable version" if version is None else show(version)
        note = f" ({on_path} is {found}, outside {wanted})"
    where = f"{name} on PATH{note}" if note else f"{name} is not on PATH"
    local = local_path(name, tool, bindir)
    if local.exists():
        version = version_of(local, tool["version_command"])
        if version is not None and version[:3] == _release(tool["version"])[:3]:
            return Choice(name, path=local, line=f"{name} {tool['version']}: using {local}, fetched by make{note}")
    try:
        key = platform_of(config)
    except ToolchainError as error:
        return Choice(name, problem=f"{where}, and {error}")
    if not tool["sha256"].get(key):
        return Choice(name, problem=f"{where}, and {not_pinned(name, tool, key)}")
    return Choice(name, path=local, fetch=key, line=f"{name} {tool['version']}: fetched into {local}, sha256 verified{note}")


def docker_problem(which: Optional[Callable] = None, daemon_up: Optional[Callable[[], bool]] = None) -> Optional[str]:
    """Docker stays the user's: one line if it is missing or its daemon does not answer."""
    if (which or shutil.which)("docker") is None:
        return f"docker is not installed (kind runs its nodes as Docker containers): install it from {DOCKER_INSTALL}"
    if not (daemon_up or _docker_daemon_up)():
        return "docker is installed but its daemon is not reachable: start Docker Desktop or `sudo systemctl start docker`"
    return None


def _docker_daemon_up() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def python_problem(version: Tuple[int, ...] = tuple(sys.version_info[:3])) -> Optional[str]:
    if tuple(version[:2]) >= MIN_PYTHON:
        return None
    shown = ".".join(str(part) for part in version)
    return f"Python {shown} is too old: cloud-platform needs Python 3.11 or newer; install it, then run make again with PYTHON=python3.11 (or newer)"


def plan(
    config: dict,
    bindir: Path = BIN,
    docker: Callable[[], Optional[str]] = docker_problem,
    python: Callable[[], Optional[str]] = python_problem,
    needed: Optional[List[str]] = None,
    **overrides,
) -> Tuple[List[Choice], List[str]]:
    """The choice for each needed tool (default: all), and every problem at once: Python,
    docker when kind is needed (kind's nodes are Docker containers), and the tools."""
    needed = list(config["tools"]) if needed is None else needed
    problems = [p for p in (docker() if "kind" in needed else None, python()) if p]
    choices = [choose(name, config["tools"][name], config, bindir, **overrides) for name in needed]
    problems += [c.problem for c in choices if c.problem]
    return choices, problems


# ---------------------------------------------------------------- commands


def ensure(config: dict, bindir: Path = BIN, fetch: bool = True, urlopen: Callable = urllib.request.urlopen, **overrides) -> int:
    """Name every problem at once (exit 2) before downloading anything; then fetch and verify."""
    choices, problems = plan(config, bindir, **overrides)
    if problems:
        for problem in problems:
            print(f"toolchain: {problem}", file=sys.stderr)
        return 2
    for choice in choices:
        if choice.fetch and not fetch:
            print(f"toolchain: {choice.name} is not on PATH at a supported version: make up fetches it into {choice.path}")
            continue
        if choice.fetch:
            try:
                install(choice.name, config["tools"][choice.name], choice.fetch, bindir, urlopen=urlopen)
            except ToolchainError as error:
                print(f"toolchain: {error}", file=sys.stderr)
                return 2
        print(f"toolchain: {choice.line}")
    return 0


def run(config: dict, argv: List[str], bindir: Path = BIN, execvpe: Callable = os.execvpe, **overrides) -> int:
    """Run ``argv`` with each fetched tool's directory first on PATH (no fetching here:
    ``ensure`` runs first and has said what is missing).

    A tool taken from PATH needs nothing: its directory is already there, and putting it
    first could shadow other programs (such as .venv's python) with the system's."""
    if not argv:
        print("toolchain: run needs a command: python3 tools/toolchain.py run -- pulumi up", file=sys.stderr)
        return 2
    choices = [choose(name, tool, config, bindir, **overrides) for name, tool in config["tools"].items()]
    inside = str(bindir)
    dirs = [str(c.path.parent) for c in choices if c.path and not c.fetch and str(c.path).startswith(inside)]
    env = dict(os.environ, PATH=os.pathsep.join(dirs + [os.environ.get("PATH", "")]))
    try:
        execvpe(argv[0], argv, env)
    except OSError as error:
        print(f"toolchain: could not run {argv[0]}: {error.strerror or error}; run make up (or python3 tools/toolchain.py ensure) first", file=sys.stderr)
        return 2
    return 0  # reached only when execvpe is replaced, as the tests do


def checksums_from(text: str) -> Dict[str, str]:
    """``<sha256>  <file>`` lines (sha256sum / shasum -a 256 / goreleaser output) by file name."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"^([0-9a-fA-F]{64})\s+\*?(\S+)\s*$", line)
        if match:
            found[match.group(2).rsplit("/", 1)[-1]] = match.group(1).lower()
    return found


def pin(config: dict, name: str, path: Path = CONFIG, urlopen: Callable = urllib.request.urlopen) -> int:
    """Record ``name``'s SHA-256 for every platform from the vendor's published checksums."""
    tool = config["tools"].get(name)
    if tool is None:
        print(f"toolchain: unknown tool {name!r}: expected one of {', '.join(config['tools'])}", file=sys.stderr)
        return 2
    pins, sources = {}, []
    for key in config["platforms"]:
        url = _url(tool["checksums_url"], tool, key)
        if url not in sources:
            try:
                with urlopen(url, timeout=60) as response:
                    sums = checksums_from(response.read().decode("utf-8", "replace"))
            except (urllib.error.URLError, OSError) as error:
                print(f"toolchain: could not download {url} ({getattr(error, 'reason', error)}): pin needs the network", file=sys.stderr)
                return 2
            sources.append(url)
        filename = _url(tool["url"], tool, key).rsplit("/", 1)[-1]
        if filename not in sums:
            print(f"toolchain: {url} lists no {filename}: nothing pinned", file=sys.stderr)
            return 2
        pins[key] = sums[filename]
    tool["sha256"] = pins
    tool["sha256_source"] = "the vendor's published checksums: " + ", ".join(sources)
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    print(f"toolchain: pinned {name} {tool['version']} for {', '.join(pins)} in {path}")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    config = load()
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    unknown = [name for name in rest if name not in config["tools"]]
    if command in ("ensure", "check") and not unknown:
        return ensure(config, fetch=command == "ensure", needed=rest or None)
    if command == "run":
        return run(config, rest[1:] if rest[:1] == ["--"] else rest)
    if command == "pin" and len(rest) == 1:
        return pin(config, rest[0])
    print(f"usage: python3 tools/toolchain.py ensure|check [{'|'.join(config['tools'])} ...] | run -- CMD ... | pin TOOL", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
