"""The ObservabilityStack component: metrics, logs, traces, dashboards and alerts.

Creates the ``monitoring``, ``tracing`` and ``monitoring-agents`` namespaces; metrics-server; kube-prometheus-stack
(Prometheus, Alertmanager, Grafana with a generated admin password, node-exporter,
kube-state-metrics); Loki with Grafana Alloy; Jaeger v2 and its UI Service; the FinOps and
CloudMart dashboards; PodMonitors for the given scrape targets; the platform's
PrometheusRule; optionally OpenCost. Every platform difference comes from ``Platform``.

Outputs: ``grafana_admin_password`` (secret), ``urls``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.charts import ALLOY, JAEGER, KUBE_PROMETHEUS_STACK, LOKI, METRICS_SERVER, OPENCOST, helm_release
from components.datastores import GeneratedSecret, GeneratedSecretArgs
from components.declare import declare
from components.namespaces import PodSecurityLevel, namespace_manifest
from components import netpol
from components.observability import addons, cloudwatch, monitors, network
from components.observability.alerting import RECEIVER_SECRET, receiver_secret_data, rule_groups
from components.observability.dashboards import cloudmart_dashboard, dashboard_configmap, finops_dashboard
from components.observability.options import Alerting, Features, Pricing, Signals
from components.observability.prometheus import (
    GRAFANA_ADMIN_SECRET,
    GRAFANA_NODE_PORT,
    GRAFANA_SERVICE,
    RELEASE,
    Endpoints,
    kube_prometheus_stack_values,
)
from components.observability.ownership import AGENTS, LABELS, MONITORING, OWNER, PART_OF, TRACING
from components.observability.sizes import ObservabilitySizes
from components.platform import Platform

# Pod Security per namespace: only the host agents' namespace is privileged (node-exporter
# uses hostNetwork, hostPID and hostPath mounts of /, /proc and /sys); every chart pod in
# ``monitoring`` and ``tracing`` is hardened through its values to meet restricted.
NAMESPACES: dict[str, PodSecurityLevel] = {MONITORING: "restricted", TRACING: "restricted", AGENTS: "privileged"}


@dataclass(frozen=True)
class ObservabilityArgs:
    """``scrape`` lists the PodMonitors to create (CloudMart's exporters, ingress-nginx).
    ``scrape_targets`` ((namespace, metrics ports)) and ``otlp_clients`` ((namespace, pod))
    are what the NetworkPolicies let Prometheus reach and Jaeger accept; ``ui_published``:
    Grafana and the Jaeger UI are reached from the platform's external sources (kind's
    NodePorts, eks's admin ALB)."""

    sizes: ObservabilitySizes
    platform: Platform
    pricing: Pricing
    alerting: Alerting
    features: Features
    scrape: tuple[monitors.PodScrape, ...] = ()
    scrape_targets: tuple[tuple[str, tuple[int, ...]], ...] = ()
    otlp_clients: tuple[tuple[str, str], ...] = ()
    ui_published: bool = False


def endpoints() -> Endpoints:
    return Endpoints(
        loki_url=f"http://{addons.LOKI_RELEASE}.{MONITORING}.svc.cluster.local:{addons.LOKI_PORT}",
        jaeger_url=f"http://{addons.JAEGER_RELEASE}.{TRACING}.svc.cluster.local:{addons.JAEGER_UI_PORT}",
    )


def urls(platform: Platform) -> dict[str, str]:
    """Where a browser reaches Grafana and the Jaeger UI."""
    if platform.node_ports:
        return {"grafana": f"http://localhost:{GRAFANA_NODE_PORT}", "jaeger": f"http://localhost:{addons.JAEGER_UI_NODE_PORT}"}
    return {
        "grafana": f"kubectl -n {MONITORING} port-forward svc/{GRAFANA_SERVICE} 3000:80",
        "jaeger": f"kubectl -n {TRACING} port-forward svc/jaeger-ui {addons.JAEGER_UI_PORT}",
    }


def node_ports() -> tuple[int, ...]:
    return (GRAFANA_NODE_PORT, addons.JAEGER_UI_NODE_PORT)


class ObservabilityStack(pulumi.ComponentResource):
    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloud-platform:observability:ObservabilityStack", name, None, opts)
        self._name, self._args = name, args
        ns = {
            n: declare(f"{name}-{n}-namespace", namespace_manifest(n, OWNER, PART_OF, level), pulumi.ResourceOptions(parent=self))
            for n, level in NAMESPACES.items()
        }
        in_monitoring = pulumi.ResourceOptions(parent=self, depends_on=[ns[MONITORING]])
        for policy in network.network_policies(self._flows(), args.platform):
            namespace = policy["metadata"]["namespace"]
            declare(f"{name}-{namespace}-{policy['metadata']['name']}", policy, pulumi.ResourceOptions(parent=self, depends_on=[ns[namespace]]))
        admin = GeneratedSecret(
            f"{name}-grafana-admin",
            GeneratedSecretArgs(
                GRAFANA_ADMIN_SECRET, MONITORING, ("admin-password",), labels=tuple(LABELS.items()),
                literals=(("admin-user", "admin"),),
            ),
            opts=in_monitoring,
        )
        # node-exporter renders into the agents' namespace (namespaceOverride).
        prerequisites: list[pulumi.Resource] = [ns[MONITORING], ns[AGENTS], admin]
        prerequisites += self._receiver_secret()
        kps = self._chart("kube-prometheus-stack", KUBE_PROMETHEUS_STACK, MONITORING, self._kps_values(), prerequisites, RELEASE)
        self._charts(ns, kps)
        self._custom_resources(kps)
        self.grafana_admin_password = pulumi.Output.secret(admin.passwords["admin-password"])
        self.urls = urls(args.platform)
        self.register_outputs({"grafana_admin_password": self.grafana_admin_password, "urls": self.urls})

    def _opencost_egress(self) -> tuple:
        """OpenCost with cloud prices downloads the AWS price list (``cloudwatch.aws_egress``)."""
        a = self._args
        if not (a.features.opencost and a.platform.cloud_prices):
            return ()
        flows = cloudwatch.aws_egress(a.platform.region or "", MONITORING, addons.OPENCOST_RELEASE)
        return tuple(netpol.internet(f.ports) for f in flows if f.pod == addons.OPENCOST_RELEASE)

    def _flows(self) -> network.Flows:
        a = self._args
        alert_ports = []
        if a.alerting.slack_webhook_url:
            alert_ports.append(443)
        if a.alerting.smtp_smarthost:
            alert_ports.append(int(a.alerting.smtp_smarthost.rsplit(":", 1)[1]))
        return network.Flows(
            monitoring=MONITORING,
            tracing=TRACING,
            agents=AGENTS,
            scrape_targets=a.scrape_targets,
            otlp_clients=a.otlp_clients,
            ui_published=a.ui_published,
            alert_ports=tuple(sorted(set(alert_ports))),
            opencost=a.features.opencost,
            opencost_egress=self._opencost_egress(),
        )

    def _kps_values(self) -> dict:
        a = self._args
        skip = tuple(s.part_of for s in a.scrape if s.part_of)
        return kube_prometheus_stack_values(a.sizes, a.platform, a.alerting, endpoints(), skip)

    def _chart(self, role, pin, namespace, values, after, release=None) -> k8s.helm.v4.Chart:
        opts = pulumi.ResourceOptions(parent=self, depends_on=list(after))
        return helm_release(
            f"{self._name}-{role}", pin, namespace, values, opts, release=release or role, labels=LABELS,
            placement=self._args.platform.placement,
        )

    def _receiver_secret(self) -> list[pulumi.Resource]:
        data = receiver_secret_data(self._args.alerting)
        if not data:
            return []
        secret = k8s.core.v1.Secret(
            f"{self._name}-alertmanager-receivers",
            metadata={"name": RECEIVER_SECRET, "namespace": MONITORING, "labels": dict(LABELS)},
            type="Opaque",
            string_data=pulumi.Output.secret(data),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return [secret]

    def _charts(self, ns: dict, kps: k8s.helm.v4.Chart) -> None:
        a, name = self._args, self._name
        sizes, platform = a.sizes, a.platform
        self._chart("metrics-server", METRICS_SERVER, MONITORING, addons.metrics_server_values(sizes, platform), [ns[MONITORING]])
        self._chart("loki", LOKI, MONITORING, addons.loki_values(sizes, platform), [ns[MONITORING]])
        self._chart("alloy", ALLOY, AGENTS, addons.alloy_values(sizes, MONITORING), [ns[AGENTS]])
        self._chart("jaeger", JAEGER, TRACING, addons.jaeger_values(sizes), [ns[TRACING]])
        ui = addons.jaeger_ui_service(TRACING, platform)
        k8s.core.v1.Service(
            f"{name}-jaeger-ui", metadata=ui["metadata"], spec=ui["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ns[TRACING]]),
        )
        if a.features.opencost:
            values = addons.opencost_values(sizes, a.pricing, MONITORING, platform)
            self._chart("opencost", OPENCOST, MONITORING, values, [kps])
        signals = Signals.of(platform, a.features)
        dashboards = (("finops", finops_dashboard(a.pricing, signals.cost)), ("cloudmart", cloudmart_dashboard(signals.sli)))
        for key, dashboard in dashboards:
            cm = dashboard_configmap(f"{key}-dashboard", MONITORING, dashboard)
            k8s.core.v1.ConfigMap(
                f"{name}-{key}-dashboard", metadata=cm["metadata"], data=cm["data"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[ns[MONITORING]]),
            )

    def _custom_resources(self, kps: k8s.helm.v4.Chart) -> None:
        """ServiceMonitor/PodMonitor/PrometheusRule need the chart's CRDs first."""
        after_crds = pulumi.ResourceOptions(parent=self, depends_on=[kps])
        for scrape in self._args.scrape:
            pm = monitors.pod_monitor(scrape, MONITORING)
            k8s.apiextensions.CustomResource(
                f"{self._name}-{scrape.name}-podmonitor",
                api_version=pm["apiVersion"], kind=pm["kind"], metadata=pm["metadata"], spec=pm["spec"],
                opts=after_crds,
            )
        signals = Signals.of(self._args.platform, self._args.features)
        rule = monitors.prometheus_rule("platform-rules", MONITORING, rule_groups(self._args.pricing, signals))
        k8s.apiextensions.CustomResource(
            f"{self._name}-rules",
            api_version=rule["apiVersion"], kind=rule["kind"], metadata=rule["metadata"], spec=rule["spec"],
            opts=after_crds,
        )
