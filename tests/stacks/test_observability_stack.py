"""The observability stack inside the real program: wiring, outputs and the dev sizing bound."""

from __future__ import annotations

from tests.conftest import rendered, stack_run
from tools.mockrun import run_program, stack_config
from tools.render import render

OBSERVABILITY_NAMESPACES = ("monitoring", "monitoring-agents", "tracing")


def test_every_stack_declares_the_observability_stack_and_its_charts(stack):
    run = stack_run(stack, False)
    assert run.of_type("cloud-platform:observability:ObservabilityStack")
    charts = {r.inputs["chart"] for r in run.of_type("kubernetes:helm.sh/v4:Chart")}
    assert {"kube-prometheus-stack", "loki", "alloy", "jaeger", "metrics-server"} <= charts


def test_custom_resources_wait_for_the_kube_prometheus_stack_crds(stack):
    run = stack_run(stack, False)
    (kps,) = [r for r in run.of_type("kubernetes:helm.sh/v4:Chart") if r.inputs["chart"] == "kube-prometheus-stack"]
    crs = [r for r in run.registrations if r.type.startswith("kubernetes:monitoring.coreos.com/")]
    assert {r.type.rsplit(":", 1)[1] for r in crs} == {"PodMonitor", "PrometheusRule"}
    assert all(kps.urn in r.dependencies for r in crs)


def test_grafana_password_is_generated_and_exported_as_a_secret(stack):
    run = stack_run(stack, False)
    assert "grafanaAdminPassword" in run.secret_outputs
    (secret,) = [r for r in run.of_type("kubernetes:core/v1:Secret") if r.inputs["metadata"]["name"] == "grafana-admin"]
    assert "/stringData" in secret.secret_paths or "/stringData/admin-password" in secret.secret_paths


def test_urls_name_grafana_and_jaeger_on_their_node_ports(kind_stack):
    urls = stack_run(kind_stack, False).outputs["urls"]
    assert urls["grafana"] == "http://localhost:30091"
    assert urls["jaeger"] == "http://localhost:30092"


def test_secret_alert_credentials_become_a_mounted_secret_and_opencost_is_optional():
    slack = "cloud-platform:alertSlackWebhookUrl"
    config, secrets = stack_config("dev", {slack: "https://hooks.slack.com/services/T/B/x", "cloud-platform:opencost": "true"})
    run = run_program("dev", preview=False, config=config, secret_keys=[*secrets, slack])
    (receivers,) = [r for r in run.of_type("kubernetes:core/v1:Secret") if r.inputs["metadata"]["name"] == "alertmanager-receivers"]
    assert "/stringData" in receivers.secret_paths
    charts = {r.inputs["chart"]: r for r in run.of_type("kubernetes:helm.sh/v4:Chart")}
    assert "opencost" in charts
    assert charts["kube-prometheus-stack"].inputs["values"]["alertmanager"]["alertmanagerSpec"]["secrets"] == ["alertmanager-receivers"]


def test_dev_sizing_bound_holds_computed_from_the_render_summary(tmp_path):
    """Issue 3 item 7: dev requests <= 2.8 vCPU and 7 GiB (at declared replicas, DaemonSets
    once per node); the observability share is budgeted at 0.60 vCPU / 2.3 GiB."""
    report = render("dev", tmp_path)
    total = report["total"]["min"]
    assert total["cpuCores"] <= 2.8 and total["memoryGi"] <= 7
    share_cpu = sum(report["requests"][ns]["min"]["cpuCores"] for ns in OBSERVABILITY_NAMESPACES)
    share_mem = sum(report["requests"][ns]["min"]["memoryGi"] for ns in OBSERVABILITY_NAMESPACES)
    assert share_cpu <= 0.60 and share_mem <= 2.3


def _kps_values(stack: str) -> dict:
    (kps,) = [r for r in rendered(stack).releases if r["chart"] == "kube-prometheus-stack"]
    return kps["values"]


def test_prometheus_keeps_30_days_on_prod_as_seed_002_says():
    retention = {s: _kps_values(s)["prometheus"]["prometheusSpec"]["retention"] for s in ("dev", "staging", "prod")}
    assert retention == {"dev": "2d", "staging": "7d", "prod": "30d"}


def test_grafana_has_a_10gi_volume_on_staging_and_prod_only():
    assert "persistence" not in _kps_values("dev")["grafana"]
    for stack in ("staging", "prod"):
        grafana = _kps_values(stack)["grafana"]
        assert grafana["persistence"] == {"enabled": True, "type": "pvc", "accessModes": ["ReadWriteOnce"], "size": "10Gi"}
        assert grafana["deploymentStrategy"] == {"type": "Recreate"}
