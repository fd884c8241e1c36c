"""The ``Certificate`` component: the ALB's TLS certificate from ACM, in the ALB's region."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class CertificateArgs:
    """``hosts``: the domain first, then the other names the ALB serves. With
    ``hosted_zone_id`` a new certificate is validated through Route 53 DNS records; without
    it, ``existing_arn`` (an issued certificate covering the hosts) is used as is."""

    hosts: tuple[str, ...]
    hosted_zone_id: str | None
    existing_arn: str | None
    tags: dict[str, str] = field(default_factory=dict)


class Certificate(pulumi.ComponentResource):
    """An ACM certificate for ``hosts`` with one Route 53 validation record per name and the
    validation that waits for ISSUED, or the configured existing certificate.

    Outputs: ``arn`` (available once the certificate is issued).
    """

    def __init__(self, name: str, args: CertificateArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:aws:Certificate", name, None, opts)
        if args.hosted_zone_id is None:
            if args.existing_arn is None:
                raise ValueError("a certificate needs hosted_zone_id (to validate a new one) or existing_arn")
            self.arn: pulumi.Output[str] = pulumi.Output.from_input(args.existing_arn)
        else:
            self.arn = self._issue(name, args)
        self.register_outputs({"arn": self.arn})

    def _issue(self, name: str, args: CertificateArgs) -> pulumi.Output[str]:
        child = pulumi.ResourceOptions(parent=self)
        cert = aws.acm.Certificate(
            f"{name}-cert",
            domain_name=args.hosts[0],
            subject_alternative_names=list(args.hosts[1:]),
            validation_method="DNS",
            tags=args.tags,
            opts=child,
        )
        records = []
        # One validation record per name; the options come back keyed by domain name, so each
        # record picks its own rather than relying on list order.
        for i, host in enumerate(args.hosts):
            option = cert.domain_validation_options.apply(lambda opts, h=host: next(o for o in opts if o.domain_name == h))
            records.append(
                aws.route53.Record(
                    f"{name}-validation-{i}",
                    zone_id=args.hosted_zone_id,
                    name=option.resource_record_name,
                    type=option.resource_record_type,
                    records=[option.resource_record_value],
                    ttl=60,
                    allow_overwrite=True,
                    opts=child,
                )
            )
        validation = aws.acm.CertificateValidation(
            f"{name}-validation",
            certificate_arn=cert.arn,
            validation_record_fqdns=[r.fqdn for r in records],
            opts=child,
        )
        return validation.certificate_arn
