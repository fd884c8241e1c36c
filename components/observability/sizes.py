"""Sizes of the observability stack per environment, as typed data (no Pulumi import).

Every container the charts run gets its requests and limits from here; ``Profile.observability``
picks one ``ObservabilitySizes`` per environment. The dev figures are budgeted: the
observability namespaces may request at most 0.60 vCPU and 2.3 GiB on a 3-node kind
cluster (DaemonSets counted once per node), so the whole dev stack stays within
2.8 vCPU / 7 GiB (issue 3, item 7). Limits are generous: requests are the cost baseline and
the scheduling bound, limits only stop a runaway.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.specs import Resources


@dataclass(frozen=True)
class ObservabilitySizes:
    """Requests/limits per container, Prometheus retention and claim sizes.

    ``grafana_storage_gi`` gives Grafana a persistent volume of that size (seed 002: 10Gi), so
    users, API keys and dashboards saved in the UI survive a pod restart; ``None`` (dev)
    keeps Grafana on an emptyDir, where everything it shows is provisioned anyway.

    ``config_reloader`` is shared by the Prometheus and Alertmanager pods (one chart key);
    ``grafana_sidecar`` likewise by Grafana's dashboard and datasource sidecars.
    """

    prometheus: Resources
    alertmanager: Resources
    operator: Resources
    config_reloader: Resources
    grafana: Resources
    grafana_sidecar: Resources
    node_exporter: Resources
    kube_state_metrics: Resources
    loki: Resources
    alloy: Resources
    alloy_reloader: Resources
    jaeger: Resources
    metrics_server: Resources
    opencost_exporter: Resources
    opencost_ui: Resources
    cloudwatch_exporter: Resources
    retention: str
    prometheus_storage_gi: int
    loki_storage_gi: int
    grafana_storage_gi: int | None = None


DEV = ObservabilitySizes(
    # Prometheus's working set on a small kind cluster with the default rules is ~400-500 MiB.
    prometheus=Resources(100, 512, 1000, 1536),
    alertmanager=Resources(10, 32, 100, 128),
    operator=Resources(20, 64, 200, 192),
    config_reloader=Resources(5, 16, 50, 48),
    grafana=Resources(50, 192, 500, 512),
    grafana_sidecar=Resources(10, 64, 100, 128),
    node_exporter=Resources(10, 24, 100, 64),
    kube_state_metrics=Resources(10, 48, 100, 128),
    loki=Resources(50, 256, 500, 768),
    alloy=Resources(20, 96, 200, 256),
    alloy_reloader=Resources(5, 16, 50, 32),
    jaeger=Resources(20, 128, 200, 512),
    metrics_server=Resources(20, 48, 100, 128),
    opencost_exporter=Resources(10, 64, 200, 256),
    opencost_ui=Resources(10, 32, 100, 64),
    cloudwatch_exporter=Resources(10, 32, 100, 64),
    retention="2d",
    prometheus_storage_gi=5,
    loki_storage_gi=5,
)

STAGING = ObservabilitySizes(
    prometheus=Resources(200, 1024, 1000, 2048),
    alertmanager=Resources(20, 64, 100, 128),
    operator=Resources(50, 96, 200, 256),
    config_reloader=Resources(10, 24, 50, 64),
    grafana=Resources(100, 256, 500, 768),
    grafana_sidecar=Resources(20, 96, 100, 192),
    node_exporter=Resources(20, 32, 200, 64),
    kube_state_metrics=Resources(20, 64, 200, 256),
    loki=Resources(100, 512, 1000, 1536),
    alloy=Resources(50, 128, 300, 384),
    alloy_reloader=Resources(5, 16, 50, 32),
    jaeger=Resources(50, 256, 500, 1024),
    metrics_server=Resources(50, 64, 200, 192),
    opencost_exporter=Resources(20, 96, 500, 512),
    opencost_ui=Resources(10, 32, 100, 64),
    cloudwatch_exporter=Resources(10, 48, 100, 96),
    retention="7d",
    prometheus_storage_gi=20,
    loki_storage_gi=20,
    grafana_storage_gi=10,
)

PROD = ObservabilitySizes(
    prometheus=Resources(500, 2048, 2000, 4096),
    alertmanager=Resources(50, 128, 200, 256),
    operator=Resources(100, 128, 500, 512),
    config_reloader=Resources(10, 32, 100, 64),
    grafana=Resources(200, 512, 1000, 1024),
    grafana_sidecar=Resources(50, 128, 200, 256),
    node_exporter=Resources(50, 48, 250, 128),
    kube_state_metrics=Resources(50, 128, 300, 512),
    loki=Resources(250, 1024, 2000, 3072),
    alloy=Resources(100, 192, 500, 512),
    alloy_reloader=Resources(10, 16, 50, 32),
    jaeger=Resources(100, 512, 1000, 2048),
    metrics_server=Resources(100, 128, 500, 256),
    opencost_exporter=Resources(50, 128, 1000, 1024),
    opencost_ui=Resources(10, 48, 100, 128),
    cloudwatch_exporter=Resources(20, 64, 200, 128),
    retention="30d",  # seed 002: 30 days
    prometheus_storage_gi=50,
    loki_storage_gi=50,
    grafana_storage_gi=10,
)
