"""What the lock-down tests share: the application namespaces of a stack (from seeds 000,
001 and 004 and the issue), and the objects rendered with the FinOps demo switched on, so
every application namespace is present."""

from __future__ import annotations

from components.profiles import PROFILES
from tests.conftest import rendered_with_demo
from tools.render import checked_config

FINOPS_DEMO_NAMESPACES = ("production", "staging", "development")


def trip_namespace(stack: str) -> str:
    """``trip-service-<environment>`` of the stack's profile (eks runs as prod: seed 004)."""
    return f"trip-service-{PROFILES[checked_config(stack)['profile']].trip.environment}"


def app_namespaces(stack: str) -> tuple[str, ...]:
    """cloudmart (seed 000), trip-service-<env> (seed 004), the FinOps demo's (seed 001)."""
    return ("cloudmart", trip_namespace(stack), *FINOPS_DEMO_NAMESPACES)


def objects(stack: str) -> list[dict]:
    return rendered_with_demo(stack).objects


def of_kind(stack: str, kind: str, namespace: str | None = None) -> list[dict]:
    return [
        o for o in objects(stack)
        if o["kind"] == kind and (namespace is None or o["metadata"].get("namespace") == namespace)
    ]


def namespace_labels(stack: str) -> dict[str, dict[str, str]]:
    return {o["metadata"]["name"]: o["metadata"].get("labels") or {} for o in of_kind(stack, "Namespace")}
