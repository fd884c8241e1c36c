"""kube-prometheus-stack's recording rules that the platform's alerts and FinOps panels read,
as the chart renders them with its defaults (``defaultRules.additionalAggregationLabels``
empty, jobs ``kubelet`` and ``kube-state-metrics``).

The engine tests load these beside the program's own rules, and feed both with series named
as kube-state-metrics and cAdvisor export them, so a query is checked against the real
chain: raw metric -> chart's recording rule -> our expression.
Ref: https://github.com/prometheus-community/helm-charts/tree/kube-prometheus-stack-88.5.3/charts/kube-prometheus-stack/templates/prometheus/rules-1.14
(k8s.rules.container_cpu_usage_seconds_total, k8s.rules.container_cpu_requests,
k8s.rules.container_memory_requests, k8s.rules.container_memory_working_set_bytes)
"""

from __future__ import annotations

_NODE = (
    " * on (cluster, namespace, pod) group_left(node) topk by (cluster, namespace, pod) "
    '(1, max by (cluster, namespace, pod, node) (kube_pod_info{node!=""}))'
)
_ACTIVE = 'max by (namespace, pod, cluster) ((kube_pod_status_phase{phase=~"Pending|Running"} == 1))'


def _requests(resource: str) -> list[dict]:
    series = f'kube_pod_container_resource_requests{{resource="{resource}",job="kube-state-metrics"}}'
    return [
        {
            "record": f"cluster:namespace:pod_{resource}:active:kube_pod_container_resource_requests",
            "expr": f"{series} * on (namespace, pod, cluster) group_left() {_ACTIVE}",
        },
        {
            "record": f"namespace_{resource}:kube_pod_container_resource_requests:sum",
            "expr": (
                "sum by (namespace, cluster) (sum by (namespace, pod, cluster) ("
                f"max by (namespace, pod, container, cluster) ({series})"
                f" * on (namespace, pod, cluster) group_left() {_ACTIVE}))"
            ),
        },
    ]


CADVISOR = 'job="kubelet", metrics_path="/metrics/cadvisor", image!=""'

RECORDING_RULE_GROUPS: list[dict] = [
    {
        "name": "k8s.rules.container_cpu_usage_seconds_total",
        "rules": [
            {
                "record": "node_namespace_pod_container:container_cpu_usage_seconds_total:sum_rate5m",
                "expr": f"sum by (cluster, namespace, pod, container) (rate(container_cpu_usage_seconds_total{{{CADVISOR}}}[5m])){_NODE}",
            }
        ],
    },
    {"name": "k8s.rules.container_cpu_requests", "rules": _requests("cpu")},
    {"name": "k8s.rules.container_memory_requests", "rules": _requests("memory")},
    {
        "name": "k8s.rules.container_memory_working_set_bytes",
        "rules": [
            {
                "record": "node_namespace_pod_container:container_memory_working_set_bytes",
                "expr": f"container_memory_working_set_bytes{{{CADVISOR}}}{_NODE}",
            }
        ],
    },
]
