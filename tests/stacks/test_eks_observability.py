"""Observability and FinOps on eks (issue 17): the SLIs come from the ALB through the
CloudWatch exporter, OpenCost runs by default with AWS prices, and the add-ons are scraped."""

from __future__ import annotations

import pytest
import yaml

from components.cost.prices import AP_NORTHEAST_2
from components.observability.addons import spot_unit_prices
from tests.conftest import KIND_STACKS, rendered
from tests.stacks.test_eks_stack import STACK, _releases


def test_the_cloudwatch_exporter_is_pinned_in_monitoring_and_reads_this_clusters_albs():
    (release,) = [r for r in rendered(STACK).releases if r["chart"] == "prometheus-yet-another-cloudwatch-exporter"]
    assert (release["version"], release["namespace"], release["name"]) == ("0.47.0", "monitoring", "cloudwatch-exporter")
    config = yaml.safe_load(release["values"]["config"])
    assert {j["searchTags"][0]["value"] for j in config["discovery"]["jobs"]} == {"^trip-service-cluster$"}
    assert {j["regions"][0] for j in config["discovery"]["jobs"]} == {"ap-northeast-2"}
    # A controller: on the on-demand base pool, never on Spot.
    assert release["values"]["nodeSelector"] == {"cloud-platform/pool": "base"}
    assert "tolerations" not in release["values"] or not release["values"]["tolerations"]


def test_no_kind_stack_runs_the_cloudwatch_exporter():
    for stack in KIND_STACKS:
        assert "prometheus-yet-another-cloudwatch-exporter" not in {r["chart"] for r in rendered(stack).releases}


def test_opencost_runs_by_default_on_eks_with_the_aws_provider_and_spot_fallback_prices():
    values = _releases()["opencost"]["opencost"]
    pricing = values["customPricing"]
    assert pricing["enabled"] and pricing["provider"] == "aws"
    # The Spot group (c5.large, c5a.large, c6i.large, c6a.large; 2 vCPU, 4 GiB) at the stated 60 %
    # below the dearest on-demand price, $0.096/h: $0.0384/h, as tools cost prices it.
    spot = AP_NORTHEAST_2.on_demand["c5.large"].usd * 0.4
    assert spot == pytest.approx(0.0384)
    cpu, ram = spot_unit_prices(spot, 2, 4.0)
    assert (pricing["costModel"]["spotCPU"], pricing["costModel"]["spotRAM"]) == (f"{cpu}", f"{ram}")
    assert 2 * cpu + 4 * ram == pytest.approx(spot, abs=1e-5)
    assert values["metrics"]["serviceMonitor"] == {"enabled": True, "honorLabels": True}


def test_kind_stacks_keep_flat_prices():
    for stack in KIND_STACKS:
        releases = {r["chart"]: r["values"] for r in rendered(stack).releases}
        assert "opencost" not in releases  # off by default on kind: the cost panels price requests
        (rule,) = [o for o in rendered(stack).objects if o["kind"] == "PrometheusRule" and o["metadata"]["name"] == "platform-rules"]
        budget = [r for g in rule["spec"]["groups"] for r in g["rules"] if r.get("alert") == "MonthlyCostOverBudget"]
        assert "0.031611" in budget[0]["expr"] and "node_total_hourly_cost" not in budget[0]["expr"]


def test_the_cluster_autoscaler_is_scraped_through_its_pod_annotations():
    assert _releases()["cluster-autoscaler"]["podAnnotations"] == {"prometheus.io/scrape": "true", "prometheus.io/port": "8085"}


def test_the_exporter_is_scraped_only_by_prometheus_and_reaches_only_the_internet_on_443():
    """Issue 17 item 5 on issue 15's default-deny ``monitoring``: the exporter's policies, and
    Prometheus's egress to it and to the add-ons' metrics ports."""
    from tools.netpol import Peer, connection_allowed

    policies = [o for o in rendered(STACK).objects if o["kind"] == "NetworkPolicy"]
    names = {o["metadata"]["name"] for o in policies if o["metadata"]["namespace"] == "monitoring"}
    assert {"cloudwatch-exporter-ingress", "cloudwatch-exporter-egress"} <= names
    namespaces = {o["metadata"]["name"]: o["metadata"].get("labels", {}) for o in rendered(STACK).objects if o["kind"] == "Namespace"}
    namespaces.setdefault("kube-system", {"kubernetes.io/metadata.name": "kube-system"})
    exporter = Peer("monitoring", (("app.kubernetes.io/name", "prometheus-yet-another-cloudwatch-exporter"),))
    prometheus = Peer("monitoring", (("app.kubernetes.io/name", "prometheus"),))
    grafana = Peer("monitoring", (("app.kubernetes.io/name", "grafana"),))
    lbc = Peer("kube-system", (("app.kubernetes.io/name", "aws-load-balancer-controller"),))

    def allowed(src, dst, port):
        return connection_allowed(src, dst, port, policies, namespaces)

    assert allowed(prometheus, exporter, 5000) and not allowed(grafana, exporter, 5000)
    assert allowed(exporter, Peer.address("52.95.194.10"), 443)
    assert not allowed(exporter, Peer.address("52.95.194.10"), 80)
    assert not allowed(exporter, Peer.address("169.254.169.254"), 80) and not allowed(exporter, prometheus, 9090)
    assert allowed(prometheus, lbc, 8080)
