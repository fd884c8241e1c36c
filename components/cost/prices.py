"""AWS unit prices for ap-northeast-2 (Seoul), as dated data with their source.

No package on the reachable registries ships offline AWS price data, so the figures live here.
Each ``Price`` says where it came from, when, and whether it was confirmed against an AWS page
(``confirmed``) or is a figure to check (read from 2026 Seoul bills, a third-party table, or an
assumption). Update a figure by editing it here with its new source and date; the tests pin
the issue's starting figures, so a change shows up in review.
"""

from __future__ import annotations

from dataclasses import dataclass

HOURS_PER_MONTH = 730  # AWS's and OpenCost's convention for a month

_BILLS = "public 2026 Seoul bills (issue 11's starting figures)"


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


AP_NORTHEAST_2 = AwsPrices(
    region="ap-northeast-2",
    # Ref: https://aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-pricing/
    # "clusters ... in standard support ... continue to pay $0.10 per cluster per hour" (all regions).
    eks_control_plane=Price(0.10, "hour", "AWS containers blog, EKS extended support pricing (standard support $0.10/cluster-h)", "2026-11-28", True),
    on_demand={
        # Only a third-party Seoul table (a Korean price list in a public repository) backs this;
        # the AWS price page itself could not be read offline.
        "t3.medium": Price(0.052, "hour", f"{_BILLS}; matches a third-party Seoul on-demand table", "2026-11-28", False),
        "t3.large": Price(0.104, "hour", "third-party Seoul on-demand table (2 x t3.medium)", "2026-11-28", False),
        "t3.small": Price(0.026, "hour", "third-party Seoul on-demand table (t3.medium / 2)", "2026-11-28", False),
    },
    spot={
        # Not confirmed: spot prices move every few minutes. An assumption of 70 % off on-demand;
        # check `aws ec2 describe-spot-price-history --instance-types t3.medium --region ap-northeast-2`.
        "t3.medium": Price(0.0156, "hour", "assumption: 70 % below on-demand (not confirmed)", "2026-11-28", False),
        "t3.large": Price(0.0312, "hour", "assumption: 70 % below on-demand (not confirmed)", "2026-11-28", False),
        "t3.small": Price(0.0078, "hour", "assumption: 70 % below on-demand (not confirmed)", "2026-11-28", False),
    },
    nat_gateway=Price(0.059, "hour", _BILLS, "2026-11-28", False),
    nat_gateway_gb=Price(0.059, "GB", _BILLS, "2026-11-28", False),
    # Ref: https://aws.amazon.com/blogs/networking-and-content-delivery/identify-and-optimize-public-ipv4-address-usage-on-aws/
    # (the charge on every public IPv4 from 2024-02-01, NAT gateways and load balancers included;
    # the $0.005/h figure itself was read from third-party pages quoting it for all regions).
    public_ipv4=Price(0.005, "hour", f"{_BILLS}; AWS networking blog (charge since 2024-02-01)", "2026-11-28", False),
    gp3_gb_month=Price(0.0912, "GB-month", _BILLS, "2026-11-28", False),
    # LCUs are traffic-dependent and left out; the hourly figure is the us-east-1 one and was not
    # confirmed for Seoul (a third-party page gives $0.0243/h for Tokyo).
    alb=Price(0.0225, "hour", f"{_BILLS}; plus LCUs (not estimated)", "2026-11-28", False),
    nlb=Price(0.0225, "hour", "assumption: the ALB hourly figure (NLB price not confirmed); plus NLCUs", "2026-11-28", False),
    # Ref: https://aws.amazon.com/kms/pricing/ ("Each AWS KMS key that you create in KMS costs $1/month")
    kms_key=Price(1.0, "key-month", "AWS KMS pricing page", "2026-11-28", True),
)

# vCPUs and GiB of memory per instance type. Ref: https://aws.amazon.com/ec2/instance-types/t3/
INSTANCE_SIZES: dict[str, tuple[int, float]] = {"t3.small": (2, 2.0), "t3.medium": (2, 4.0), "t3.large": (2, 8.0)}

REGIONS: dict[str, AwsPrices] = {AP_NORTHEAST_2.region: AP_NORTHEAST_2}
DEFAULT_REGION = AP_NORTHEAST_2.region
