"""The ``IrsaRole`` component: an IAM role that exactly one Kubernetes service account may
assume through the cluster's OIDC provider (IAM Roles for Service Accounts)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.iam import ServiceAccountRole, irsa_trust_policy


@dataclass(frozen=True)
class IrsaRoleArgs:
    """``account`` names the service account and the managed policies; ``policy`` is an
    inline policy document (it may hold outputs, such as a KMS key ARN)."""

    account: ServiceAccountRole
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    policy: pulumi.Input[dict] | None = None
    tags: dict[str, str] = field(default_factory=dict)


class IrsaRole(pulumi.ComponentResource):
    """The role, its managed-policy attachments and its inline policy.

    Outputs: ``arn``.
    """

    def __init__(self, name: str, args: IrsaRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:aws:IrsaRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sa = args.account
        trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
            lambda both: irsa_trust_policy(both[0], both[1], sa.namespace, sa.service_account)
        )
        self.role = aws.iam.Role(
            f"{name}-role", assume_role_policy=pulumi.Output.json_dumps(trust), tags=args.tags, opts=child
        )
        for arn in sa.managed_policies:
            aws.iam.RolePolicyAttachment(
                f"{name}-{arn.rsplit('/', 1)[-1]}", role=self.role.name, policy_arn=arn, opts=child
            )
        if args.policy is not None:
            aws.iam.RolePolicy(
                f"{name}-policy", role=self.role.id, policy=pulumi.Output.json_dumps(args.policy), opts=child
            )
        self.arn = self.role.arn
        self.register_outputs({"arn": self.arn})
