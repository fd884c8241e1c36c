"""Values for kube-prometheus-stack: Prometheus, Alertmanager, Grafana, node-exporter and
kube-state-metrics, all sized from ``ObservabilitySizes`` and exposed from platform data.

Ref: https://github.com/prometheus-community/helm-charts/blob/kube-prometheus-stack-88.5.3/charts/kube-prometheus-stack/values.yaml
"""

from __future__ import annotations

from dataclasses import dataclass

from components.manifests import claim_spec, pod_security_context, restricted_container_context
from components.observability.alerting import RECEIVER_SECRET, alertmanager_config
from components.observability.options import Alerting
from components.observability.ownership import AGENTS, MONITORING
from components.observability.sizes import ObservabilitySizes
from components.platform import Platform

RELEASE = "kube-prometheus-stack"
PROMETHEUS_SERVICE = f"{RELEASE}-prometheus"  # <fullname>-prometheus; fullname is the release name
GRAFANA_SERVICE = f"{RELEASE}-grafana"
GRAFANA_NODE_PORT = 30091  # seed 000 step 1
GRAFANA_ADMIN_SECRET = "grafana-admin"
DASHBOARD_LABEL = "grafana_dashboard"
# Datasource uids the cross-links point at.
PROMETHEUS_UID, LOKI_UID, JAEGER_UID = "prometheus", "loki", "jaeger"
# The grafana image runs as uid/gid 472 (the chart's securityContext defaults say the same).
# Ref: https://github.com/grafana-community/helm-charts/blob/grafana-12.11.1/charts/grafana/values.yaml (securityContext)
GRAFANA_UID = 472


@dataclass(frozen=True)
class Endpoints:
    """In-cluster addresses Grafana's datasources use."""

    loki_url: str
    jaeger_url: str


# Pods that a PodMonitor already scrapes (by app.kubernetes.io/part-of) are skipped by the
# annotation job, so their series are not collected twice under two job names.
def annotation_scrape_config(skip_part_of: tuple[str, ...]) -> dict:
    """The seed's ``prometheus.io/scrape|port|path`` contract as a scrape job.
    Ref: https://github.com/prometheus/prometheus/blob/main/documentation/examples/prometheus-kubernetes.yml"""
    relabel = [
        {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "action": "keep", "regex": "true"},
        {"source_labels": ["__meta_kubernetes_pod_phase"], "action": "drop", "regex": "Pending|Succeeded|Failed"},
        {
            "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_path"],
            "action": "replace",
            "target_label": "__metrics_path__",
            "regex": "(.+)",
        },
        {
            "source_labels": ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
            "action": "replace",
            "regex": "([^:]+)(?::\\d+)?;(\\d+)",
            "replacement": "$1:$2",
            "target_label": "__address__",
        },
        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
        {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        {"source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], "target_label": "app"},
    ]
    if skip_part_of:
        relabel.insert(
            1,
            {
                "source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_part_of"],
                "action": "drop",
                "regex": "|".join(skip_part_of),
            },
        )
    return {"job_name": "kubernetes-pods", "kubernetes_sd_configs": [{"role": "pod"}], "relabel_configs": relabel}


def prometheus_values(sizes: ObservabilitySizes, platform: Platform, skip_part_of: tuple[str, ...]) -> dict:
    """Prometheus picks up every ServiceMonitor, PodMonitor, Probe and PrometheusRule in the
    cluster: with ``*SelectorNilUsesHelmValues: false`` it no longer requires the
    ``release: <name>`` label on them."""
    return {
        "prometheusSpec": {
            "retention": sizes.retention,
            "resources": sizes.prometheus.to_k8s(),
            "securityContext": pod_security_context(),
            "storageSpec": {"volumeClaimTemplate": {"spec": claim_spec(sizes.prometheus_storage_gi, platform.storage_class)}},
            "serviceMonitorSelectorNilUsesHelmValues": False,
            "podMonitorSelectorNilUsesHelmValues": False,
            "ruleSelectorNilUsesHelmValues": False,
            "probeSelectorNilUsesHelmValues": False,
            "scrapeConfigSelectorNilUsesHelmValues": False,
            "additionalScrapeConfigs": [annotation_scrape_config(skip_part_of)],
            # Exemplars carry trace IDs from instrumented histograms to Grafana -> Jaeger.
            "enableFeatures": ["exemplar-storage"],
        }
    }


def grafana_values(sizes: ObservabilitySizes, platform: Platform, endpoints: Endpoints) -> dict:
    """Grafana from the grafana-community subchart (12.11.1 in kube-prometheus-stack 88.5.3).

    - The dashboard and datasource sidecars watch ``monitoring`` only, where every dashboard
      ConfigMap and the chart's datasource ConfigMap live, and ``rbac.namespaced`` turns the
      chart's ClusterRole (get/list/watch on every Secret of the cluster) into a Role in
      ``monitoring``. Grafana faces the internet on eks: it must not read other teams' Secrets.
    - No ``init-chown-data``: that init container runs as root with CHOWN and DAC_OVERRIDE,
      which ``monitoring``'s restricted level refuses. ``fsGroup`` 472 makes the kubelet give
      the claim to Grafana's group instead (EBS on eks; kind's local-path directories are
      created world-writable), and dev has no claim at all.
    Ref: https://github.com/grafana-community/helm-charts/blob/grafana-12.11.1/charts/grafana/templates/role.yaml
    (and clusterrole.yaml, _pod.tpl)"""
    service: dict = {"type": "ClusterIP"}
    if platform.node_ports:
        service = {"type": "NodePort", "nodePort": GRAFANA_NODE_PORT}
    return {
        "enabled": True,
        "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
        "service": service,
        "resources": sizes.grafana.to_k8s(),
        "testFramework": {"enabled": False},
        "rbac": {"namespaced": True},
        "initChownData": {"enabled": False},
        "securityContext": {**pod_security_context(GRAFANA_UID), "runAsUser": GRAFANA_UID, "runAsGroup": GRAFANA_UID},
        "containerSecurityContext": restricted_container_context(),
        "sidecar": {
            "resources": sizes.grafana_sidecar.to_k8s(),
            "securityContext": restricted_container_context(),
            "dashboards": {
                "enabled": True,
                "label": DASHBOARD_LABEL,
                "labelValue": "1",
                "searchNamespace": [MONITORING],
            },
            # The chart's own Prometheus datasource (uid "prometheus"): exemplars link to Jaeger.
            "datasources": {
                "enabled": True,
                "searchNamespace": [MONITORING],
                "uid": PROMETHEUS_UID,
                "exemplarTraceIdDestinations": {"datasourceUid": JAEGER_UID, "traceIdLabelName": "trace_id"},
            },
        },
        "additionalDataSources": datasources(endpoints),
        **grafana_persistence(sizes, platform),
    }


def grafana_persistence(sizes: ObservabilitySizes, platform: Platform) -> dict:
    """A claim for Grafana's database where the profile sizes one (seed 002: 10Gi).
    Ref: https://github.com/grafana-community/helm-charts/blob/main/charts/grafana/values.yaml (persistence)"""
    if sizes.grafana_storage_gi is None:
        return {}
    persistence: dict = {
        "enabled": True,
        "type": "pvc",
        "accessModes": ["ReadWriteOnce"],
        "size": f"{sizes.grafana_storage_gi}Gi",
    }
    if platform.storage_class:
        persistence["storageClassName"] = platform.storage_class
    # A ReadWriteOnce volume attaches to one node: the old pod must let go before the new
    # one starts, or a rollout onto another node waits forever on the attachment.
    return {"persistence": persistence, "deploymentStrategy": {"type": "Recreate"}}


def datasources(endpoints: Endpoints) -> list[dict]:
    """Loki and Jaeger, cross-linked: a ``traceID=`` in a log line opens the trace in Jaeger,
    and a trace's spans open their logs in Loki.
    Ref: https://grafana.com/docs/grafana/latest/datasources/loki/configure-loki-data-source/#derived-fields"""
    return [
        {
            "name": "Loki",
            "uid": LOKI_UID,
            "type": "loki",
            "access": "proxy",
            "url": endpoints.loki_url,
            "jsonData": {
                "derivedFields": [
                    {
                        "datasourceUid": JAEGER_UID,
                        "matcherRegex": "traceID=(\\w+)",
                        "name": "TraceID",
                        # $$ escapes Grafana's env-var expansion in provisioning files.
                        "url": "$${__value.raw}",
                    }
                ]
            },
        },
        {
            "name": "Jaeger",
            "uid": JAEGER_UID,
            "type": "jaeger",
            "access": "proxy",
            "url": endpoints.jaeger_url,
            "jsonData": {"tracesToLogsV2": {"datasourceUid": LOKI_UID, "filterByTraceID": True, "spanStartTimeShift": "-5m", "spanEndTimeShift": "5m"}},
        },
    ]


def _scrapers(platform: Platform) -> dict:
    """Control-plane scrapers only where the platform says the endpoints are reachable
    (kind with its kubeadm patches); their default alerts follow, so no TargetDown."""
    on = platform.cluster_scrapers
    return {
        "kubeControllerManager": {"enabled": on},
        "kubeScheduler": {"enabled": on},
        "kubeEtcd": {"enabled": on, "service": {"enabled": on, "port": 2381, "targetPort": 2381}},
        "kubeProxy": {"enabled": on},
    }


def operator_values(sizes: ObservabilitySizes) -> dict:
    """The Prometheus operator without its admission webhooks and without TLS on its port.

    Pulumi's Helm v4 ``Chart`` never runs hooks, and only the chart's hook Jobs
    (``admission-create``, ``admission-patch``) create ``Secret/kube-prometheus-stack-admission``,
    which the operator mounts (not optional) when ``tls.enabled``. With hooks dropped the pod
    would wait forever in ContainerCreating and ``pulumi up`` would time out. Turning both off
    removes the Secret, the webhook configurations and the Jobs. The webhook only validated
    PrometheusRules at admission: the project's promtool tests check every rule it ships
    (tests/engines). Its port then serves plain HTTP: only Prometheus scrapes it, in-cluster.
    Ref: https://github.com/prometheus-community/helm-charts/blob/kube-prometheus-stack-88.5.3/charts/kube-prometheus-stack/templates/prometheus-operator/deployment.yaml
    (tls-secret volume) and admission-webhooks/job-patch/job-createSecret.yaml (helm.sh/hook)"""
    return {
        "resources": sizes.operator.to_k8s(),
        "prometheusConfigReloader": {"resources": sizes.config_reloader.to_k8s()},
        "admissionWebhooks": {"enabled": False},
        "tls": {"enabled": False},
        **restricted_pod_values("securityContext", "containerSecurityContext"),
    }


def restricted_pod_values(pod_key: str, container_key: str) -> dict:
    """A chart's pod and container securityContext keys set to what ``monitoring``'s restricted
    level requires. Helm merges them over the chart's defaults (users, fsGroup, read-only root),
    so only the fields the profile checks are pinned here, whatever a chart upgrade changes."""
    return {pod_key: pod_security_context(), container_key: restricted_container_context()}


def kube_prometheus_stack_values(
    sizes: ObservabilitySizes,
    platform: Platform,
    alerting: Alerting,
    endpoints: Endpoints,
    skip_part_of: tuple[str, ...] = (),
) -> dict:
    """All values of the kube-prometheus-stack release."""
    on = platform.cluster_scrapers
    # Prometheus and Alertmanager pods are made by the operator, which sets their containers'
    # securityContext itself; the pod level comes from these specs.
    alertmanager_spec: dict = {"resources": sizes.alertmanager.to_k8s(), "securityContext": pod_security_context()}
    if alerting.slack or alerting.smtp_password:
        alertmanager_spec["secrets"] = [RECEIVER_SECRET]
    return {
        # Kept on: the FinOps queries use its recording rules (namespace_cpu:..., node_namespace_pod_container:...).
        "defaultRules": {
            "create": True,
            "rules": {"etcd": on, "kubeControllerManager": on, "kubeSchedulerAlerting": on, "kubeSchedulerRecording": on, "kubeProxy": on},
        },
        "prometheus": prometheus_values(sizes, platform, skip_part_of),
        "alertmanager": {"enabled": True, "alertmanagerSpec": alertmanager_spec, "config": alertmanager_config(alerting)},
        "grafana": grafana_values(sizes, platform, endpoints),
        "prometheusOperator": operator_values(sizes),
        # The host agent runs beside Alloy in the one privileged namespace; its ServiceMonitor
        # follows it there, and Prometheus selects ServiceMonitors in every namespace.
        "prometheus-node-exporter": {"namespaceOverride": AGENTS, "resources": sizes.node_exporter.to_k8s()},
        "kube-state-metrics": {
            "resources": sizes.kube_state_metrics.to_k8s(),
            **restricted_pod_values("securityContext", "containerSecurityContext"),
            # team and cost-center reach kube_*_labels as label_team / label_cost_center.
            "metricLabelsAllowlist": [
                "namespaces=[team,cost-center,project]",
                "pods=[team,cost-center,app.kubernetes.io/name,app.kubernetes.io/part-of]",
                "deployments=[team,cost-center,app.kubernetes.io/name]",
            ],
        },
        **_scrapers(platform),
    }
