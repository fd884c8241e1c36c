"""Values for Loki, Alloy, Jaeger, metrics-server and OpenCost, plus the Jaeger UI Service.

Each builder is pure: sizes and platform data in, a values dict out.
"""

from __future__ import annotations

from components.manifests import container_security_context, pod_security_context, restricted_container_context
from components.observability.options import Pricing
from components.observability.ownership import LABELS
from components.observability.prometheus import PROMETHEUS_SERVICE, restricted_pod_values
from components.observability.sizes import ObservabilitySizes
from components.platform import Platform

LOKI_RELEASE, ALLOY_RELEASE, JAEGER_RELEASE = "loki", "alloy", "jaeger"
METRICS_SERVER_RELEASE, OPENCOST_RELEASE = "metrics-server", "opencost"
LOKI_PORT = 3100
JAEGER_UI_PORT, JAEGER_UI_NODE_PORT = 16686, 30092  # seed 000 publishes the Jaeger UI
OTLP_GRPC, OTLP_HTTP = 4317, 4318
# The jaeger image runs as uid 10001 and declares /tmp a volume.
# Ref: https://github.com/jaegertracing/jaeger/blob/main/cmd/jaeger/Dockerfile (USER_UID=10001, VOLUME /tmp)
JAEGER_UID = 10001
# The alloy image creates user and group ``alloy`` (473) but does not switch to it; running as
# 473 is the chart's documented non-root setup. Ref: https://github.com/grafana/alloy/blob/v1.11.0/Dockerfile (ARG UID="473")
ALLOY_UID = 473


def loki_values(sizes: ObservabilitySizes, platform: Platform) -> dict:
    """One Loki process on its filesystem, no gateway, caches, canary or object store: the
    memcached defaults alone ask for gigabytes. Alloy and Grafana talk to the ``loki``
    Service on 3100.
    Ref: https://github.com/grafana-community/helm-charts/blob/main/charts/loki/values.yaml"""
    persistence: dict = {"enabled": True, "size": f"{sizes.loki_storage_gi}Gi"}
    if platform.storage_class:
        persistence["storageClass"] = platform.storage_class
    return {
        "deploymentMode": "Monolithic",
        "loki": {
            **restricted_pod_values("podSecurityContext", "containerSecurityContext"),
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "storage": {"type": "filesystem"},
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-04-01",
                        "store": "tsdb",
                        "object_store": "filesystem",
                        "schema": "v13",
                        "index": {"prefix": "loki_index_", "period": "24h"},
                    }
                ]
            },
        },
        "singleBinary": {"replicas": 1, "resources": sizes.loki.to_k8s(), "persistence": persistence},
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "backend": {"replicas": 0},
        "gateway": {"enabled": False},
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
        "minio": {"enabled": False},
        # The rules sidecar would be one more unsized container; alerts live in Prometheus.
        "sidecar": {"rules": {"enabled": False}},
    }


def loki_push_url(namespace: str) -> str:
    return f"http://{LOKI_RELEASE}.{namespace}.svc.cluster.local:{LOKI_PORT}/loki/api/v1/push"


def alloy_config(loki_namespace: str) -> str:
    """Pod logs of this node -> Loki, labelled namespace/pod/container/node/job.
    Ref: https://grafana.com/docs/alloy/latest/reference/components/loki/loki.source.kubernetes/"""
    return f"""discovery.kubernetes "pods" {{
  role = "pod"
  selectors {{
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }}
}}

discovery.relabel "pods" {{
  targets = discovery.kubernetes.pods.targets
  rule {{
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_node_name"]
    target_label  = "node"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_namespace", "__meta_kubernetes_pod_container_name"]
    separator     = "/"
    target_label  = "job"
  }}
}}

loki.source.kubernetes "pods" {{
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.default.receiver]
}}

loki.write "default" {{
  endpoint {{
    url = "{loki_push_url(loki_namespace)}"
  }}
}}
"""


def alloy_values(sizes: ObservabilitySizes, loki_namespace: str) -> dict:
    """A DaemonSet; HOSTNAME is the node name (the chart sets it from spec.nodeName).

    Alloy is the per-node agent and lives with node-exporter in ``monitoring-agents``. It tails
    pod logs through the Kubernetes API (``loki.source.kubernetes``), so it mounts nothing from
    the host (``alloy.mounts`` stay off) and runs as the image's ``alloy`` user with the
    restricted profile's container settings; its storage path stays on ``/tmp``.
    Ref: https://github.com/grafana/alloy/blob/main/operations/helm/charts/alloy/values.yaml
    (global.podSecurityContext, alloy.securityContext, alloy.mounts, configReloader.securityContext)"""
    return {
        "controller": {"type": "daemonset"},
        "global": {"podSecurityContext": pod_security_context()},
        "alloy": {
            "configMap": {"create": True, "content": alloy_config(loki_namespace)},
            "resources": sizes.alloy.to_k8s(),
            "securityContext": {**restricted_container_context(), "runAsUser": ALLOY_UID, "runAsGroup": ALLOY_UID},
        },
        "configReloader": {"resources": sizes.alloy_reloader.to_k8s()},
    }


def jaeger_values(sizes: ObservabilitySizes) -> dict:
    """Jaeger v2 all-in-one; with no ``userconfig`` it stores traces in memory (lost on
    restart, fine for kind). OTLP 4317/4318 are on the chart's ``jaeger`` Service.

    The chart sets no container securityContext; these values make the pod meet the
    restricted Pod Security profile (``tracing`` enforces it): non-root uid 10001, no
    privilege escalation, all capabilities dropped, RuntimeDefault seccomp, a read-only root
    with an emptyDir on /tmp, and no API token (Jaeger does not call the Kubernetes API).
    Ref: https://github.com/jaegertracing/helm-charts/blob/jaeger-4.11.1/charts/jaeger/values.yaml
    (jaeger.podSecurityContext, jaeger.securityContext, jaeger.serviceAccount, jaeger.extraVolumes)"""
    return {
        "jaeger": {
            "resources": sizes.jaeger.to_k8s(),
            "podSecurityContext": {**pod_security_context(JAEGER_UID), "runAsUser": JAEGER_UID, "runAsGroup": JAEGER_UID},
            "securityContext": container_security_context(JAEGER_UID, read_only_root=True),
            "serviceAccount": {"automountServiceAccountToken": False},
            "extraVolumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
            "extraVolumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        }
    }


def jaeger_ui_service(namespace: str, platform: Platform) -> dict:
    """The chart has no nodePort key, so the UI gets its own Service: NodePort 30092 where
    the platform maps node ports, ClusterIP elsewhere."""
    port: dict = {"name": "http-query", "port": JAEGER_UI_PORT, "targetPort": JAEGER_UI_PORT, "protocol": "TCP"}
    kind = "ClusterIP"
    if platform.node_ports:
        kind, port["nodePort"] = "NodePort", JAEGER_UI_NODE_PORT
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "jaeger-ui",
            "namespace": namespace,
            "labels": {"app.kubernetes.io/name": "jaeger-ui", **LABELS},
        },
        "spec": {
            "type": kind,
            "selector": {"app.kubernetes.io/name": "jaeger", "app.kubernetes.io/instance": JAEGER_RELEASE},
            "ports": [port],
        },
    }


def metrics_server_values(sizes: ObservabilitySizes, platform: Platform) -> dict:
    """kind's kubelets serve self-signed certificates; elsewhere TLS is verified."""
    values: dict = {
        "replicas": 1,
        "resources": sizes.metrics_server.to_k8s(),
        **restricted_pod_values("podSecurityContext", "securityContext"),
    }
    if platform.kubelet_insecure_tls:
        values["args"] = ["--kubelet-insecure-tls"]
    return values


# OpenCost's own default prices split a node's price between vCPU and GiB in this ratio
# (configs/default.json: CPU 0.031611, RAM 0.004237 USD/h).
_CPU_TO_GIB = 0.031611 / 0.004237


def spot_unit_prices(hourly: float, vcpus: int, gib: float) -> tuple[float, float]:
    """Per-vCPU and per-GiB hourly prices that add up to ``hourly`` for a node of ``vcpus`` and
    ``gib``, split in OpenCost's default CPU:RAM ratio (rounded to 6 decimals)."""
    gib_price = hourly / (vcpus * _CPU_TO_GIB + gib)
    return round(gib_price * _CPU_TO_GIB, 6), round(gib_price, 6)


def _custom_pricing(pricing: Pricing, platform: Platform | None) -> dict:
    """Flat prices (``custom`` provider) where the cloud publishes none; on AWS the ``aws``
    provider prices every node from the public AWS price list for its region and instance
    type (https://pricing.us-east-1.amazonaws.com, no credentials), and marks Spot nodes by
    their ``eks.amazonaws.com/capacityType: SPOT`` label (``kubecost_node_is_spot``). Without a
    Spot data feed it prices a Spot node it finds no list price for at ``spotCPU``/``spotRAM``,
    set here from the Spot figure of the platform's price table. Unlike the custom provider's
    monthly ``CPU``/``RAM``, these are hourly: the provider uses them as the node's per-vCPU and
    per-GiB hourly cost as they are (``aws.BaseSpotCPUPrice = c.SpotCPU``).
    Ref: https://github.com/opencost/opencost/blob/develop/pkg/cloud/aws/provider.go (Features, getUsageType, NodePricing)"""
    if platform is not None and platform.cloud_prices and platform.spot_price is not None:
        cpu, ram = spot_unit_prices(*platform.spot_price)
        return {
            "enabled": True,
            "provider": "aws",
            "costModel": {"description": "AWS public prices; Spot fallback from the platform's price table", "spotCPU": f"{cpu}", "spotRAM": f"{ram}"},
        }
    return {
        "enabled": True,
        "provider": "custom",
        "costModel": {
            "description": "cloud-platform configured prices",
            "CPU": f"{pricing.cpu_monthly}",
            "RAM": f"{pricing.memory_gib_monthly}",
            "storage": "0.04",
        },
    }


def opencost_values(sizes: ObservabilitySizes, pricing: Pricing, prometheus_namespace: str, platform: Platform | None = None) -> dict:
    """OpenCost on the platform's Prometheus, with the cloud's prices or the configured ones
    (custom prices are monthly in the chart's values: hourly x 730). Prometheus scrapes it
    through the chart's ServiceMonitor, keeping OpenCost's own ``namespace``/``pod``/``node``
    labels (``honorLabels``): its allocation series describe other pods.
    Ref: https://github.com/opencost/opencost-helm-chart/blob/main/charts/opencost/values.yaml"""
    return {
        "podSecurityContext": pod_security_context(),
        "opencost": {
            "prometheus": {
                "internal": {
                    "enabled": True,
                    "serviceName": PROMETHEUS_SERVICE,
                    "namespaceName": prometheus_namespace,
                    "port": 9090,
                }
            },
            "customPricing": _custom_pricing(pricing, platform),
            # Both images run as a non-root user of their own (USER 1001); the UI's entrypoint
            # writes its nginx config at start, so its root filesystem stays writable.
            "exporter": {"resources": sizes.opencost_exporter.to_k8s(), "securityContext": restricted_container_context()},
            "ui": {"enabled": True, "resources": sizes.opencost_ui.to_k8s(), "securityContext": restricted_container_context()},
            "metrics": {"serviceMonitor": {"enabled": True, "honorLabels": True}},
        }
    }
