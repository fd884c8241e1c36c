"""PodMonitor and PrometheusRule manifests (custom resources of the Prometheus Operator).

Specs are camelCase: ``CustomResource`` passes them through untranslated.
Ref: https://prometheus-operator.dev/docs/api-reference/api/
"""

from __future__ import annotations

from dataclasses import dataclass

from components.observability.ownership import LABELS

MONITORING_API = "monitoring.coreos.com/v1"


@dataclass(frozen=True)
class PodScrape:
    """Pods to scrape: their namespace, label selector and the named container port.

    ``part_of`` (the pods' ``app.kubernetes.io/part-of``) is excluded from the annotation
    scrape job, so pods covered here are not scraped twice.

    ``pod_labels`` are pod labels copied onto every series (``podTargetLabels``): an exporter
    whose metrics carry no labels of their own needs them to tell its pods' services apart.
    ``honor_labels`` keeps the exporter's own labels where they clash with the target's
    (``namespace``, ``pod``, ``service``): ingress-nginx reports the *Ingress's* namespace in
    ``namespace``, which the default would rename to ``exported_namespace``.
    Ref: https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PodMonitorSpec
    """

    name: str
    namespace: str
    selector: tuple[tuple[str, str], ...]
    port: str
    path: str = "/metrics"
    interval: str = "30s"
    part_of: str | None = None
    pod_labels: tuple[str, ...] = ()
    honor_labels: bool = False


def pod_monitor(scrape: PodScrape, namespace: str) -> dict:
    endpoint: dict = {"port": scrape.port, "path": scrape.path, "interval": scrape.interval}
    if scrape.honor_labels:
        endpoint["honorLabels"] = True
    spec: dict = {
        "namespaceSelector": {"matchNames": [scrape.namespace]},
        "selector": {"matchLabels": dict(scrape.selector)},
        "podMetricsEndpoints": [endpoint],
    }
    if scrape.pod_labels:
        spec["podTargetLabels"] = list(scrape.pod_labels)
    return {
        "apiVersion": MONITORING_API,
        "kind": "PodMonitor",
        "metadata": {"name": scrape.name, "namespace": namespace, "labels": dict(LABELS)},
        "spec": spec,
    }


def prometheus_rule(name: str, namespace: str, groups: list[dict]) -> dict:
    return {
        "apiVersion": MONITORING_API,
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(LABELS)},
        "spec": {"groups": groups},
    }
