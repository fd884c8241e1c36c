"""Pure data and builders of the AWS side: subnet plan and tags, node group sizes, the gp3
StorageClass, ALB and NLB annotations, and the add-on charts' values. No Pulumi import:
``components/aws/*`` and ``stacks/eks.py`` register what these return, and tests read them
directly.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from components.specs import Resources

# Seed 004: "gp3-encrypted" EBS volumes. New EKS clusters have no default StorageClass.
STORAGE_CLASS = "gp3-encrypted"
EBS_PROVISIONER = "ebs.csi.aws.com"
# One ALB for the whole platform: every Ingress joins this group (seed 004: trip-service-alb).
ALB_GROUP = "trip-service-alb"
# TLS 1.3 and 1.2 only, forward secrecy.
# Ref: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
ALB = "alb.ingress.kubernetes.io/"
NLB = "service.beta.kubernetes.io/"
NODE_DISK_GIB = 30
SYSTEM_INSTANCE_TYPE = "t3.medium"


@dataclass(frozen=True)
class NodeGroupSizes:
    """A managed node group: instance types, ON_DEMAND or SPOT, and its scaling bounds."""

    instance_types: tuple[str, ...]
    capacity_type: str
    min_size: int
    desired_size: int
    max_size: int


@dataclass(frozen=True)
class SubnetPlan:
    """One subnet: its zone index, CIDR and whether it is public (ALB/NLB, NAT) or private (nodes)."""

    zone: int
    cidr: str
    public: bool


def subnet_plan(vpc_cidr: str, zones: int) -> list[SubnetPlan]:
    """Split the VPC in 4 equal ranges per role: private subnets get the first ``zones`` of
    the larger halves, public ones small /4 slices of the last quarter. A /16 gives private
    /18s (16k pod IPs each: the VPC CNI gives pods VPC addresses) and public /22s."""
    net = ipaddress.IPv4Network(vpc_cidr)
    quarters = list(net.subnets(prefixlen_diff=2))
    private = [SubnetPlan(z, str(quarters[z]), False) for z in range(zones)]
    public_pool = list(quarters[3].subnets(prefixlen_diff=2))
    public = [SubnetPlan(z, str(public_pool[z]), True) for z in range(zones)]
    return public + private


def subnet_tags(cluster_name: str, public: bool) -> dict[str, str]:
    """Tags the Load Balancer Controller discovers subnets by.
    Ref: https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/subnet_discovery/"""
    role = "kubernetes.io/role/elb" if public else "kubernetes.io/role/internal-elb"
    return {role: "1", f"kubernetes.io/cluster/{cluster_name}": "shared"}


def storage_class_spec(kms_key_arn: Any, labels: dict[str, str]) -> dict:
    """``gp3-encrypted``, the cluster default: EBS gp3 encrypted with the platform's KMS key.
    Retain keeps the volume when its claim goes; WaitForFirstConsumer puts it in the pod's zone.
    Ref: https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md"""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": STORAGE_CLASS,
            "labels": dict(labels),
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": EBS_PROVISIONER,
        "parameters": {"type": "gp3", "encrypted": "true", "kmsKeyId": kms_key_arn, "csi.storage.k8s.io/fstype": "ext4"},
        "reclaimPolicy": "Retain",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }


def alb_annotations(certificate_arn: Any, healthcheck_path: str = "/health") -> dict[str, Any]:
    """Annotations of every public Ingress: internet-facing, pod IP targets, HTTP redirected to
    HTTPS, the ACM certificate, TLS 1.2/1.3, and one shared ALB through ``group.name``.
    Ref: https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/v3.5.0/docs/guide/ingress/annotations.md"""
    return {
        ALB + "scheme": "internet-facing",
        ALB + "target-type": "ip",
        ALB + "group.name": ALB_GROUP,
        ALB + "load-balancer-name": ALB_GROUP,
        ALB + "listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}]),
        ALB + "ssl-redirect": "443",
        ALB + "certificate-arn": certificate_arn,
        ALB + "ssl-policy": SSL_POLICY,
        ALB + "healthcheck-path": healthcheck_path,
    }


def nlb_annotations() -> dict[str, str]:
    """The frontend's NLB (seed 004), provisioned by the Load Balancer Controller.
    Ref: https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/v3.5.0/docs/guide/service/annotations.md"""
    return {
        NLB + "aws-load-balancer-type": "external",
        NLB + "aws-load-balancer-nlb-target-type": "ip",
        NLB + "aws-load-balancer-scheme": "internet-facing",
    }


def irsa_annotation(role_arn: Any) -> dict[str, Any]:
    return {"eks.amazonaws.com/role-arn": role_arn}


CONTROLLER_RESOURCES = Resources(100, 128, 500, 256)
AUTOSCALER_RESOURCES = Resources(100, 300, 500, 600)
EXTERNAL_DNS_RESOURCES = Resources(25, 64, 100, 128)
# TXT ownership records go under the name they own, with the record type in the prefix: the
# only form that keeps the apex domain's TXT record inside its own zone.
# Ref: https://github.com/kubernetes-sigs/external-dns/blob/v0.21.0/docs/registry/txt.md
EXTERNAL_DNS_TXT_PREFIX = "extdns-%{record_type}."
# The system node group carries this label; the add-on controllers run there.
SYSTEM_SELECTOR = {"role": "system"}


def alb_controller_values(cluster_name: str, region: str, vpc_id: Any, role_arn: Any, service_account: str) -> dict:
    """aws-load-balancer-controller chart values (v3.5.0 values.yaml keys): two replicas on the
    system nodes, the IRSA service account, and the VPC given (no IMDS lookup).

    The Service mutator webhook is off: it intercepts every Service creation with
    ``failurePolicy: Fail``, so while the controller is not ready no Service at all (ClusterIP
    ones included) could be created. The frontend's NLB is claimed through its
    ``aws-load-balancer-type: external`` annotation instead, which needs no webhook.
    Ref: https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/v3.5.0/helm/aws-load-balancer-controller/values.yaml"""
    return {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": 2,
        "enableServiceMutatorWebhook": False,
        "serviceAccount": {"create": True, "name": service_account, "annotations": irsa_annotation(role_arn)},
        "resources": CONTROLLER_RESOURCES.to_k8s(),
        "nodeSelector": SYSTEM_SELECTOR,
    }


def autoscaler_values(cluster_name: str, region: str, role_arn: Any, service_account: str) -> dict:
    """cluster-autoscaler chart values (9.59.0): AWS, auto-discovery of the node groups
    tagged for this cluster, the IRSA service account. Only the application group can move:
    the system group's min equals its max.
    Ref: https://github.com/kubernetes/autoscaler/blob/cluster-autoscaler-chart-9.59.0/cluster-autoscaler/charts/cluster-autoscaler/values.yaml"""
    return {
        "cloudProvider": "aws",
        "replicaCount": 1,
        "awsRegion": region,
        "autoDiscovery": {"clusterName": cluster_name},
        "rbac": {"serviceAccount": {"create": True, "name": service_account, "annotations": irsa_annotation(role_arn)}},
        "extraArgs": {"balance-similar-node-groups": True, "skip-nodes-with-system-pods": False},
        # Scraped by the platform's annotation job (no ServiceMonitor: the Prometheus Operator's
        # CRDs come later than this chart); the metrics port is 8085 (templates/deployment.yaml).
        "podAnnotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "8085"},
        "resources": AUTOSCALER_RESOURCES.to_k8s(),
        "nodeSelector": SYSTEM_SELECTOR,
    }


def external_dns_values(cluster_name: str, region: str, zone_id: str, domain: str, role_arn: Any, service_account: str) -> dict:
    """external-dns chart values (1.21.1, external-dns v0.21.0): alias records in the one hosted
    zone for every host of the platform's Ingresses under ``domain``.

    - ``policy: sync``: records follow the Ingresses, so a host removed from the code, or an ALB
      re-created under a new name, is corrected in the zone without a click. The TXT registry
      (owner ``cluster_name``) limits deletes to records this cluster created: the certificate's
      validation records and anything else in the zone are never touched. ``upsert-only`` would
      leave a removed host pointing at a load balancer that no longer serves it.
    - ``--zone-id-filter`` and ``--aws-zone-type=public``: only the configured zone, even if the
      role could see others; ``domainFilters``: only names under the stack's domain.
    - Sources: Ingresses only (every public name is an Ingress host; Services carry none).
    Ref: https://github.com/kubernetes-sigs/external-dns/blob/external-dns-helm-chart-1.21.1/charts/external-dns/values.yaml
    and docs/tutorials/aws.md at v0.21.0."""
    return {
        "provider": {"name": "aws"},
        "sources": ["ingress"],
        "policy": "sync",
        "registry": "txt",
        "txtOwnerId": cluster_name,
        "txtPrefix": EXTERNAL_DNS_TXT_PREFIX,
        "domainFilters": [domain],
        "extraArgs": ["--aws-zone-type=public", f"--zone-id-filter={zone_id}"],
        "env": [{"name": "AWS_DEFAULT_REGION", "value": region}],
        "serviceAccount": {"create": True, "name": service_account, "annotations": irsa_annotation(role_arn)},
        "resources": EXTERNAL_DNS_RESOURCES.to_k8s(),
        "nodeSelector": SYSTEM_SELECTOR,
    }


def ecr_lifecycle_policy(keep: int) -> str:
    """Keep the newest ``keep`` images of a repository, whatever their tags.
    Ref: https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html"""
    rule = {
        "rulePriority": 1,
        "description": f"keep the last {keep} images",
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
        "action": {"type": "expire"},
    }
    return json.dumps({"rules": [rule]})


def ecr_registry(account: str, region: str) -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com"
