"""plan_from_run reads what the eks stack deploys from its registrations (synthetic runs here)."""

from __future__ import annotations

from typing import Any

from tools.eks_plan import Image, Plan, plan_from_run
from tools.mockrun import Registration, Run

ECR = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com"
CERT_ARN = "arn:aws:acm:ap-northeast-2:716773066105:certificate/0b6d1d7e-1111-2222-3333-444455556666"
DIGEST = "sha256:" + "ab" * 32


def reg(type_: str, resource_name: str, **inputs: Any) -> Registration:
    return Registration(type=type_, name=resource_name, inputs=inputs, parent="", urn=f"urn:{resource_name}", custom=True)


def pod(*images: str, init: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "initContainers": [{"name": f"init{i}", "image": image} for i, image in enumerate(init)],
        "containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)],
    }


def deployment(name: str, *images: str, init: tuple[str, ...] = (), namespace: str = "trip-service-prod") -> Registration:
    return reg("kubernetes:apps/v1:Deployment", name, metadata={"name": name, "namespace": namespace}, spec={"template": {"spec": pod(*images, init=init)}})


def run(*regs: Registration) -> Run:
    return Run("eks", False, list(regs), {}, set())


def test_ecr_repositories_are_the_repository_inputs_name():
    plan = plan_from_run(run(reg("aws:ecr/repository:Repository", "ecr-currency", name="service-currency"), reg("aws:ecr/repository:Repository", "ecr-history", name="service-history")))
    assert plan.repositories == ("service-currency", "service-history")


def test_images_of_deployments_statefulsets_and_cronjobs_are_read():
    stateful = reg("kubernetes:apps/v1:StatefulSet", "db", metadata={"name": "db", "namespace": "ns"}, spec={"template": {"spec": pod(f"{ECR}/db:1.0")}})
    cron = reg(
        "kubernetes:batch/v1:CronJob",
        "ingestor",
        metadata={"name": "service-dataingestor", "namespace": "ns"},
        spec={"jobTemplate": {"spec": {"template": {"spec": pod(f"{ECR}/service-dataingestor:prod-63")}}}},
    )
    plan = plan_from_run(run(deployment("api", f"{ECR}/service-currency:prod-63"), stateful, cron))
    assert {(i.repository, i.tag) for i in plan.images} == {("service-currency", "prod-63"), ("db", "1.0"), ("service-dataingestor", "prod-63")}


def test_init_containers_count_and_non_ecr_images_are_ignored():
    plan = plan_from_run(run(deployment("api", f"{ECR}/service-currency:prod-63", "docker.io/nginx:1.27", init=(f"{ECR}/wait-for:2", "busybox:1.36"))))
    assert [i.ref for i in plan.images] == ["wait-for:2", "service-currency:prod-63"]


def test_the_same_image_in_two_workloads_is_one_check_naming_both():
    plan = plan_from_run(run(deployment("a", f"{ECR}/service-history:prod-63"), deployment("b", f"{ECR}/service-history:prod-63", namespace="other")))
    assert plan.images == (Image("service-history", "prod-63", None, "ap-northeast-2", ("Deployment trip-service-prod/a", "Deployment other/b")),)


def test_digest_references_are_checked_by_digest():
    plan = plan_from_run(run(deployment("a", f"{ECR}/service-ranking@{DIGEST}")))
    assert plan.images[0].digest == DIGEST and plan.images[0].tag is None


def test_a_requested_certificate_gives_its_domains_and_no_existing_arn():
    acm = reg("aws:acm/certificate:Certificate", "cert", domainName="2025teamproject.store", subjectAlternativeNames=["*.2025teamproject.store"], validationMethod="DNS")
    ingress = reg("kubernetes:networking.k8s.io/v1:Ingress", "ing", metadata={"name": "trip-service-ingress", "annotations": {"alb.ingress.kubernetes.io/certificate-arn": CERT_ARN}})
    plan = plan_from_run(run(acm, ingress))
    assert plan.certificate_domains == ("2025teamproject.store", "*.2025teamproject.store")
    assert plan.certificate_arns == ()


def test_an_existing_certificate_arn_is_read_from_the_ingress_annotation():
    ingress = reg("kubernetes:networking.k8s.io/v1:Ingress", "ing", metadata={"name": "trip-service-ingress", "annotations": {"alb.ingress.kubernetes.io/certificate-arn": f"{CERT_ARN}, {CERT_ARN}"}})
    plan = plan_from_run(run(ingress))
    assert plan.certificate_arns == (CERT_ARN,)
    assert plan.certificate_domains == ()


def test_hosted_zone_ids_come_from_the_records_the_stack_writes():
    records = [reg("aws:route53/record:Record", f"validation-{i}", zoneId=zone, type="CNAME") for i, zone in enumerate(["Z0123456789ABC", "/hostedzone/Z0123456789ABC"])]
    plan = plan_from_run(run(*records))
    assert plan.hosted_zone_ids == ("Z0123456789ABC",)
    assert plan.creates_zone is False


def test_nat_gateways_are_counted_and_the_tags_of_their_eips_kept():
    tags = {"project": "cloud-platform", "cluster": "trip-service-cluster"}
    regs = [reg("aws:ec2/natGateway:NatGateway", f"nat-{az}") for az in "ab"]
    regs += [reg("aws:ec2/eip:Eip", f"eip-{az}", domain="vpc", tags={**tags, "Name": f"nat-{az}"}) for az in "ab"]
    plan = plan_from_run(run(*regs))
    assert plan.nat_gateways == 2
    assert plan.eip_tags == (("cluster", "trip-service-cluster"), ("project", "cloud-platform"))


def test_region_comes_from_an_explicit_aws_provider_first():
    provider = reg("pulumi:providers:aws", "aws", region="us-east-1")
    assert plan_from_run(run(provider, deployment("a", f"{ECR}/x:1"))).region == "us-east-1"
    assert plan_from_run(run(deployment("a", f"{ECR}/x:1"))).region == "ap-northeast-2"


def test_an_empty_run_is_an_empty_plan():
    assert plan_from_run(run()) == Plan()
