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

from components.observability import cloudwatch as cw
from components.observability.options import HOURS_PER_MONTH, Alerting, Pricing, Signals

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


# kube-prometheus-stack's default rules (chart 88.5.3) that already cover issue 17's node and
# volume alerts: kubernetes-system-kubelet (KubeNodeNotReady, warning, 15m) and
# kubernetes-storage (KubePersistentVolumeFillingUp: critical under 3% free for 1m, warning when
# predicted full within 4 days for 1h). They carry no team; this route sends their warnings to
# the platform team (criticals page first). Ref: https://github.com/prometheus-community/helm-charts/tree/kube-prometheus-stack-88.5.3/charts/kube-prometheus-stack/templates/prometheus/rules-1.14
CHART_PLATFORM_ALERTS = ("KubeNodeNotReady", "KubePersistentVolumeFillingUp")
FINOPS_REPEAT = "24h"  # cost figures move slowly: one reminder a day, not every 4 hours


def alertmanager_config(alerting: Alerting) -> dict:
    """The ``alertmanager.config`` value: seed 002's routes, each alert delivered once.

    The first matching route wins (no ``continue``):
    - Watchdog always fires (kube-prometheus-stack's dead man's switch); it goes to its own
      ``watchdog`` receiver, re-sent every minute, for an external heartbeat monitor to watch;
    - ``severity=critical`` pages ``critical-alerts`` only. Every platform rule also carries
      ``team=platform``; with ``continue`` the same page reached ``platform-team`` as well;
    - FinOps warnings (``category=finops``) go to ``platform-team``, reminded daily;
    - other ``team=platform`` alerts go to ``platform-team``, and so do the chart's node and
      volume warnings (``CHART_PLATFORM_ALERTS``);
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
                {"matchers": [f'alertname =~ "{"|".join(CHART_PLATFORM_ALERTS)}"'], "receiver": "platform-team"},
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


def _nginx_ratio(window: str) -> str:
    return (
        f'sum(rate(nginx_ingress_controller_requests{{status=~"5.."}}[{window}])) / '
        f"sum(rate(nginx_ingress_controller_requests[{window}]))"
    )


def _alb_sum(metric: cw.CloudWatchMetric, window: str) -> str:
    return f"sum(sum_over_time({metric.series}[{window}]))"


def _alb_ratio(window: str) -> str:
    """(target 5xx + load balancer 5xx) / (requests routed to targets + load balancer 5xx):
    the balancer's own 5xx never reached a target, so RequestCount does not hold them. A
    balancer without any 5xx has no such series (``or vector(0)``)."""
    elb = f"({_alb_sum(cw.ELB_5XX, window)} or vector(0))"
    return f"({_alb_sum(cw.TARGET_5XX, window)} + {elb}) / ({_alb_sum(cw.REQUESTS, window)} + {elb})"


# Burn-rate windows in minutes: (short, long) per alert. Ref: https://sre.google/workbook/alerting-on-slos/ (table 5-8)
FAST_WINDOWS = ((5, 60, 14.4), (30, 360, 6))
SLOW_WINDOWS = (360, 4320, 1)


def _minutes(m: int) -> str:
    hours, mins = divmod(m, 60)
    days, hours = divmod(hours, 24)
    return "".join(f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (mins, "m")) if v)


def _burn_rate(sli: str, short: int, long: int, factor: float) -> str:
    """Both windows above ``factor`` times the error budget. On the ALB every window is widened
    by the CloudWatch lag (``cloudwatch.windowed``) so it holds as many minutes of traffic."""
    budget = round(1 - AVAILABILITY_SLO, 6)
    ratio, window = (_alb_ratio, cw.windowed) if sli == "alb" else (_nginx_ratio, _minutes)
    return f"({ratio(window(long))} > ({factor} * {budget})) and ({ratio(window(short))} > ({factor} * {budget}))"


def _latency(sli: str) -> tuple[str, str]:
    """p95 latency expression and its summary. ingress-nginx: from the request histogram over 5m,
    per Ingress. ALB: CloudWatch's p95 of TargetResponseTime per minute and target group,
    averaged over 5 minutes of data."""
    if sli == "alb":
        return (
            "max by (dimension_LoadBalancer, dimension_TargetGroup) "
            f"(avg_over_time({cw.RESPONSE_P95.series}[{cw.windowed(5)}])) > {LATENCY_P95_SECONDS}",
            "p95 latency of target group {{ $labels.dimension_TargetGroup }} is above 200 ms",
        )
    return (
        "histogram_quantile(0.95, sum by (le, namespace, ingress) "
        "(rate(nginx_ingress_controller_request_duration_seconds_bucket[5m]))) "
        f"> {LATENCY_P95_SECONDS}",
        "p95 latency of {{ $labels.namespace }}/{{ $labels.ingress }} is above 200 ms",
    )


def slo_rules(sli: str = "ingress-nginx") -> list[dict]:
    """Availability as a multi-window, multi-burn-rate alert (page at 14.4x over 1h/5m and
    6x over 6h/30m; ticket at 1x over 3d/6h) and p95 latency.

    The SLI comes from where every public request passes: ingress-nginx on kind, the ALB on
    eks (``sli``). Severities, labels, ``for:`` and routing are the same for both: the ALB's
    series arrive late (``cloudwatch.LAG_S``), which widens the windows, and each minute is one
    datapoint, so the ``for:`` durations (2m, 1h, 5m) already span at least two of them.
    Ref: https://sre.google/workbook/alerting-on-slos/ (table 5-8)
    """
    page = {"severity": "critical", "team": "platform", "slo": "availability"}
    fast = " or ".join(_burn_rate(sli, short, long, factor) for short, long, factor in FAST_WINDOWS)
    latency, latency_summary = _latency(sli)
    where = "the ALB" if sli == "alb" else "the ingress"
    return [
        {
            "alert": "AvailabilitySLOBurnRateFast",
            "expr": fast,
            "for": "2m",
            "labels": page,
            "annotations": {
                "summary": "Error budget of the 99.9% availability SLO is burning fast",
                "description": f"5xx ratio through {where} is {{{{ $value | humanizePercentage }}}}.",
            },
        },
        {
            "alert": "AvailabilitySLOBurnRateSlow",
            "expr": _burn_rate(sli, *SLOW_WINDOWS),
            "for": "1h",
            "labels": {**page, "severity": "warning"},
            "annotations": {"summary": "The availability SLO's error budget will run out within the month"},
        },
        {
            "alert": "HighLatencyP95",
            "expr": latency,
            "for": "5m",
            "labels": {"severity": "warning", "team": "platform", "slo": "latency"},
            "annotations": {"summary": latency_summary, "description": "95th percentile latency is {{ $value }}s"},
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


# OpenCost's series (pkg/costmodel/metrics.go): per container, the CPU cores and memory bytes
# it is allocated (max of request and usage); per node, the hourly price of one vCPU, one GiB
# of memory and the whole node, as the cloud provider's price list gives them (Spot included).
# Ref: https://github.com/opencost/opencost/blob/develop/pkg/costmodel/metrics.go
OPENCOST_CPU, OPENCOST_MEMORY = "container_cpu_allocation", "container_memory_allocation_bytes"
OPENCOST_NODE_CPU, OPENCOST_NODE_RAM = "node_cpu_hourly_cost", "node_ram_hourly_cost"
OPENCOST_NODE_TOTAL = "node_total_hourly_cost"


def allocation_cost(by: str, selector: str = "") -> str:
    """Monthly cost of what containers are allocated, each at its own node's prices."""
    match = f"{{{selector}}}" if selector else ""
    cpu = f"{OPENCOST_CPU}{match} * on (node) group_left () avg by (node) ({OPENCOST_NODE_CPU})"
    memory = f"{OPENCOST_MEMORY}{match} / {GIB} * on (node) group_left () avg by (node) ({OPENCOST_NODE_RAM})"
    return f"(sum by ({by}) ({cpu}) + sum by ({by}) ({memory})) * {HOURS_PER_MONTH}"


OPENCOST_MANAGEMENT, OPENCOST_LOAD_BALANCER, OPENCOST_PV = "kubecost_cluster_management_cost", "kubecost_load_balancer_cost", "pv_hourly_cost"


def cluster_cost() -> str:
    """Monthly cost OpenCost sees in the cluster: its nodes, the managed control plane, its
    load-balancer Services and its volumes (``pv_hourly_cost`` is per GiB-hour, times each
    volume's size from kube-state-metrics). Each part may be absent (``or vector(0)``)."""
    parts = (
        f"sum({OPENCOST_NODE_TOTAL})",
        f"(sum({OPENCOST_MANAGEMENT}) or vector(0))",
        f"(sum({OPENCOST_LOAD_BALANCER}) or vector(0))",
        f"(sum({OPENCOST_PV} * on (persistentvolume) group_left () kube_persistentvolume_capacity_bytes / {GIB}) or vector(0))",
    )
    return f"({' + '.join(parts)}) * {HOURS_PER_MONTH}"


def _budget_rule(pricing: Pricing, cost: str) -> dict:
    if cost == "opencost":
        expr, what = cluster_cost(), "The cluster costs about ${{ $value | humanize }} per month at the cloud's prices (OpenCost)."
    else:
        expr, what = monthly_cost(pricing), "Requests cost about ${{ $value | humanize }} per month at the configured prices."
    return {
        "alert": "MonthlyCostOverBudget",
        "expr": f"{expr} > {pricing.monthly_budget}",
        "for": "30m",
        "labels": {"severity": "warning", "team": "platform", "category": "finops"},
        "annotations": {
            "summary": f"Estimated monthly cost is above the ${pricing.monthly_budget:g} budget",
            "description": what,
        },
    }


def finops_rules(pricing: Pricing, cost: str = "requests") -> list[dict]:
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
        _budget_rule(pricing, cost),
    ]


def _addon_rules() -> dict[str, dict]:
    """One alert per cluster add-on, on the metrics the add-on itself exports.

    - The AWS Load Balancer Controller is a controller-runtime manager: ``controller_runtime_reconcile_errors_total``
      per ``controller`` (scraped through its ``prometheus.io/scrape`` pod annotations, job
      ``kubernetes-pods``). Ref: sigs.k8s.io/controller-runtime pkg/internal/controller/metrics/metrics.go
    - The Cluster Autoscaler: ``cluster_autoscaler_unschedulable_pods_count`` and
      ``cluster_autoscaler_scaled_up_nodes_total``. Ref: https://github.com/kubernetes/autoscaler/blob/cluster-autoscaler-chart-9.59.0/cluster-autoscaler/metrics/metrics.go
    - YACE counts failed AWS calls in ``yace_cloudwatch_request_errors`` per ``api_name``.
    """
    platform = {"severity": "warning", "team": "platform"}
    return {
        "aws-load-balancer-controller": {
            "alert": "LoadBalancerControllerReconcileErrors",
            "expr": (
                'sum by (namespace, controller) (increase(controller_runtime_reconcile_errors_total'
                '{app="aws-load-balancer-controller"}[10m])) > 0'
            ),
            "for": "15m",
            "labels": platform,
            "annotations": {
                "summary": "The AWS Load Balancer Controller fails to reconcile {{ $labels.controller }}",
                "description": "{{ $value }} reconcile errors in 10 minutes: Ingresses and load balancers may be stale. "
                "Check the controller's logs in {{ $labels.namespace }}.",
            },
        },
        "cluster-autoscaler": {
            "alert": "ClusterAutoscalerCannotScaleUp",
            "expr": (
                'sum(cluster_autoscaler_unschedulable_pods_count{type="unschedulable"}) > 0 '
                "unless sum(increase(cluster_autoscaler_scaled_up_nodes_total[15m])) > 0"
            ),
            "for": "15m",
            "labels": platform,
            "annotations": {
                "summary": "Pods stay unschedulable and the Cluster Autoscaler adds no node",
                "description": "{{ $value }} pods unschedulable with no scale-up in 15 minutes: "
                "node groups at their maximum, or scale-ups failing (cluster_autoscaler_failed_scale_ups_total).",
            },
        },
        "cloudwatch-exporter": {
            "alert": "CloudWatchExporterErrors",
            "expr": f"sum by (api_name) (increase({cw.REQUEST_ERRORS}[10m])) > 0",
            "for": "15m",
            "labels": platform,
            "annotations": {
                "summary": "The CloudWatch exporter fails to read {{ $labels.api_name }}",
                "description": "{{ $value }} failed AWS calls in 10 minutes: the ALB's SLO series are missing or stale.",
            },
        },
    }


def platform_rules(addons: tuple[str, ...]) -> list[dict]:
    rules = _addon_rules()
    return [rules[a] for a in addons]


def rule_groups(pricing: Pricing, signals: Signals = Signals()) -> list[dict]:
    """The PrometheusRule ``spec.groups``; ``signals`` picks the SLI and cost sources and the
    add-ons that get alerts."""
    groups = [
        {"name": "slo", "rules": slo_rules(signals.sli)},
        {"name": "workloads", "rules": workload_rules()},
        {"name": "finops", "rules": finops_rules(pricing, signals.cost)},
    ]
    if signals.addons:
        groups.append({"name": "platform", "rules": platform_rules(signals.addons)})
    return groups
