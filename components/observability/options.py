"""What the observability stack takes from configuration, as plain data (no Pulumi import).

``stacks/settings.py`` builds these from validated config; the component and the pure
builders only read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from components.platform import Platform, SliSource

CostSource = Literal["requests", "opencost"]

HOURS_PER_MONTH = 730  # OpenCost's and the cloud providers' convention for "monthly"


@dataclass(frozen=True)
class Pricing:
    """Unit prices behind the cost panels, the budget alert and the cost estimate, and the
    budget that both the alert and ``tools diff`` hold the stack to.

    Defaults are OpenCost's own default prices. Ref:
    https://github.com/opencost/opencost-helm-chart/blob/main/charts/opencost/values.yaml (customPricing)
    """

    cpu_hourly: float = 0.031611
    memory_gib_hourly: float = 0.004237
    monthly_budget: float = 100.0
    # The cost diff's second guard: how much a change may raise the estimate (``tools diff``).
    max_increase_percent: float = 25.0

    @property
    def cpu_monthly(self) -> float:
        return round(self.cpu_hourly * HOURS_PER_MONTH, 6)

    @property
    def memory_gib_monthly(self) -> float:
        return round(self.memory_gib_hourly * HOURS_PER_MONTH, 6)


@dataclass(frozen=True)
class Alerting:
    """Alertmanager receivers' destinations. Credentials (the Slack webhook URL, the SMTP
    password) come only from secret config and reach the cluster only as a Secret.

    With nothing set, every route ends in a receiver without integrations (a null receiver).
    """

    slack_webhook_url: str | None = None
    email_to: str | None = None
    email_from: str | None = None
    smtp_smarthost: str | None = None
    smtp_password: str | None = None

    @property
    def slack(self) -> bool:
        return bool(self.slack_webhook_url)

    @property
    def email(self) -> bool:
        return bool(self.email_to)


@dataclass(frozen=True)
class Features:
    """Optional pieces (issue 3 item 6): OpenCost, and seed 001's FinOps demo workloads
    (built by ``components/finops_demo.py`` beside this stack)."""

    opencost: bool = False
    finops_demo: bool = False


@dataclass(frozen=True)
class Signals:
    """Where the rules and dashboards read their figures, from the platform data and features.

    ``sli``: ``ingress-nginx`` (the controller's request counter and latency histogram) or
    ``alb`` (the ALB's CloudWatch metrics through the CloudWatch exporter).
    ``cost``: ``requests`` prices requests at the flat configured rates; ``opencost`` reads
    OpenCost's allocation and node-price series (cloud prices).
    ``addons``: cluster add-ons that run, each with its own health alert.
    """

    sli: SliSource = "ingress-nginx"
    cost: CostSource = "requests"
    addons: tuple[str, ...] = ()

    @classmethod
    def of(cls, platform: Platform, features: Features) -> Signals:
        cost = "opencost" if features.opencost and platform.cloud_prices else "requests"
        return cls(platform.sli_source, cost, tuple(platform.addons))
