"""The local chart cache that ``tools charts`` renders from, and its lock (``tools/charts.lock.yaml``).

The cache lives outside the repository: ``$CLOUD_PLATFORM_CHART_CACHE``, or
``${XDG_CACHE_HOME:-~/.cache}/cloud-platform/charts``. It holds one packaged chart per pin,
``<chart>-<version>.tgz``, with its subcharts under ``charts/`` as Helm packages them.

Two ways fill it:

- ``make charts`` (``python -m tools charts cache``) pulls every pin from its chart repository with
  Helm's own SDK (``helm-python-sdk``, no binary) and checks the archive's sha256 against the
  lock's ``archiveDigest`` (the digest the repository's ``index.yaml`` lists);
- ``python -m tools charts cache --from-git DIR`` builds each chart from git clones of the
  charts' source repositories (``DIR/<owner>+<name>/repo``, bare, as ``fetch`` brings them) at
  the release tag or commit the lock names, with each subchart from its own tag. Files the
  chart's ``.helmignore`` excludes are left out, as ``helm package`` does.

Either way the cache entry must match the lock's ``contentDigest``: a sha256 over the path and
bytes of every file in the archive, nested subchart archives included file by file, so it does not
depend on gzip or tar timestamps. A changed upstream tarball, or a wrong tag, is an error.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LOCK = Path(__file__).with_name("charts.lock.yaml")
CACHE_ENV = "CLOUD_PLATFORM_CHART_CACHE"


class CacheMissing(Exception):
    """The cache lacks a pinned chart (fill it with ``make charts``)."""


class CacheError(Exception):
    """A cache entry or a source does not match the lock, or cannot be built."""


def cache_dir() -> Path:
    """``$CLOUD_PLATFORM_CHART_CACHE``, else ``${XDG_CACHE_HOME:-~/.cache}/cloud-platform/charts``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cloud-platform" / "charts"


def load_lock(path: Path = LOCK) -> dict[str, dict[str, Any]]:
    """``chart name -> lock entry``."""
    return yaml.safe_load(path.read_text())["charts"]


def archive_name(chart: str, version: str) -> str:
    return f"{chart}-{version}.tgz"


# --- digests ---------------------------------------------------------------------------------


def _members(data: bytes) -> dict[str, bytes]:
    """Files of a chart archive, keyed by path below the chart's top directory."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            if member.isfile():
                out[member.name.split("/", 1)[1]] = tar.extractfile(member).read()  # type: ignore[union-attr]
    return out


def _canonical_meta(body: bytes) -> bytes:
    """``Chart.yaml`` and ``Chart.lock`` as data: ``helm package`` re-writes them from the parsed
    metadata (no comments, its own key order, empty fields left out)."""

    def prune(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: prune(v) for k, v in node.items() if v not in (None, "", [], {})}
        if isinstance(node, list):
            return [prune(v) for v in node]
        return node

    return json.dumps(prune(yaml.safe_load(body) or {}), sort_keys=True, default=str).encode()


def _subchart_name(path: str) -> str:
    return path.split("/", 1)[1].rsplit("-", 1)[0]


def content_digest(data: bytes, skip: Iterable[str] = ()) -> str:
    """sha256 over the sorted paths and contents of an archive's files, tar and gzip metadata aside.
    A subchart archive under ``charts/`` counts by its own content digest; ``Chart.yaml`` and
    ``Chart.lock`` by their data; subcharts named in ``skip`` (the lock's ``notBundled``) not at all."""
    skip = set(skip)
    h = hashlib.sha256()
    for path, body in sorted(_members(data).items()):
        if path.startswith("charts/") and path.count("/") == 1 and path.endswith(".tgz"):
            if _subchart_name(path) in skip:
                continue
            body = content_digest(body).encode()
        elif path.rsplit("/", 1)[-1] in ("Chart.yaml", "Chart.lock"):
            body = _canonical_meta(body)
        h.update(path.encode() + b"\0" + hashlib.sha256(body).hexdigest().encode() + b"\n")
    return f"sha256:{h.hexdigest()}"


def verify(data: bytes, entry: Mapping[str, Any]) -> str | None:
    """How a chart archive matches its lock entry (``"archive digest"`` or ``"content digest"``),
    or None when it matches neither."""
    if entry.get("archiveDigest") and archive_digest(data) == entry["archiveDigest"]:
        return "archive digest"
    if content_digest(data, entry.get("notBundled") or ()) == entry.get("contentDigest"):
        return "content digest"
    return None


def archive_digest(data: bytes) -> str:
    """sha256 of the archive bytes: what a repository's ``index.yaml`` lists as ``digest``."""
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


# --- lookup ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    """A chart found for a pin: a cached archive, or a directory from ``--from``."""

    path: Path
    verified: bool


def locate(chart: str, version: str, *, cache: Path | None = None, source: Path | None = None, lock: Mapping[str, Any] | None = None) -> Located:
    """The chart to render for a pin. ``source`` (``tools charts --from DIR``) is a directory of
    charts the user already has (``DIR/<chart>`` or ``DIR/<chart>-<version>.tgz``), taken as is;
    otherwise the cache entry, checked against the lock."""
    if source is not None:
        for candidate in (source / archive_name(chart, version), source / chart):
            if candidate.exists():
                return Located(candidate, verified=False)
        raise CacheMissing(f"{source} has neither {chart}/ nor {archive_name(chart, version)}")
    cache = cache or cache_dir()
    path = cache / archive_name(chart, version)
    if not path.is_file():
        raise CacheMissing(f"the chart cache {cache} has no {archive_name(chart, version)}: run `make charts`")
    lock = lock if lock is not None else load_lock()
    entry = lock.get(chart)
    if entry is None or str(entry["version"]) != version:
        raise CacheError(f"tools/charts.lock.yaml has no entry for {chart} {version}: record it (tools charts cache --record)")
    if verify(path.read_bytes(), entry) is None:
        raise CacheError(
            f"{path} matches neither the archive nor the content digest of {chart} {version} in tools/charts.lock.yaml: "
            "the upstream chart changed or the cache is stale; delete it and run `make charts`"
        )
    return Located(path, verified=True)


# --- filling the cache from chart repositories -------------------------------------------------


def fill_from_repositories(cache: Path, lock: Mapping[str, Any]) -> list[str]:
    """Pull every locked chart from its repository into ``cache`` with Helm's SDK; returns lines
    to print. A digest that differs from the lock raises ``CacheError``."""
    import helm_python

    cache.mkdir(parents=True, exist_ok=True)
    lines = []
    for chart, entry in sorted(lock.items()):
        version = str(entry["version"])
        with tempfile.TemporaryDirectory(prefix="chart-pull-") as tmp:
            helm_python.pull(chart, repo_url=entry["repository"], version=version, destination=tmp)
            data = (Path(tmp) / archive_name(chart, version)).read_bytes()
        how = verify(data, entry)
        if how is None:
            raise CacheError(
                f"{chart} {version} from {entry['repository']} (archive {archive_digest(data)}) matches neither digest in "
                "tools/charts.lock.yaml: the published chart changed, or its files differ from the locked git build"
            )
        _store(cache, chart, version, data)
        lines.append(f"{chart} {version}: pulled from {entry['repository']}, {how} matches the lock")
    return lines


def _store(cache: Path, chart: str, version: str, data: bytes) -> None:
    tmp = cache / (archive_name(chart, version) + ".part")
    tmp.write_bytes(data)
    tmp.replace(cache / archive_name(chart, version))


# --- building the cache from git mirrors -------------------------------------------------------


def _git(git_dir: Path, *args: str) -> bytes:
    proc = subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, check=False)
    if proc.returncode != 0:
        raise CacheError(f"git {' '.join(args)} in {git_dir}: {proc.stderr.decode().strip()}")
    return proc.stdout


def tree_files(git_dir: Path, ref: str, path: str) -> dict[str, bytes]:
    """Every file under ``path`` at ``ref``, read blob by blob (a partial mirror may lack blobs
    elsewhere in the tree, which ``git archive`` trips on)."""
    listing = _git(git_dir, "ls-tree", "-r", "-z", f"{ref}:{path}")
    entries = [line.split(b"\t", 1) for line in listing.split(b"\0") if line]
    out = {}
    for meta, name in entries:
        _mode, kind, sha = meta.split()
        if kind == b"blob":
            out[name.decode()] = _git(git_dir, "cat-file", "blob", sha.decode())
    return out


def _ignore_rules(text: str) -> list[tuple[bool, bool, str]]:
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line[1:] if negate else line
        rules.append((negate, line.endswith("/"), line.rstrip("/")))
    return rules


def helmignored(path: str, rules: list[tuple[bool, bool, str]]) -> bool:
    """Whether ``helm package`` leaves ``path`` out under ``.helmignore`` rules (Helm's
    ``internal/ignore``: a pattern without ``/`` matches any path segment's name, one with ``/``
    the path from the chart root; a trailing ``/`` matches directories only; ``!`` re-includes)."""
    parts = path.split("/")
    ignored = False
    for negate, dir_only, pattern in rules:
        hit = False
        for depth in range(1, len(parts) + 1):
            is_dir = depth < len(parts)
            if dir_only and not is_dir:
                continue
            candidate = "/".join(parts[:depth]) if "/" in pattern else parts[depth - 1]
            if fnmatch.fnmatchcase(candidate, pattern.lstrip("/")):
                hit = True
                break
        if hit:
            ignored = not negate
    return ignored


def package_files(name: str, files: Mapping[str, bytes], subcharts: Mapping[str, bytes] = {}) -> bytes:
    """A chart archive, as ``helm package`` lays it out: ``<name>/...``, ``.helmignore`` applied
    (the file itself is packaged),
    each subchart as ``<name>/charts/<sub>-<version>.tgz``. Entries are sorted with fixed times,
    so the same files give the same bytes."""
    # Helm's loader adds one default rule to the chart's own: templates/.?* (hidden template files).
    rules = _ignore_rules(files.get(".helmignore", b"").decode() + "\ntemplates/.?*\n")
    kept = {p: d for p, d in files.items() if not helmignored(p, rules)}
    kept.update({f"charts/{file}": data for file, data in subcharts.items()})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.USTAR_FORMAT) as tar:
        for path, data in sorted(kept.items()):
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _mirror(mirrors: Path, repo: str) -> Path:
    git_dir = mirrors / repo.replace("/", "+") / "repo"
    if not git_dir.is_dir():
        raise CacheError(f"no git mirror of {repo} at {git_dir}")
    return git_dir


def build_from_git(mirrors: Path, name: str, source: Mapping[str, Any]) -> bytes:
    """One chart archive from its source repository at the locked ref, subcharts included."""
    files = tree_files(_mirror(mirrors, source["repo"]), source["ref"], source["path"])
    # A dependency shipped in the chart's own tree (kube-prometheus-stack's crds) stays a directory.
    subcharts = {}
    for sub in source.get("subcharts") or ():
        data = build_from_git(mirrors, sub["name"], sub["git"])
        subcharts[archive_name(sub["name"], str(sub["version"]))] = data
    return package_files(name, files, subcharts)


def fill_from_git(cache: Path, mirrors: Path, lock: Mapping[str, Any], *, record: bool = False) -> list[str]:
    """Build every locked chart from git mirrors into ``cache``. Each must match the lock's
    ``contentDigest`` unless ``record`` (then the lock is rewritten with what was built)."""
    cache.mkdir(parents=True, exist_ok=True)
    lines = []
    for chart, entry in sorted(lock.items()):
        version = str(entry["version"])
        data = build_from_git(mirrors, chart, entry["git"])
        digest = content_digest(data, entry.get("notBundled") or ())
        if record:
            entry["contentDigest"] = digest
        elif digest != entry.get("contentDigest"):
            raise CacheError(f"{chart} {version} built from {entry['git']['repo']}@{entry['git']['ref']} has content {digest}, the lock says {entry.get('contentDigest')}")
        _store(cache, chart, version, data)
        lines.append(f"{chart} {version}: built from {entry['git']['repo']}@{entry['git']['ref']} ({digest})")
    return lines


def record_lock(lock: Mapping[str, Any], path: Path = LOCK) -> None:
    """Write each entry's ``contentDigest`` into the lock file, keeping its comments."""
    out, chart = [], None
    for line in path.read_text().splitlines():
        if line.startswith("  ") and not line.startswith("   ") and line.rstrip().endswith(":"):
            chart = line.strip()[:-1]
        if chart in lock and line.startswith("    contentDigest:"):
            line = f"    contentDigest: {lock[chart]['contentDigest']}"
        out.append(line)
    path.write_text("\n".join(out) + "\n")
