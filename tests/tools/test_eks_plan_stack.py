"""plan_from_run on the real eks program under mocks: what preflight eks will check.

Expected values come from the issue and the eks stack file, as a user sets them: the Trip
Currency services each get an ECR repository and run the configured ``tripImageTag``; the
certificate covers ``domain`` and is validated in ``hostedZoneId``; one NAT gateway by default.
"""

from __future__ import annotations

import re
from argparse import Namespace

import yaml

from tests.conftest import ROOT, stack_run
from tests.tools.conftest import push_image
from tools import preflight_eks as pf
from tools.eks_plan import plan_from_run
from tools.mockrun import run_program, stack_config

# Seed 004: the images the platform builds itself.
TRIP_SERVICES = {"service-currency", "service-history", "service-ranking", "service-frontend", "service-dataingestor"}
STACK_FILE = yaml.safe_load((ROOT / "Pulumi.eks.yaml").read_text())["config"]
EXISTING_ARN = "arn:aws:acm:ap-northeast-2:111122223333:certificate/0b6d1d7e-1111-2222-3333-444455556666"


def plan():
    return plan_from_run(stack_run("eks", preview=False))


def test_every_trip_service_has_a_repository_the_stack_creates():
    assert TRIP_SERVICES <= set(plan().repositories)


def test_every_trip_service_image_is_pulled_from_ecr_at_the_configured_tag():
    images = {i.repository: i.tag for i in plan().images}
    assert {repo: images.get(repo) for repo in TRIP_SERVICES} == {repo: STACK_FILE["cloud-platform:tripImageTag"] for repo in TRIP_SERVICES}


def test_every_ecr_image_comes_from_a_repository_the_stack_creates():
    p = plan()
    assert {i.repository for i in p.images} <= set(p.repositories)


def test_the_certificate_is_requested_for_the_domain_and_validated_in_the_hosted_zone():
    p = plan()
    assert STACK_FILE["cloud-platform:domain"] in p.certificate_domains
    assert p.hosted_zone_ids == (STACK_FILE["cloud-platform:hostedZoneId"],)
    assert p.certificate_arns == ()


def test_one_nat_gateway_by_default_and_the_region_of_the_stack():
    p = plan()
    assert p.nat_gateways == 1
    assert p.eip_tags  # the stack's Elastic IPs are recognisable by their tags
    assert p.region == STACK_FILE["cloud-platform:awsRegion"]


def test_an_existing_certificate_arn_is_what_preflight_checks():
    config, secrets = stack_config("eks", {"cloud-platform:hostedZoneId": "", "cloud-platform:certificateArn": EXISTING_ARN})
    p = plan_from_run(run_program("eks", preview=False, config=config, secret_keys=secrets))
    assert p.certificate_arns == (EXISTING_ARN,)
    assert p.certificate_domains == ()


def test_preflight_eks_checks_what_the_real_stack_deploys(aws, capsys):
    """The wiring: ``preflight eks`` runs the eks program itself. With one image pushed, the
    other repositories still to be created, and the stack file's example hosted zone (absent
    from the account), it reports each and blocks on the zone."""
    tag = STACK_FILE["cloud-platform:tripImageTag"]
    aws.client("ecr").create_repository(repositoryName="service-currency")
    push_image(aws, "service-currency", tag)
    assert pf.run(Namespace(profile=None), quota=lambda _s, _r: 5.0) == 1
    rows = dict(re.findall(r"^(.+?)\s{2,}(ok|WARN|FAIL)\s{2,}", capsys.readouterr().out, flags=re.M))
    assert rows[f"image service-currency:{tag}"] == "ok"
    assert {rows[f"image {repo}:{tag}"] for repo in TRIP_SERVICES - {"service-currency"}} == {"WARN"}
    assert rows["hosted zone"] == "FAIL"
    assert rows["elastic IPs"] == "ok"
