"""eks keys: parsed into typed settings, and every bad value or combination stopped with one
line before anything is declared."""

from __future__ import annotations

import pulumi
import pytest

from components.cost.instances import INSTANCE_TYPES
from stacks.settings import PROJECT, ConfigError, settings_from, validate
from tools.mockrun import run_program, stack_config

P = f"{PROJECT}:"
CERT = "arn:aws:acm:ap-northeast-2:111122223333:certificate/12345678-1234-1234-1234-123456789012"
# A complete eks config: what every bad case below starts from.
GOOD = {
    P + "target": "eks",
    P + "profile": "prod",
    P + "tripImageTag": "prod-63",
    P + "domain": "2025teamproject.store",
    P + "hostedZoneId": "Z0123456789ABCDEFGHIJ",
}


def _eks(**overrides):
    return {**GOOD, **{P + k: v for k, v in overrides.items()}}


def test_eks_defaults_are_seed_004s():
    eks = settings_from(validate(GOOD), "eks").eks
    assert eks.region == "ap-northeast-2"
    assert eks.kubernetes_version == "1.35"
    assert eks.az_count == 3 and not eks.nat_per_az
    base, spot = eks.node_groups
    assert (base.pool, base.capacity_type, base.arch) == ("base", "ON_DEMAND", "amd64")
    assert (spot.pool, spot.capacity_type) == ("spot", "SPOT") and len(spot.instance_types) >= 3
    assert base.min_size >= 1
    assert eks.certificate_arn is None and eks.hosted_zone_id == "Z0123456789ABCDEFGHIJ"


def test_kind_stacks_carry_no_eks_settings():
    assert settings_from(validate({}), "dev").eks is None


def test_the_eks_stack_file_is_valid_as_committed():
    config, secrets = stack_config("eks")
    values = validate(config, frozenset(secrets))
    assert values["target"] == "eks" and values["clusterName"] == "trip-service-cluster"
    assert values["awsRegion"] == "ap-northeast-2" and values["domain"] == "2025teamproject.store"


CIDRS = "comma-separated IPv4 CIDRs such as 203.0.113.0/24, never 0.0.0.0/0 (or empty)"
BAD = [
    (_eks(awsRegion="ap-northeast-9"), f'{P}awsRegion must be an AWS region with EKS, such as ap-northeast-2 (got "ap-northeast-9")'),
    (_eks(kubernetesVersion="1.33"), f'{P}kubernetesVersion must be one of 1.35 (got "1.33")'),
    (_eks(vpcCidr="10.0.0.0/33"), f'{P}vpcCidr must be a private IPv4 CIDR from /16 to /20, such as 10.0.0.0/16 (got "10.0.0.0/33")'),
    (_eks(vpcCidr="8.8.0.0/16"), f'{P}vpcCidr must be a private IPv4 CIDR from /16 to /20, such as 10.0.0.0/16 (got "8.8.0.0/16")'),
    (_eks(vpcCidr="10.0.0.0/24"), f'{P}vpcCidr must be a private IPv4 CIDR from /16 to /20, such as 10.0.0.0/16 (got "10.0.0.0/24")'),
    (_eks(vpcCidr="10.0.0.1/16"), f'{P}vpcCidr must be a private IPv4 CIDR from /16 to /20, such as 10.0.0.0/16 (got "10.0.0.1/16")'),
    (_eks(availabilityZones="4"), f'{P}availabilityZones must be an integer from 2 to 3 (got "4")'),
    (_eks(natGateways="two"), f'{P}natGateways must be one of single, per-az (got "two")'),
    (_eks(baseInstanceTypes="t3 medium"), f'{P}baseInstanceTypes must be comma-separated EC2 instance types, such as t3.medium (got "t3 medium")'),
    (_eks(spotInstanceTypes=""), f'{P}spotInstanceTypes must be comma-separated EC2 instance types, such as t3.medium (got "")'),
    (_eks(baseArch="x86"), f'{P}baseArch must be one of amd64, arm64 (got "x86")'),
    (_eks(spotMinSize="-1"), f'{P}spotMinSize must be an integer from 0 to 50 (got "-1")'),
    (_eks(baseDesiredSize="x"), f'{P}baseDesiredSize must be an integer (got "x")'),
    (_eks(spotMaxSize="51"), f'{P}spotMaxSize must be an integer from 1 to 50 (got "51")'),
    (_eks(baseMinSize="3", baseDesiredSize="2"), f"{P}baseDesiredSize must lie between {P}baseMinSize and {P}baseMaxSize (got min 3, desired 2, max 4)"),
    (_eks(spotDesiredSize="7"), f"{P}spotDesiredSize must lie between {P}spotMinSize and {P}spotMaxSize (got min 1, desired 7, max 6)"),
    (_eks(baseMinSize="0", baseDesiredSize="0"), f"{P}baseMinSize must be at least 1: stateful pods and controllers run only there (got 0)"),
    (_eks(spotInstanceTypes="m5.large,m6i.large"), f"{P}spotInstanceTypes must be at least 3 different types of the same vCPU and memory, so one reclaimed Spot pool does not empty the group (got m5.large, m6i.large)"),
    (_eks(spotInstanceTypes="m5.large,m6i.large,m5.xlarge"), f"{P}spotInstanceTypes must be at least 3 different types of the same vCPU and memory, so one reclaimed Spot pool does not empty the group (got m5.large, m6i.large, m5.xlarge)"),
    (_eks(baseInstanceTypes="t4g.large"), f"{P}baseInstanceTypes must all be {P}baseArch amd64 (got t4g.large (arm64))"),
    # A real EC2 type (x9.huge is not one, and the EC2 enum check refuses it first) that the
    # capacity table lacks.
    (_eks(baseInstanceTypes="c5.xlarge"), f"{P}baseInstanceTypes has types without capacity data: c5.xlarge (known: " + ", ".join(INSTANCE_TYPES) + "; add one to components/cost/instances.py)"),
    (_eks(spotDiscountPercent="95"), f'{P}spotDiscountPercent must be a decimal number from 0 to 90 (got "95")'),
    (_eks(costAssumptions="natGb=lots"), f'{P}costAssumptions must be name=number pairs separated by commas, names among natGb, logGb, albLcu, nlbLcu, crossAzGb, ecrGb, hostedZones, dnsQueriesMillions (or empty) (got "natGb=lots")'),
    (_eks(costAssumptions="trafficGb=1"), f'{P}costAssumptions must be name=number pairs separated by commas, names among natGb, logGb, albLcu, nlbLcu, crossAzGb, ecrGb, hostedZones, dnsQueriesMillions (or empty) (got "trafficGb=1")'),
    (_eks(nodeMaxSize="4"), f"{P}nodeMaxSize was renamed: set {P}spotMaxSize (and {P}baseMaxSize) instead (README: Node groups)"),
    (_eks(systemNodes="2"), f"{P}systemNodes was renamed: set {P}baseMinSize/baseDesiredSize/baseMaxSize instead (README: Node groups)"),
    (_eks(nodeCapacityType="SPOT"), f"{P}nodeCapacityType was renamed: set nothing: {P}base* is on-demand and {P}spot* is Spot instead (README: Node groups)"),
    # Shaped like an instance type but not one EC2 has (botocore's EC2 model): refused before the
    # VPC, NAT gateway and cluster are created, and never priced at $0 by tools cost.
    (_eks(baseInstanceTypes="t3.gigantic"),
     f'{P}baseInstanceTypes must be comma-separated EC2 instance types, such as t3.medium '
     f'(t3.gigantic is not an EC2 instance type) (got "t3.gigantic")'),
    (_eks(spotInstanceTypes="m5.large,m5a.large,m5.larg"),
     f'{P}spotInstanceTypes must be comma-separated EC2 instance types, such as t3.medium '
     f'(m5.larg is not an EC2 instance type; did you mean m5.large?) (got "m5.large,m5a.large,m5.larg")'),
    (_eks(domain=""), f'{P}domain must be set for target eks (a DNS domain such as 2025teamproject.store; got "")'),
    (_eks(domain="Team Project"), f'{P}domain must be a lowercase DNS domain such as 2025teamproject.store (or empty) (got "Team Project")'),
    (_eks(hostedZoneId="zone-1"), f'{P}hostedZoneId must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ (or empty) (got "zone-1")'),
    (
        _eks(hostedZoneId=""),
        f"{P}certificateArn or {P}hostedZoneId must be set for target eks (an issued ACM certificate, or the Route 53 zone that validates a new one)",
    ),
    (_eks(certificateArn="arn:aws:acm:::cert"), f'{P}certificateArn must be an ACM certificate ARN, arn:aws:acm:<region>:<account>:certificate/<id> (or empty) (got "arn:aws:acm:::cert")'),
    (
        _eks(certificateArn=CERT.replace("ap-northeast-2", "us-east-1")),
        f'{P}certificateArn must be in {P}awsRegion ap-northeast-2, the ALB\'s region (got a certificate in "us-east-1")',
    ),
    (_eks(adminPrincipalArns="admin"), f'{P}adminPrincipalArns must be comma-separated IAM role or user ARNs, arn:aws:iam::<account>:role/<name> (or empty) (got "admin")'),
    (_eks(viewerPrincipalArns="ci-preview"), f'{P}viewerPrincipalArns must be comma-separated IAM role or user ARNs, arn:aws:iam::<account>:role/<name> (or empty) (got "ci-preview")'),
    (_eks(apiPublicAccessCidrs="0.0.0.0/0"), f'{P}apiPublicAccessCidrs must be {CIDRS} (got "0.0.0.0/0")'),
    (_eks(apiPublicAccessCidrs="203.0.113.0/24,0.0.0.0/0"), f'{P}apiPublicAccessCidrs must be {CIDRS} (got "203.0.113.0/24,0.0.0.0/0")'),
    (_eks(apiPublicAccessCidrs="office"), f'{P}apiPublicAccessCidrs must be {CIDRS} (got "office")'),
    (_eks(apiPublicAccessCidrs="203.0.113.7/24"), f'{P}apiPublicAccessCidrs must be {CIDRS} (got "203.0.113.7/24")'),
    (_eks(adminCidrs="0.0.0.0/0"), f'{P}adminCidrs must be {CIDRS} (got "0.0.0.0/0")'),
    (_eks(ecrKeepImages="0"), f'{P}ecrKeepImages must be an integer from 1 to 1000 (got "0")'),
    (_eks(tripImageTag="latest"), f'{P}tripImageTag must be a pinned image tag such as prod-63 (letters, digits, \'_\', \'.\', \'-\'; not "latest") (got "latest")'),
]


@pytest.mark.parametrize("config,line", BAD, ids=[f"bad-eks-{i}" for i in range(len(BAD))])
def test_bad_eks_config_is_one_clear_line(config, line):
    with pytest.raises(ConfigError) as err:
        validate(config)
    assert str(err.value) == line


def test_a_kube_context_is_refused_on_eks(kubeconfig):
    kubeconfig("kind-x")  # the context exists, so only the target rule speaks
    with pytest.raises(ConfigError) as err:
        validate(_eks(kubeContext="kind-x"))
    assert str(err.value) == f"{P}kubeContext applies only to target kind; eks builds its kubeconfig from the cluster"


def test_good_variants_are_accepted():
    values = validate(_eks(hostedZoneId="", certificateArn=CERT, spotInstanceTypes="t4g.large,m6g.large,m7g.large", spotArch="arm64",
                           baseArch="arm64", baseInstanceTypes="m7g.large", costAssumptions="natGb=250, logGb=2", spotDiscountPercent="55.5", natGateways="per-az",
                           adminPrincipalArns="arn:aws:iam::111122223333:role/admins,arn:aws:iam::111122223333:user/ops"))
    eks = settings_from(values, "eks").eks
    assert eks.certificate_arn == CERT and eks.hosted_zone_id is None
    base, spot = eks.node_groups
    assert spot.instance_types == ("t4g.large", "m6g.large", "m7g.large") and spot.ami_type == "AL2023_ARM_64_STANDARD"
    assert base.instance_types == ("m7g.large",) and base.arch == "arm64"
    assert eks.cost.usage["natGb"] == 250 and eks.cost.usage["logGb"] == 2 and eks.cost.usage["albLcu"] == 1
    assert eks.cost.spot_discount_percent == 55.5
    assert eks.nat_per_az
    assert len(eks.admin_principals) == 2


def test_api_endpoint_and_admin_cidrs_default_to_closed():
    eks = settings_from(validate(GOOD), "eks").eks
    assert eks.api_public_cidrs == () and not eks.api_public
    assert eks.admin_cidrs == ()
    eks = settings_from(validate(_eks(apiPublicAccessCidrs="203.0.113.0/24, 198.51.100.7/32", adminCidrs="198.51.100.0/24")), "eks").eks
    assert eks.api_public_cidrs == ("203.0.113.0/24", "198.51.100.7/32") and eks.api_public
    assert eks.admin_cidrs == ("198.51.100.0/24",)


def test_eks_rules_do_not_apply_to_kind_stacks():
    assert validate({P + "spotDesiredSize": "9"})["target"] == "kind"


def test_bad_eks_config_registers_nothing():
    config, secrets = stack_config("eks", {P + "spotMaxSize": "1", P + "spotDesiredSize": "2"})
    for preview in (True, False):
        with pytest.raises(pulumi.RunError, match="spotDesiredSize must lie between") as err:
            run_program("eks", preview=preview, config=config, secret_keys=secrets)
        assert err.value.registrations == []


def test_instance_types_are_those_of_the_ec2_service_model_botocore_ships():
    from stacks.eks_config import check_instance_types, ec2_instance_types

    known = ec2_instance_types()
    assert {"t3.medium", "t3.large", "m6i.large", "c7g.xlarge"} <= known
    assert "t3.gigantic" not in known
    assert check_instance_types("t3.medium, m6i.large") is None
