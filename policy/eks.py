"""eks-only stack policies: what must hold on AWS and what kind's conveniences must never bring there.

Each starts with ``only_on_eks``, which marks the policy not applicable on a kind stack (see
``policy/stack.py`` for how the target is derived).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from policy.objects import (
    Report,
    UnknownValueError,
    annotations,
    containers,
    get,
    image_tag,
    is_chart,
    is_list,
    kind_of,
    name_of,
    walk,
)
from policy.stack import of_kind, only_on_eks, workloads_of

# ``latest`` and the floating ``<env>-latest`` tags (``dev-latest``, ``staging-latest``) move
# under a running Deployment; a pinned build tag (``prod-63``) or a digest does not.
_FLOATING_TAG = re.compile(r"(^|[-_.])latest$")


def _floating(tag: Any) -> bool:
    return tag is None or bool(_FLOATING_TAG.search(str(tag)))


def eks_pinned_images(args: Any, report: Report) -> None:
    """On eks every image names a digest or a tag that does not float (``latest``, ``dev-latest``)."""
    only_on_eks(args)
    for resource, pod in workloads_of(args):
        for container in containers(pod):
            image = str(container.get("image") or "")
            if _floating(image_tag(image)):
                report(f"{name_of(resource.props, resource.name)}: image {image!r} is not pinned (no tag, or latest)", resource.urn)
    for chart in (r for r in args.resources if is_chart(r.resource_type)):
        for path, value in walk(chart.props.get("values") or {}):
            if path.endswith(".tag") and isinstance(value, str) and _floating(value):
                report(f"chart {chart.props.get('chart')}: values {path} is latest", chart.urn)


def eks_storage(args: Any, report: Report) -> None:
    """On eks every StorageClass encrypts (``encrypted: "true"``) and keeps volumes (``Retain``);
    claims name a declared class, or rely on a declared default class."""
    only_on_eks(args)
    classes = {name_of(sc.props, sc.name): sc for sc in of_kind(args, "StorageClass")}
    for name, sc in classes.items():
        if str(get(sc.props, "parameters", "encrypted")).lower() != "true":
            report(f"StorageClass {name} is not encrypted (parameters.encrypted must be \"true\")", sc.urn)
        if sc.props.get("reclaimPolicy") != "Retain":
            report(f"StorageClass {name} has reclaimPolicy {sc.props.get('reclaimPolicy')!r}, expected Retain", sc.urn)
    default = any(
        annotations(sc.props).get("storageclass.kubernetes.io/is-default-class") == "true" for sc in classes.values()
    )
    for resource, claim_class in _claims(args):
        if claim_class is None and not default:
            report(f"{resource.name}: a claim uses the cluster default class, and the stack declares none", resource.urn)
        elif claim_class is not None and claim_class not in classes:
            report(f"{resource.name}: claims StorageClass {claim_class!r}, which the stack does not declare", resource.urn)


def _claims(args: Any) -> Iterator[tuple[Any, str | None]]:
    for resource in args.resources:
        kind = kind_of(resource.resource_type)
        if kind == "PersistentVolumeClaim":
            yield resource, get(resource.props, "spec", "storageClassName")
        elif kind == "StatefulSet":
            for template in get(resource.props, "spec", "volumeClaimTemplates", default=()) or ():
                yield resource, get(template, "spec", "storageClassName")
        elif is_chart(resource.resource_type):
            for path, value in walk(resource.props.get("values") or {}):
                # An empty name means "the chart's default"; only named classes can be checked.
                if path.endswith("storageClassName") and isinstance(value, str) and value:
                    yield resource, value


# Ref: https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/tasks/ssl_redirect/
# (ssl-redirect names an HTTPS port that listen-ports must include; certificate-arn enables HTTPS)
ALB = "alb.ingress.kubernetes.io/"
# Ref: https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#server-side-https-enforcement-through-redirect
NGINX = "nginx.ingress.kubernetes.io/"


def eks_ingress_https(args: Any, report: Report) -> None:
    """On eks every Ingress serves TLS (``spec.tls`` or an ALB certificate) and redirects HTTP to HTTPS."""
    only_on_eks(args)
    for ingress in of_kind(args, "Ingress"):
        notes, name = annotations(ingress.props), name_of(ingress.props, ingress.name)
        if not get(ingress.props, "spec", "tls") and not _set(notes, f"{ALB}certificate-arn"):
            report(f"Ingress {name} has no TLS: set spec.tls or {ALB}certificate-arn", ingress.urn)
        if not _redirects_to_https(notes):
            report(
                f"Ingress {name} does not redirect HTTP to HTTPS: set {ALB}ssl-redirect to an HTTPS port of "
                f"{ALB}listen-ports, or {NGINX}force-ssl-redirect: \"true\"",
                ingress.urn,
            )


def _set(notes: Any, key: str) -> bool:
    """Whether an annotation has a value. In a preview the ACM certificate's ARN is not known
    yet (the certificate is created in the same update); a value still to come is set."""
    try:
        return bool(notes.get(key))
    except UnknownValueError:
        return True


def _redirects_to_https(notes: Any) -> bool:
    if "true" in (notes.get(f"{NGINX}force-ssl-redirect"), notes.get(f"{NGINX}ssl-redirect")):
        return True
    port = str(notes.get(f"{ALB}ssl-redirect") or "")
    try:
        listeners = json.loads(notes.get(f"{ALB}listen-ports") or "[]")
    except ValueError:
        return False
    return port.isdigit() and any(
        isinstance(entry, dict) and entry.get("HTTPS") == int(port) for entry in listeners
    )


def eks_no_nodeport_services(args: Any, report: Report) -> None:
    """On eks no Service is of type NodePort: traffic enters through the ALB and the NLB."""
    only_on_eks(args)
    for service in of_kind(args, "Service"):
        if get(service.props, "spec", "type") == "NodePort":
            report(f"Service {name_of(service.props, service.name)} is of type NodePort", service.urn)


INSECURE_KUBELET_TLS = "--kubelet-insecure-tls"
_HOST_PORT_PATH = re.compile(r"(^|\.)hostPort(\.enabled)?$")


def kind_conveniences_off_eks(args: Any, report: Report) -> None:
    """What kind needs and eks must not get: hostPorts, NodePorts in chart values, metrics-server's
    ``--kubelet-insecure-tls``, and the kind cluster itself."""
    only_on_eks(args)
    for resource, pod in workloads_of(args):
        for container in containers(pod):
            name = f"{name_of(resource.props, resource.name)}/{container.get('name')}"
            if any(port.get("hostPort") for port in container.get("ports") or ()):
                report(f"{name} binds a hostPort", resource.urn)
            argv = [*(container.get("command") or ()), *(container.get("args") or ())]
            if any(INSECURE_KUBELET_TLS in str(arg) for arg in argv):
                report(f"{name} passes {INSECURE_KUBELET_TLS}", resource.urn)
    for chart in (r for r in args.resources if is_chart(r.resource_type)):
        for problem in _chart_conveniences(chart.props.get("values") or {}):
            report(f"chart {chart.props.get('chart')}: {problem}", chart.urn)
    for resource in args.resources:
        if resource.resource_type == "command:local:Command" and "kind create cluster" in str(resource.props.get("create")):
            report(f"{resource.name} creates a kind cluster", resource.urn)


def _chart_conveniences(values: Any) -> Iterator[str]:
    for path, value in walk(values):
        if isinstance(value, str) and INSECURE_KUBELET_TLS in value:
            yield f"values {path} passes {INSECURE_KUBELET_TLS}"
        elif path.endswith("type") and value == "NodePort":
            yield f"values {path} is NodePort"
        elif _HOST_PORT_PATH.search(path) and value and not isinstance(value, Mapping) and not is_list(value):
            yield f"values {path} enables a hostPort"
