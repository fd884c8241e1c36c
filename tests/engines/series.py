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


# The CloudWatch exporter (YACE v0.67.0) through its ServiceMonitor: one gauge per statistic,
# holding the newest CloudWatch datapoint (a one-minute sum, or a p95), labelled with the
# resource ARN (``name``), ``dimension_<Dimension>``, ``region`` and ``account_id``.
# Ref: pkg/promutil/migrate.go (BuildMetrics, createPrometheusLabels, contextToLabels)
YACE = {"job": "cloudwatch-exporter", "instance": "10.0.3.17:5000", "endpoint": "http", "namespace": "monitoring",
        "service": "cloudwatch-exporter", "pod": "cloudwatch-exporter-6d9c8-x7k2q", "container": "prometheus-yet-another-cloudwatch-exporter",
        "region": "ap-northeast-2", "account_id": "123456789012"}
ALB = "app/k8s-tripserviceal-1a2b3c4d5e/0123456789abcdef"
TARGET_GROUP = "targetgroup/k8s-cloudmar-orderser-1f2e3d4c5b/fedcba9876543210"
ALB_ARN = f"arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/{ALB}"
TARGET_GROUP_ARN = f"arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:{TARGET_GROUP}"
PER_TARGET_GROUP = {**YACE, "name": TARGET_GROUP_ARN, "dimension_LoadBalancer": ALB, "dimension_TargetGroup": TARGET_GROUP}
PER_ALB = {**YACE, "name": ALB_ARN, "dimension_LoadBalancer": ALB}


def alb_requests(requests: float, target_5xx: float, samples: int, elb_5xx: float | None = None) -> list[dict]:
    """Per-minute sums of ``RequestCount`` and ``HTTPCode_Target_5XX_Count`` for one target
    group, and of the balancer's own ``HTTPCode_ELB_5XX_Count`` when given."""
    out = [
        {"series": selector("aws_applicationelb_request_count_sum", PER_TARGET_GROUP), "values": constant(requests, samples)},
        {"series": selector("aws_applicationelb_httpcode_target_5_xx_count_sum", PER_TARGET_GROUP), "values": constant(target_5xx, samples)},
    ]
    if elb_5xx is not None:
        out.append({"series": selector("aws_applicationelb_httpcode_elb_5_xx_count_sum", PER_ALB), "values": constant(elb_5xx, samples)})
    return out


def alb_latency(p95_seconds: float, samples: int) -> list[dict]:
    """CloudWatch's per-minute p95 of ``TargetResponseTime`` for one target group."""
    return [{"series": selector("aws_applicationelb_target_response_time_p95", PER_TARGET_GROUP), "values": constant(p95_seconds, samples)}]


# OpenCost through its ServiceMonitor (``honorLabels``: OpenCost's ``namespace``, ``pod``,
# ``node`` and ``instance`` win over the target's). Per node: hourly prices of one vCPU, one
# GiB, the whole node, and whether it is Spot; per container: cores and bytes allocated.
# Ref: https://github.com/opencost/opencost/blob/develop/pkg/costmodel/metrics.go
OPENCOST = {"job": "opencost", "endpoint": "http", "service": "opencost"}


@dataclass(frozen=True)
class PricedNode:
    """A node as OpenCost prices it (USD per hour)."""

    name: str
    instance_type: str
    cpu_hourly: float
    ram_gib_hourly: float
    total_hourly: float
    spot: bool = False


def opencost_node(node: PricedNode, samples: int) -> list[dict]:
    labels = {**OPENCOST, "instance": node.name, "node": node.name, "instance_type": node.instance_type,
              "region": "ap-northeast-2", "provider_id": f"aws:///ap-northeast-2a/i-{abs(hash(node.name)) % 10**12:012d}", "arch": "amd64"}
    return [
        {"series": selector("node_cpu_hourly_cost", labels), "values": constant(node.cpu_hourly, samples)},
        {"series": selector("node_ram_hourly_cost", labels), "values": constant(node.ram_gib_hourly, samples)},
        {"series": selector("node_total_hourly_cost", labels), "values": constant(node.total_hourly, samples)},
        {"series": selector("kubecost_node_is_spot", labels), "values": constant(int(node.spot), samples)},
    ]


def opencost_allocation(pod: Pod, samples: int) -> list[dict]:
    """OpenCost's allocation of a running container: here its requests (OpenCost takes the
    larger of request and usage)."""
    labels = {**OPENCOST, "namespace": pod.namespace, "pod": pod.name, "container": pod.container, "instance": pod.node, "node": pod.node}
    return [
        {"series": selector("container_cpu_allocation", labels), "values": constant(max(pod.cpu_request, pod.cpu_usage), samples)},
        {"series": selector("container_memory_allocation_bytes", labels), "values": constant(max(pod.memory_request, pod.working_set), samples)},
    ]


def opencost_cluster(management_hourly: float, nlb_hourly: float, pv_gib_hourly: float, pv_gib: int, samples: int) -> list[dict]:
    """OpenCost's cluster-level prices: the managed control plane, one load-balancer Service
    (the frontend's NLB), and one volume (``pv_hourly_cost`` per GiB-hour, its size from
    kube-state-metrics' ``kube_persistentvolume_capacity_bytes``)."""
    pv = "pvc-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    ksm = {"job": "kube-state-metrics", "instance": "10.0.3.30:8080", "endpoint": "http", "service": "kube-prometheus-stack-kube-state-metrics"}
    return [
        {"series": selector("kubecost_cluster_management_cost", {**OPENCOST, "instance": "10.0.3.31:9003", "provisioner_name": "EKS"}),
         "values": constant(management_hourly, samples)},
        {"series": selector("kubecost_load_balancer_cost", {**OPENCOST, "instance": "10.0.3.31:9003", "ingress_ip": "k8s-tripserv-frontend-0a1b2c3d4e.elb.ap-northeast-2.amazonaws.com",
                                                            "namespace": "trip-service-prod", "service_name": "service-frontend"}),
         "values": constant(nlb_hourly, samples)},
        {"series": selector("pv_hourly_cost", {**OPENCOST, "instance": "10.0.3.31:9003", "volumename": pv, "persistentvolume": pv,
                                               "provider_id": "vol-0123456789abcdef0"}),
         "values": constant(pv_gib_hourly, samples)},
        {"series": selector("kube_persistentvolume_capacity_bytes", {**ksm, "persistentvolume": pv}), "values": constant(pv_gib * 1024**3, samples)},
    ]
