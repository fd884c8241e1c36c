"""The observability stack's pure builders: chart values, routes, rules, dashboards, PromQL."""

from __future__ import annotations

import pytest

from components.observability import addons
from components.observability.alerting import RECEIVER_SECRET, alertmanager_config, receiver_secret_data, rule_groups
from components.observability.dashboards import cloudmart_dashboard, dashboard_configmap, dashboard_exprs, finops_dashboard
from components.observability.options import Alerting, Pricing, Signals
from components.observability.prometheus import Endpoints, kube_prometheus_stack_values
from components.observability.sizes import DEV
from components.platform import Platform
from tools.crd_checks import check_pod_monitor, check_prometheus_rule
from tools.promql import ALLOWED_METRICS, KNOWN_METRICS, metric_names, problems, result_labels

KIND = Platform(name="kind", exposure="NodePort", ingress_class="nginx", cluster_scrapers=True, kubelet_insecure_tls=True)
CLUSTER = Platform(name="eks", exposure="ClusterIP", ingress_class="alb", storage_class="gp3-encrypted")
ENDPOINTS = Endpoints("http://loki.monitoring.svc.cluster.local:3100", "http://jaeger.tracing.svc.cluster.local:16686")
SECRETS = Alerting(
    slack_webhook_url="https://hooks.slack.com/services/T/B/x",
    email_to="ops@example.com",
    email_from="alerts@example.com",
    smtp_smarthost="smtp.example.com:587",
    smtp_password="pw",
)


def kps(platform=KIND, alerting=Alerting()):
    return kube_prometheus_stack_values(DEV, platform, alerting, ENDPOINTS, ("cloudmart",))


EKS_SIGNALS = Signals("alb", "opencost", ("aws-load-balancer-controller", "cluster-autoscaler", "cloudwatch-exporter"))


def all_exprs() -> list[str]:
    """Every expression of both sources: ingress-nginx and flat prices (kind), the ALB,
    OpenCost and the add-ons (eks)."""
    out = []
    for signals in (Signals(), EKS_SIGNALS):
        out += [r["expr"] for g in rule_groups(Pricing(), signals) for r in g["rules"]]
        out += dashboard_exprs(finops_dashboard(Pricing(), signals.cost)) + dashboard_exprs(cloudmart_dashboard(signals.sli))
    return out


# --- chart values -------------------------------------------------------------------------
def test_grafana_is_on_nodeport_30091_on_kind_and_clusterip_elsewhere():
    assert kps()["grafana"]["service"] == {"type": "NodePort", "nodePort": 30091}
    assert kps(CLUSTER)["grafana"]["service"] == {"type": "ClusterIP"}


def test_grafana_admin_password_comes_from_an_existing_secret():
    assert kps()["grafana"]["admin"] == {"existingSecret": "grafana-admin", "userKey": "admin-user", "passwordKey": "admin-password"}


def test_selectors_pick_up_every_servicemonitor_podmonitor_and_rule_not_only_release_labelled():
    spec = kps()["prometheus"]["prometheusSpec"]
    for key in ("serviceMonitor", "podMonitor", "rule", "probe"):
        assert spec[f"{key}SelectorNilUsesHelmValues"] is False


def test_prometheus_has_retention_and_a_claim_from_the_platform_storage_class():
    spec = kps(CLUSTER)["prometheus"]["prometheusSpec"]
    assert spec["retention"] == DEV.retention
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3-encrypted"
    assert claim["resources"]["requests"]["storage"] == f"{DEV.prometheus_storage_gi}Gi"
    assert "storageClassName" not in kps()["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]


def test_annotated_pods_are_scraped_except_those_a_podmonitor_covers():
    (job,) = kps()["prometheus"]["prometheusSpec"]["additionalScrapeConfigs"]
    keep, drop = job["relabel_configs"][0], job["relabel_configs"][1]
    assert keep["source_labels"] == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"] and keep["action"] == "keep"
    assert drop["action"] == "drop" and drop["regex"] == "cloudmart"


def test_kube_state_metrics_exports_team_and_cost_center_labels():
    allow = kps()["kube-state-metrics"]["metricLabelsAllowlist"]
    assert "namespaces=[team,cost-center,project]" in allow
    assert any(a.startswith("pods=[team,cost-center") for a in allow)


def test_control_plane_scrapers_follow_platform_data():
    for key in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert kps()[key]["enabled"] is True
        assert kps(CLUSTER)[key]["enabled"] is False
    assert kps()["kubeEtcd"]["service"]["port"] == 2381


def test_datasources_are_cross_linked_logs_to_traces_and_exemplars_to_traces():
    grafana = kps()["grafana"]
    loki, jaeger = grafana["additionalDataSources"]
    assert loki["jsonData"]["derivedFields"][0]["datasourceUid"] == "jaeger"
    assert jaeger["type"] == "jaeger" and jaeger["jsonData"]["tracesToLogsV2"]["datasourceUid"] == "loki"
    assert grafana["sidecar"]["datasources"]["exemplarTraceIdDestinations"]["datasourceUid"] == "jaeger"
    assert grafana["sidecar"]["dashboards"]["label"] == "grafana_dashboard"
    assert grafana["sidecar"]["dashboards"]["searchNamespace"] == ["monitoring"]


def test_metrics_server_skips_kubelet_tls_only_where_the_platform_says_so():
    assert addons.metrics_server_values(DEV, KIND)["args"] == ["--kubelet-insecure-tls"]
    assert "args" not in addons.metrics_server_values(DEV, CLUSTER)


def test_loki_is_monolithic_on_filesystem_without_caches():
    v = addons.loki_values(DEV, KIND)
    assert v["deploymentMode"] == "Monolithic" and v["loki"]["storage"]["type"] == "filesystem"
    assert v["singleBinary"]["replicas"] == 1
    assert all(v[k]["replicas"] == 0 for k in ("read", "write", "backend"))
    assert not v["chunksCache"]["enabled"] and not v["resultsCache"]["enabled"] and not v["gateway"]["enabled"]


def test_alloy_ships_pod_logs_to_the_loki_service():
    content = addons.alloy_values(DEV, "monitoring")["alloy"]["configMap"]["content"]
    assert "loki.source.kubernetes" in content
    assert 'url = "http://loki.monitoring.svc.cluster.local:3100/loki/api/v1/push"' in content


def test_jaeger_ui_is_nodeport_30092_on_kind_and_clusterip_elsewhere():
    assert addons.jaeger_ui_service("tracing", KIND)["spec"]["ports"][0]["nodePort"] == 30092
    svc = addons.jaeger_ui_service("tracing", CLUSTER)["spec"]
    assert svc["type"] == "ClusterIP" and "nodePort" not in svc["ports"][0]


def test_opencost_reads_the_platform_prometheus_with_monthly_prices():
    v = addons.opencost_values(DEV, Pricing(), "monitoring")["opencost"]
    assert v["prometheus"]["internal"]["serviceName"] == "kube-prometheus-stack-prometheus"
    assert float(v["customPricing"]["costModel"]["CPU"]) == pytest.approx(0.031611 * 730)


# --- alert routing ------------------------------------------------------------------------
def _route(config: dict, label: str) -> dict:
    return next(r for r in config["route"]["routes"] if label in r["matchers"][0])


def test_routes_send_critical_and_platform_team_as_seed_002_says():
    config = alertmanager_config(SECRETS)
    assert _route(config, "severity")["matchers"] == ['severity = "critical"']
    assert _route(config, "severity")["receiver"] == "critical-alerts"
    assert _route(config, "team")["matchers"] == ['team = "platform"']
    assert _route(config, "team")["receiver"] == "platform-team"
    assert config["route"]["group_by"] == ["alertname", "cluster", "service"]


def test_watchdog_stays_a_dead_mans_switch_routed_first():
    route = alertmanager_config(Alerting())["route"]["routes"][0]
    assert route["matchers"] == ['alertname = "Watchdog"'] and route["receiver"] == "watchdog"


def test_without_credentials_every_receiver_is_null_and_no_secret_is_needed():
    config = alertmanager_config(Alerting())
    assert all(set(r) == {"name"} for r in config["receivers"])
    assert receiver_secret_data(Alerting()) == {}
    assert "secrets" not in kps()["alertmanager"]["alertmanagerSpec"]


def test_credentials_are_read_from_mounted_files_never_inlined():
    config = alertmanager_config(SECRETS)
    text = repr(config)
    assert "hooks.slack.com" not in text and "'pw'" not in text
    critical = next(r for r in config["receivers"] if r["name"] == "critical-alerts")
    assert critical["slack_configs"][0]["api_url_file"].startswith(f"/etc/alertmanager/secrets/{RECEIVER_SECRET}/")
    assert critical["email_configs"][0]["auth_password_file"].endswith("smtp-password")
    assert kps(alerting=SECRETS)["alertmanager"]["alertmanagerSpec"]["secrets"] == [RECEIVER_SECRET]


# --- rules --------------------------------------------------------------------------------
def _rules() -> dict:
    return {r["alert"]: r for g in rule_groups(Pricing(monthly_budget=250)) for r in g["rules"]}


def test_rules_cover_slo_latency_crashloop_efficiency_and_budget():
    rules = _rules()
    assert {"AvailabilitySLOBurnRateFast", "HighLatencyP95", "PodCrashLooping", "NamespaceCPUEfficiencyLow", "MonthlyCostOverBudget"} <= set(rules)
    fast = rules["AvailabilitySLOBurnRateFast"]["expr"]
    assert "[1h]" in fast and "[5m]" in fast and "[6h]" in fast and "14.4" in fast
    assert rules["HighLatencyP95"]["expr"].startswith("histogram_quantile(0.95") and "rate(" in rules["HighLatencyP95"]["expr"]
    assert rules["NamespaceCPUEfficiencyLow"]["for"] == "1h" and "< 0.4" in rules["NamespaceCPUEfficiencyLow"]["expr"]
    assert rules["MonthlyCostOverBudget"]["expr"].endswith("> 250")
    assert rules["AvailabilitySLOBurnRateFast"]["labels"]["severity"] == "critical"


# --- PromQL -------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", all_exprs())
def test_every_expression_parses_and_reads_only_known_or_allowed_metrics(expr):
    assert problems(expr) == []


def test_every_allowlisted_metric_is_used_and_has_a_reason():
    used = set().union(*(metric_names(e) for e in all_exprs()))
    assert set(ALLOWED_METRICS) <= used
    assert all(reason.strip() for reason in ALLOWED_METRICS.values())
    assert not set(ALLOWED_METRICS) & KNOWN_METRICS


def test_promql_check_rejects_bad_syntax_and_unknown_metrics():
    assert problems("sum(rate(nginx_up[5m])")
    assert problems("sum(made_up_metric)")
    assert problems("rate(nginx_up[$undeclared])")


def test_label_propagation_follows_aggregations_joins_and_histograms():
    labels = {"x": {"namespace", "pod", "le"}, "y": {"namespace", "pod", "node"}}.get
    assert result_labels('sum by (namespace) (rate(x{pod="p"}[5m]))', labels) == ({"namespace"}, [])
    assert result_labels("x * on (namespace, pod) group_left(node) y", labels) == ({"namespace", "pod", "le", "node"}, [])
    assert result_labels("histogram_quantile(0.95, sum by (le, pod) (rate(x[5m])))", labels) == ({"pod"}, [])
    assert result_labels("sum(x) / sum(y) > 0.5", labels) == (set(), [])


def test_label_propagation_reports_labels_a_metric_lacks():
    labels = {"x": {"namespace", "pod", "le"}, "y": {"namespace", "pod", "node"}}.get
    assert result_labels("sum by (app) (x)", labels)[1] == ["sum by (app): no label app (has le, namespace, pod)"]
    assert result_labels('x{node="n"}', labels)[1] == ["x: no label node (has le, namespace, pod)"]
    assert result_labels("sum by (namespace) (x) / sum by (pod) (y)", labels)[1] == ["/: sides never match (['namespace'] vs ['pod'])"]
    assert result_labels("x * on (node) group_left() y", labels)[1] == ["* on (left): no label node (has le, namespace, pod)"]
    assert result_labels("histogram_quantile(0.9, sum by (pod) (rate(y[5m])))", labels)[1] == [
        "histogram_quantile: no label le (has pod)"
    ]
    assert result_labels("sum(z)", labels)[1] == ["z: unknown metric"]


# --- dashboards ---------------------------------------------------------------------------
def test_finops_dashboard_has_the_seed_panels_variable_and_datasource():
    d = finops_dashboard(Pricing())
    assert d["title"] == "FinOps Cost Analysis"
    (var,) = d["templating"]["list"]
    assert var["name"] == "namespace" and var["multi"] and var["includeAll"]
    panels = {p["title"]: p for p in d["panels"]}
    assert {"Total CPU Requests (Cost Baseline)", "Total Memory Requests (Cost Baseline)", "Overall CPU Efficiency",
            "Wasted CPU Cores", "Wasted Memory", "CPU Efficiency by Namespace", "Resource Usage Trend (24h)",
            "Cost Optimization Recommendations"} <= set(panels)
    assert panels["CPU Efficiency by Namespace"]["type"] == "barchart"
    gauge = panels["Overall CPU Efficiency"]
    assert [s.get("value") for s in gauge["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [None, 0.4, 0.7]
    top = next(p for t, p in panels.items() if t.startswith("Top 10 Over-Provisioned Pods"))
    assert top["type"] == "table" and "topk(10" in top["targets"][0]["expr"]
    cost = next(p for t, p in panels.items() if t.startswith("Estimated Monthly Cost"))
    assert "0.031611" in cost["targets"][0]["expr"] and "0.004237" in cost["targets"][0]["expr"]
    for panel in d["panels"]:
        for target in panel.get("targets", []):
            assert target["datasource"] == {"type": "prometheus", "uid": "prometheus"}
            assert 'namespace=~"$namespace"' in target["expr"]


def test_cloudmart_dashboard_shows_rps_connections_hpa_and_restarts():
    exprs = " ".join(dashboard_exprs(cloudmart_dashboard()))
    for metric in ("nginx_http_requests_total", "nginx_connections_active", "kube_horizontalpodautoscaler_status_desired_replicas",
                   "kube_horizontalpodautoscaler_status_current_replicas", "kube_pod_container_status_restarts_total"):
        assert metric in exprs


def test_dashboards_ship_as_configmaps_the_grafana_sidecar_loads():
    cm = dashboard_configmap("finops-dashboard", "monitoring", finops_dashboard(Pricing()))
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert list(cm["data"]) == ["finops-dashboard.json"]


# --- CRD checkers -------------------------------------------------------------------------
def _rule(expr: str, **extra) -> dict:
    return {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"name": "r", "namespace": "monitoring"},
        "spec": {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": expr, **extra}]}]},
    }


def test_crd_checkers_fail_on_bad_objects():
    assert check_prometheus_rule(_rule("sum(nginx_up)")) == []
    assert check_prometheus_rule(_rule("sum(nginx_up"))
    assert check_prometheus_rule(_rule("sum(nginx_up)", forr="5m"))
    assert check_prometheus_rule(_rule("sum(nginx_up)", **{"for": "five minutes"}))
    monitor = {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
        "metadata": {"name": "m", "namespace": "monitoring"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "podMetricsEndpoints": [{"port": "metrics"}]},
    }
    assert check_pod_monitor(monitor) == []
    assert check_pod_monitor({**monitor, "spec": {**monitor["spec"], "podMetricsEndpoints": []}})
    assert check_pod_monitor({**monitor, "spec": {**monitor["spec"], "selectr": {}}})


def test_cloudmart_entry_point_panels_read_the_alb_on_eks_and_ingress_nginx_on_kind():
    kind = {p["title"]: " ".join(t["expr"] for t in p["targets"]) for p in cloudmart_dashboard()["panels"]}
    eks = {p["title"]: " ".join(t["expr"] for t in p["targets"]) for p in cloudmart_dashboard("alb")["panels"]}
    assert "nginx_ingress_controller_requests" in kind["Ingress 5xx ratio"]
    assert "aws_applicationelb_httpcode_target_5_xx_count_sum" in eks["ALB 5xx ratio"]
    assert "aws_applicationelb_request_count_sum" in eks["ALB 5xx ratio"]
    assert "aws_applicationelb_target_response_time_p95" in eks["ALB p95 latency"]
    assert not [t for t, e in eks.items() if "nginx_ingress" in e]


def test_eks_slo_windows_are_widened_by_cloudwatchs_lag_and_keep_kinds_labels_and_for():
    kind = {r["alert"]: r for g in rule_groups(Pricing()) for r in g["rules"]}
    eks = {r["alert"]: r for g in rule_groups(Pricing(), EKS_SIGNALS) for r in g["rules"]}
    fast = eks["AvailabilitySLOBurnRateFast"]["expr"]
    assert all(f"[{w}]" in fast for w in ("1h4m", "9m", "6h4m", "34m"))
    assert all(f"[{w}]" in eks["AvailabilitySLOBurnRateSlow"]["expr"] for w in ("3d4m", "6h4m"))
    for name in ("AvailabilitySLOBurnRateFast", "AvailabilitySLOBurnRateSlow", "HighLatencyP95"):
        assert (eks[name]["labels"], eks[name]["for"]) == (kind[name]["labels"], kind[name]["for"])
