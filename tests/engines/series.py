"""Synthetic input series for ``promtool test rules``, named and labelled as the exporters
really export them, so the rules are tested against the shapes a cluster produces.

- kube-state-metrics (job ``kube-state-metrics``): ``kube_pod_info``, ``kube_pod_status_phase``,
  ``kube_pod_container_resource_requests``, ``kube_pod_container_status_waiting_reason``.
  Ref: https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/pod-metrics.md
- cAdvisor through the kubelet (job ``kubelet``, ``metrics_path="/metrics/cadvisor"``):
  ``container_cpu_usage_seconds_total`` and ``container_memory_working_set_bytes``, one series
  per container plus the pod's own cgroup (``container=""``, ``image=""``).
  Ref: https://github.com/google/cadvisor/blob/master/docs/storage/prometheus.md
- ingress-nginx (PodMonitor with ``honorLabels``): ``nginx_ingress_controller_requests`` and
  ``nginx_ingress_controller_request_duration_seconds_bucket``, whose ``namespace``,
  ``ingress`` and ``service`` are the Ingress's.
  Ref: https://github.com/kubernetes/ingress-nginx/blob/main/docs/user-guide/monitoring.md

Values use promtool's expanding notation: ``a+bxN`` is a, a+b, ..., N+1 samples.
"""

from __future__ import annotations

from dataclasses import dataclass

KSM = {"job": "kube-state-metrics", "instance": "10.244.1.7:8080", "endpoint": "http", "service": "kube-prometheus-stack-kube-state-metrics"}
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
MIB = 1024**2


def selector(metric: str, labels: dict[str, str]) -> str:
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{metric}{{{inner}}}"


def constant(value: float, samples: int) -> str:
    return f"{value!r}x{samples}"


def counter(per_sample: float, samples: int, start: float = 1000.0) -> str:
    """A counter growing by ``per_sample`` each sample (a rate of per_sample / interval)."""
    return f"{start!r}+{per_sample!r}x{samples}"


@dataclass(frozen=True)
class Pod:
    """One single-container pod as kube-state-metrics and cAdvisor see it.

    ``cpu_usage`` is in cores (CPU-seconds per second); memory figures are bytes."""

    namespace: str
    name: str
    container: str
    cpu_request: float
    memory_request: int
    cpu_usage: float = 0.0
    working_set: int = 0
    phase: str = "Running"
    node: str = "cloud-platform-dev-worker"

    @property
    def uid(self) -> str:
        return f"uid-{self.name}"


def pod_series(pod: Pod, samples: int, interval_seconds: int = 60) -> list[dict]:
    """kube-state-metrics' and cAdvisor's series for ``pod``; cAdvisor reports only running
    containers, so a finished pod has state but no usage."""
    ids = {"namespace": pod.namespace, "pod": pod.name, "uid": pod.uid}
    out = [
        {"series": selector("kube_pod_info", {**KSM, **ids, "node": pod.node, "host_ip": "172.18.0.3", "pod_ip": "10.244.1.20",
                                              "created_by_kind": "ReplicaSet", "created_by_name": pod.name.rsplit("-", 1)[0],
                                              "priority_class": "", "host_network": "false"}),
         "values": constant(1, samples)},
    ]
    out += [
        {"series": selector("kube_pod_status_phase", {**KSM, **ids, "phase": phase}), "values": constant(int(phase == pod.phase), samples)}
        for phase in PHASES
    ]
    container = {**KSM, **ids, "container": pod.container, "node": pod.node}
    out += [
        {"series": selector("kube_pod_container_resource_requests", {**container, "resource": "cpu", "unit": "core"}),
         "values": constant(pod.cpu_request, samples)},
        {"series": selector("kube_pod_container_resource_requests", {**container, "resource": "memory", "unit": "byte"}),
         "values": constant(pod.memory_request, samples)},
    ]
    if pod.phase == "Running":
        out += cadvisor_series(pod, samples, interval_seconds)
    return out


def cadvisor_series(pod: Pod, samples: int, interval_seconds: int) -> list[dict]:
    kubelet = {"job": "kubelet", "metrics_path": "/metrics/cadvisor", "endpoint": "https-metrics", "service": "kube-prometheus-stack-kubelet",
               "instance": "172.18.0.3:10250", "node": pod.node, "namespace": pod.namespace, "pod": pod.name}
    cgroup = f"/kubepods/burstable/pod{pod.uid}"
    own = {**kubelet, "container": pod.container, "image": f"docker.io/library/{pod.container}:1", "id": f"{cgroup}/c1", "name": "c1"}
    # The pod-level cgroup repeats the container's usage; the recording rules drop it (image="").
    whole = {**kubelet, "container": "", "image": "", "id": cgroup, "name": ""}
    per_sample = pod.cpu_usage * interval_seconds
    return [
        {"series": selector("container_cpu_usage_seconds_total", labels), "values": counter(per_sample, samples)}
        for labels in (own, whole)
    ] + [
        {"series": selector("container_memory_working_set_bytes", labels), "values": constant(pod.working_set, samples)}
        for labels in (own, whole)
    ]


INGRESS = {"controller_class": "k8s.io/ingress-nginx", "controller_namespace": "ingress-nginx",
           "controller_pod": "ingress-nginx-controller-5b7f-abcde", "job": "monitoring/ingress-nginx",
           "endpoint": "metrics", "instance": "10.244.0.9:10254", "container": "controller", "pod": "ingress-nginx-controller-5b7f-abcde",
           "namespace": "cloudmart", "ingress": "cloudmart-ingress", "service": "order-service", "host": "", "path": "/cloudmart/order",
           "method": "GET", "canary": ""}


def ingress_requests(per_sample_by_status: dict[str, float], samples: int) -> list[dict]:
    """``nginx_ingress_controller_requests`` counters, one per status code."""
    return [
        {"series": selector("nginx_ingress_controller_requests", {**INGRESS, "status": status}), "values": counter(n, samples)}
        for status, n in per_sample_by_status.items()
    ]


def ingress_latency(cumulative_by_le: dict[str, float], samples: int) -> list[dict]:
    """``..._request_duration_seconds_bucket`` counters; ``cumulative_by_le`` is the number of
    requests per sample at or under each bound (``+Inf`` is the total)."""
    return [
        {"series": selector("nginx_ingress_controller_request_duration_seconds_bucket", {**INGRESS, "status": "200", "le": le}),
         "values": counter(n, samples)}
        for le, n in cumulative_by_le.items()
    ]
