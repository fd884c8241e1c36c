"""AWS unit prices for ap-northeast-2 (Seoul), as dated data with their source.

No package on the reachable registries ships offline AWS price data, so the figures live here.
Each ``Price`` says where it came from, when, and whether it was confirmed against an AWS page
(``confirmed``) or is a figure to check (read from 2026 Seoul bills, a third-party table, or an
assumption). Update a figure by editing it here with its new source and date; the tests pin
the issue's starting figures, so a change shows up in review.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.cost.assumptions import DEFAULT_SPOT_DISCOUNT_PERCENT

HOURS_PER_MONTH = 730  # AWS's and OpenCost's convention for a month

_BILLS = "public 2026 Seoul bills (issue 11's starting figures)"
# Second readings (2026-12-07): public Cost Explorer readouts of other 2026 Seoul accounts, found
# with the code index's exact-string search (it names no repository or path, so they cannot be
# cited as such). Each gives a usage quantity and its cost, so the rate is cost ÷ quantity. They
# agree with the bills to the last digit but are not AWS price pages: the prices stay unconfirmed.
_READOUT = "a second public 2026 Seoul Cost Explorer readout agrees"
_READOUTS = "two more public 2026 Seoul Cost Explorer readouts agree"


@dataclass(frozen=True)
class Price:
    """One unit price in USD. ``unit`` is ``hour``, ``GB-month``, ``key-month`` or ``GB``."""

    usd: float
    unit: str
    source: str
    date: str
    confirmed: bool

    @property
    def monthly(self) -> float:
        """USD per month for an hourly price; the price itself for a monthly one."""
        return self.usd * HOURS_PER_MONTH if self.unit == "hour" else self.usd


@dataclass(frozen=True)
class AwsPrices:
    region: str
    eks_control_plane: Price
    on_demand: dict[str, Price]
    spot: dict[str, Price]
    nat_gateway: Price
    nat_gateway_gb: Price
    public_ipv4: Price
    gp3_gb_month: Price
    alb: Price
    nlb: Price
    kms_key: Price
    alb_lcu: Price
    nlb_lcu: Price
    logs_ingested_gb: Price
    logs_stored_gb: Price
    cross_az_gb: Price
    ecr_gb_month: Price
    route53_zone: Price
    route53_million_queries: Price


# Seoul on-demand Linux prices per hour. Only t3.medium is backed by 2026 Seoul bills; the
# others were not read from an AWS page in this session (the AWS price list is not reachable
# offline): they are the list prices as recalled, to be checked in the AWS Pricing Calculator.
_RECALLED = "Seoul on-demand list price as recalled (not confirmed against an AWS page)"
ON_DEMAND: dict[str, Price] = {
    "t3.medium": Price(0.052, "hour", f"{_BILLS}; matches a third-party Seoul on-demand table; {_READOUT} (APN2-BoxUsage:t3.medium 82.124 h = $4.2705)", "2026-12-07", False),
    **{
        name: Price(usd, "hour", _RECALLED, "2026-12-07", False)
        for name, usd in (
            ("t3.large", 0.104), ("t3.xlarge", 0.208),
            ("t3a.medium", 0.0468), ("t3a.large", 0.0936), ("t3a.xlarge", 0.1872),
            ("t4g.medium", 0.0416), ("t4g.large", 0.0832), ("t4g.xlarge", 0.1664),
            ("m5.large", 0.118), ("m5.xlarge", 0.236), ("m5a.large", 0.106), ("m5a.xlarge", 0.212),
            ("m6i.large", 0.118), ("m6i.xlarge", 0.236), ("m6a.large", 0.1062), ("m6a.xlarge", 0.2124),
            ("m7i.large", 0.1239), ("m7i.xlarge", 0.2478),
            ("m6g.large", 0.094), ("m6g.xlarge", 0.188), ("m7g.large", 0.1), ("m7g.xlarge", 0.2),
            ("c5.large", 0.096), ("c5a.large", 0.086), ("c6i.large", 0.096), ("c6a.large", 0.0864), ("c7i.large", 0.1008),
            ("c6g.large", 0.077), ("c7g.large", 0.0889), ("r6g.large", 0.1216), ("r7g.large", 0.1296),
        )
    },
}
# Spot prices move every few minutes and differ per zone: the estimate applies one stated
# discount (``spotDiscountPercent``) to the on-demand price. Check it with
# `aws ec2 describe-spot-price-history --instance-types m5.large --region ap-northeast-2`.


def spot_price(on_demand: Price, discount_percent: float) -> Price:
    return Price(
        round(on_demand.usd * (1 - discount_percent / 100), 6), "hour",
        f"assumption: {discount_percent:g} % below on-demand (spotDiscountPercent; not confirmed)", on_demand.date, False,
    )


AP_NORTHEAST_2 = AwsPrices(
    region="ap-northeast-2",
    # Ref: https://aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-pricing/
    # "clusters ... in standard support ... continue to pay $0.10 per cluster per hour" (all regions).
    eks_control_plane=Price(0.10, "hour", "AWS containers blog, EKS extended support pricing (standard support $0.10/cluster-h)", "2026-11-28", True),
    on_demand=ON_DEMAND,
    spot={name: spot_price(p, DEFAULT_SPOT_DISCOUNT_PERCENT) for name, p in ON_DEMAND.items()},
    nat_gateway=Price(0.059, "hour", f"{_BILLS}; {_READOUTS} (APN2-NatGateway-Hours 611 h = $36.05, 44.000 h = $2.5960)", "2026-12-07", False),
    nat_gateway_gb=Price(0.059, "GB", f"{_BILLS}; {_READOUT} (APN2-NatGateway-Bytes 1.691 GB = $0.0998)", "2026-12-07", False),
    # Ref: https://aws.amazon.com/blogs/networking-and-content-delivery/identify-and-optimize-public-ipv4-address-usage-on-aws/
    # (the charge on every public IPv4 from 2024-02-01, NAT gateways and load balancers included;
    # the $0.005/h figure itself was read from third-party pages quoting it for all regions).
    public_ipv4=Price(0.005, "hour", f"{_BILLS}; AWS networking blog (charge since 2024-02-01); {_READOUTS} (APN2-PublicIPv4:InUseAddress 1416.08 h = $7.08, 43.148 h = $0.2157)", "2026-12-07", False),
    # The AWS Price List for EC2 in Seoul (pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/
    # current/ap-northeast-2/index.csv, publication 2026-09-25T17:45:21Z, version 20260925174521),
    # SKU MTK7D9SGKGYR3JD6, effective 2026-09-01: "$0.0912 per GB-month of General Purpose (gp3)
    # provisioned storage - Asia Pacific (Seoul)". Read as stored in men16922/capacity-agent
    # data/aws/catalog.json (commit b2474b68124939335c59dfb06b761e90d19d86bb), which keeps the row.
    gp3_gb_month=Price(
        0.0912, "GB-month",
        "AWS Price List AmazonEC2 ap-northeast-2 index.csv (published 2026-09-25, SKU MTK7D9SGKGYR3JD6, effective 2026-09-01), "
        "as stored in men16922/capacity-agent data/aws/catalog.json@b2474b6; 2026 Seoul bills agree",
        "2026-09-25", True,
    ),
    # The hourly figure equals us-east-1's; a Seoul readout bills it (514 h = $11.57, $0.02251/h).
    # One public Seoul cost table (2026-08, "AWS Pricing API") writes $0.025/h, which that usage
    # contradicts; a third-party page gives $0.0243/h for Tokyo. LCUs are priced below (alb_lcu).
    alb=Price(0.0225, "hour", f"{_BILLS}; {_READOUT} (APN2-LoadBalancerUsage 514 h = $11.57); LCUs are their own line", "2026-12-07", False),
    nlb=Price(0.0225, "hour", "assumption: the ALB hourly figure (NLB price not confirmed); NLCUs are their own line", "2026-11-28", False),
    # Ref: https://aws.amazon.com/kms/pricing/ ("Each AWS KMS key that you create in KMS costs $1/month")
    kms_key=Price(1.0, "key-month", "AWS KMS pricing page", "2026-11-28", True),
    # Usage prices (issue 16). None of these was read from an AWS page in this session.
    alb_lcu=Price(0.008, "hour", "us-east-1 ALB LCU-hour as recalled; a public Seoul cost table (2026-08) also writes $0.008 (APN2-LCUUsage); not confirmed", "2026-12-07", False),
    nlb_lcu=Price(0.006, "hour", "us-east-1 NLB NLCU-hour as recalled; Seoul not confirmed", "2026-12-07", False),
    logs_ingested_gb=Price(0.76, "GB", "CloudWatch Logs standard ingestion, Seoul, as recalled; not confirmed", "2026-12-07", False),
    logs_stored_gb=Price(0.0314, "GB-month", "CloudWatch Logs storage, Seoul, as recalled; not confirmed", "2026-12-07", False),
    # $0.01/GB in each direction between zones of a region.
    cross_az_gb=Price(0.02, "GB", "EC2 data transfer between AZs, $0.01/GB each way, as recalled; not confirmed", "2026-12-07", False),
    ecr_gb_month=Price(0.10, "GB-month", "ECR storage $0.10/GB-month (the figure the README used before); not confirmed", "2026-12-07", False),
    route53_zone=Price(0.50, "zone-month", "Route 53 hosted zone (first 25) as recalled; not confirmed", "2026-12-07", False),
    route53_million_queries=Price(0.40, "million", "Route 53 standard queries as recalled; not confirmed", "2026-12-07", False),
)

REGIONS: dict[str, AwsPrices] = {AP_NORTHEAST_2.region: AP_NORTHEAST_2}
DEFAULT_REGION = AP_NORTHEAST_2.region
