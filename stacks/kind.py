"""The kind target: a local cluster created by ``pulumi up`` (or an existing context), its
ingress controller, and the platform's components fed kind's platform data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pulumi
import pulumi_command as command
import pulumi_kubernetes as k8s
import yaml

from components import cloudmart
from components.charts import INGRESS_NGINX, helm_release
from components.declare import declare
from components.manifests import owner_labels, standard_labels
from components.netpol import Egress, Rule, allow_manifest, baseline_manifests, egress_manifest, scrape_rule
from components.observability.network import api_server
from components.namespaces import namespace_manifest
from components.observability import stack as observability
from components.observability.monitors import PodScrape
from components.platform import Platform
from components.specs import Ownership, Resources
from components.trip_currency import catalog as trip_catalog
from components.trip_currency.network import ingress_paths as trip_ingress_paths
from stacks.apps import app_outputs, cloudmart_scrape, deploy_apps
from stacks.settings import Settings

# Kubernetes 1.35, the platform's target minor. The tag is the one kind v0.31.0 ships as its
# default (kind's pkg/apis/config/defaults/image.go); its digest is not pinned here because it
# could not be confirmed from kind's published release notes. Needs kind >= v0.31.0.
NODE_IMAGE = "kindest/node:v1.35.0"
INGRESS_NAMESPACE = "ingress-nginx"
INGRESS_RESOURCES = Resources(50, 96, 500, 256)
INGRESS_OWNER, INGRESS_PART_OF = Ownership(team="platform", cost_center="CC-2000"), "ingress"
# kind's nodes are Docker containers on Docker's ``kind`` network, whose subnet Docker picks
# from its default address pools (172.17.0.0/16-172.31.0.0/16, then 192.168.0.0/16 in /20s).
# A NodePort connection from localhost arrives from that network's gateway, and kube-proxy
# SNATs it to the node's address when the pod runs on another node: either way a source in
# these ranges, never a pod address (kind's pods use 10.244.0.0/16).
# Ref: https://docs.docker.com/reference/cli/dockerd/#default-address-pools
# Ref: https://kubernetes.io/docs/tutorials/services/source-ip/#source-ip-for-services-with-typenodeport
KIND_NODE_SOURCES = ("172.16.0.0/12", "192.168.0.0/16")
# kubeadm's API server port on kind's control-plane node (the kubernetes Service's endpoint).
KIND_API_SERVER_PORT = 6443
# ingress-nginx's controller metrics port (the chart's ``metrics`` container port).
INGRESS_METRICS_PORT = 10254

# kubeadm binds controller-manager, scheduler, etcd metrics and kube-proxy metrics to
# localhost by default; these patches open them to Prometheus inside the cluster (only the
# node containers' network sees them: no host port maps them).
# Ref: https://github.com/prometheus-community/helm-charts/tree/main/charts/kube-prometheus-stack#kubeproxy
METRICS_PATCHES = (
    yaml.safe_dump(
        {
            "kind": "ClusterConfiguration",
            "controllerManager": {"extraArgs": {"bind-address": "0.0.0.0"}},
            "scheduler": {"extraArgs": {"bind-address": "0.0.0.0"}},
            "etcd": {"local": {"extraArgs": {"listen-metrics-urls": "http://0.0.0.0:2381"}}},
        }
    ),
    yaml.safe_dump({"kind": "KubeProxyConfiguration", "metricsBindAddress": "0.0.0.0:10249"}),
)


def node_ports() -> tuple[int, ...]:
    """Every NodePort the program's components publish on kind."""
    return cloudmart.node_ports() + observability.node_ports()


def kind_config(settings: Settings, ports: Iterable[int]) -> dict:
    """The kind cluster config (kind.x-k8s.io/v1alpha4): one control plane labelled for
    ingress with hostPorts 80/443, ``settings.kind_workers`` workers (seed 000: 2), and a
    localhost mapping for each NodePort."""
    mappings = [{"containerPort": p, "hostPort": p, "listenAddress": "127.0.0.1", "protocol": "TCP"} for p in (80, 443)]
    mappings += [
        {"containerPort": p, "hostPort": p, "listenAddress": "127.0.0.1", "protocol": "TCP"} for p in sorted(set(ports))
    ]
    control_plane = {
        "role": "control-plane",
        "image": NODE_IMAGE,
        "labels": {"ingress-ready": "true"},
        "extraPortMappings": mappings,
    }
    workers = [{"role": "worker", "image": NODE_IMAGE} for _ in range(settings.kind_workers)]
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "name": settings.cluster_name,
        "kubeadmConfigPatches": list(METRICS_PATCHES),
        "nodes": [control_plane, *workers],
    }


def create_script(cluster_name: str) -> str:
    """Create the cluster from the config on stdin and print its kubeconfig (the only stdout).

    Tools are checked first, so a missing one fails with its install hint before anything exists.
    """
    return f"""set -eu
for tool in docker kind; do
  command -v "$tool" >/dev/null 2>&1 || {{ echo "$tool is not installed: run 'python -m tools preflight' for install hints" >&2; exit 127; }}
done
docker info >/dev/null 2>&1 || {{ echo "docker is installed but its daemon is not reachable: start Docker" >&2; exit 1; }}
kind create cluster --name {cluster_name} --config - --wait 180s >&2
kind get kubeconfig --name {cluster_name}
"""


def ingress_nginx_values(resources: Resources = INGRESS_RESOURCES) -> dict:
    """ingress-nginx for kind: the controller binds hostPorts 80/443 on the ``ingress-ready``
    control-plane node, which kind maps to localhost.

    The admission webhook is off: on a fresh cluster it races the first Ingresses ("failed
    calling webhook"), and kind is a single-user cluster.
    Ref: kind's own values, hack/manifest-templates/provider/kind/values.yaml in ingress-nginx.
    """
    return {
        "controller": {
            "replicaCount": 1,
            "hostPort": {"enabled": True},
            "service": {"type": "ClusterIP"},
            "nodeSelector": {"kubernetes.io/os": "linux", "ingress-ready": "true"},
            "tolerations": [
                {"key": "node-role.kubernetes.io/control-plane", "operator": "Equal", "effect": "NoSchedule"}
            ],
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "watchIngressWithoutClass": True,
            "publishService": {"enabled": False},
            "extraArgs": {"publish-status-address": "localhost"},
            "ingressClassResource": {"name": "nginx", "default": True},
            "admissionWebhooks": {"enabled": False},
            # Request counts and latency histograms: the SLI of the availability and latency
            # SLO alerts, scraped through a PodMonitor on the ``metrics`` port (10254).
            "metrics": {"enabled": True},
            "resources": resources.to_k8s(),
        }
    }


def scrape_targets() -> tuple[PodScrape, ...]:
    """What Prometheus scrapes through PodMonitors: CloudMart's exporter sidecars and the
    ingress-nginx controller."""
    return (
        cloudmart_scrape(),
        PodScrape(
            "ingress-nginx",
            INGRESS_NAMESPACE,
            (("app.kubernetes.io/name", "ingress-nginx"), ("app.kubernetes.io/component", "controller")),
            port="metrics",
            # ``namespace`` on request metrics is the Ingress's namespace, not the controller's.
            honor_labels=True,
        ),
    )


def kind_platform(settings: Settings) -> Platform:
    """kind's platform data. Control-plane scrapers are on only for a cluster this stack
    created, because only then are the metrics patches known to be applied."""
    return Platform(
        name="kind",
        exposure="NodePort",
        ingress_class="nginx",
        storage_class=None,
        registry="docker.io/korgosu",
        cluster_scrapers=settings.creates_cluster,
        kubelet_insecure_tls=True,
        ingress_namespace=INGRESS_NAMESPACE,
        external_sources=KIND_NODE_SOURCES,
        node_network=KIND_NODE_SOURCES,
        api_server_ports=(KIND_API_SERVER_PORT,),
    )


def cluster_provider(settings: Settings) -> tuple[k8s.Provider, pulumi.Output[str] | None]:
    """A provider bound to the kind cluster this stack creates, or to an existing context."""
    if not settings.creates_cluster:
        return k8s.Provider("kind-provider", context=settings.kube_context), None
    config = yaml.safe_dump(kind_config(settings, node_ports()), sort_keys=False)
    cluster = command.local.Command(
        "kind-cluster",
        create=create_script(settings.cluster_name),
        delete=f"kind delete cluster --name {settings.cluster_name}",
        stdin=config,
        # A changed config (ports, workers, image) re-creates the cluster: kind cannot edit one.
        triggers=[hashlib.sha256(config.encode()).hexdigest()],
        logging=command.local.Logging.STDERR,
        opts=pulumi.ResourceOptions(additional_secret_outputs=["stdout"], delete_before_replace=True),
    )
    kubeconfig = pulumi.Output.secret(cluster.stdout)
    provider = k8s.Provider("kind-provider", kubeconfig=kubeconfig, opts=pulumi.ResourceOptions(depends_on=[cluster]))
    return provider, kubeconfig


# The controller's pods (the chart's selector labels) and its hostPorts.
INGRESS_CONTROLLER = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
INGRESS_HOST_PORTS = (80, 443)


def ingress_nginx_policies(settings: Settings, platform: Platform) -> list[dict]:
    """``ingress-nginx``'s NetworkPolicies: the baseline (deny both ways, DNS); the controller
    accepts its hostPorts from the node addresses (localhost arrives through Docker's gateway)
    and Prometheus's scrape on the metrics port; it reaches the Kubernetes API and exactly the
    backends of the Ingresses it serves (CloudMart's services, Trip's APIs and frontend), on
    their pods' ports."""
    def labels(name: str) -> dict[str, str]:
        return standard_labels(name, "network-policy", INGRESS_PART_OF, INGRESS_OWNER)

    trip_ns = trip_catalog.namespace_name(settings.profile.trip)
    backends = (
        Egress((cloudmart.HTTP_PORT,), remote=tuple((cloudmart.NAMESPACE, e.name) for e in cloudmart.SERVICES)),
        *(Egress((port,), remote=((trip_ns, service),)) for _, service, port in trip_ingress_paths()),
    )
    ingress = (Rule(INGRESS_HOST_PORTS, cidrs=platform.external_sources), scrape_rule((INGRESS_METRICS_PORT,)))
    return [
        *baseline_manifests(INGRESS_NAMESPACE, labels),
        allow_manifest("ingress-nginx", INGRESS_NAMESPACE, ingress, labels("ingress-nginx-ingress"), selector=INGRESS_CONTROLLER),
        egress_manifest("ingress-nginx", INGRESS_NAMESPACE, (*backends, api_server(platform)), labels("ingress-nginx-egress"), selector=INGRESS_CONTROLLER),
    ]


def build(settings: Settings) -> dict[str, object]:
    """Declare the kind stack; return its outputs."""
    provider, kubeconfig = cluster_provider(settings)
    platform = kind_platform(settings)
    on_cluster = pulumi.ResourceOptions(provider=provider)
    # privileged: the controller binds hostPorts 80/443, which baseline forbids.
    ingress_ns = declare(
        "ingress-nginx-namespace",
        namespace_manifest(INGRESS_NAMESPACE, INGRESS_OWNER, INGRESS_PART_OF, "privileged"),
        on_cluster,
    )
    for policy in ingress_nginx_policies(settings, platform):
        declare(f"ingress-nginx-{policy['metadata']['name']}", policy, pulumi.ResourceOptions(provider=provider, depends_on=[ingress_ns]))
    ingress = helm_release(
        "ingress-nginx",
        INGRESS_NGINX,
        INGRESS_NAMESPACE,
        ingress_nginx_values(),
        pulumi.ResourceOptions(provider=provider, depends_on=[ingress_ns]),
        labels=owner_labels(INGRESS_OWNER, INGRESS_PART_OF),
    )
    apps = deploy_apps(
        settings, platform, scrape_targets(), on_cluster, controller=(ingress,),
        extra_scrape_targets=((INGRESS_NAMESPACE, (INGRESS_METRICS_PORT,)),),
    )
    outputs: dict[str, object] = {
        "clusterName": settings.cluster_name if settings.creates_cluster else settings.kube_context,
        **app_outputs(settings, apps, {**cloudmart.urls(platform), **apps.obs.urls}),
        "ingressRelease": ingress.urn,
    }
    if kubeconfig is not None:
        outputs["kubeconfig"] = kubeconfig
    return outputs
