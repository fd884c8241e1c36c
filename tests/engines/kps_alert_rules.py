"""kube-prometheus-stack's default alerts that already cover issue 17's node and volume
alerts, as chart 88.5.3 renders them with the defaults our values keep
(``defaultRules.additionalAggregationLabels`` empty, ``appNamespacesTarget`` ``.*``, jobs
``kubelet`` and ``kube-state-metrics``, no ``customRules``). Annotations other than the summary
are left out: the tests assert labels and summaries.
Ref: https://github.com/prometheus-community/helm-charts/tree/kube-prometheus-stack-88.5.3/charts/kube-prometheus-stack/templates/prometheus/rules-1.14
(kubernetes-system-kubelet.yaml: KubeNodeNotReady; kubernetes-storage.yaml: KubePersistentVolumeFillingUp)
"""

from __future__ import annotations

_VOLUME = 'job="kubelet", namespace=~".*", metrics_path="/metrics"'
_UNLESS = (
    ' unless on (cluster, namespace, persistentvolumeclaim) kube_persistentvolumeclaim_access_mode{ access_mode="ReadOnlyMany"} == 1'
    ' unless on (cluster, namespace, persistentvolumeclaim) kube_persistentvolumeclaim_labels{label_excluded_from_alerts="true"} == 1'
)

CHART_ALERT_GROUPS: list[dict] = [
    {
        "name": "kubernetes-system-kubelet",
        "rules": [
            {
                "alert": "KubeNodeNotReady",
                "annotations": {"summary": "Node is not ready."},
                "expr": (
                    'kube_node_status_condition{job="kube-state-metrics",condition="Ready",status="true"} == 0 '
                    'and on (cluster, node) kube_node_spec_unschedulable{job="kube-state-metrics"} == 0'
                ),
                "for": "15m",
                "labels": {"severity": "warning"},
            }
        ],
    },
    {
        "name": "kubernetes-storage",
        "rules": [
            {
                "alert": "KubePersistentVolumeFillingUp",
                "annotations": {"summary": "PersistentVolume is filling up."},
                "expr": (
                    f"(kubelet_volume_stats_available_bytes{{{_VOLUME}}} / kubelet_volume_stats_capacity_bytes{{{_VOLUME}}}) < 0.03"
                    f" and kubelet_volume_stats_used_bytes{{{_VOLUME}}} > 0" + _UNLESS
                ),
                "for": "1m",
                "labels": {"severity": "critical"},
            },
            {
                "alert": "KubePersistentVolumeFillingUp",
                "annotations": {"summary": "PersistentVolume is filling up."},
                "expr": (
                    f"(kubelet_volume_stats_available_bytes{{{_VOLUME}}} / kubelet_volume_stats_capacity_bytes{{{_VOLUME}}}) < 0.15"
                    f" and kubelet_volume_stats_used_bytes{{{_VOLUME}}} > 0"
                    f" and predict_linear(kubelet_volume_stats_available_bytes{{{_VOLUME}}}[6h], 4 * 24 * 3600) < 0" + _UNLESS
                ),
                "for": "1h",
                "labels": {"severity": "warning"},
            },
        ],
    },
]
