"""Public routes through the platform's ingress: one Ingress per host, with the platform's
class and annotations and a health-check path of its own. Pure builders, no Pulumi import.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.aws.specs import ALB
from components.manifests import standard_labels
from components.platform import Platform
from components.specs import Ownership


@dataclass(frozen=True)
class Route:
    """``backends`` are (path prefix, Service name, Service port) in ``namespace``;
    ``healthcheck`` is the path the load balancer probes on every backend of the route;
    ``owner`` is who runs and pays for it (``team``, ``cost-center``, ``part-of`` labels)."""

    name: str
    namespace: str
    host: str
    backends: tuple[tuple[str, str, int], ...]
    healthcheck: str
    owner: Ownership
    part_of: str


def route_ingress(route: Route, platform: Platform) -> dict:
    """An Ingress for ``route.host``; it joins the platform's load balancer (the ALB group)
    through the platform's annotations, with the route's own health check."""
    annotations = {**dict(platform.ingress_annotations), ALB + "healthcheck-path": route.healthcheck}
    paths = [
        {"path": path, "pathType": "Prefix", "backend": {"service": {"name": svc, "port": {"number": port}}}}
        for path, svc, port in route.backends
    ]
    labels = standard_labels(route.name, "ingress", route.part_of, route.owner)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": route.name, "namespace": route.namespace, "labels": labels, "annotations": annotations},
        "spec": {
            "ingressClassName": platform.ingress_class,
            "rules": [{"host": route.host, "http": {"paths": paths}}],
        },
    }
