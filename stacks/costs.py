"""The ``monthlyCostEstimate`` stack output, computed from what the program itself declares.

``DeclarationLog.start()`` registers a stack transformation before the first resource. Pulumi
calls it, in-process, for every resource as it is constructed, real run or preview alike, with
the type token, name and the inputs as the program wrote them. The log keeps a plain copy;
``estimate`` then runs the same computation as ``tools cost`` (``components.cost.model``). The
figures come from plain data the program declares (replicas, requests, chart values, node group
sizes), so the output is known in a preview too. Inputs that are Outputs (resource IDs, ARNs)
carry no price and are recorded as None.
Ref: https://www.pulumi.com/docs/iac/concepts/options/transformations/ (stack transformations)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pulumi

from components.cost.inventory import Declared, DeclaredLike
from components.cost.model import Estimate, estimate
from stacks.settings import Settings

_SNAKE = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    """Python input names to Pulumi's: ``scaling_config`` -> ``scalingConfig``."""
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


def plain(value: Any, rename: bool) -> Any:
    """A plain copy of an input: Outputs and resources become None, args classes dicts.
    ``rename`` turns Python names into Pulumi names (args classes, provider inputs); manifest
    bodies and chart values are written with their own keys and stay as they are."""
    if value is None or isinstance(value, (str, int, float, bool)):  # str enums stay strings
        return value
    if isinstance(value, (pulumi.Output, pulumi.Resource)):
        return None
    if isinstance(value, dict):
        return {(camel(k) if rename else k): plain(v, rename) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, rename) for v in value]
    if hasattr(value, "__dict__") and not isinstance(value, type):  # an @input_type args class
        return plain(dict(vars(value)), True)
    return value


def declared(type_: str, name: str, props: dict[str, Any]) -> Declared:
    """Top-level names become Pulumi's; Kubernetes bodies and chart values keep their keys."""
    raw_body = type_.startswith("kubernetes:")
    return Declared(type_, name, {camel(k): plain(v, rename=not raw_body) for k, v in props.items()})


def estimate_for(stack: str, declared: Iterable[DeclaredLike], settings: Settings) -> Estimate:
    """The estimate with the stack's own prices, node count (kind; eks counts its node groups)
    and AWS region: the one call the program, ``tools cost`` and ``tools diff`` all make."""
    region = settings.eks.region if settings.eks is not None else None
    assumptions = settings.eks.cost if settings.eks is not None else None
    return estimate(stack, declared, settings.pricing, 1 + settings.kind_workers, region, assumptions)


class DeclarationLog:
    """Every resource the program declares, as ``Declared`` records."""

    def __init__(self) -> None:
        self.records: list[Declared] = []

    @classmethod
    def start(cls) -> DeclarationLog:
        log = cls()
        pulumi.runtime.register_stack_transformation(log._record)
        return log

    def _record(self, args: pulumi.ResourceTransformationArgs) -> None:
        self.records.append(declared(args.type_, args.name, dict(args.props or {})))
        return None

    def monthly_cost_estimate(self, settings: Settings) -> dict:
        return estimate_for(settings.stack, self.records, settings).summary()
