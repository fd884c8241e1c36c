"""``python -m tools backend <stack>``: the Pulumi backend and secrets provider a stack needs.

The kind stacks keep their state in the project-local file backend (``.pulumi-state/``) with a
passphrase, which the Makefile sets up. A stack whose target is a cloud (``target: eks``) must
keep its state in the S3 backend and encrypt its secrets with the KMS key that
``tools bootstrap-backend`` creates: a laptop's file backend would lose track of real AWS
resources, and a passphrase on a laptop is not a team's secrets provider.

The two values come from the environment (``PULUMI_BACKEND_URL``, ``PULUMI_SECRETS_PROVIDER``)
or, when it sets neither, from the git-ignored ``.pulumi-backend-<stack>.mk`` that
``tools bootstrap-backend --save`` writes and the Makefile includes. Anything else stops
``make up/preview/destroy`` with the exact commands to run (exit 2).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT_DIR = Path(__file__).resolve().parent.parent
PROJECT = "cloud-platform"
BACKEND_VARIABLE = "PULUMI_BACKEND_URL"
SECRETS_VARIABLE = "PULUMI_SECRETS_PROVIDER"
_ASSIGNMENT = re.compile(r"^(PULUMI_BACKEND_URL|PULUMI_SECRETS_PROVIDER)\s*\??=\s*(.*)$")


@dataclass(frozen=True)
class Backend:
    url: str
    secrets_provider: str


def stack_names(root: Path = ROOT_DIR) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def unknown_stack(stack: str, root: Path = ROOT_DIR) -> str | None:
    """The line that refuses an unknown stack (the wording ``tools render`` uses), or None."""
    known = stack_names(root)
    return None if stack in known else f"unknown stack {stack!r}: expected one of {', '.join(known)}"


def target_of(stack: str, root: Path = ROOT_DIR) -> str:
    """The stack file's ``target``, else ``Pulumi.yaml``'s default (as the CLI merges them)."""
    stack_file = yaml.safe_load((root / f"Pulumi.{stack}.yaml").read_text()) or {}
    value = (stack_file.get("config") or {}).get(f"{PROJECT}:target")
    if value is None:
        project = yaml.safe_load((root / "Pulumi.yaml").read_text())
        value = project["config"]["target"].get("default", "kind")
    return str(value)


def backend_file(stack: str, root: Path = ROOT_DIR) -> Path:
    return root / f".pulumi-backend-{stack}.mk"


def write_backend_file(stack: str, backend: Backend, root: Path = ROOT_DIR) -> Path:
    """Write the make include the Makefile reads for ``stack`` (``?=``: the environment wins)."""
    path = backend_file(stack, root)
    path.write_text(
        f"# Written by `.venv/bin/python -m tools bootstrap-backend --stack {stack} --save`; git-ignored.\n"
        f"# make up/preview/destroy STACK={stack} read it; exported variables of the same name win.\n"
        f"{BACKEND_VARIABLE} ?= {backend.url}\n"
        f"{SECRETS_VARIABLE} ?= {backend.secrets_provider}\n"
    )
    return path


def read_backend_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    found = {}
    for line in path.read_text().splitlines():
        match = _ASSIGNMENT.match(line.strip())
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def cloud_backend(stack: str, environ: Mapping[str, str], root: Path = ROOT_DIR) -> Backend:
    """The environment's values, falling back to the stack's saved file for each unset one."""
    saved = read_backend_file(backend_file(stack, root))
    return Backend(
        environ.get(BACKEND_VARIABLE) or saved.get(BACKEND_VARIABLE, ""),
        environ.get(SECRETS_VARIABLE) or saved.get(SECRETS_VARIABLE, ""),
    )


def problems(stack: str, environ: Mapping[str, str], root: Path = ROOT_DIR) -> list[str]:
    """Why ``stack`` cannot be deployed with this backend, one line each (empty: it can)."""
    unknown = unknown_stack(stack, root)
    if unknown:
        return [unknown]
    target = target_of(stack, root)
    if target == "kind":
        return []
    backend = cloud_backend(stack, environ, root)
    found = []
    if not backend.url.startswith("s3://"):
        got = backend.url or "not set"
        found.append(f"stack {stack} (target {target}) keeps its state in the S3 backend, but {BACKEND_VARIABLE} is {got}")
    if not backend.secrets_provider.startswith("awskms://"):
        got = backend.secrets_provider or "not set"
        found.append(f"stack {stack} (target {target}) encrypts its secrets with a KMS key, but {SECRETS_VARIABLE} is {got}")
    return found


def fix_lines(stack: str, root: Path = ROOT_DIR) -> list[str]:
    """The exact commands that give a cloud stack its backend."""
    return [
        "Run once, with AWS credentials for the account (it creates the bucket and keys, or finds them):",
        f"  .venv/bin/python -m tools bootstrap-backend --stack {stack} --save",
        f"then run make again: it reads {backend_file(stack, root).name}. Or export the two values it prints:",
        f"  export {BACKEND_VARIABLE}='s3://<bucket>?region=<region>&awssdk=v2'",
        f"  export {SECRETS_VARIABLE}='awskms://alias/cloud-platform-secrets?region=<region>'",
    ]


def main(stack: str, environ: Mapping[str, str], root: Path = ROOT_DIR) -> int:
    found = problems(stack, environ, root)
    for line in found:
        print(f"backend: {line}", file=sys.stderr)
    if found and unknown_stack(stack, root) is None:
        print("\n".join(fix_lines(stack, root)), file=sys.stderr)
    if found:
        return 2
    if target_of(stack, root) != "kind":
        backend = cloud_backend(stack, environ, root)
        print(f"backend: {stack} uses {backend.url} with secrets provider {backend.secrets_provider}", file=sys.stderr)
    return 0
