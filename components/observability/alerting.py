"""Alertmanager routing and the platform's alert rules, as pure data.

Routing follows seed 002: group by alertname/cluster/service, ``severity: critical`` goes to
``critical-alerts`` and ``team: platform`` to ``platform-team``, each alert to one of them. Receiver credentials never
appear in values: the Slack webhook URL and SMTP password live in a Secret that the
Alertmanager pod mounts (``alertmanagerSpec.secrets``) and the config reads with
``*_file`` fields. With nothing configured every receiver has no integrations (a null
receiver), so Alertmanager starts and nothing is sent.
Ref: https://prometheus.io/docs/alerting/latest/configuration/
"""

from __future__ import annotations

from components.observability.options import HOURS_PER_MONTH, Alerting, Pricing

RECEIVER_SECRET = "alertmanager-receivers"
SECRET_DIR = f"/etc/alertmanager/secrets/{RECEIVER_SECRET}"
SLACK_KEY, SMTP_KEY = "slack-webhook-url", "smtp-password"
GIB = 1024**3

# The SLO the multi-burn-rate alert protects: 99.9% of requests through the ingress succeed.
AVAILABILITY_SLO = 0.999
LATENCY_P95_SECONDS = 0.2  # seed 002: p95 < 200 ms
EFFICIENCY_FLOOR = 0.4  # seed 000 step 4: below 40% CPU efficiency is waste


def receiver_secret_data(alerting: Alerting) -> dict[str, str]:
    """Keys of the receivers' Secret; empty when no credential is configured."""
    data = {}
    if alerting.slack_webhook_url:
        data[SLACK_KEY] = alerting.slack_webhook_url
    if alerting.smtp_password:
        data[SMTP_KEY] = alerting.smtp_password
    return data


def _email(alerting: Alerting) -> list[dict]:
    if not alerting.email:
        return []
    config = {
        "to": alerting.email_to,
        "from": alerting.email_from,
        "smarthost": alerting.smtp_smarthost,
        "auth_username": alerting.email_from,
        "send_resolved": True,
        "headers": {"Subject": "[{{ .Status }}] {{ .GroupLabels.alertname }}"},
    }
    if alerting.smtp_password:
        config["auth_password_file"] = f"{SECRET_DIR}/{SMTP_KEY}"
    return [config]


def _slack(alerting: Alerting, channel: str) -> list[dict]:
    if not alerting.slack:
        return []
    return [
        {
            "api_url_file": f"{SECRET_DIR}/{SLACK_KEY}",
            "channel": channel,
            "send_resolved": True,
            "title": "{{ .Status | toUpper }}: {{ .GroupLabels.alertname }}",
        }
    ]


def _receiver(name: str, email: list[dict], slack: list[dict]) -> dict:
    receiver: dict = {"name": name}
    if email:
        receiver["email_configs"] = email
    if slack:
        receiver["slack_configs"] = slack
    return receiver


FINOPS_REPEAT = "24h"  # cost figures move slowly: one reminder a day, not every 4 hours


def alertmanager_config(alerting: Alerting) -> dict:
    """The ``alertmanager.config`` value: seed 002's routes, each alert delivered once.

    The first matching route wins (no ``continue``):
    - Watchdog always fires (kube-prometheus-stack's dead man's switch); it goes to its own
      ``watchdog`` receiver, re-sent every minute, for an external heartbeat monitor to watch;
    - ``severity=critical`` pages ``critical-alerts`` only. Every platform rule also carries
      ``team=platform``; with ``continue`` the same page reached ``platform-team`` as well;
    - FinOps warnings (``category=finops``) go to ``platform-team``, reminded daily;
    - other ``team=platform`` alerts go to ``platform-team``;
    - everything else (the chart's own rules carry no team) goes to ``default`` (e-mail).
    """
    email, critical, platform = _email(alerting), _slack(alerting, "#critical-alerts"), _slack(alerting, "#platform-team")
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "group_by": ["alertname", "cluster", "service"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "receiver": "default",
            "routes": [
                {"matchers": ['alertname = "Watchdog"'], "receiver": "watchdog", "repeat_interval": "1m"},
                {"matchers": ['alertname = "InfoInhibitor"'], "receiver": "null"},
                {"matchers": ['severity = "critical"'], "receiver": "critical-alerts"},
                {"matchers": ['category = "finops"'], "receiver": "platform-team", "repeat_interval": FINOPS_REPEAT},
                {"matchers": ['team = "platform"'], "receiver": "platform-team"},
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity = "critical"'],
                "target_matchers": ['severity = "warning"'],
                "equal": ["alertname", "namespace"],
            }
        ],
        "receivers": [
            _receiver("default", email, []),
            _receiver("critical-alerts", email, critical),
            _receiver("platform-team", [], platform),
            {"name": "watchdog"},
            {"name": "null"},
        ],
        "templates": ["/etc/alertmanager/config/*.tmpl"],
    }


def _burn_rate(short: str, long: str, factor: float) -> str:
    budget = round(1 - AVAILABILITY_SLO, 6)
    ratio = (
        'sum(rate(nginx_ingress_controller_requests{{status=~"5.."}}[{w}])) / '
        "sum(rate(nginx_ingress_controller_requests[{w}]))"
    )
    return f"({ratio.format(w=long)} > ({factor} * {budget})) and ({ratio.format(w=short)} > ({factor} * {budget}))"


def slo_rules() -> list[dict]:
    """Availability as a multi-window, multi-burn-rate alert (page at 14.4x over 1h/5m and
    6x over 6h/30m; ticket at 1x over 3d/6h) and p95 latency from a histogram.

    The SLI is ingress-nginx's request counter: every public request passes the ingress.
    Ref: https://sre.google/workbook/alerting-on-slos/ (table 5-8)
    """
    page = {"severity": "critical", "team": "platform", "slo": "availability"}
    return [
        {
            "alert": "AvailabilitySLOBurnRateFast",
            "expr": f"{_burn_rate('5m', '1h', 14.4)} or {_burn_rate('30m', '6h', 6)}",
            "for": "2m",
            "labels": page,
            "annotations": {
                "summary": "Error budget of the 99.9% availability SLO is burning fast",
                "description": "5xx ratio through the ingress is {{ $value | humanizePercentage }}.",
            },
        },
        {
            "alert": "AvailabilitySLOBurnRateSlow",
            "expr": _burn_rate("6h", "3d", 1),
            "for": "1h",
            "labels": {**page, "severity": "warning"},
            "annotations": {"summary": "The availability SLO's error budget will run out within the month"},
        },
        {
            "alert": "HighLatencyP95",
            "expr": (
                "histogram_quantile(0.95, sum by (le, namespace, ingress) "
                "(rate(nginx_ingress_controller_request_duration_seconds_bucket[5m]))) "
                f"> {LATENCY_P95_SECONDS}"
            ),
            "for": "5m",
            "labels": {"severity": "warning", "team": "platform", "slo": "latency"},
            "annotations": {
                "summary": "p95 latency of {{ $labels.namespace }}/{{ $labels.ingress }} is above 200 ms",
                "description": "95th percentile latency is {{ $value }}s",
            },
        },
    ]


def workload_rules() -> list[dict]:
    """Seed 002's PodCrashLooping, on the waiting reason rather than raw restart counts."""
    return [
        {
            "alert": "PodCrashLooping",
            "expr": 'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1',
            "for": "15m",
            "labels": {"severity": "warning", "team": "platform"},
            "annotations": {
                "summary": "Pod {{ $labels.namespace }}/{{ $labels.pod }} is crash looping",
                "description": "Container {{ $labels.container }} keeps restarting (CrashLoopBackOff).",
            },
        }
    ]


def namespace_cpu_efficiency() -> str:
    """Usage / requests per namespace, from kube-prometheus-stack's recording rules (which
    count only running pods, so finished Jobs do not skew it)."""
    return (
        "sum by (namespace) (node_namespace_pod_container:container_cpu_usage_seconds_total:sum_rate5m) / "
        "sum by (namespace) (namespace_cpu:kube_pod_container_resource_requests:sum)"
    )


def monthly_cost(pricing: Pricing, by: str = "", selector: str = "") -> str:
    """Estimated monthly cost of requests (CPU cores and memory GiB times monthly prices).
    ``selector`` is a label matcher such as ``namespace=~"$namespace"`` (a dashboard's filter)."""
    group = f" by ({by})" if by else ""
    match = f"{{{selector}}}" if selector else ""
    return (
        f"(sum{group} (namespace_cpu:kube_pod_container_resource_requests:sum{match}) * {pricing.cpu_hourly} + "
        f"sum{group} (namespace_memory:kube_pod_container_resource_requests:sum{match}) / {GIB} * {pricing.memory_gib_hourly})"
        f" * {HOURS_PER_MONTH}"
    )


def finops_rules(pricing: Pricing) -> list[dict]:
    return [
        {
            "alert": "NamespaceCPUEfficiencyLow",
            "expr": f"({namespace_cpu_efficiency()}) < {EFFICIENCY_FLOOR}",
            "for": "1h",
            "labels": {"severity": "warning", "team": "platform", "category": "finops"},
            "annotations": {
                "summary": "Namespace {{ $labels.namespace }} uses under 40% of the CPU it requests",
                "description": "CPU efficiency is {{ $value | humanizePercentage }}; right-size its requests.",
            },
        },
        {
            "alert": "MonthlyCostOverBudget",
            "expr": f"{monthly_cost(pricing)} > {pricing.monthly_budget}",
            "for": "30m",
            "labels": {"severity": "warning", "team": "platform", "category": "finops"},
            "annotations": {
                "summary": f"Estimated monthly cost is above the ${pricing.monthly_budget:g} budget",
                "description": "Requests cost about ${{ $value | humanize }} per month at the configured prices.",
            },
        },
    ]


def rule_groups(pricing: Pricing) -> list[dict]:
    """The PrometheusRule ``spec.groups``."""
    return [
        {"name": "slo", "rules": slo_rules()},
        {"name": "workloads", "rules": workload_rules()},
        {"name": "finops", "rules": finops_rules(pricing)},
    ]
