"""preflight eks (issue 10, item 11): each check and each failure it reports, against moto.

Not covered offline: ``eip_quota`` itself (Service Quotas' EC2 Elastic IP quota, L-0263D0A3),
which moto does not know. Tests hand ``eip_row`` a quota value instead, and the README lists
the live check.
"""

from __future__ import annotations

import dataclasses
from argparse import Namespace

import pytest

from tests.tools.conftest import MOTO_ACCOUNT, REGION, push_image as push
from tools import preflight_eks as pf
from tools.__main__ import main
from tools.awsenv import Caller
from tools.eks_plan import Image, Plan
from tools.mockrun import stack_names

CALLER = Caller(MOTO_ACCOUNT, f"arn:aws:iam::{MOTO_ACCOUNT}:user/moto", REGION)
DOMAIN = "2025teamproject.store"


def image(repo: str, tag: str) -> Image:
    return Image(repo, tag, None, REGION, (f"Deployment trip-service-prod/{repo}",))


def quota(value: float | None):
    return lambda _session, _region: value


def statuses(rows: list[pf.Row]) -> dict[str, str]:
    return {r.check: r.status for r in rows}


# --- credentials ---------------------------------------------------------------------------


def test_credentials_row_names_account_and_region(aws):
    row = pf.checks(aws, Plan(region=REGION), CALLER, quota(5))[0]
    assert row.check == "credentials" and row.status == pf.OK
    assert MOTO_ACCOUNT in row.detail and REGION in row.detail


def test_a_profile_region_other_than_the_stacks_is_pointed_out():
    row = pf.credentials_row(CALLER, "us-east-1", REGION)
    assert "us-east-1" in row.detail and f"region {REGION}" in row.detail


def test_missing_credentials_give_one_line_naming_the_fix(no_aws_credentials, capsys):
    assert pf.run(Namespace(profile=None), plan_for=lambda stack: pytest.fail("the stack must not run without credentials")) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("preflight eks: no AWS credentials found") and "aws configure" in lines[0]
    assert "Traceback" not in captured.out + captured.err


def test_an_unknown_profile_gives_one_line(no_aws_credentials, capsys):
    assert main(["preflight", "eks", "--profile", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "profile" in err[0] and "aws sso login" in err[0]


# --- images --------------------------------------------------------------------------------


def test_a_pushed_image_passes(aws):
    aws.client("ecr").create_repository(repositoryName="service-currency")
    push(aws, "service-currency", "prod-63")
    rows = pf.image_rows(aws, Plan(repositories=("service-currency",), images=(image("service-currency", "prod-63"),)), REGION)
    assert statuses(rows) == {"image service-currency:prod-63": pf.OK}


def test_a_tag_missing_from_its_repository_blocks(aws):
    aws.client("ecr").create_repository(repositoryName="service-currency")
    push(aws, "service-currency", "prod-62")
    [row] = pf.image_rows(aws, Plan(images=(image("service-currency", "prod-63"),)), REGION)
    assert row.status == pf.FAIL
    assert "push" in row.detail and "Deployment trip-service-prod/service-currency" in row.detail


def test_a_repository_the_stack_creates_asks_for_a_push_without_blocking(aws):
    [row] = pf.image_rows(aws, Plan(repositories=("service-history",), images=(image("service-history", "prod-63"),)), REGION)
    assert row.status == pf.WARN
    assert "the stack creates it" in row.detail and "push service-history:prod-63" in row.detail


def test_a_repository_nobody_creates_blocks(aws):
    [row] = pf.image_rows(aws, Plan(images=(image("service-ranking", "prod-63"),)), REGION)
    assert row.status == pf.FAIL and "does not create" in row.detail


# --- certificate / hosted zone ------------------------------------------------------------


def test_an_issued_certificate_passes(aws, acm_validation_wait):
    acm_validation_wait(0)
    arn = aws.client("acm").request_certificate(DomainName=DOMAIN, ValidationMethod="DNS")["CertificateArn"]
    [row] = pf.certificate_rows(aws, Plan(certificate_arns=(arn,)), REGION)
    assert row.status == pf.OK and "ISSUED" in row.detail


def test_a_certificate_pending_validation_blocks(aws, acm_validation_wait):
    acm_validation_wait(3600)
    arn = aws.client("acm").request_certificate(DomainName=DOMAIN, ValidationMethod="DNS")["CertificateArn"]
    [row] = pf.certificate_rows(aws, Plan(certificate_arns=(arn,)), REGION)
    assert row.status == pf.FAIL and "PENDING_VALIDATION" in row.detail


def test_a_certificate_that_does_not_exist_blocks(aws):
    arn = f"arn:aws:acm:{REGION}:{MOTO_ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000"
    [row] = pf.certificate_rows(aws, Plan(certificate_arns=(arn,)), REGION)
    assert row.status == pf.FAIL and "does not exist" in row.detail


def test_a_certificate_in_another_region_blocks(aws, acm_validation_wait):
    acm_validation_wait(0)
    arn = aws.client("acm", region_name="us-east-1").request_certificate(DomainName=DOMAIN)["CertificateArn"]
    [row] = pf.certificate_rows(aws, Plan(certificate_arns=(arn,)), REGION)
    assert row.status == pf.FAIL and f"need one in {REGION}" in row.detail


def test_neither_a_certificate_nor_a_request_blocks(aws):
    [row] = pf.certificate_rows(aws, Plan(), REGION)
    assert row.status == pf.FAIL


def test_the_hosted_zone_the_stack_writes_into_passes(aws):
    zone_id = aws.client("route53").create_hosted_zone(Name=DOMAIN, CallerReference="1")["HostedZone"]["Id"].rsplit("/", 1)[-1]
    [row] = pf.certificate_rows(aws, Plan(certificate_domains=(DOMAIN,), hosted_zone_ids=(zone_id,)), REGION)
    assert row.status == pf.OK and zone_id in row.detail


def test_a_hosted_zone_id_that_does_not_exist_blocks(aws):
    [row] = pf.certificate_rows(aws, Plan(certificate_domains=(DOMAIN,), hosted_zone_ids=("Z0000000000000",)), REGION)
    assert row.status == pf.FAIL and "Z0000000000000 does not exist" in row.detail


def test_the_zone_is_found_by_the_certificates_parent_domain(aws):
    aws.client("route53").create_hosted_zone(Name=DOMAIN, CallerReference="1")
    [row] = pf.certificate_rows(aws, Plan(certificate_domains=(f"*.{DOMAIN}", f"grafana.{DOMAIN}")), REGION)
    assert row.status == pf.OK and f"{DOMAIN}." in row.detail


def test_no_hosted_zone_for_the_domain_blocks(aws):
    aws.client("route53").create_hosted_zone(Name="example.org", CallerReference="1")
    [row] = pf.certificate_rows(aws, Plan(certificate_domains=(DOMAIN,)), REGION)
    assert row.status == pf.FAIL and "no Route 53 hosted zone" in row.detail


def test_a_zone_the_stack_creates_asks_for_delegation_without_blocking(aws):
    [row] = pf.certificate_rows(aws, Plan(certificate_domains=(DOMAIN,), hosted_zone_ids=("mock-zone",), creates_zone=True), REGION)
    assert row.status == pf.WARN and "delegate" in row.detail


def test_a_private_zone_cannot_validate_a_public_certificate(aws):
    vpc = aws.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zone = aws.client("route53").create_hosted_zone(Name=DOMAIN, CallerReference="1", VPC={"VPCRegion": REGION, "VPCId": vpc}, HostedZoneConfig={"PrivateZone": True})
    zone_id = zone["HostedZone"]["Id"]
    [row] = pf.certificate_rows(aws, Plan(certificate_domains=(DOMAIN,), hosted_zone_ids=(zone_id,)), REGION)
    assert row.status == pf.FAIL and "private zone" in row.detail


# --- Elastic IPs ---------------------------------------------------------------------------


STACK_TAGS = (("cluster", "trip-service-cluster"), ("project", "cloud-platform"))


def allocate(aws, count: int, tags: tuple[tuple[str, str], ...] = (("project", "another"),)) -> None:
    for _ in range(count):
        spec = [{"ResourceType": "elastic-ip", "Tags": [{"Key": k, "Value": v} for k, v in tags]}]
        aws.client("ec2").allocate_address(Domain="vpc", TagSpecifications=spec)


def test_room_for_every_nat_gateway_passes(aws):
    allocate(aws, 3)
    row = pf.eip_row(aws, Plan(nat_gateways=2), REGION, quota(5))
    assert row.status == pf.OK and "3 allocated" in row.detail and "needs 2 more" in row.detail


def test_too_few_elastic_ips_left_blocks(aws):
    allocate(aws, 4)
    row = pf.eip_row(aws, Plan(nat_gateways=2), REGION, quota(5))
    assert row.status == pf.FAIL and "L-0263D0A3" in row.detail


def test_the_stacks_own_elastic_ips_are_not_needed_twice(aws):
    allocate(aws, 2)
    allocate(aws, 1, tags=(*STACK_TAGS, ("Name", "nat-a")))  # already deployed: the stack's own
    allocate(aws, 1, tags=(("project", "cloud-platform"),))  # shares one tag only: not the stack's
    row = pf.eip_row(aws, Plan(nat_gateways=2, eip_tags=STACK_TAGS), REGION, quota(5))
    assert row.status == pf.OK and "4 allocated" in row.detail and "needs 1 more" in row.detail


def test_an_unknown_quota_is_judged_against_the_default_of_five(aws):
    allocate(aws, 4)
    assert pf.eip_row(aws, Plan(nat_gateways=1), REGION, quota(None)).status == pf.OK
    row = pf.eip_row(aws, Plan(nat_gateways=2), REGION, quota(None))
    assert row.status == pf.WARN and "quota unknown" in row.detail


# --- the table and the exit status ---------------------------------------------------------


def _ready_account(aws) -> Plan:
    aws.client("ecr").create_repository(repositoryName="service-currency")
    push(aws, "service-currency", "prod-63")
    aws.client("route53").create_hosted_zone(Name=DOMAIN, CallerReference="1")
    return Plan(repositories=("service-currency",), images=(image("service-currency", "prod-63"),), certificate_domains=(DOMAIN,), nat_gateways=1, region=REGION)


def test_a_ready_account_prints_the_table_and_exits_zero(aws, capsys):
    plan = _ready_account(aws)
    assert pf.run(Namespace(profile=None), plan_for=lambda stack: plan, quota=quota(5)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["CHECK", "STATUS", "DETAIL"]
    assert [line.split()[0] for line in out[1:5]] == ["credentials", "image", "hosted", "elastic"]
    assert out[-1] == "preflight eks: nothing blocks `pulumi up -s eks`"


def test_anything_blocking_exits_non_zero(aws, capsys):
    plan = _ready_account(aws)
    blocked = dataclasses.replace(plan, images=(*plan.images, image("service-currency", "prod-64")))
    assert pf.run(Namespace(profile=None), plan_for=lambda stack: blocked, quota=quota(5)) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "1 blocking problem" in out


def test_preflight_without_a_target_is_still_the_kind_tool_check(monkeypatch):
    from tools import preflight

    monkeypatch.setattr(preflight, "main", lambda: 7)
    assert main(["preflight"]) == 7
    assert main(["preflight", "kind"]) == 7


def test_a_stack_without_a_stack_file_stops_with_one_line(aws, capsys):
    assert pf.run(Namespace(profile=None), stack="nope", quota=quota(5)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"preflight eks: no Pulumi.nope.yaml: expected one of {', '.join(stack_names())}"]


def test_an_instance_type_offered_in_every_zone_the_stack_uses_passes(aws):
    [row] = pf.instance_type_rows(aws, Plan(instance_types=("t3.medium",), zone_count=3), REGION)
    assert row == pf.Row("instance type t3.medium", pf.OK, "offered in ap-northeast-2a, ap-northeast-2b, ap-northeast-2c")


def test_an_instance_type_missing_from_a_zone_the_stack_uses_blocks(aws):
    """moto's offerings data (from AWS) has p4d.24xlarge in ap-northeast-2b only."""
    rows = pf.instance_type_rows(aws, Plan(instance_types=("t3.medium", "p4d.24xlarge"), zone_count=3), REGION)
    assert [r.status for r in rows] == [pf.OK, pf.FAIL]
    assert rows[1].detail.startswith("not offered in ap-northeast-2a, ap-northeast-2c: choose a type")


def test_the_plan_holds_the_node_groups_types_and_the_zones_of_the_eks_stack():
    from tests.conftest import stack_run
    from tools.eks_plan import plan_from_run

    from tools.render import checked_config

    plan = plan_from_run(stack_run("eks", False))
    values = checked_config("eks")
    configured = {t.strip() for k, v in values.items() if k.endswith("InstanceTypes") for t in v.split(",") if t.strip()}
    assert set(plan.instance_types) == configured
    assert plan.zone_count == values["availabilityZones"]
