"""What the eks stack will deploy, read from the stack's own program output.

``plan_from_run(run)`` is pure: it reads the registrations of a mock run
(``tools/mockrun.py`` ``run_program``) and returns a ``Plan`` that ``preflight eks`` checks
against the live account. Nothing here parses stack config a second time, so the plan
cannot drift from what ``pulumi up -s eks`` declares.

Under mocks the account in an ECR image reference is whatever the mock caller identity
returns, so images are matched on the ``.dkr.ecr.`` host pattern; the preflight looks up
repository and tag in the account the live credentials resolve to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from components.manifests import POD_SPEC_PATHS

ECR_REPOSITORY = "aws:ecr/repository:Repository"
ACM_CERTIFICATE = "aws:acm/certificate:Certificate"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ELASTIC_IP = "aws:ec2/eip:Eip"
NODE_GROUP = "eks:index:ManagedNodeGroup"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE53_RECORD = "aws:route53/record:Record"
ROUTE53_ZONE = "aws:route53/zone:Zone"
AWS_PROVIDER = "pulumi:providers:aws"


# Annotations that name an existing ACM certificate for a load balancer.
# Ref: https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#certificate-arn
# Ref: https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/#ssl-cert
CERTIFICATE_ANNOTATIONS = {
    "kubernetes:networking.k8s.io/v1:Ingress": "alb.ingress.kubernetes.io/certificate-arn",
    "kubernetes:core/v1:Service": "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
}

# <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repo>(:<tag>|@<digest>)
# Ref: https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-pull-ecr-image.html
_ECR_IMAGE = re.compile(
    r"^(?P<account>[^./]+)\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repo>[a-z0-9][a-z0-9._/-]*)(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[\w-]+$")


class RegistrationLike(Protocol):
    type: str
    name: str
    inputs: dict[str, Any]


class RunLike(Protocol):
    registrations: list[Any]


@dataclass(frozen=True)
class Image:
    """One ECR image reference a workload pulls (``tag`` or ``digest``)."""

    repository: str
    tag: str | None
    digest: str | None
    region: str
    used_by: tuple[str, ...]

    @property
    def ref(self) -> str:
        return f"{self.repository}:{self.tag}" if self.tag else f"{self.repository}@{self.digest}"


@dataclass(frozen=True)
class Plan:
    """What the stack needs from the account before ``pulumi up``.

    ``repositories``: ECR repositories the stack creates. ``certificate_domains``: domains of
    ACM certificates the stack requests (validated by DNS). ``certificate_arns``: existing
    certificates load balancers reference (only when the stack requests none itself).
    ``hosted_zone_ids``: Route 53 zones the stack writes records into; ``creates_zone`` when it
    makes its own. ``nat_gateways``: NAT gateways (one Elastic IP each); ``eip_tags``: the tags
    every Elastic IP of the stack carries, to recognise them once they exist (a re-run needs
    no new address for them). ``instance_types``: the node groups' instance types;
    ``zone_count``: how many of the region's available zones the subnets use (the program takes
    the first ones ``getAvailabilityZones`` lists).
    """

    repositories: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    certificate_domains: tuple[str, ...] = ()
    certificate_arns: tuple[str, ...] = ()
    hosted_zone_ids: tuple[str, ...] = ()
    creates_zone: bool = False
    nat_gateways: int = 0
    eip_tags: tuple[tuple[str, str], ...] = ()
    region: str | None = None
    instance_types: tuple[str, ...] = ()
    zone_count: int = 0


def plan_from_run(run: RunLike) -> Plan:
    regs: list[RegistrationLike] = list(run.registrations)
    certificates = _of(regs, ACM_CERTIFICATE)
    images = _images(regs)
    arns = () if certificates else _certificate_arns(regs)
    return Plan(
        repositories=_unique(str(r.inputs.get("name") or "") for r in _of(regs, ECR_REPOSITORY)),
        images=images,
        certificate_domains=_unique(d for r in certificates for d in _cert_domains(r.inputs)),
        certificate_arns=arns,
        hosted_zone_ids=_unique(_zone_id(r.inputs.get("zoneId")) for r in _of(regs, ROUTE53_RECORD) if r.inputs.get("zoneId")),
        creates_zone=bool(_of(regs, ROUTE53_ZONE)),
        nat_gateways=len(_of(regs, NAT_GATEWAY)),
        eip_tags=_common_tags(_of(regs, ELASTIC_IP)),
        region=_region(regs, images, arns),
        instance_types=_unique(str(t) for r in _of(regs, NODE_GROUP) for t in r.inputs.get("instanceTypes") or []),
        zone_count=len({r.inputs.get("availabilityZone") for r in _of(regs, SUBNET) if r.inputs.get("availabilityZone")}),
    )


def _of(regs: list[RegistrationLike], type_token: str) -> list[RegistrationLike]:
    return [r for r in regs if r.type == type_token]


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _workload_kind(type_token: str) -> str | None:
    """``kubernetes:apps/v1:Deployment`` -> ``Deployment`` for the kinds that run pods."""
    if not type_token.startswith("kubernetes:") or type_token.startswith("kubernetes:helm.sh/"):
        return None
    kind = type_token.rsplit(":", 1)[-1]
    return kind if kind in POD_SPEC_PATHS else None


def _containers(reg: RegistrationLike) -> Iterator[dict[str, Any]]:
    pod = _dig(reg.inputs, POD_SPEC_PATHS[_workload_kind(reg.type) or ""])
    for key in ("initContainers", "containers"):
        for container in (pod or {}).get(key) or []:
            if isinstance(container, dict):
                yield container


def _owner(reg: RegistrationLike) -> str:
    meta = reg.inputs.get("metadata") or {}
    kind = reg.type.rsplit(":", 1)[-1]
    return f"{kind} {meta.get('namespace', '')}/{meta.get('name', reg.name)}".replace(" /", " ")


def _images(regs: list[RegistrationLike]) -> tuple[Image, ...]:
    found: dict[tuple[str, str | None, str | None, str], list[str]] = {}
    for reg in regs:
        if _workload_kind(reg.type) is None:
            continue
        for container in _containers(reg):
            match = _ECR_IMAGE.match(str(container.get("image", "")))
            if match and (match["tag"] or match["digest"]):
                key = (match["repo"], match["tag"], match["digest"], match["region"])
                found.setdefault(key, []).append(_owner(reg))
    return tuple(Image(repo, tag, digest, region, tuple(dict.fromkeys(users))) for (repo, tag, digest, region), users in found.items())


def _common_tags(regs: list[RegistrationLike]) -> tuple[tuple[str, str], ...]:
    """The (key, value) tags all of ``regs`` share; empty when any has none."""
    tag_sets = [set((r.inputs.get("tags") or {}).items()) for r in regs]
    return tuple(sorted(set.intersection(*tag_sets))) if tag_sets else ()


def _cert_domains(inputs: dict[str, Any]) -> list[str]:
    return [inputs.get("domainName") or "", *(inputs.get("subjectAlternativeNames") or [])]


def _certificate_arns(regs: list[RegistrationLike]) -> tuple[str, ...]:
    arns = []
    for reg in regs:
        annotation = CERTIFICATE_ANNOTATIONS.get(reg.type)
        value = ((reg.inputs.get("metadata") or {}).get("annotations") or {}).get(annotation) if annotation else None
        # The ALB annotation takes a comma-separated list (first is the default certificate).
        arns += [a.strip() for a in str(value or "").split(",") if _ACM_ARN.match(a.strip())]
    return _unique(arns)


def _zone_id(value: Any) -> str:
    """``/hostedzone/Z123`` and ``Z123`` name the same zone."""
    return str(value).rsplit("/", 1)[-1]


def _region(regs: list[RegistrationLike], images: tuple[Image, ...], arns: tuple[str, ...]) -> str | None:
    for reg in _of(regs, AWS_PROVIDER):
        if reg.inputs.get("region"):
            return str(reg.inputs["region"])
    for image in images:
        return image.region
    for arn in arns:
        return arn.split(":")[3]
    return None
