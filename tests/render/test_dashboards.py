"""The dashboards and alert rules each stack renders, checked structurally: panels on
Grafana's 24-column grid without overlap, datasource references that resolve to
provisioned datasources, and every label a query groups, filters or joins by (or a legend
or annotation prints) produced by the scrape configuration for that metric."""

from __future__ import annotations

import json
import re
from itertools import combinations

import pytest

from tests.conftest import KIND_STACKS, STACKS, rendered
from tests.render.scrape_labels import ScrapeModel
from tools.promql import result_labels

GRID_COLUMNS = 24


def dashboards(stack: str) -> dict[str, dict]:
    return {
        o["metadata"]["name"]: json.loads(text)
        for o in rendered(stack).objects
        if o["kind"] == "ConfigMap" and o["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
        for text in o["data"].values()
    }


def kps_values(stack: str) -> dict:
    (kps,) = [r for r in rendered(stack).releases if r["chart"] == "kube-prometheus-stack"]
    return kps["values"]


def rules(stack: str) -> list[dict]:
    return [r for o in rendered(stack).objects if o["kind"] == "PrometheusRule" for g in o["spec"]["groups"] for r in g["rules"]]


def overlaps(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


def grid_problems(dashboard: dict) -> list[str]:
    panels = [(p["title"], p["gridPos"]) for p in dashboard["panels"]]
    found = [f"{t}: x={g['x']} w={g['w']} leaves the grid" for t, g in panels if g["x"] < 0 or g["w"] < 1 or g["x"] + g["w"] > GRID_COLUMNS]
    found += [f"{a} overlaps {b}" for (a, ga), (b, gb) in combinations(panels, 2) if overlaps(ga, gb)]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_the_program_ships_the_finops_and_cloudmart_dashboards(stack):
    assert {d["title"] for d in dashboards(stack).values()} == {"FinOps Cost Analysis", "CloudMart Services"}


@pytest.mark.parametrize("stack", STACKS)
def test_every_panel_fits_the_24_column_grid_without_overlap(stack):
    assert {name: grid_problems(d) for name, d in dashboards(stack).items()} == {name: [] for name in dashboards(stack)}


def test_the_grid_check_catches_a_panel_off_the_grid_and_an_overlap():
    off = {"panels": [{"title": "a", "gridPos": {"x": 18, "y": 0, "w": 12, "h": 8}}, {"title": "b", "gridPos": {"x": 0, "y": 4, "w": 20, "h": 8}}]}
    assert grid_problems(off) == ["a: x=18 w=12 leaves the grid", "a overlaps b"]


def provisioned_datasources(values: dict) -> set[tuple[str, str]]:
    """(type, uid) of the chart's Prometheus datasource and of ``additionalDataSources``."""
    grafana = values["grafana"]
    found = {("prometheus", grafana["sidecar"]["datasources"]["uid"])}
    return found | {(d["type"], d["uid"]) for d in grafana["additionalDataSources"]}


def datasource_refs(dashboard: dict) -> list[dict]:
    refs = [v["datasource"] for v in dashboard.get("templating", {}).get("list", []) if "datasource" in v]
    for panel in dashboard["panels"]:
        refs += [panel["datasource"]] if "datasource" in panel else []
        refs += [t["datasource"] for t in panel.get("targets", []) if "datasource" in t]
    return refs


@pytest.mark.parametrize("stack", STACKS)
def test_every_datasource_reference_resolves_to_a_provisioned_datasource(stack):
    values = kps_values(stack)
    provisioned = provisioned_datasources(values)
    assert provisioned == {("prometheus", "prometheus"), ("loki", "loki"), ("jaeger", "jaeger")}
    for dashboard in dashboards(stack).values():
        refs = datasource_refs(dashboard)
        assert refs and all((r["type"], r["uid"]) in provisioned for r in refs)
    uids = {uid for _, uid in provisioned}
    grafana = values["grafana"]
    linked = [grafana["sidecar"]["datasources"]["exemplarTraceIdDestinations"]["datasourceUid"]]
    for ds in grafana["additionalDataSources"]:
        linked += [f["datasourceUid"] for f in ds["jsonData"].get("derivedFields", [])]
        linked += [ds["jsonData"]["tracesToLogsV2"]["datasourceUid"]] if "tracesToLogsV2" in ds["jsonData"] else []
    assert linked and set(linked) <= uids


def legend_labels(target: dict) -> set[str]:
    return set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")))


# Every stack: on eks the SLO panels and alerts read the ALB's CloudWatch series, the cost
# panels OpenCost's (``scrape_labels.py`` models both scrapes).
@pytest.mark.parametrize("stack", STACKS)
def test_dashboard_queries_use_only_labels_their_metrics_carry(stack):
    model = ScrapeModel(rendered(stack).objects, kps_values(stack))
    found = {}
    for dashboard in dashboards(stack).values():
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                labels, problems = result_labels(target["expr"], model.labels)
                problems += [f"legend prints {x}, which the result lacks" for x in sorted(legend_labels(target) - (labels or set()))]
                if problems:
                    found[f"{dashboard['title']} / {panel['title']}"] = problems
    assert found == {}


@pytest.mark.parametrize("stack", STACKS)
def test_alert_rules_use_only_labels_their_metrics_carry(stack):
    model = ScrapeModel(rendered(stack).objects, kps_values(stack))
    found = {}
    for rule in rules(stack):
        labels, problems = result_labels(rule["expr"], model.labels)
        printed = {x for text in rule.get("annotations", {}).values() for x in re.findall(r"\$labels\.(\w+)", text)}
        problems += [f"annotation prints {x}, which the alert lacks" for x in sorted(printed - (labels or set()) - set(rule.get("labels", {})))]
        if problems:
            found[rule["alert"]] = problems
    assert found == {}


@pytest.mark.parametrize("stack", STACKS)
def test_cloudmart_exporter_series_carry_the_service_app_label(stack):
    """The exporter's metrics have no labels; ``app`` comes from the pods through the PodMonitor."""
    model = ScrapeModel(rendered(stack).objects, kps_values(stack))
    assert model.origins("nginx_http_requests_total")["app"] == "target"


# kind only: the SLO panels and alerts read ingress-nginx, which runs only there (README,
# "Known limits on EKS"); on eks no scrape target would carry these metrics.
@pytest.mark.parametrize("stack", KIND_STACKS)
def test_ingress_request_metrics_keep_the_ingress_namespace(stack):
    """HighLatencyP95 and the CloudMart panels mean the Ingress's namespace, not the controller's."""
    model = ScrapeModel(rendered(stack).objects, kps_values(stack))
    for metric in ("nginx_ingress_controller_requests", "nginx_ingress_controller_request_duration_seconds_bucket"):
        origins = model.origins(metric)
        assert origins["namespace"] == "metric" and "exported_namespace" not in origins
