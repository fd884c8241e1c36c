"""Pure helpers over Kubernetes resource properties as the Pulumi engine hands them to a policy.

Properties arrive camelCase (``spec.template.spec``), numbers as floats, and wrapped in
pulumi-policy's read-only proxies: they are ``Mapping``/``Sequence`` but not ``dict``/``list``,
so everything here tests the abstract types. In a preview a value computed during the update
(an ARN, a VPC id) is unknown, and reading it raises pulumi-policy's ``UnknownValueError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from components.manifests import POD_SPEC_PATHS, POD_TEMPLATE_PATHS

# Workload kinds and where each keeps its pod spec (one table, in components/manifests.py).
WORKLOAD_KINDS = frozenset(POD_SPEC_PATHS)
# How a validate function reports a violation (pulumi-policy's ReportViolation).
Report = Callable[..., None]
HELM_CHART_PREFIX = "kubernetes:helm.sh/"


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def get(props: Any, *path: str, default: Any = None) -> Any:
    """``props[path[0]][path[1]]…``, or ``default`` where a step is missing or not a map."""
    node = props
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def kind_of(type_token: str) -> str | None:
    """``kubernetes:apps/v1:Deployment`` -> ``Deployment``; None for non-Kubernetes types."""
    if not type_token.startswith("kubernetes:") or type_token.startswith(HELM_CHART_PREFIX):
        return None
    return type_token.rsplit(":", 1)[-1]


def is_chart(type_token: str) -> bool:
    return type_token.startswith(HELM_CHART_PREFIX)


def pod_spec(type_token: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec a workload runs, or None for anything that runs no pods."""
    path = POD_SPEC_PATHS.get(kind_of(type_token) or "")
    spec = get(props, *path) if path else None
    return spec if isinstance(spec, Mapping) else None


def pod_labels(type_token: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    """Labels of the pods a workload creates (a Pod's own labels)."""
    path = POD_TEMPLATE_PATHS.get(kind_of(type_token) or "")
    if path is None:
        return {}
    return get(props, *path, "metadata", "labels", default={}) or {}


def containers(pod: Mapping[str, Any], init: bool = True) -> Iterator[Mapping[str, Any]]:
    """Every container of a pod spec, init containers too unless ``init`` is False."""
    keys = ("initContainers", "containers") if init else ("containers",)
    for key in keys:
        for container in get(pod, key, default=()) or ():
            if isinstance(container, Mapping):
                yield container


def labels(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return get(props, "metadata", "labels", default={}) or {}


def annotations(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return get(props, "metadata", "annotations", default={}) or {}


def name_of(props: Mapping[str, Any], fallback: str = "") -> str:
    return str(get(props, "metadata", "name", default=fallback) or fallback)


def namespace_of(props: Mapping[str, Any]) -> str:
    return str(get(props, "metadata", "namespace", default="default") or "default")


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) pair in nested maps and lists, depth first; paths like ``a.b[0]``.
    Values not known until the update (in a preview) are left out: no rule here reads them."""
    yield path, value
    if isinstance(value, Mapping):
        children = [(f"{path}.{key}" if path else str(key), key) for key in value]
    elif is_list(value):
        children = [(f"{path}[{i}]", i) for i in range(len(value))]
    else:
        return
    for child_path, key in children:
        try:
            child = value[key]
        except UnknownValueError:
            continue
        yield from walk(child, child_path)


def image_tag(image: str) -> str | None:
    """The tag of an image reference, ``None`` when it has none; a digest counts as a pin.
    The registry may carry a port (``host:5000/app``), so only the last path part is read."""
    if "@" in image:
        return "@" + image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None
