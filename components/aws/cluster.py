"""The ``EksCluster`` component: the small wrapper around pulumi-eks.

``eks.Cluster`` and ``eks.ManagedNodeGroup`` are remote components: under mocks the tests see
their inputs, never their children. So only they live here, beside the node role (a plain
pulumi-aws role the tests can read). Everything else (VPC, add-ons, IRSA, KMS, ECR, ACM, the
StorageClass) is built from pulumi-aws and Kubernetes resources in ``stacks/eks.py``.

The cluster is named explicitly, and nothing here reads ``eks_cluster``, ``core`` or
``get_kubeconfig()``: under mocks they resolve to None. The Kubernetes provider is built from
``kubeconfig_json``, as pulumi-eks recommends for Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from components.aws.iam import NODE_POLICIES, VPC_CNI, service_trust_policy
from components.aws.irsa import IrsaRole, IrsaRoleArgs
from components.aws.specs import EKS_TAINT_EFFECTS, NodeGroupSpec, launch_template_spec

# Every control-plane log type. Ref: https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# EKS writes them to /aws/eks/<name>/cluster, creating it without expiry when it is missing;
# created here first, the group keeps a month (audit logs grow fast).
LOG_RETENTION_DAYS = 30
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# Read every resource, Secrets included: what `pulumi preview --refresh` reads back.
# Ref: https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
VPC_CNI_ADDON = "vpc-cni"
# The VPC CNI's network policy agent: without it NetworkPolicies are accepted and ignored.
# Ref: https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html
# (the add-on's configuration schema: ``enableNetworkPolicy``, a string).
VPC_CNI_CONFIGURATION = {"enableNetworkPolicy": "true"}


@dataclass(frozen=True)
class EksClusterArgs:
    """``addon_versions`` maps vpc-cni, coredns and kube-proxy to versions resolved by
    ``aws.eks.get_addon_version`` for ``version``. ``admin_principals`` get cluster-admin
    access entries (authentication mode API: no aws-auth ConfigMap); ``viewer_principals`` get
    read-only ones (the CI role that previews and checks drift)."""

    name: str
    version: str
    vpc_id: pulumi.Input[str]
    public_subnet_ids: list[pulumi.Input[str]]
    private_subnet_ids: list[pulumi.Input[str]]
    secrets_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    node_groups: tuple[NodeGroupSpec, ...]
    addon_versions: dict[str, pulumi.Input[str]]
    admin_principals: tuple[str, ...] = ()
    viewer_principals: tuple[str, ...] = ()
    api_public_cidrs: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)


class EksCluster(pulumi.ComponentResource):
    """EKS control plane (API authentication, OIDC provider, KMS-encrypted secrets, every
    control-plane log into a KMS-encrypted log group with a retention, STANDARD upgrade
    policy, the public endpoint only for ``api_public_cidrs``), the VPC CNI add-on with its
    network policy agent and its own IRSA role, and one managed node group per
    ``NodeGroupSpec`` (on-demand ``base``, tainted ``spot``), each from a launch template (IMDSv2
    with hop limit 1, encrypted gp3 root volume, no SSH key) that the Cluster Autoscaler scales
    between its bounds.

    Order: cluster, then the VPC CNI role and add-on (it adopts the aws-node DaemonSet EKS
    bootstraps), then the node groups, so no node ever runs aws-node with the node role's
    credentials (the node role no longer carries the CNI policy).

    Outputs: ``kubeconfig`` (secret), ``oidc_provider_arn``, ``oidc_issuer``.
    """

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:aws:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        node_role = aws.iam.Role(
            f"{name}-node-role",
            assume_role_policy=pulumi.Output.json_dumps(service_trust_policy("ec2.amazonaws.com")),
            tags=args.tags,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-node-{arn.rsplit('/', 1)[-1]}", role=node_role.name, policy_arn=arn, opts=child)
            for arn in NODE_POLICIES
        ]
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/eks/{args.name}/cluster",
            retention_in_days=LOG_RETENTION_DAYS,
            kms_key_id=args.logs_key_arn,
            tags=args.tags,
            opts=child,
        )
        self.cluster = eks.Cluster(
            f"{name}-eks", **cluster_args(args), opts=pulumi.ResourceOptions(parent=self, depends_on=[logs])
        )
        cni = self._vpc_cni(name, args)
        after = pulumi.ResourceOptions(parent=self, depends_on=[*attachments, cni])
        self.launch_templates = {}
        self.node_groups = []
        for group in args.node_groups:
            template = aws.ec2.LaunchTemplate(
                f"{name}-{group.pool}-launch-template",
                **launch_template_args(f"{args.name}-{group.pool}-", args.tags),
                opts=child,
            )
            self.launch_templates[group.pool] = template
            self.node_groups.append(
                eks.ManagedNodeGroup(
                    f"{name}-{group.pool}-nodes",
                    **node_group_args(args, group, node_role.arn, template),
                    cluster=self.cluster,
                    opts=after,
                )
            )
        self.kubeconfig = pulumi.Output.secret(self.cluster.kubeconfig_json)
        self.oidc_provider_arn = self.cluster.oidc_provider_arn
        self.oidc_issuer = self.cluster.oidc_issuer
        self.register_outputs(
            {"kubeconfig": self.kubeconfig, "oidc_provider_arn": self.oidc_provider_arn, "oidc_issuer": self.oidc_issuer}
        )


    def _vpc_cni(self, name: str, args: EksClusterArgs) -> aws.eks.Addon:
        """The ``vpc-cni`` add-on, managed here rather than by pulumi-eks: its IRSA role needs
        the cluster's OIDC provider, an output of ``eks.Cluster`` that cannot feed the
        cluster's own ``vpc_cni_options``. OVERWRITE on create adopts the self-managed aws-node
        EKS installs with the cluster.
        Ref: https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html"""
        role = IrsaRole(
            f"{name}-vpc-cni",
            IrsaRoleArgs(VPC_CNI, self.cluster.oidc_provider_arn, self.cluster.oidc_issuer, tags=args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.eks.Addon(
            f"{name}-vpc-cni-addon",
            cluster_name=args.name,
            addon_name=VPC_CNI_ADDON,
            addon_version=args.addon_versions[VPC_CNI_ADDON],
            service_account_role_arn=role.arn,
            configuration_values=json.dumps(VPC_CNI_CONFIGURATION),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster]),
        )


def launch_template_args(name_prefix: str, tags: dict[str, str]) -> dict:
    """``ec2.LaunchTemplate`` arguments from ``launch_template_spec`` (pure data), as args classes."""
    spec = launch_template_spec()
    (root,) = spec["block_device_mappings"]
    return {
        "name_prefix": name_prefix,
        "description": "EKS managed nodes: IMDSv2 only, hop limit 1, encrypted gp3 root volume, no SSH key",
        "metadata_options": aws.ec2.LaunchTemplateMetadataOptionsArgs(**spec["metadata_options"]),
        "block_device_mappings": [
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=root["device_name"], ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(**root["ebs"])
            )
        ],
        "update_default_version": True,
        "tags": tags,
    }


def node_group_args(
    args: EksClusterArgs, group: NodeGroupSpec, role_arn: pulumi.Input[str], template: aws.ec2.LaunchTemplate
) -> dict:
    """``eks.ManagedNodeGroup`` arguments of one pool. The launch template holds the disk (so
    ``disk_size`` is not set: EKS refuses both) and follows its latest version.
    Ref: https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html"""
    return {
        "node_group_name": f"{args.name}-{group.pool}",
        "node_role_arn": role_arn,
        "subnet_ids": args.private_subnet_ids,
        "instance_types": list(group.instance_types),
        "capacity_type": group.capacity_type,
        "ami_type": group.ami_type,
        "scaling_config": aws.eks.NodeGroupScalingConfigArgs(
            min_size=group.min_size, desired_size=group.desired_size, max_size=group.max_size
        ),
        "launch_template": aws.eks.NodeGroupLaunchTemplateArgs(
            id=template.id, version=template.latest_version.apply(str)
        ),
        "labels": group.labels,
        "taints": [
            aws.eks.NodeGroupTaintArgs(key=t["key"], value=t["value"], effect=EKS_TAINT_EFFECTS[t["effect"]])
            for t in group.taints
        ],
        "tags": args.tags,
    }


def cluster_args(args: EksClusterArgs) -> dict:
    """Keyword arguments of ``eks.Cluster`` (pulumi-eks 4.4.0 ``ClusterArgs``).

    ``upgrade_policy`` defaults to EXTENDED (paid extended support) in pulumi-eks: STANDARD
    here. ``storage_classes`` is left out on purpose: it would create an in-tree gp2 class;
    ``gp3-encrypted`` comes from the EBS CSI driver instead. ``use_default_vpc_cni``: pulumi-eks
    creates no vpc-cni add-on (``EksCluster._vpc_cni`` does, with its IRSA role).

    The private endpoint is always on (nodes and pods reach the API inside the VPC); the public
    one exists only when ``api_public_cidrs`` lists who may reach it.
    Ref: https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
    """
    entries = {
        f"{role}-{i}": eks.AccessEntryArgs(
            principal_arn=arn,
            access_policies={
                role: eks.AccessPolicyAssociationArgs(
                    policy_arn=policy, access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster")
                )
            },
        )
        for role, policy, principals in (
            ("admin", ADMIN_POLICY, args.admin_principals),
            ("viewer", VIEW_POLICY, args.viewer_principals),
        )
        for i, arn in enumerate(principals)
    }
    versions = args.addon_versions
    return {
        "name": args.name,
        "version": args.version,
        "vpc_id": args.vpc_id,
        "public_subnet_ids": args.public_subnet_ids,
        "private_subnet_ids": args.private_subnet_ids,
        "node_associate_public_ip_address": False,
        "endpoint_private_access": True,
        "endpoint_public_access": bool(args.api_public_cidrs),
        **({"public_access_cidrs": list(args.api_public_cidrs)} if args.api_public_cidrs else {}),
        "authentication_mode": eks.AuthenticationMode.API,
        "access_entries": entries,
        "create_oidc_provider": True,
        "encryption_config_key_arn": args.secrets_key_arn,
        "enabled_cluster_log_types": list(LOG_TYPES),
        "upgrade_policy": aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
        "skip_default_node_group": True,
        "use_default_vpc_cni": True,
        "coredns_addon_options": eks.CoreDnsAddonOptionsArgs(version=versions["coredns"]),
        "kube_proxy_addon_options": eks.KubeProxyAddonOptionsArgs(version=versions["kube-proxy"]),
        "tags": args.tags,
    }
