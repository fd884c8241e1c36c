"""Issue 14: chart values that follow from how Pulumi's Helm v4 ``Chart`` applies a chart (no
hooks; templates re-rendered at every preview) and from the namespaces' Pod Security levels.

Values-level checks on what every stack sends; the render of the real charts (hooks dropped,
double render, RBAC, admission) is checked in tests/charts when the chart cache is present."""

from __future__ import annotations

from components.charts import dig
from tests.conftest import rendered


def _release(stack: str, chart: str) -> dict:
    (release,) = [r for r in rendered(stack).releases if r["chart"] == chart]
    return release


def test_the_prometheus_operator_needs_no_secret_that_only_a_hook_creates(stack):
    """Secret/kube-prometheus-stack-admission comes only from the chart's hook Jobs, and the
    operator mounts it (not optional) when its TLS is on: both are off on every stack."""
    operator = _release(stack, "kube-prometheus-stack")["values"]["prometheusOperator"]
    assert operator["admissionWebhooks"]["enabled"] is False
    assert operator["tls"]["enabled"] is False


def test_grafana_sidecars_watch_monitoring_only_and_its_rbac_is_namespaced(stack):
    """No ClusterRole granting get/list/watch on every Secret: a Role in monitoring instead."""
    release = _release(stack, "kube-prometheus-stack")
    grafana = release["values"]["grafana"]
    assert release["namespace"] == "monitoring"
    assert grafana["rbac"]["namespaced"] is True
    assert not dig(grafana, ("rbac",)).get("namespaces")  # no Role beyond Grafana's own namespace
    assert not grafana["rbac"].get("extraClusterRoleRules")
    for sidecar in ("dashboards", "datasources"):
        assert grafana["sidecar"][sidecar]["searchNamespace"] == ["monitoring"], sidecar


def test_dashboards_are_declared_where_the_sidecar_looks(stack):
    dashboards = [
        o for o in rendered(stack).objects
        if o["kind"] == "ConfigMap" and (o["metadata"].get("labels") or {}).get("grafana_dashboard") == "1"
    ]
    assert dashboards and {o["metadata"]["namespace"] for o in dashboards} == {"monitoring"}


def test_the_host_agents_run_in_their_own_namespace(stack):
    kps = _release(stack, "kube-prometheus-stack")
    assert kps["values"]["prometheus-node-exporter"]["namespaceOverride"] == "monitoring-agents"
    assert _release(stack, "alloy")["namespace"] == "monitoring-agents"
    others = {r["chart"]: r["namespace"] for r in rendered(stack).releases if r["chart"] in ("loki", "metrics-server", "jaeger")}
    assert others == {"loki": "monitoring", "metrics-server": "monitoring", "jaeger": "tracing"}


def test_alloy_mounts_nothing_from_the_host_and_runs_as_its_image_user(stack):
    values = _release(stack, "alloy")["values"]
    assert "mounts" not in values["alloy"]  # chart default: varlog and dockercontainers off
    assert values["alloy"]["securityContext"]["runAsUser"] == 473
    assert values["global"]["podSecurityContext"]["runAsNonRoot"] is True
