"""Run the real ``__main__.py`` under Pulumi mocks and record every registration.

Used by the test suite (through ``tests/conftest.py``) and by ``python -m tools render``:
no cluster, no cloud account and no Pulumi CLI are needed.
"""

from __future__ import annotations

import json
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import ROOT, get_root_resource
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from tools.cliconfig import ConfigRefused, Secret, check_handover, cli_config

__all__ = ["ConfigRefused", "Run", "Registration", "Secret", "run_program", "stack_config", "stack_names"]

ROOT_DIR = Path(__file__).resolve().parent.parent
PROJECT = "cloud-platform"
SECRET_SENTINEL = "4dabf18193072939515e22adb298388d"
MOCK_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"
MOCK_ACCOUNT = "123456789012"
MOCK_OIDC_ISSUER = "oidc.eks.mock-region.amazonaws.com/id/MOCKOIDCISSUER"


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
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

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
    """Echo inputs as outputs, plus what the program reads from remote resources and from
    the invokes it makes. ``invokes`` records every invoke (token and arguments)."""

    def __init__(self) -> None:
        self.invokes: list[tuple[str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = dict(args.inputs)
        if args.typ == "command:local:Command":
            state["stdout"] = MOCK_KUBECONFIG
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = f"mock-{args.name}"
        state.update(_tls_outputs(args))
        if args.typ.startswith("kubernetes:") and "metadata" in state:
            meta = dict(state["metadata"] or {})
            meta.setdefault("name", args.name)
            state["metadata"] = meta
        state.update(_aws_outputs(args))
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.invokes.append((args.token, dict(args.args)))
        answer = INVOKES.get(args.token)
        if answer is None:
            raise NotImplementedError(f"unexpected invoke {args.token}: add it to tools/mockrun.py deliberately")
        return answer(dict(args.args)), []


def _tls_outputs(args: pulumi.runtime.MockResourceArgs) -> dict:
    """PEM-shaped outputs of pulumi-tls resources (the provider marks private keys secret; the
    program wraps them in ``Output.secret`` itself, which is what the mock sees)."""
    pem = {
        "tls:index/privateKey:PrivateKey": ("privateKeyPem", "PRIVATE KEY"),
        "tls:index/selfSignedCert:SelfSignedCert": ("certPem", "CERTIFICATE"),
        "tls:index/locallySignedCert:LocallySignedCert": ("certPem", "CERTIFICATE"),
        "tls:index/certRequest:CertRequest": ("certRequestPem", "CERTIFICATE REQUEST"),
    }.get(args.typ)
    if pem is None:
        return {}
    key, label = pem
    return {key: f"-----BEGIN {label}-----\nmock-{args.name}\n-----END {label}-----\n"}


# The invokes the program makes, answered the way AWS would shape them; anything else fails.
INVOKES = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a: {
        "accountId": MOCK_ACCOUNT,
        "arn": f"arn:aws:iam::{MOCK_ACCOUNT}:user/mock",
        "userId": "AIDAMOCK",
        "id": MOCK_ACCOUNT,
    },
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda a: {
        "names": [f"mock-az-{x}" for x in "abcd"],
        "zoneIds": [f"mock-az{i}" for i in range(1, 5)],
        "id": "mock-region",
        "state": a.get("state"),
    },
    "aws:eks/getAddonVersion:getAddonVersion": lambda a: {
        **a,
        "version": f"v0.0.0-mock-{a['addonName']}-{a['kubernetesVersion']}",
        "id": a["addonName"],
    },
}


def _aws_outputs(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    """Outputs the engine computes for the AWS and EKS resources the program reads."""
    if args.typ == "eks:index:Cluster":
        return {
            "kubeconfigJson": json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": [], "users": []}),
            "oidcProviderArn": f"arn:aws:iam::{MOCK_ACCOUNT}:oidc-provider/{MOCK_OIDC_ISSUER}",
            "oidcProviderUrl": f"https://{MOCK_OIDC_ISSUER}",
            "oidcIssuer": MOCK_OIDC_ISSUER,
        }
    if args.typ == "aws:acm/certificate:Certificate":
        names = [args.inputs["domainName"], *(args.inputs.get("subjectAlternativeNames") or [])]
        return {
            "arn": f"arn:aws:acm:mock-region:{MOCK_ACCOUNT}:certificate/mock-{args.name}",
            "domainValidationOptions": [
                {
                    "domainName": n,
                    "resourceRecordName": f"_mock.{n}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": f"_mock.acm-validations.aws.{n}.",
                }
                for n in names
            ],
        }
    if args.typ == "aws:route53/record:Record":
        return {"fqdn": args.inputs["name"]}
    if args.typ.startswith("aws:") and args.custom:
        return {"arn": f"arn:aws:mock:::{args.typ.rsplit(':', 1)[-1].lower()}/{args.name}"}
    return {}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The stock mock monitor, also keeping parent, options and dependencies of each request.

    It does not advertise resource references. The stock mock monitor does, and then a
    Resource passed as an input (``cluster=`` of ``eks.ManagedNodeGroup``) is deserialized
    in the monitor's thread by constructing a new Resource there, whose outputs belong to
    another event loop: runs fail at random with "attached to a different loop"
    (pulumi/pulumi#6561). Without the feature the SDK sends a custom resource as its ID and a
    component as its URN (rpc.serialize_property), as it does for any engine that lacks it.
    """

    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.requests: list[Any] = []

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        self.requests.append(request)
        return super().RegisterResource(request)

    def SupportsFeature(self, request):  # noqa: N802 - gRPC method name
        if request.id == "resourceReferences":
            return type("SupportsFeatureResponse", (object,), {"hasSupport": False})
        return super().SupportsFeature(request)

    def GetDeploymentInfo(self, request):  # noqa: N802 - gRPC method name
        info = super().GetDeploymentInfo(request)
        features = [f for f in info.supportedFeatures if f != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)


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


# Runs already made in this process, by everything that decides their result: the stack, the
# mode, the config and secret keys as handed over, and the kubeconfig the loader reads for
# ``kubeContext``. The program is deterministic under mocks, so a second identical run (the
# test suite asks for the same stack from many modules) returns the first one's record.
# Callers treat a Run as read-only; a failed run is never cached.
_RUNS: dict[tuple, Run] = {}


def _run_key(stack: str, preview: bool, config: dict[str, str], secret_keys: list[str]) -> tuple:
    from stacks.kubeconfig import kubeconfig_paths

    kubeconfigs = tuple((p, Path(p).read_bytes() if Path(p).is_file() else None) for p in kubeconfig_paths())
    return (stack, preview, tuple(sorted(config.items())), tuple(sorted(secret_keys)), kubeconfigs)


def run_program(
    stack: str,
    preview: bool,
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
) -> Run:
    """Run ``__main__.py`` for ``stack`` under mocks, with config as the CLI hands it over.
    A ``config`` given here must be one the CLI could hand over (``stack_config``'s result).
    An identical earlier run in this process is returned instead of running again."""
    if config is None:
        config, secret_keys = stack_config(stack)
    else:
        check_handover(config, secret_keys or [], stack, ROOT_DIR)
    key = _run_key(stack, preview, config, secret_keys or [])
    if key not in _RUNS:
        _RUNS[key] = _run(stack, preview, config, secret_keys or [])
    return _RUNS[key]


def _run(stack: str, preview: bool, config: dict[str, str], secret_keys: list[str]) -> Run:
    mocks = Mocks()
    monitor = RecordingMonitor(mocks)
    ROOT.set(None)
    pulumi.runtime.set_all_config(config, secret_keys)
    pulumi_mocks.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    sys.path.insert(0, str(ROOT_DIR))
    # The SDK walks the Python stack at every registration to send the engine the source
    # position of the resource (for its diagnostics). The mock monitor ignores it, and the walk
    # was about a tenth of a run's time.
    stack_trace = pulumi_resource._get_stack_trace
    pulumi_resource._get_stack_trace = _no_stack_trace
    try:
        runpy.run_path(str(ROOT_DIR / "__main__.py"), run_name="__main__")
        _sync_await(wait_for_rpcs())
    except Exception as err:
        # What was registered before the failure, so tests can prove nothing was half-made.
        err.registrations = _registrations(monitor)  # type: ignore[attr-defined]
        raise
    finally:
        pulumi_resource._get_stack_trace = stack_trace
        sys.path.remove(str(ROOT_DIR))
    outputs, secret_outputs = {}, set()
    root = get_root_resource()
    for key, value in (root.outputs.items() if root is not None else []):
        resolved, is_secret = _resolve(value)
        outputs[key] = resolved
        if is_secret:
            secret_outputs.add(key)
    return Run(stack, preview, _registrations(monitor), outputs, secret_outputs, mocks.invokes)


def _no_stack_trace() -> Any:
    return pulumi_resource.source_pb2.StackTrace()


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
