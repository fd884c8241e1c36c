"""What the bill assumes that no declaration says: monthly usage and the Spot discount.

Each figure is printed next to the line it drives (``tools cost``) and can be overridden per
stack (``costAssumptions``, ``spotDiscountPercent``). No Pulumi import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Monthly usage (costAssumptions overrides each by name).
USAGE_DEFAULTS: dict[str, float] = {
    "natGb": 100.0,  # GB processed by the NAT gateway: image pulls, Docker Hub, AWS API calls
    "logGb": 10.0,  # GB of control-plane logs ingested into CloudWatch (the log types enabled)
    "albLcu": 1.0,  # average ALB capacity units
    "nlbLcu": 1.0,  # average NLB capacity units
    "crossAzGb": 50.0,  # GB between zones (billed leaving one zone and entering the other)
    "ecrGb": 5.0,  # GB of images kept in ECR
    "hostedZones": 1.0,  # Route 53 hosted zones
    "dnsQueriesMillions": 1.0,  # Route 53 standard queries, millions
}
USAGE_MEANING: dict[str, str] = {
    "natGb": "GB/month through the NAT gateway",
    "logGb": "GB/month of control-plane logs",
    "albLcu": "ALB capacity units (average)",
    "nlbLcu": "NLB capacity units (average)",
    "crossAzGb": "GB/month between zones",
    "ecrGb": "GB of images in ECR",
    "hostedZones": "Route 53 hosted zones",
    "dnsQueriesMillions": "million Route 53 queries/month",
}
DEFAULT_SPOT_DISCOUNT_PERCENT = 60.0


@dataclass(frozen=True)
class Assumptions:
    spot_discount_percent: float = DEFAULT_SPOT_DISCOUNT_PERCENT
    usage: dict[str, float] = field(default_factory=lambda: dict(USAGE_DEFAULTS))

    def to_dict(self) -> dict:
        return {"spotDiscountPercent": self.spot_discount_percent, **self.usage}


def parse_usage(text: str) -> dict[str, float]:
    """``natGb=200, logGb=5`` over the defaults; raises ValueError naming the bad pair."""
    out = dict(USAGE_DEFAULTS)
    for pair in (p.strip() for p in text.split(",") if p.strip()):
        name, sep, number = (part.strip() for part in pair.partition("="))
        if not sep or name not in USAGE_DEFAULTS:
            raise ValueError(pair)
        value = float(number)
        if not 0 <= value <= 1_000_000:
            raise ValueError(pair)
        out[name] = value
    return out
