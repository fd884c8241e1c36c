"""Issue 17's node and volume alerts come from kube-prometheus-stack's default rules
(``kps_alert_rules.py``): KubeNodeNotReady and KubePersistentVolumeFillingUp. Each stack keeps
those rule groups on, and under promtool each fires and stays silent as written. Their
routing (to the platform team, a critical one paging) is in ``test_alertmanager.py``."""

from __future__ import annotations

import pytest
import yaml

from components.observability.alerting import CHART_PLATFORM_ALERTS
from tests.conftest import STACKS, rendered
from tests.engines.kps_alert_rules import CHART_ALERT_GROUPS
from tests.engines.series import KSM, selector
from tests.engines.tool import run

GIB = 1024**3
NODE = {**KSM, "node": "ip-10-0-1-23.ap-northeast-2.compute.internal"}
VOLUME = {"job": "kubelet", "metrics_path": "/metrics", "endpoint": "https-metrics", "service": "kube-prometheus-stack-kubelet",
          "instance": "10.0.1.23:10250", "node": NODE["node"], "namespace": "trip-service-prod", "persistentvolumeclaim": "data-service-mysql-0"}


def node_series(ready: int) -> list[dict]:
    condition = {**NODE, "condition": "Ready", "status": "true"}
    return [
        {"series": selector("kube_node_status_condition", condition), "values": f"{ready}x30"},
        {"series": selector("kube_node_spec_unschedulable", NODE), "values": "0x30"},
    ]


def volume_series(available_gib: float) -> list[dict]:
    """A 20 GiB claim with ``available_gib`` free."""
    return [
        {"series": selector("kubelet_volume_stats_capacity_bytes", VOLUME), "values": f"{20 * GIB}x30"},
        {"series": selector("kubelet_volume_stats_available_bytes", VOLUME), "values": f"{int(available_gib * GIB)}x30"},
        {"series": selector("kubelet_volume_stats_used_bytes", VOLUME), "values": f"{int((20 - available_gib) * GIB)}x30"},
    ]


CASES = [
    # Ready=false for 20 minutes: past the 15m.
    ("node-not-ready-fires", node_series(0), "20m", "KubeNodeNotReady", [({**NODE, "condition": "Ready", "status": "true", "severity": "warning"}, "Node is not ready.")]),
    ("node-not-ready-silent-when-ready", node_series(1), "20m", "KubeNodeNotReady", []),
    # 0.5 GiB of 20 free: 2.5% < 3%, for more than 1m.
    ("volume-filling-up-fires-under-3-percent", volume_series(0.5), "5m", "KubePersistentVolumeFillingUp",
     [({**VOLUME, "severity": "critical"}, "PersistentVolume is filling up.")]),
    # 1 GiB free: 5%, above the critical floor and not shrinking (the warning predicts no fill).
    ("volume-filling-up-silent-at-5-percent", volume_series(1.0), "5m", "KubePersistentVolumeFillingUp", []),
]


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_keeps_the_charts_node_and_volume_rules(stack):
    (kps,) = [r for r in rendered(stack).releases if r["chart"] == "kube-prometheus-stack"]
    rules = kps["values"]["defaultRules"]
    assert rules["create"] is True
    assert rules["rules"].get("kubernetesSystem", True) and rules["rules"].get("kubernetesStorage", True)
    assert set(CHART_PLATFORM_ALERTS) == {r["alert"] for g in CHART_ALERT_GROUPS for r in g["rules"]}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_chart_alert_behaves_as_written_under_promtool(case, tmp_path):
    _, series, at, alert, fires = case
    (tmp_path / "chart-rules.yaml").write_text(yaml.safe_dump({"groups": CHART_ALERT_GROUPS}, sort_keys=False))
    exp = [{"exp_labels": labels, "exp_annotations": {"summary": summary}} for labels, summary in fires]
    test = {"interval": "1m", "input_series": series, "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": exp}]}
    doc = {"rule_files": ["chart-rules.yaml"], "evaluation_interval": "1m", "tests": [test]}
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, width=1000))
    result = run("promtool", "test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
