"""IAM documents as pure data: IRSA trust policies, the controllers' permission policies and
the node role. No Pulumi import; values that are outputs (ARNs) are passed in resolved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

POLICIES = Path(__file__).resolve().parent / "policies"
# The controller's own policy, unchanged, from the tag the chart's appVersion names:
# `git show v3.5.0:docs/install/iam_policy.json` in kubernetes-sigs/aws-load-balancer-controller.
ALB_CONTROLLER_VERSION = "v3.5.0"
ALB_CONTROLLER_POLICY_FILE = POLICIES / f"aws-load-balancer-controller-{ALB_CONTROLLER_VERSION}.json"
STS_AUDIENCE = "sts.amazonaws.com"
MANAGED = "arn:aws:iam::aws:policy/"


@dataclass(frozen=True)
class ServiceAccountRole:
    """An IRSA role: the Kubernetes service account that may assume it, the AWS managed
    policies it gets, and an inline policy document (or none)."""

    role: str
    namespace: str
    service_account: str
    managed_policies: tuple[str, ...] = ()


def irsa_trust_policy(oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> dict:
    """Only this service account, with the STS audience, may assume the role.
    Ref: https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html"""
    issuer = oidc_issuer.removeprefix("https://")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{issuer}:aud": STS_AUDIENCE,
                    }
                },
            }
        ],
    }


def alb_controller_policy() -> dict:
    return json.loads(ALB_CONTROLLER_POLICY_FILE.read_text())


def policy_actions(policy: dict) -> set[str]:
    actions: set[str] = set()
    for statement in policy["Statement"]:
        action = statement["Action"]
        actions |= {action} if isinstance(action, str) else set(action)
    return actions


def ebs_kms_policy(key_arn: str) -> dict:
    """What the EBS CSI driver needs on a customer-managed key: use it, and create grants for
    EC2 to attach the encrypted volumes (only grants for AWS resources).
    Ref: https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html (KMS key policy)"""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": [key_arn],
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
            {
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": [key_arn],
            },
        ],
    }


def autoscaler_policy(cluster_name: str) -> dict:
    """Cluster Autoscaler with auto-discovery: read anything, but change only Auto Scaling
    groups tagged as this cluster's.
    Ref: https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/README.md#iam-policy"""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                "Resource": ["*"],
            },
            {
                "Effect": "Allow",
                "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                "Resource": ["*"],
                "Condition": {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}},
            },
        ],
    }


def external_dns_policy(zone_id: str, domain: str) -> dict:
    """external-dns on one hosted zone: change and read records of that zone only, and only
    names under ``domain``; listing zones is the one call AWS authorises only on ``*``.
    Ref: https://github.com/kubernetes-sigs/external-dns/blob/v0.21.0/docs/tutorials/aws.md (IAM
    permissions, narrowed to one zone as its "Further improvements" advise, and its ABAC example);
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html"""
    zone = f"arn:aws:route53:::hostedzone/{zone_id}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["route53:ChangeResourceRecordSets"],
                "Resource": [zone],
                "Condition": {
                    "ForAllValues:StringLike": {
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [domain, f"*.{domain}"],
                    }
                },
            },
            {"Effect": "Allow", "Action": ["route53:ListResourceRecordSets", "route53:ListTagsForResources"], "Resource": [zone]},
            {"Effect": "Allow", "Action": ["route53:ListHostedZones"], "Resource": ["*"]},
        ],
    }


def logs_key_policy(account: str, region: str) -> dict:
    """A KMS key policy CloudWatch Logs can use: the account administers the key (IAM
    policies decide who), and the regional Logs service may use it for this account's log
    groups only (the encryption context names the log group's ARN).
    Ref: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsUses",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:*"}},
            },
        ],
    }


def flow_logs_policy(log_group_arn: str) -> dict:
    """What VPC Flow Logs' delivery role may do: write streams of its one log group.
    Ref: https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html"""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            },
            {"Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": ["*"]},
        ],
    }


def alb_logs_bucket_policy(bucket: str, prefix: str, account: str, elb_account: str) -> dict:
    """The access-log bucket's policy for a Region available before August 2022: the Region's
    Elastic Load Balancing account may put objects under ``<prefix>/AWSLogs/<account>/``, and
    nothing may reach the bucket without TLS.
    Ref: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html"""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ElbWritesAccessLogs",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{elb_account}:root"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/{prefix}/AWSLogs/{account}/*",
            },
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def cloudwatch_exporter_policy() -> dict:
    """YACE's discovery jobs: find the tagged ALBs and target groups, list their metrics and
    read them. None of these calls supports resource-level permissions, so ``*``. The README's
    minimum also lists ``cloudwatch:GetMetricStatistics``, which only static jobs call
    (pkg/job/static.go); discovery jobs use GetMetricData.
    Ref: https://github.com/prometheus-community/yet-another-cloudwatch-exporter/blob/v0.67.0/README.md (Authentication)"""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "tag:GetResources"],
                "Resource": ["*"],
            }
        ],
    }


def service_trust_policy(service: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


# The EKS minimum for managed nodes: join the cluster and pull images. The VPC CNI's
# permissions (assign ENIs and IPs) are not here: aws-node gets them through its own IRSA
# role (``VPC_CNI``), so a pod that reaches the node's credentials does not inherit them.
# Ref: https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html and
# https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html
NODE_POLICIES = (
    MANAGED + "AmazonEKSWorkerNodePolicy",
    MANAGED + "AmazonEC2ContainerRegistryPullOnly",
)
VPC_CNI = ServiceAccountRole("vpc-cni", "kube-system", "aws-node", (MANAGED + "AmazonEKS_CNI_Policy",))
EBS_CSI = ServiceAccountRole("ebs-csi", "kube-system", "ebs-csi-controller-sa", (MANAGED + "service-role/AmazonEBSCSIDriverPolicy",))
ALB_CONTROLLER = ServiceAccountRole("alb-controller", "kube-system", "aws-load-balancer-controller")
AUTOSCALER = ServiceAccountRole("cluster-autoscaler", "kube-system", "cluster-autoscaler")
EXTERNAL_DNS = ServiceAccountRole("external-dns", "kube-system", "external-dns")
CLOUDWATCH_EXPORTER = ServiceAccountRole("cloudwatch-exporter", "monitoring", "cloudwatch-exporter")
