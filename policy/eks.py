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


EKS_CLUSTER = "eks:index:Cluster"
ADDON = "aws:eks/addon:Addon"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
MANAGED_NODE_GROUPS = ("eks:index:ManagedNodeGroup", "aws:eks/nodeGroup:NodeGroup")


def eks_api_endpoint_closed(args: Any, report: Report) -> None:
    """On eks the API server's public endpoint is off, or open only to listed CIDRs, none of
    them the whole internet. pulumi-eks opens it to 0.0.0.0/0 when ``endpointPublicAccess``
    is unset. Ref: https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html"""
    only_on_eks(args)
    for cluster in (r for r in args.resources if r.resource_type == EKS_CLUSTER):
        props, name = cluster.props, cluster.name
        if props.get("endpointPublicAccess") is False:
            continue
        cidrs = list(props.get("publicAccessCidrs") or [])
        if not cidrs:
            report(f"cluster {name}: the public API endpoint is open to 0.0.0.0/0 (set publicAccessCidrs or endpointPublicAccess: false)", cluster.urn)
        for cidr in cidrs:
            if str(cidr).endswith("/0"):
                report(f"cluster {name}: publicAccessCidrs includes {cidr}, the whole internet", cluster.urn)


def _network_policy_on(value: Any) -> bool:
    try:
        config = json.loads(value) if isinstance(value, str) else (value or {})
    except ValueError:
        return False
    return isinstance(config, Mapping) and str(config.get("enableNetworkPolicy")).lower() == "true"


def eks_network_policy_enforcement(args: Any, report: Report) -> None:
    """On eks the VPC CNI runs its network policy agent (``enableNetworkPolicy: "true"`` in the
    vpc-cni add-on's configuration), or every NetworkPolicy is accepted and ignored.
    Ref: https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html"""
    only_on_eks(args)
    addons = [r for r in args.resources if r.resource_type == ADDON and r.props.get("addonName") == "vpc-cni"]
    clusters = [r for r in args.resources if r.resource_type == EKS_CLUSTER]
    by_cluster = any(get(c.props, "vpcCniOptions", "enableNetworkPolicy") is True for c in clusters)
    if by_cluster or any(_network_policy_on(a.props.get("configurationValues")) for a in addons):
        return
    where = addons[0].urn if addons else (clusters[0].urn if clusters else None)
    report("the VPC CNI does not enforce NetworkPolicies: set enableNetworkPolicy \"true\" in the vpc-cni add-on's configurationValues", where)


def eks_imdsv2(args: Any, report: Report) -> None:
    """On eks every managed node group runs from a launch template that requires IMDSv2 with a
    hop limit of 1 (pods cannot reach the node's credentials) and encrypts its root volume.
    Ref: https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html#restrict-access-to-the-instance-profile-assigned-to-the-worker-node"""
    only_on_eks(args)
    for group in (r for r in args.resources if r.resource_type in MANAGED_NODE_GROUPS):
        if not group.props.get("launchTemplate"):
            report(f"node group {group.name} has no launch template (IMDSv2 and volume encryption left to defaults)", group.urn)
    for template in (r for r in args.resources if r.resource_type == LAUNCH_TEMPLATE):
        meta = template.props.get("metadataOptions") or {}
        if meta.get("httpTokens") != "required":
            report(f"launch template {template.name}: metadataOptions.httpTokens is {meta.get('httpTokens')!r}, expected required", template.urn)
        hops = meta.get("httpPutResponseHopLimit")
        if hops != 1:
            shown = int(hops) if isinstance(hops, float) and hops.is_integer() else hops
            report(f"launch template {template.name}: metadataOptions.httpPutResponseHopLimit is {shown!r}, expected 1", template.urn)
        devices = template.props.get("blockDeviceMappings") or []
        if not devices or not all(str(get(d, "ebs", "encrypted")).lower() == "true" for d in devices):
            report(f"launch template {template.name}: the root volume is not encrypted (blockDeviceMappings[].ebs.encrypted)", template.urn)
