"""The ``Network`` component: a VPC from plain pulumi-aws resources.

awsx's ``ec2.Vpc`` is a remote component, so under mocks its subnets and their tags would be
invisible; plain resources keep every subnet and tag in front of the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.iam import flow_logs_policy, service_trust_policy
from components.aws.specs import FLOW_LOG_RETENTION_DAYS, SubnetPlan, subnet_plan, subnet_tags


@dataclass(frozen=True)
class NetworkArgs:
    """``zones`` are availability-zone names; ``nat_per_az`` puts a NAT gateway (and an
    Elastic IP) in each zone instead of one for all."""

    cluster_name: str
    cidr: str
    zones: tuple[str, ...]
    nat_per_az: bool
    tags: dict[str, str]
    logs_key_arn: pulumi.Input[str] | None = None


class Network(pulumi.ComponentResource):
    """VPC, internet gateway, public subnets (``kubernetes.io/role/elb``) routed to it, NAT
    gateway(s) with Elastic IPs, private subnets (``kubernetes.io/role/internal-elb``) routed
    through NAT. The VPC's default security group is adopted with no rules (nothing uses it;
    CIS AWS 5.4), and every flow (accepted and rejected) goes to a CloudWatch log group,
    encrypted with ``logs_key_arn``, kept ``FLOW_LOG_RETENTION_DAYS``.

    Outputs: ``vpc_id``, ``public_subnet_ids``, ``private_subnet_ids``.
    """

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:aws:Network", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**args.tags, "Name": f"{args.cluster_name}-vpc"},
            opts=child,
        )
        # No ingress and no egress: adopting the default group removes the rules AWS puts there.
        # Ref: https://www.pulumi.com/registry/packages/aws/api-docs/ec2/defaultsecuritygroup/
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[], tags=args.tags, opts=child)
        self._flow_logs()
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags=args.tags, opts=child)
        plan = subnet_plan(args.cidr, len(args.zones))
        public = [self._subnet(s) for s in plan if s.public]
        private = [self._subnet(s) for s in plan if not s.public]
        public_routes = aws.ec2.RouteTable(
            f"{name}-public-routes",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            tags=args.tags,
            opts=child,
        )
        for i, subnet in enumerate(public):
            aws.ec2.RouteTableAssociation(f"{name}-public-{i}", subnet_id=subnet.id, route_table_id=public_routes.id, opts=child)
        nats = [self._nat(i, public[i], gateway) for i in range(len(public) if args.nat_per_az else 1)]
        for i, subnet in enumerate(private):
            nat = nats[i if args.nat_per_az else 0]
            routes = aws.ec2.RouteTable(
                f"{name}-private-routes-{i}",
                vpc_id=self.vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags=args.tags,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(f"{name}-private-{i}", subnet_id=subnet.id, route_table_id=routes.id, opts=child)
        self.vpc_id = self.vpc.id
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.register_outputs(
            {"vpc_id": self.vpc_id, "public_subnet_ids": self.public_subnet_ids, "private_subnet_ids": self.private_subnet_ids}
        )

    def _flow_logs(self) -> None:
        """VPC flow logs to ``/aws/vpc/<cluster>/flow-logs`` through a role only VPC Flow Logs
        may assume. Ref: https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html"""
        name, a = self._name, self._args
        child = pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/aws/vpc/{a.cluster_name}/flow-logs",
            retention_in_days=FLOW_LOG_RETENTION_DAYS,
            kms_key_id=a.logs_key_arn,
            tags=a.tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=pulumi.Output.json_dumps(service_trust_policy("vpc-flow-logs.amazonaws.com")),
            tags=a.tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy", role=role.id, policy=pulumi.Output.json_dumps(group.arn.apply(flow_logs_policy)), opts=child
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            tags=a.tags,
            opts=child,
        )

    def _subnet(self, plan: SubnetPlan) -> aws.ec2.Subnet:
        a = self._args
        role = "public" if plan.public else "private"
        return aws.ec2.Subnet(
            f"{self._name}-{role}-subnet-{plan.zone}",
            vpc_id=self.vpc.id,
            cidr_block=plan.cidr,
            availability_zone=a.zones[plan.zone],
            map_public_ip_on_launch=plan.public,
            tags={**a.tags, **subnet_tags(a.cluster_name, plan.public), "Name": f"{a.cluster_name}-{role}-{plan.zone}"},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _nat(self, i: int, subnet: aws.ec2.Subnet, gateway: aws.ec2.InternetGateway) -> aws.ec2.NatGateway:
        child = pulumi.ResourceOptions(parent=self, depends_on=[gateway])
        eip = aws.ec2.Eip(f"{self._name}-nat-eip-{i}", domain="vpc", tags=self._args.tags, opts=child)
        return aws.ec2.NatGateway(
            f"{self._name}-nat-{i}", allocation_id=eip.id, subnet_id=subnet.id, tags=self._args.tags, opts=child
        )
