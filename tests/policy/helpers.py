"""Captured resources for policy tests: registrations of a stack's mock run, copied so a
test can break one without touching the cached run."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from policy.rules import BY_NAME
from tests.conftest import stack_run
from tools.mockrun import Registration
from tools.policycheck import resource_args, stack_args, validate


# (policy name, "pass" or "fail") for every case a test covers; tests/policy/test_pack.py checks
# that every policy of the pack has both.
CASES: set[tuple[str, str]] = set()


def case(policy: str, outcome: str):
    """Mark a test as a passing or failing case of ``policy``."""
    CASES.add((policy, outcome))
    return lambda fn: fn


def registrations(stack: str = "dev") -> list[Registration]:
    return [dataclasses.replace(r, inputs=copy.deepcopy(r.inputs)) for r in stack_run(stack, False).registrations]


def captured(kind: str, name: str, stack: str = "dev") -> Registration:
    """The registration of the Kubernetes object ``kind``/``name`` (or the chart named ``name``)."""
    for reg in registrations(stack):
        if reg.type.endswith(f":{kind}") and name in (reg.inputs.get("metadata", {}).get("name"), reg.inputs.get("chart"), reg.name):
            return reg
    raise LookupError(f"{stack} declares no {kind} {name}")


def synthetic(type_token: str, name: str, inputs: dict[str, Any], parent: str = "") -> Registration:
    return Registration(type=type_token, name=name, inputs=inputs, parent=parent, urn=f"urn:test::{type_token}::{name}", custom=True)


def resource_violations(policy: str, reg: Registration, config: dict | None = None) -> list[str]:
    return validate(BY_NAME[policy], resource_args(reg, config))


def stack_violations(policy: str, regs: list[Registration], config: dict | None = None) -> list[str]:
    return validate(BY_NAME[policy], stack_args(regs, config))


def pod(reg: Registration) -> dict:
    spec = reg.inputs["spec"]
    return spec["jobTemplate"]["spec"]["template"]["spec"] if "jobTemplate" in spec else spec["template"]["spec"]
