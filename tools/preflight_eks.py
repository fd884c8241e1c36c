"""``python -m tools preflight eks``: what would block ``pulumi up -s eks``, checked before it runs.

1. credentials: the account and region they resolve to (missing → one line, exit 2);
2. images: every ECR image the stack's workloads pull exists (or its repository is one the
   stack creates, and the tag must be pushed before the workloads can start);
3. TLS: an existing certificate is ISSUED, or the Route 53 hosted zone for DNS validation of
   the certificate the stack requests exists (and is public);
4. Elastic IPs: the region's EC2-VPC Elastic IP quota leaves room for one per NAT gateway;
5. instance types: each node group's type is offered in every zone the subnets use (the
   settings already refuse a name EC2 does not have; a real type is not sold in every zone).

What the stack deploys comes from ``plan_from_run`` on the stack's own mock run. The table
lists each check; the exit status is 1 when any row is FAIL.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from tools.awsenv import DEFAULT_REGION, AwsSetupError, Caller, error_code, session, whoami
from tools.eks_plan import Image, Plan, plan_from_run

OK, WARN, FAIL = "ok", "WARN", "FAIL"

# Ref: https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-eips
# ("Elastic IP addresses per Region", default 5; Service Quotas: ec2 / L-0263D0A3)
EIP_QUOTA_CODE = "L-0263D0A3"
EIP_DEFAULT_QUOTA = 5


@dataclass(frozen=True)
class Row:
    check: str
    status: str
    detail: str


QuotaLookup = Callable[[boto3.Session, str], "float | None"]


def eip_quota(sess: boto3.Session, region: str) -> float | None:
    """The region's EC2-VPC Elastic IP quota, or ``None`` when Service Quotas cannot say.

    The only Service Quotas call of the tools, kept apart because moto cannot answer it
    (its Service Quotas knows VPC codes only): it is not covered by the offline tests.
    GetServiceQuota returns the applied value; when nothing was ever applied it may answer
    NoSuchResourceException, and the AWS default is the value in force.
    Ref: https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html
    """
    client = sess.client("service-quotas", region_name=region)
    for call in (client.get_service_quota, client.get_aws_default_service_quota):
        try:
            return float(call(ServiceCode="ec2", QuotaCode=EIP_QUOTA_CODE)["Quota"]["Value"])
        except ClientError as err:
            if error_code(err) != "NoSuchResourceException":
                return None
    return None


def credentials_row(caller: Caller, profile_region: str | None, region: str) -> Row:
    note = "" if profile_region in (None, region) else f" (your profile's region is {profile_region}; the stack's is used)"
    return Row("credentials", OK, f"account {caller.account} as {caller.arn}; region {region}{note}")


def image_rows(sess: boto3.Session, plan: Plan, region: str) -> list[Row]:
    if not plan.images:
        return [Row("images", WARN, "the stack deploys no ECR image (nothing to check)")]
    ecr = sess.client("ecr", region_name=region)
    return [_image_row(ecr, image, plan.repositories) for image in plan.images]


def _image_row(ecr: Any, image: Image, created: tuple[str, ...]) -> Row:
    ident = {"imageTag": image.tag} if image.tag else {"imageDigest": image.digest}
    name = f"image {image.ref}"
    try:
        ecr.describe_images(repositoryName=image.repository, imageIds=[ident])
    except ClientError as err:
        code = error_code(err)
        if code == "RepositoryNotFoundException" and image.repository in created:
            return Row(name, WARN, f"repository {image.repository} does not exist yet: the stack creates it; push {image.ref} before the workloads can start")
        if code == "RepositoryNotFoundException":
            return Row(name, FAIL, f"no ECR repository {image.repository}, and the stack does not create one")
        if code == "ImageNotFoundException":
            return Row(name, FAIL, f"{image.ref} is not in ECR: build and push it (used by {', '.join(image.used_by)})")
        raise
    return Row(name, OK, "in ECR")


def certificate_rows(sess: boto3.Session, plan: Plan, region: str) -> list[Row]:
    if plan.certificate_domains:
        return [_zone_row(sess.client("route53"), plan)]
    if plan.certificate_arns:
        acm = sess.client("acm", region_name=region)
        return [_issued_row(acm, arn, region) for arn in plan.certificate_arns]
    return [Row("certificate", FAIL, "the stack neither requests an ACM certificate nor references one")]


def _issued_row(acm: Any, arn: str, region: str) -> Row:
    name = f"certificate {arn.rsplit('/', 1)[-1]}"
    if arn.split(":")[3] != region:
        return Row(name, FAIL, f"{arn} is in {arn.split(':')[3]}; the load balancers need one in {region}")
    try:
        cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    except ClientError as err:
        if error_code(err) != "ResourceNotFoundException":
            raise
        return Row(name, FAIL, f"{arn} does not exist in this account")
    if cert["Status"] != "ISSUED":
        return Row(name, FAIL, f"{cert['DomainName']} is {cert['Status']}, not ISSUED: complete its validation or use another certificate")
    return Row(name, OK, f"{cert['DomainName']} ISSUED")


def _zone_row(route53: Any, plan: Plan) -> Row:
    domains = ", ".join(plan.certificate_domains)
    if plan.creates_zone:
        return Row("hosted zone", WARN, f"the stack creates the zone for {domains}: delegate it at the registrar, or validation waits")
    for zone_id in plan.hosted_zone_ids:
        try:
            zone = route53.get_hosted_zone(Id=zone_id)["HostedZone"]
        except ClientError as err:
            if error_code(err) != "NoSuchHostedZone":
                raise
            return Row("hosted zone", FAIL, f"hosted zone {zone_id} does not exist: DNS validation of {domains} cannot complete")
        return _public_zone_row(zone, domains)
    zone = _zone_for(route53, plan.certificate_domains[0])
    if zone is None:
        return Row("hosted zone", FAIL, f"no Route 53 hosted zone for {domains}: create it, or configure an existing ISSUED certificate")
    return _public_zone_row(zone, domains)


def _public_zone_row(zone: dict[str, Any], domains: str) -> Row:
    if (zone.get("Config") or {}).get("PrivateZone"):
        return Row("hosted zone", FAIL, f"{zone['Name']} is a private zone: ACM cannot validate {domains} through it")
    return Row("hosted zone", OK, f"{zone['Name']} ({zone['Id'].rsplit('/', 1)[-1]}) for DNS validation of {domains}")


def _zone_for(route53: Any, domain: str) -> dict[str, Any] | None:
    """The public zone closest to ``domain`` (the domain itself, then each parent)."""
    labels = domain.lstrip("*.").rstrip(".").split(".")
    for i in range(len(labels) - 1):
        name = ".".join(labels[i:]) + "."
        zones = route53.list_hosted_zones_by_name(DNSName=name)["HostedZones"]
        public = [z for z in zones if z["Name"] == name and not (z.get("Config") or {}).get("PrivateZone")]
        if public:
            return public[0]
    return None


def eip_row(sess: boto3.Session, plan: Plan, region: str, quota: QuotaLookup = eip_quota) -> Row:
    if plan.nat_gateways == 0:
        return Row("elastic IPs", OK, "the stack creates no NAT gateway")
    addresses = sess.client("ec2", region_name=region).describe_addresses(Filters=[{"Name": "domain", "Values": ["vpc"]}])["Addresses"]
    ours = sum(1 for a in addresses if plan.eip_tags and set(plan.eip_tags) <= _tags(a))
    needed = max(plan.nat_gateways - ours, 0)
    limit = quota(sess, region)
    usage = f"{len(addresses)} allocated in {region}, the stack needs {needed} more for {plan.nat_gateways} NAT gateway(s)"
    if limit is None:
        status = OK if len(addresses) + needed <= EIP_DEFAULT_QUOTA else WARN
        return Row("elastic IPs", status, f"{usage}; quota unknown (Service Quotas did not answer; default {EIP_DEFAULT_QUOTA})")
    if len(addresses) + needed > limit:
        return Row("elastic IPs", FAIL, f"{usage}, quota {limit:g}: release unused addresses or request an increase of {EIP_QUOTA_CODE}")
    return Row("elastic IPs", OK, f"{usage}, quota {limit:g}")


def instance_type_rows(sess: boto3.Session, plan: Plan, region: str) -> list[Row]:
    """One row per node instance type: FAIL when a zone the stack uses does not offer it, or a
    managed node group would never get a node there.
    Ref: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypeOfferings.html
    """
    if not plan.instance_types:
        return []
    ec2 = sess.client("ec2", region_name=region)
    available = ec2.describe_availability_zones(Filters=[{"Name": "state", "Values": ["available"]}])["AvailabilityZones"]
    zones = [z["ZoneName"] for z in available][: plan.zone_count or None]
    pages = ec2.get_paginator("describe_instance_type_offerings").paginate(
        LocationType="availability-zone",
        Filters=[{"Name": "instance-type", "Values": list(plan.instance_types)}, {"Name": "location", "Values": zones}],
    )
    offered = {(o["InstanceType"], o["Location"]) for page in pages for o in page["InstanceTypeOfferings"]}
    rows = []
    for itype in plan.instance_types:
        missing = [z for z in zones if (itype, z) not in offered]
        if missing:
            rows.append(Row(f"instance type {itype}", FAIL, f"not offered in {', '.join(missing)}: choose a type every zone of {', '.join(zones)} offers"))
        else:
            rows.append(Row(f"instance type {itype}", OK, f"offered in {', '.join(zones)}"))
    return rows


def _tags(resource: dict[str, Any]) -> set[tuple[str, str]]:
    return {(t["Key"], t["Value"]) for t in resource.get("Tags") or []}


def checks(sess: boto3.Session, plan: Plan, caller: Caller, quota: QuotaLookup = eip_quota) -> list[Row]:
    region = plan.region or caller.region
    return [
        credentials_row(caller, sess.region_name, region),
        *image_rows(sess, plan, region),
        *certificate_rows(sess, plan, region),
        eip_row(sess, plan, region, quota),
        *instance_type_rows(sess, plan, region),
    ]


def table(rows: list[Row]) -> str:
    widths = [max(len(getattr(r, f)) for r in [Row("CHECK", "STATUS", "DETAIL"), *rows]) for f in ("check", "status")]
    lines = [Row("CHECK", "STATUS", "DETAIL"), *rows]
    return "\n".join(f"{r.check:<{widths[0]}}  {r.status:<{widths[1]}}  {r.detail}".rstrip() for r in lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help="AWS profile (default: the standard credential chain)")


def run(args: argparse.Namespace, plan_for: Callable[[str], Plan] | None = None, stack: str = "eks", quota: QuotaLookup = eip_quota) -> int:
    """Credentials first (fast, and nothing else works without them), then the offline run."""
    try:
        sess = session(None, args.profile)
        caller = whoami(sess, sess.region_name or DEFAULT_REGION)
    except AwsSetupError as err:
        print(f"preflight eks: {err}", file=sys.stderr)
        return 2
    try:
        plan = (plan_for or _plan_for)(stack)
    except PlanError as err:
        print(f"preflight eks: {err}", file=sys.stderr)
        return 2
    rows = checks(sess, plan, caller, quota)
    print(table(rows))
    failed = [r for r in rows if r.status == FAIL]
    print(f"preflight eks: {len(failed)} blocking problem(s)" if failed else f"preflight eks: nothing blocks `pulumi up -s {stack}`")
    return 1 if failed else 0


class PlanError(Exception):
    """The stack's program could not be run offline (no stack file, bad config)."""


def _plan_for(stack: str) -> Plan:
    """Run the stack's program under mocks (offline) and read what it deploys."""
    from stacks.settings import ConfigError
    from tools.mockrun import ConfigRefused, run_program, stack_names

    if stack not in stack_names():
        raise PlanError(f"no Pulumi.{stack}.yaml: expected one of {', '.join(stack_names())}")
    try:
        return plan_from_run(run_program(stack, preview=False))
    except (ConfigError, ConfigRefused) as err:
        raise PlanError(f"invalid configuration of stack {stack}:\n{err}") from None
