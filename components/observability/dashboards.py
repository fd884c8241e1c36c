"""Grafana dashboards built with grafana-foundation-sdk, shipped as labelled ConfigMaps.

``finops_dashboard`` follows seed 000 step 4 ("FinOps Cost Analysis"); ``cloudmart_dashboard``
shows the CloudMart services. Queries build on kube-prometheus-stack's recording rules, which
count only running pods, so finished pods do not inflate requests.
"""

from __future__ import annotations

import json

from grafana_foundation_sdk.builders import barchart, common as common_b, dashboard as dash_b
from grafana_foundation_sdk.builders import gauge, prometheus as prom_b, stat, table, text, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common, dashboard as dash_m, prometheus as prom_m, text as text_m
from grafana_foundation_sdk.models.dashboard import DataSourceRef, Threshold, ThresholdsMode

from components.observability import cloudwatch as cw
from components.observability.alerting import allocation_cost, monthly_cost
from components.observability.options import HOURS_PER_MONTH, Pricing
from components.observability.ownership import LABELS
from components.observability.prometheus import DASHBOARD_LABEL, PROMETHEUS_UID

PROM = DataSourceRef(type_val="prometheus", uid=PROMETHEUS_UID)
NS = 'namespace=~"$namespace"'
REQ_CPU = f"namespace_cpu:kube_pod_container_resource_requests:sum{{{NS}}}"
REQ_MEM = f"namespace_memory:kube_pod_container_resource_requests:sum{{{NS}}}"
USE_CPU = f"node_namespace_pod_container:container_cpu_usage_seconds_total:sum_rate5m{{{NS}}}"
USE_MEM = f'node_namespace_pod_container:container_memory_working_set_bytes{{{NS},container!=""}}'
# Per-pod CPU requests of active (Pending/Running) pods only.
POD_REQ_CPU = f"cluster:namespace:pod_cpu:active:kube_pod_container_resource_requests{{{NS}}}"

RECOMMENDATIONS = """### Cost Optimization Recommendations

**Apply now**
- Pods in *Top 10 Over-Provisioned Pods* wasting more than 0.1 core: lower their CPU requests towards p95 usage plus 20%.
- Namespaces under 40% CPU efficiency (red): right-size requests, or let the HPA scale out instead of sizing for peaks.
- Remove idle workloads in non-production namespaces outside working hours.

**Longer term**
- Set requests from measured usage (VPA in recommendation mode), review monthly.
- Keep `team` and `cost-center` labels on every namespace so cost is attributed (showback).
- Watch the *Estimated Monthly Cost* against the budget alert (`MonthlyCostOverBudget`).
"""


def query(expr: str, ref: str = "A", legend: str = "", table_format: bool = False, instant: bool = False) -> prom_b.Dataquery:
    b = prom_b.Dataquery().expr(expr).datasource(PROM).ref_id(ref)
    if legend:
        b = b.legend_format(legend)
    if table_format:
        b = b.format(prom_m.PromQueryFormat.TABLE)
    if instant:
        b = b.instant()
    return b


def _thresholds(*steps: tuple[float | None, str]) -> dash_b.ThresholdsConfig:
    return dash_b.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps([Threshold(value=v, color=c) for v, c in steps])


def _last() -> common_b.ReduceDataOptions:
    return common_b.ReduceDataOptions().calcs(["lastNotNull"])


def namespace_variable() -> dash_b.QueryVariable:
    return (
        dash_b.QueryVariable("namespace")
        .label("namespace")
        .datasource(PROM)
        .query("label_values(kube_namespace_labels, namespace)")
        .refresh(dash_m.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .multi(True)
        .include_all(True)
    )


# Grafana's grid is 24 columns wide. The SDK places panels left to right and wraps only
# after a row overflows, so the widths of each row must add up to exactly 24.
GRID_COLUMNS = 24
STAT_WIDTH, GAUGE_WIDTH = 5, 4  # four stats and the gauge: 4 x 5 + 4 = 24


def _stat(title: str, expr: str, unit: str) -> stat.Panel:
    return (
        stat.Panel().title(title).unit(unit).with_target(query(expr, instant=True)).reduce_options(_last())
        .height(5).span(STAT_WIDTH)
    )


def _recommendations(width: int) -> text.Panel:
    return text.Panel().title("Cost Optimization Recommendations").mode(text_m.TextMode.MARKDOWN).content(RECOMMENDATIONS).height(8).span(width)


def _cost_panels(pricing: Pricing, cost: str = "requests") -> list:
    """Cost by namespace: requests at the flat configured prices, or (``opencost``) OpenCost's
    allocations at each node's own price, with the ten costliest workloads beside it."""
    if cost == "opencost":
        return [
            table.Panel().title(f"Estimated Monthly Cost by Namespace (USD; OpenCost allocations x node prices x {HOURS_PER_MONTH} h)")
            .unit("currencyUSD")
            .with_target(query(allocation_cost("namespace", NS), table_format=True, instant=True))
            .height(8).span(8),
            table.Panel().title("Top 10 Workloads by Cost (USD/month, OpenCost)")
            .unit("currencyUSD")
            .with_target(query(f"topk(10, {allocation_cost('namespace, pod', NS)})", table_format=True, instant=True))
            .height(8).span(8),
            _recommendations(8),
        ]
    return [
        table.Panel()
        .title(f"Estimated Monthly Cost by Namespace (USD; ${pricing.cpu_hourly}/vCPU-h, ${pricing.memory_gib_hourly}/GiB-h x {HOURS_PER_MONTH} h)")
        .unit("currencyUSD")
        .with_target(query(monthly_cost(pricing, by="namespace", selector=NS), table_format=True, instant=True))
        .height(8)
        .span(12),
        _recommendations(12),
    ]


def finops_dashboard(pricing: Pricing, cost: str = "requests") -> dict:
    """Seed 000 step 4 panels, in reading order; ``cost`` picks the cost panels' source."""
    waste_cpu = f"clamp_min(sum({REQ_CPU}) - sum({USE_CPU}), 0)"
    waste_mem = f"clamp_min(sum({REQ_MEM}) - sum({USE_MEM}), 0)"
    efficiency = f"sum({USE_CPU}) / sum({REQ_CPU})"
    by_ns = f"sum by (namespace) ({USE_CPU}) / sum by (namespace) ({REQ_CPU})"
    pod_waste = (
        f"topk(10, sum by (namespace, pod) ({POD_REQ_CPU}) - "
        f"sum by (namespace, pod) ({USE_CPU}))"
    )
    builder = (
        dash_b.Dashboard("FinOps Cost Analysis")
        .uid("finops-cost-analysis")
        .tags(["finops", "cost", "kubernetes"])
        .time("now-24h", "now")
        .refresh("1m")
        .with_variable(namespace_variable())
        .with_panel(_stat("Total CPU Requests (Cost Baseline)", f"sum({REQ_CPU})", "none"))
        .with_panel(_stat("Total Memory Requests (Cost Baseline)", f"sum({REQ_MEM})", "bytes"))
        .with_panel(
            gauge.Panel().title("Overall CPU Efficiency").unit("percentunit").min(0).max(1)
            .with_target(query(efficiency, instant=True)).reduce_options(_last())
            .thresholds(_thresholds((None, "red"), (0.4, "yellow"), (0.7, "green")))
            .height(5).span(GAUGE_WIDTH)
        )
        .with_panel(_stat("Wasted CPU Cores", waste_cpu, "none"))
        .with_panel(_stat("Wasted Memory", waste_mem, "bytes"))
        .with_panel(
            barchart.Panel().title("CPU Efficiency by Namespace").unit("percentunit")
            .with_target(query(by_ns, table_format=True, instant=True))
            .x_field("namespace").height(8).span(12)
        )
        .with_panel(
            table.Panel().title("Top 10 Over-Provisioned Pods (wasted CPU cores)")
            .with_target(query(pod_waste, table_format=True, instant=True)).height(8).span(12)
        )
        .with_panel(
            timeseries.Panel().title("Resource Usage Trend (24h)").unit("none")
            .with_target(query(f"sum by (namespace) ({USE_CPU})", "A", "{{namespace}} CPU used"))
            .with_target(query(f"sum by (namespace) ({REQ_CPU})", "B", "{{namespace}} CPU requested"))
            .height(8).span(24)
        )
    )
    for panel in _cost_panels(pricing, cost):
        builder = builder.with_panel(panel)
    return _to_dict(builder)


def _ingress_panels(cm: str, sli: str = "ingress-nginx") -> list:
    """What the shop's users see at the entry point (the SLO alerts' SLI), per service: through
    ingress-nginx (``namespace`` is the Ingress's: its PodMonitor honours it), or at the ALB per
    target group (CloudWatch's per-minute sums and p95; the series arrive ``LAG_S`` late)."""
    if sli == "alb":
        group = "dimension_TargetGroup"
        ratio = (
            f"sum by ({group}) (sum_over_time({cw.TARGET_5XX.series}[$__rate_interval])) / "
            f"sum by ({group}) (sum_over_time({cw.REQUESTS.series}[$__rate_interval]))"
        )
        latency = f"max by ({group}) ({cw.RESPONSE_P95.series})"
        legend = "{{dimension_TargetGroup}}"
    else:
        requests = f"nginx_ingress_controller_requests{{{cm}}}"
        errors = f'nginx_ingress_controller_requests{{{cm},status=~"5.."}}'
        buckets = f"nginx_ingress_controller_request_duration_seconds_bucket{{{cm}}}"
        ratio = f"sum by (service) (rate({errors}[$__rate_interval])) / sum by (service) (rate({requests}[$__rate_interval]))"
        latency = f"histogram_quantile(0.95, sum by (le, service) (rate({buckets}[$__rate_interval])))"
        legend = "{{service}}"
    where = "ALB" if sli == "alb" else "Ingress"
    return [
        timeseries.Panel().title(f"{where} 5xx ratio").unit("percentunit")
        .with_target(query(ratio, legend=legend)).height(8).span(12),
        timeseries.Panel().title(f"{where} p95 latency").unit("s")
        .with_target(query(latency, legend=legend)).height(8).span(12),
    ]


def cloudmart_dashboard(sli: str = "ingress-nginx") -> dict:
    """Requests/s and active connections (nginx exporter), HPA replicas, pod restarts, and
    the 5xx ratio and p95 latency at the entry point (``sli``: the ingress or the ALB)."""
    cm = 'namespace="cloudmart"'
    builder = (
        dash_b.Dashboard("CloudMart Services")
        .uid("cloudmart-services")
        .tags(["cloudmart"])
        .time("now-1h", "now")
        .refresh("30s")
        .with_panel(
            timeseries.Panel().title("Requests per second").unit("reqps")
            .with_target(query(f"sum by (app) (rate(nginx_http_requests_total{{{cm}}}[$__rate_interval]))", legend="{{app}}"))
            .height(8).span(12)
        )
        .with_panel(
            timeseries.Panel().title("Active connections")
            .with_target(query(f"sum by (app) (nginx_connections_active{{{cm}}})", legend="{{app}}"))
            .height(8).span(12)
        )
        .with_panel(
            timeseries.Panel().title("HPA current vs desired replicas")
            .with_target(query(f"kube_horizontalpodautoscaler_status_current_replicas{{{cm}}}", "A", "{{horizontalpodautoscaler}} current"))
            .with_target(query(f"kube_horizontalpodautoscaler_status_desired_replicas{{{cm}}}", "B", "{{horizontalpodautoscaler}} desired"))
            .height(8).span(12)
        )
        .with_panel(
            timeseries.Panel().title("Pod restarts (1h)")
            .with_target(query(f"sum by (pod) (increase(kube_pod_container_status_restarts_total{{{cm}}}[1h]))", legend="{{pod}}"))
            .height(8).span(12)
        )
    )
    for panel in _ingress_panels(cm, sli):
        builder = builder.with_panel(panel)
    return _to_dict(builder)


def _to_dict(builder: dash_b.Dashboard) -> dict:
    return json.loads(json.dumps(builder.build(), cls=JSONEncoder, sort_keys=True))


def dashboard_configmap(name: str, namespace: str, dashboard: dict) -> dict:
    """A ConfigMap the Grafana sidecar loads (label ``grafana_dashboard: "1"``, any namespace)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {DASHBOARD_LABEL: "1", **LABELS},
        },
        "data": {f"{name}.json": json.dumps(dashboard, sort_keys=True)},
    }


def dashboard_exprs(dashboard: dict) -> list[str]:
    """Every PromQL expression of a dashboard (targets and variable queries excluded)."""
    return [t["expr"] for p in dashboard.get("panels", []) for t in p.get("targets", []) if "expr" in t]

