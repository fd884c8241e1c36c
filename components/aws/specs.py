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

from components.manifests import pod_security_context, restricted_container_context
from components.placement import spread_constraints
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
# Grafana and the Jaeger UI: a second ALB, admitting only the stack's adminCidrs.
ADMIN_ALB_GROUP = "trip-service-admin-alb"
# VPC flow logs and the control-plane logs: how long CloudWatch keeps them.
FLOW_LOG_RETENTION_DAYS = 90
# ALB access logs: the bucket's objects expire after this many days; prefix under the bucket.
ALB_LOG_EXPIRY_DAYS = 90
ALB_LOG_PREFIX = "alb"
# The Elastic Load Balancing account that writes access logs, for Regions available before
# August 2022 (they grant this account, not the log-delivery service principal).
# Ref: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "af-south-1": "098369216593", "ap-east-1": "754344448648",
    "ap-south-1": "718504428378", "ap-northeast-1": "582318560864", "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580", "ca-central-1": "985666609251", "eu-central-1": "054676820928",
    "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-west-3": "009996457667",
    "eu-south-1": "635631232127", "eu-north-1": "897822967062", "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}  # fmt: skip
ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"
# Root volume of every node: the AMI (about 2-4 GB) plus images and container logs. 20 GiB is
# EKS's own managed node group default ("The default disk size is 20 GiB").
# Ref: https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html (diskSize)
NODE_DISK_GIB = 20
# The AL2023 EKS AMIs boot from /dev/xvda. Ref: https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html
ROOT_DEVICE = "/dev/xvda"
# Every node carries its pool; the Spot pool is tainted, so only pods that tolerate the
# interruption (stateless replicas, DaemonSets) land there.
POOL_LABEL = "cloud-platform/pool"
BASE_POOL, SPOT_POOL = "base", "spot"
SPOT_TAINT_KEY = "cloud-platform/spot"
# Kubernetes spelling of the taint; EKS's API spells the effect NO_SCHEDULE.
SPOT_TAINT = {"key": SPOT_TAINT_KEY, "value": "true", "effect": "NoSchedule"}
EKS_TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}
# Managed node group AMI per architecture (AL2023, EKS 1.33+ has no AL2 AMI).
# Ref: https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html (amiType)
AMI_TYPES = {"amd64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}
ARCHES = tuple(AMI_TYPES)


@dataclass(frozen=True)
class NodeGroupSpec:
    """A managed node group: its pool (``base`` or ``spot``), instance types (one architecture;
    Spot wants several interchangeable ones), ON_DEMAND or SPOT, scaling bounds, the labels and
    taints pods are placed by."""

    pool: str
    instance_types: tuple[str, ...]
    capacity_type: str
    arch: str
    min_size: int
    desired_size: int
    max_size: int

    @property
    def labels(self) -> dict[str, str]:
        return {POOL_LABEL: self.pool}

    @property
    def taints(self) -> tuple[dict[str, str], ...]:
        return (SPOT_TAINT,) if self.capacity_type == "SPOT" else ()

    @property
    def ami_type(self) -> str:
        return AMI_TYPES[self.arch]


def launch_template_spec(disk_gib: int = NODE_DISK_GIB) -> dict:
    """The node launch template (pulumi-aws ``ec2.LaunchTemplate`` arguments, snake_case):

    - IMDSv2 only (``http_tokens: required``) and a hop limit of 1, so pods that are not on the
      host network cannot reach the node role's credentials through the metadata service; pods
      get AWS access from IRSA only.
    - The root volume: gp3, encrypted, deleted with the node.
    - No SSH key pair and no image ID: EKS picks the AMI of ``amiType`` and merges its bootstrap.
    Ref: https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html
    Ref: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html
    """
    return {
        "metadata_options": {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1},
        "block_device_mappings": [
            {
                "device_name": ROOT_DEVICE,
                "ebs": {"volume_size": disk_gib, "volume_type": "gp3", "encrypted": "true", "delete_on_termination": "true"},
            }
        ],
    }


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


def alb_logs_bucket_name(cluster_name: str, account: str, region: str) -> str:
    """The ALB access-log bucket: globally unique through the account and Region."""
    return f"{cluster_name}-alb-logs-{account}-{region}"


def alb_attributes(logs_bucket: str) -> str:
    """Load-balancer attributes of both ALBs: drop header fields that are not valid HTTP
    (request smuggling), access logs to ``logs_bucket`` under ``ALB_LOG_PREFIX``, and deletion
    protection (turn it off before ``pulumi destroy``: the README says how).
    Ref: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes"""
    return ",".join(
        (
            "routing.http.drop_invalid_header_fields.enabled=true",
            "access_logs.s3.enabled=true",
            f"access_logs.s3.bucket={logs_bucket}",
            f"access_logs.s3.prefix={ALB_LOG_PREFIX}",
            "deletion_protection.enabled=true",
        )
    )


def alb_annotations(certificate_arn: Any, logs_bucket: str, healthcheck_path: str = "/health") -> dict[str, Any]:
    """Annotations of every public Ingress: internet-facing, pod IP targets, HTTP redirected to
    HTTPS, the ACM certificate, TLS 1.2/1.3, one shared ALB through ``group.name``, and the
    attributes of ``alb_attributes``. The controller merges a group's annotations: every
    member carries the same load-balancer attributes.
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
        ALB + "load-balancer-attributes": alb_attributes(logs_bucket),
    }


def admin_alb_annotations(public: dict[str, Any], cidrs: tuple[str, ...]) -> dict[str, Any]:
    """The public ALB's annotations moved to a second ALB (``ADMIN_ALB_GROUP``) whose security
    group admits only ``cidrs`` (``inbound-cidrs``, on both listeners)."""
    if not cidrs:
        raise ValueError("an admin ALB needs at least one CIDR (none: no admin ALB at all)")
    return {
        **public,
        ALB + "group.name": ADMIN_ALB_GROUP,
        ALB + "load-balancer-name": ADMIN_ALB_GROUP,
        ALB + "inbound-cidrs": ",".join(cidrs),
    }


# The NLB's only listener: TLS on 443 with the ACM certificate, to the frontend's HTTP port.
NLB_TLS_PORT = 443


def nlb_annotations(certificate_arn: Any) -> dict[str, Any]:
    """The frontend's NLB (seed 004), provisioned by the Load Balancer Controller: TLS
    terminated on ``NLB_TLS_PORT`` with the ACM certificate and the ALB's TLS policy; the
    Service declares no other port, so there is no plain-HTTP listener.
    Ref: https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/v3.5.0/docs/guide/service/annotations.md#ssl-cert"""
    return {
        NLB + "aws-load-balancer-type": "external",
        NLB + "aws-load-balancer-nlb-target-type": "ip",
        NLB + "aws-load-balancer-scheme": "internet-facing",
        NLB + "aws-load-balancer-ssl-cert": certificate_arn,
        NLB + "aws-load-balancer-ssl-ports": str(NLB_TLS_PORT),
        NLB + "aws-load-balancer-ssl-negotiation-policy": SSL_POLICY,
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
# The add-on controllers run on the on-demand base group, never on Spot.
SYSTEM_SELECTOR = {POOL_LABEL: BASE_POOL}


# The chart's webhook Service (templates/_helpers.tpl: "<chart name without -controller>-webhook-service")
# and the name its generated certificate carries (the fullname: the release name).
ALB_WEBHOOK_SERVICE = "aws-load-balancer-webhook-service"
# Non-root user for the Cluster Autoscaler, whose image sets none (the chart's suggested one).
AUTOSCALER_UID = 65534


@dataclass(frozen=True)
class WebhookTlsValues:
    """PEM strings (or Outputs) for the chart's ``webhookTLS``; ``key`` is a secret."""

    ca_cert: Any
    cert: Any
    key: Any


def alb_controller_values(
    cluster_name: str, region: str, vpc_id: Any, role_arn: Any, service_account: str, webhook_tls: WebhookTlsValues
) -> dict:
    """aws-load-balancer-controller chart values (v3.5.0 values.yaml keys): two replicas on the
    system nodes, the IRSA service account, and the VPC given (no IMDS lookup).

    - The Service mutator webhook is off: it intercepts every Service creation with
      ``failurePolicy: Fail``, so while the controller is not ready no Service at all (ClusterIP
      ones included) could be created. The frontend's NLB is claimed through its
      ``aws-load-balancer-type: external`` annotation instead, which needs no webhook.
    - ``webhookTLS``: a CA and certificate the program made (components/webhook_tls.py). Without
      them the chart runs ``genCA`` at every render, so every preview would replace the TLS
      Secret and the webhooks' ``caBundle`` (and ``keepTLSSecret`` needs ``lookup``, which a
      render without a cluster cannot do).
    - A PodDisruptionBudget (``maxUnavailable: 1``): its webhooks fail closed, so a drain must
      never take both replicas at once.
    - The restricted profile's securityContext on pod and container (the image runs as a
      non-root user; the chart already sets a read-only root).
    Ref: https://github.com/aws/eks-charts/blob/master/stable/aws-load-balancer-controller/templates/_helpers.tpl
    ("aws-load-balancer-controller.webhookCerts"), pdb.yaml, values.yaml at chart 3.5.0"""
    return {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": 2,
        "enableServiceMutatorWebhook": False,
        "webhookTLS": {"caCert": webhook_tls.ca_cert, "cert": webhook_tls.cert, "key": webhook_tls.key},
        "podDisruptionBudget": {"maxUnavailable": 1},
        "podSecurityContext": pod_security_context(),
        "securityContext": {**restricted_container_context(), "readOnlyRootFilesystem": True},
        "serviceAccount": {"create": True, "name": service_account, "annotations": irsa_annotation(role_arn)},
        "resources": CONTROLLER_RESOURCES.to_k8s(),
        "nodeSelector": SYSTEM_SELECTOR,
        "podDisruptionBudget": {"maxUnavailable": 1},
        "topologySpreadConstraints": spread_constraints(
            {"app.kubernetes.io/name": "aws-load-balancer-controller"}, "DoNotSchedule"
        ),
    }


def autoscaler_values(cluster_name: str, region: str, role_arn: Any, service_account: str) -> dict:
    """cluster-autoscaler chart values (9.59.0): AWS, auto-discovery of the node groups
    tagged for this cluster, the IRSA service account. Both groups scale between their bounds.
    The chart sets no securityContext: these meet the restricted profile, as uid 65534
    (``fsGroup`` too, so the projected IRSA token is readable).
    Ref: https://github.com/kubernetes/autoscaler/blob/cluster-autoscaler-chart-9.59.0/cluster-autoscaler/charts/cluster-autoscaler/values.yaml
    (securityContext, containerSecurityContext)"""
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
        "securityContext": {
            **pod_security_context(AUTOSCALER_UID),
            "runAsUser": AUTOSCALER_UID,
            "runAsGroup": AUTOSCALER_UID,
        },
        "containerSecurityContext": {**restricted_container_context(), "readOnlyRootFilesystem": True},
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
