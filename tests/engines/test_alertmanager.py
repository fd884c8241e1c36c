"""The Alertmanager configuration each stack renders, checked by ``amtool check-config`` and
routed by ``amtool config routes test``, with no credentials and with Slack and e-mail set.

Intended routing (each alert reaches exactly one receiver; see ``alertmanager_config``):
- a critical alert pages ``critical-alerts`` only, whether or not it carries ``team``;
- platform warnings and FinOps alerts go to ``platform-team``;
- Watchdog goes to ``watchdog`` (for an external dead man's switch), InfoInhibitor to ``null``;
- an alert with no team (the chart's own warnings) goes to ``default``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml

from tests.conftest import EMAIL_SETTINGS, SLACK_SETTINGS, STACKS, rendered
from tests.engines.promtool import platform_rule_groups
from tests.engines.tool import run
from tools.mockrun import run_program, stack_config
from tools.render import collect

SLACK, SMTP_PASSWORD = "cloud-platform:alertSlackWebhookUrl", "cloud-platform:alertSmtpPassword"
# Set as `pulumi config set --secret` would: secure entries in the stack file.
CREDENTIALS = {**SLACK_SETTINGS, **EMAIL_SETTINGS}
MODES = ("no-credentials", "slack-and-email")

# The program's own alerts, by name, and where each must land.
OWN_ALERTS = {
    "AvailabilitySLOBurnRateFast": {"critical-alerts"},
    "AvailabilitySLOBurnRateSlow": {"platform-team"},
    "HighLatencyP95": {"platform-team"},
    "PodCrashLooping": {"platform-team"},
    "NamespaceCPUEfficiencyLow": {"platform-team"},
    "MonthlyCostOverBudget": {"platform-team"},
    # eks only: the cluster add-ons' own alerts.
    "LoadBalancerControllerReconcileErrors": {"platform-team"},
    "ClusterAutoscalerCannotScaleUp": {"platform-team"},
    "CloudWatchExporterErrors": {"platform-team"},
}
# kube-prometheus-stack's default rules carry no team label.
CHART_ALERTS = {
    "watchdog": ({"alertname": "Watchdog", "severity": "none"}, {"watchdog"}),
    "info-inhibitor": ({"alertname": "InfoInhibitor", "severity": "none", "namespace": "cloudmart"}, {"null"}),
    "critical-without-team": ({"alertname": "KubeletDown", "severity": "critical"}, {"critical-alerts"}),
    "warning-without-team": ({"alertname": "KubePodNotReady", "severity": "warning", "namespace": "cloudmart"}, {"default"}),
    # The chart's node and volume alerts (issue 17) reach the platform team; a critical one pages.
    "node-not-ready": ({"alertname": "KubeNodeNotReady", "severity": "warning", "node": "ip-10-0-1-23"}, {"platform-team"}),
    "volume-filling-up-critical": (
        {"alertname": "KubePersistentVolumeFillingUp", "severity": "critical", "namespace": "cloudmart"}, {"critical-alerts"},
    ),
    "volume-filling-up-warning": (
        {"alertname": "KubePersistentVolumeFillingUp", "severity": "warning", "namespace": "cloudmart"}, {"platform-team"},
    ),
}


@functools.cache
def alertmanager_config(stack: str, mode: str) -> dict:
    """``alertmanager.config`` of the rendered kube-prometheus-stack release."""
    if mode == "no-credentials":
        releases = rendered(stack).releases
    else:
        config, secrets = stack_config(stack, CREDENTIALS)
        assert {SLACK, SMTP_PASSWORD} <= set(secrets)
        releases = collect(run_program(stack, preview=False, config=config, secret_keys=secrets)).releases
    (kps,) = [r for r in releases if r["chart"] == "kube-prometheus-stack"]
    return kps["values"]["alertmanager"]["config"]


def config_file(stack: str, mode: str, folder: Path) -> Path:
    path = folder / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(alertmanager_config(stack, mode), sort_keys=False))
    return path


def receivers_for(path: Path, labels: dict[str, str]) -> set[str]:
    result = run("amtool", "config", "routes", "test", f"--config.file={path}", *(f"{k}={v}" for k, v in labels.items()))
    assert result.returncode == 0, result.stderr
    return set(result.stdout.strip().split(","))


def routing_cases(stack: str) -> dict[str, tuple[dict[str, str], set[str]]]:
    """Our alerts with the labels the rendered rules give them, then the chart's."""
    cases = {
        r["alert"]: ({"alertname": r["alert"], **r.get("labels", {})}, OWN_ALERTS[r["alert"]])
        for g in platform_rule_groups(stack) for r in g["rules"] if "alert" in r
    }
    return {**cases, **CHART_ALERTS}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stack", STACKS)
def test_amtool_accepts_the_rendered_config(stack, mode, tmp_path):
    result = run("amtool", "check-config", str(config_file(stack, mode, tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stack", STACKS)
def test_the_modes_differ_only_in_integrations(stack, mode):
    receivers = {r["name"]: r for r in alertmanager_config(stack, mode)["receivers"]}
    if mode == "no-credentials":
        assert all(set(r) == {"name"} for r in receivers.values())
    else:
        assert set(receivers["critical-alerts"]) == {"name", "slack_configs", "email_configs"}
        assert set(receivers["platform-team"]) == {"name", "slack_configs"}
        assert set(receivers["default"]) == {"name", "email_configs"}
    assert alertmanager_config(stack, mode)["route"] == alertmanager_config(stack, MODES[0])["route"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stack", STACKS)
def test_every_kind_of_alert_reaches_exactly_its_receivers(stack, mode, tmp_path):
    path = config_file(stack, mode, tmp_path)
    got = {name: receivers_for(path, labels) for name, (labels, _) in routing_cases(stack).items()}
    assert got == {name: want for name, (_, want) in routing_cases(stack).items()}


def test_routes_test_can_fail(tmp_path):
    """amtool reports the receivers a route really picks: a second matching route with
    ``continue`` shows up as a second receiver."""
    config = alertmanager_config("dev", MODES[0])
    routes = [{**r, "continue": True} if r["receiver"] == "critical-alerts" else r for r in config["route"]["routes"]]
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump({**config, "route": {**config["route"], "routes": routes}}))
    assert receivers_for(path, {"alertname": "AvailabilitySLOBurnRateFast", "severity": "critical", "team": "platform"}) == {
        "critical-alerts",
        "platform-team",
    }
