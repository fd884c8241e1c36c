"""Run the real ``__main__.py`` under Pulumi mocks and record every registration.

Used by the test suite (through ``tests/conftest.py``) and by ``python -m tools render``:
no cluster, no cloud account and no Pulumi CLI are needed.
"""

from __future__ import annotations

import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import ROOT, get_root_resource
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from tools.cliconfig import ConfigRefused, Secret, check_handover, cli_config

__all__ = ["ConfigRefused", "Run", "Registration", "Secret", "run_program", "stack_config", "stack_names"]

ROOT_DIR = Path(__file__).resolve().parent.parent
PROJECT = "cloud-platform"
SECRET_SENTINEL = "4dabf18193072939515e22adb298388d"
MOCK_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"


@dataclass
class Registration:
    """One resource the program declared: its type token, name, inputs (secrets unwrapped,
    with the paths of secret values in ``secret_paths``), parent URN and options."""

    type: str
    name: str
    inputs: dict[str, Any]
    parent: str
    urn: str
    custom: bool
    provider: str = ""
    retain_on_delete: bool = False
    protect: bool = False
    dependencies: list[str] = field(default_factory=list)
    secret_paths: list[str] = field(default_factory=list)


@dataclass
class Run:
    stack: str
    preview: bool
    registrations: list[Registration]
    outputs: dict[str, Any]
    secret_outputs: set[str]

    def of_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_token]


def unwrap_secrets(value: Any, path: str = "", found: list[str] | None = None) -> Any:
    """Strip the secret sentinel wrappers that mocks pass through; remember where they were."""
    found = [] if found is None else found
    if isinstance(value, dict):
        if value.get(SECRET_SENTINEL) == "1b47061264138c4ac30d75fd1eb44270":
            found.append(path or "/")
            return unwrap_secrets(value.get("value"), path, found)
        return {k: unwrap_secrets(v, f"{path}/{k}", found) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v, f"{path}/{i}", found) for i, v in enumerate(value)]
    return value


class Mocks(pulumi.runtime.Mocks):
    """Echo inputs as outputs, plus what the program reads from remote resources."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = dict(args.inputs)
        if args.typ == "command:local:Command":
            state["stdout"] = MOCK_KUBECONFIG
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = f"mock-{args.name}"
        if args.typ.startswith("kubernetes:") and "metadata" in state:
            meta = dict(state["metadata"] or {})
            meta.setdefault("name", args.name)
            state["metadata"] = meta
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        raise NotImplementedError(f"unexpected invoke {args.token}: add it to tools/mockrun.py deliberately")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The stock mock monitor, also keeping parent, options and dependencies of each request."""

    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.requests: list[Any] = []

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        self.requests.append(request)
        return super().RegisterResource(request)


def stack_config(
    stack: str, overrides: dict[str, Any] | None = None, replace: bool = False
) -> tuple[dict[str, str], list[str]]:
    """Config exactly as the Pulumi CLI hands it to the program (see ``tools/cliconfig.py``):
    ``Pulumi.<stack>.yaml`` (ignored when ``replace``) plus ``overrides`` written as stack-file
    values (``{"secure": "..."}`` or ``Secret()`` for ``pulumi config set --secret``), every
    ``Pulumi.yaml`` default the stack does not set as a plain string, ``secure:`` values as
    secrets shaped for their key, after the CLI's declared-type check (``ConfigRefused``)."""
    return cli_config(stack, overrides, replace, ROOT_DIR)


def stack_names() -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT_DIR.glob("Pulumi.*.yaml"))


def _resolve(value: Any) -> tuple[Any, bool]:
    if isinstance(value, pulumi.Output):
        return _sync_await(value.future()), _sync_await(value.is_secret())
    return value, False


def run_program(
    stack: str,
    preview: bool,
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
) -> Run:
    """Run ``__main__.py`` for ``stack`` under mocks, with config as the CLI hands it over.
    A ``config`` given here must be one the CLI could hand over (``stack_config``'s result)."""
    if config is None:
        config, secret_keys = stack_config(stack)
    else:
        check_handover(config, secret_keys or [], stack, ROOT_DIR)
    mocks = Mocks()
    monitor = RecordingMonitor(mocks)
    ROOT.set(None)
    pulumi.runtime.set_all_config(config, secret_keys or [])
    pulumi_mocks.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    sys.path.insert(0, str(ROOT_DIR))
    try:
        runpy.run_path(str(ROOT_DIR / "__main__.py"), run_name="__main__")
        _sync_await(wait_for_rpcs())
    except Exception as err:
        # What was registered before the failure, so tests can prove nothing was half-made.
        err.registrations = _registrations(monitor)  # type: ignore[attr-defined]
        raise
    finally:
        sys.path.remove(str(ROOT_DIR))
    outputs, secret_outputs = {}, set()
    root = get_root_resource()
    for key, value in (root.outputs.items() if root is not None else []):
        resolved, is_secret = _resolve(value)
        outputs[key] = resolved
        if is_secret:
            secret_outputs.add(key)
    return Run(stack, preview, _registrations(monitor), outputs, secret_outputs)


def _registrations(monitor: RecordingMonitor) -> list[Registration]:
    out = []
    for request in monitor.requests:
        if request.type == "pulumi:pulumi:Stack":
            continue
        found: list[str] = []
        inputs = unwrap_secrets(pulumi.runtime.rpc.deserialize_properties(request.object), found=found)
        out.append(
            Registration(
                type=request.type,
                name=request.name,
                inputs=inputs,
                parent=request.parent,
                urn=monitor.make_urn(request.parent, request.type, request.name),
                custom=request.custom,
                provider=request.provider,
                retain_on_delete=request.retainOnDelete,
                protect=request.protect,
                dependencies=list(request.dependencies),
                secret_paths=found,
            )
        )
    return out
