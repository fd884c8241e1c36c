"""Run the policy pack offline on a mock run, as the Pulumi engine would run it in a preview.

``python -m tools policy <stack>`` prints every violation and exits 1 when one is mandatory.
Each registration becomes what the analyzer receives: its inputs go through a protobuf
``Struct`` (so numbers become floats) and pulumi-policy's own deserializer and unknown-checking
proxy; resource policies get ``ResourceValidationArgs`` per resource, stack policies one
``StackValidationArgs`` with parents linked (the engine passes outputs there; the mocks echo
inputs as outputs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import PolicyCustomTimeouts, _NotApplicableError
from pulumi.output import Unknown
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy.rules import POLICIES
from tools.mockrun import Registration, Run


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    message: str
    urn: str


def _wire(value: Any) -> Any:
    """A property value as the engine sends it: a value unknown during a preview travels as
    pulumi's unknown sentinel string, which pulumi-policy's proxy turns back into "unknown"."""
    if isinstance(value, Unknown):
        return UNKNOWN_STRING_VALUE
    if isinstance(value, Mapping):
        return {str(k): _wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def engine_props(inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    """Properties shaped as pulumi-policy hands them to a validate function."""
    struct = json_format.ParseDict(_wire(inputs), struct_pb2.Struct())
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def _opts(reg: Registration) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        reg.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], reg.parent or None
    )


def resource_args(
    reg: Registration, config: Mapping[str, Any] | None = None, props: Mapping[str, Any] | None = None
) -> ResourceValidationArgs:
    props = engine_props(reg.inputs) if props is None else props
    return ResourceValidationArgs(reg.type, props, reg.urn, reg.name, _opts(reg), None, config)


def stack_args(
    registrations: Iterable[Registration],
    config: Mapping[str, Any] | None = None,
    props: Mapping[int, Mapping[str, Any]] | None = None,
) -> StackValidationArgs:
    """``props`` may map ``id(registration)`` to its converted properties (they are read-only)."""
    regs = list(registrations)
    props = props or {}
    resources = [
        PolicyResource(r.type, props.get(id(r)) or engine_props(r.inputs), r.urn, r.name, _opts(r), None, None, [], {})
        for r in regs
    ]
    by_urn = {res.urn: res for res in resources}
    for reg, res in zip(regs, resources):
        res.parent = by_urn.get(reg.parent)
        res.dependencies = [by_urn[d] for d in reg.dependencies if d in by_urn]
    return StackValidationArgs(resources, config)


def validate(policy: Any, args: Any) -> list[str]:
    """Messages a policy reports for ``args``; none when it is not applicable."""
    found: list[str] = []
    try:
        policy.validate(args, lambda message, urn=None: found.append(message))
    except _NotApplicableError:
        return []
    return found


def check(
    run: Run, policies: Iterable[Any] = POLICIES, config: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Violation]:
    """Every violation of ``policies`` in ``run``; ``config`` maps policy name to its config."""
    config = config or {}
    props = {id(reg): engine_props(reg.inputs) for reg in run.registrations}
    out: list[Violation] = []
    for policy in policies:
        level = (policy.enforcement_level or EnforcementLevel.MANDATORY).value
        if isinstance(policy, ResourceValidationPolicy):
            for reg in run.registrations:
                for message in validate(policy, resource_args(reg, config.get(policy.name), props[id(reg)])):
                    out.append(Violation(policy.name, level, message, reg.urn))
        else:
            for message in validate(policy, stack_args(run.registrations, config.get(policy.name), props)):
                out.append(Violation(policy.name, level, message, ""))
    return out


def chart_object_violations(stack: str, release: str, objects: Iterable[Mapping[str, Any]]) -> list[Violation]:
    """Resource-policy violations of the objects ``helm template`` rendered for ``release``,
    each registered as a child of the release's Chart, as in a real preview."""
    chart_type = "kubernetes:helm.sh/v4:Chart"
    regs = []
    for obj in objects:
        group_version = str(obj.get("apiVersion", ""))
        type_token = f"kubernetes:{group_version if '/' in group_version else 'core/' + group_version}:{obj.get('kind')}"
        name = str((obj.get("metadata") or {}).get("name", ""))
        urn = f"urn:pulumi:{stack}::cloud-platform::{chart_type}${type_token}::{release}:{name}"
        regs.append(Registration(type_token, name, dict(obj), f"urn:pulumi:{stack}::cloud-platform::{chart_type}::{release}", urn, True))
    out = []
    for policy in (p for p in POLICIES if isinstance(p, ResourceValidationPolicy)):
        level = (policy.enforcement_level or EnforcementLevel.MANDATORY).value
        for reg in regs:
            out.extend(Violation(policy.name, level, f"{reg.type.rsplit(':', 1)[-1]} {reg.name}: {m}", reg.urn)
                       for m in validate(policy, resource_args(reg)))
    return out


def main(stack: str, run: Run | None = None) -> int:
    """Print every violation of the stack's preview run; 1 when one is mandatory."""
    if run is None:
        from tools.mockrun import run_program

        run = run_program(stack, preview=True)
    violations = check(run)
    for v in violations:
        print(f"[{v.level}] {v.policy}: {v.message}")
    mandatory = sum(v.level == "mandatory" for v in violations)
    print(f"{stack}: {len(violations)} violation(s), {mandatory} mandatory")
    return 1 if mandatory else 0
