"""The CloudWatch exporter (YACE) that brings the ALB's metrics into Prometheus, as pure data:
its scrape configuration, the names of the series it exports, and how late they arrive.

YACE v0.67.0 (chart ``prometheus-yet-another-cloudwatch-exporter`` 0.47.0) asks CloudWatch,
every ``scraping-interval`` seconds, for each metric's statistic over one ``period`` ending
``delay`` seconds ago, and exports the newest datapoint as a gauge. With
``addCloudwatchTimestamp`` the sample carries CloudWatch's own timestamp (the start of the
period), so a window ``[w]`` in PromQL holds the datapoints of those w minutes of traffic, and
each period counts once however often Prometheus scrapes.

The newest datapoint Prometheus holds is at most ``delay + period + scraping-interval`` old
(``LAG``): rule windows are widened by it, so a 5-minute window still holds five minutes of data.
Ref: https://github.com/prometheus-community/yet-another-cloudwatch-exporter/blob/v0.67.0/docs/configuration.md
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from components.manifests import container_security_context, pod_security_context, standard_labels
from components.netpol import Rule, allow_manifest, egress_manifest, internet
from components.observability.ownership import OWNER, PART_OF

NAMESPACE = "AWS/ApplicationELB"
# The AWS Load Balancer Controller tags every ALB and target group it creates with the cluster.
# Ref: https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/3701 (elbv2.k8s.aws/cluster)
CLUSTER_TAG = "elbv2.k8s.aws/cluster"
PERIOD_S = 60  # ALB metrics are published per minute
# CloudWatch revises a minute's sums for a while after it ends; 2 minutes back they are final.
DELAY_S = 120
SCRAPING_INTERVAL_S = 60  # YACE's own loop (its default is 300 s)
LAG_S = DELAY_S + PERIOD_S + SCRAPING_INTERVAL_S
PORT = 5000
RELEASE = "cloudwatch-exporter"
# The image runs as ``nobody`` (busybox). Ref: yet-another-cloudwatch-exporter v0.67.0 Dockerfile
UID = 65534
# The chart's selector label app.kubernetes.io/name is the chart's name (templates/_helpers.tpl).
POD_NAME = "prometheus-yet-another-cloudwatch-exporter"


@dataclass(frozen=True)
class CloudWatchMetric:
    """One CloudWatch metric, its statistic and the dimensions of the series wanted."""

    name: str
    statistic: str
    dimensions: tuple[str, ...]

    @property
    def series(self) -> str:
        return metric_name(NAMESPACE, self.name, self.statistic)


# Per target group: requests, 5xx answered by the targets, and the targets' response time.
# The load balancer's own 5xx (no healthy target, a target that closed the connection) exist
# per load balancer only, and are not in RequestCount (which counts requests routed to a target).
PER_TARGET_GROUP = ("LoadBalancer", "TargetGroup")
REQUESTS = CloudWatchMetric("RequestCount", "Sum", PER_TARGET_GROUP)
TARGET_5XX = CloudWatchMetric("HTTPCode_Target_5XX_Count", "Sum", PER_TARGET_GROUP)
RESPONSE_P95 = CloudWatchMetric("TargetResponseTime", "p95", PER_TARGET_GROUP)
ELB_5XX = CloudWatchMetric("HTTPCode_ELB_5XX_Count", "Sum", ("LoadBalancer",))
METRICS = (REQUESTS, TARGET_5XX, RESPONSE_P95, ELB_5XX)

# YACE's own counter of failed AWS API calls, by ``api_name``.
# Ref: pkg/promutil/prometheus.go at v0.67.0 (NewScrapeMetrics)
REQUEST_ERRORS = "yace_cloudwatch_request_errors"
REQUESTS_TOTAL = "yace_cloudwatch_requests_total"


def _prom_string(text: str) -> str:
    """YACE's ``PromStringToBuilder``: separators to ``_``, ``%`` to ``_percent``, and an
    underscore before an upper-case letter that follows a lower-case letter or a digit."""
    out, prev = [], ""
    for c in text:
        if c in " ,\t/\\.-:=@<>()“":
            out.append("_")
        elif c == "%":
            out.append("_percent")
        else:
            if c.isupper() and (prev.islower() or prev.isdigit()):
                out.append("_")
            out.append(c.lower())
        prev = c
    return "".join(out)


def metric_name(namespace: str, metric: str, statistic: str) -> str:
    """The series name YACE exports, ported from ``BuildMetricName`` (pkg/promutil/migrate.go,
    v0.67.0): ``aws_<namespace>_<metric>_<statistic>`` in snake case."""
    ns = _prom_string(namespace.removeprefix("/").lower())
    name = "" if ns.startswith("aws") else "aws_"
    name += ns + "_"
    prom = _prom_string(metric)
    skip = 0
    for part in ns.split("_"):
        if prom[skip:].startswith(part):
            skip = len(part)
    name += prom[skip:].removeprefix("_")
    if statistic:
        name += "_" + _prom_string(statistic)
    return name


def _job(region: str, cluster: str, metrics: tuple[CloudWatchMetric, ...]) -> dict:
    return {
        "type": NAMESPACE,
        "regions": [region],
        "searchTags": [{"key": CLUSTER_TAG, "value": f"^{cluster}$"}],
        "dimensionNameRequirements": list(metrics[0].dimensions),
        "period": PERIOD_S,
        "length": PERIOD_S,
        "delay": DELAY_S,
        "addCloudwatchTimestamp": True,
        "metrics": [{"name": m.name, "statistics": [m.statistic]} for m in metrics],
    }


def exporter_config(region: str, cluster: str) -> dict:
    """Two discovery jobs on the ALBs and target groups tagged with this cluster: per target
    group, and the load balancer's own 5xx per load balancer. ``dimensionNameRequirements``
    keeps exactly those dimension sets, so no request is counted twice (CloudWatch also has
    per-zone and per-balancer copies)."""
    per_group = tuple(m for m in METRICS if m.dimensions == PER_TARGET_GROUP)
    per_lb = tuple(m for m in METRICS if m.dimensions != PER_TARGET_GROUP)
    return {
        "apiVersion": "v1alpha1",
        "sts-region": region,
        "discovery": {"jobs": [_job(region, cluster, per_group), _job(region, cluster, per_lb)]},
    }


def windowed(minutes: int) -> str:
    """A PromQL range of ``minutes`` of CloudWatch data, widened by the lag (5 -> ``9m``)."""
    total = minutes + LAG_S // 60
    hours, mins = divmod(total, 60)
    days, hours = divmod(hours, 24)
    return "".join(f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (mins, "m")) if v) or "0m"


def exporter_values(region: str, cluster: str, role_arn, resources: dict, service_account: str) -> dict:
    """Chart values: the config above, the IRSA service account, the restricted securityContext
    (``monitoring`` enforces it), scraped by a ServiceMonitor every minute.
    Ref: https://github.com/prometheus-community/helm-charts/blob/prometheus-yet-another-cloudwatch-exporter-0.47.0/charts/prometheus-yet-another-cloudwatch-exporter/values.yaml"""
    return {
        "fullnameOverride": RELEASE,
        "replicaCount": 1,
        "config": yaml.safe_dump(exporter_config(region, cluster), sort_keys=False),
        "extraArgs": {"scraping-interval": SCRAPING_INTERVAL_S},
        "serviceAccount": {
            "create": True,
            "name": service_account,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
        "resources": resources,
        "podSecurityContext": {**pod_security_context(), "runAsUser": UID, "runAsGroup": UID},
        "securityContext": container_security_context(UID, read_only_root=True),
        # The chart's helm test pod is a hook, which Pulumi never applies.
        "testConnection": False,
        "serviceMonitor": {"enabled": True, "interval": f"{SCRAPING_INTERVAL_S}s"},
    }


@dataclass(frozen=True)
class AwsEgress:
    """A pod that calls AWS APIs: where it runs, the TCP ports and the endpoints it reaches.

    NetworkPolicies cannot name hosts, and these public endpoints have no fixed addresses: the
    policy admits the internet on ``ports`` (never the pod network or the metadata service);
    ``hosts`` says which endpoints that is for, for review and for a VPC-endpoint setup."""

    pod: str
    namespace: str
    ports: tuple[int, ...]
    hosts: tuple[str, ...]


def aws_egress(region: str, namespace: str, opencost_pod: str | None) -> tuple[AwsEgress, ...]:
    """The exporter reads CloudWatch and the tagging API, and gets its IRSA credentials from
    STS's regional endpoint; OpenCost (with the AWS provider) downloads the public price list.
    Ref: https://docs.aws.amazon.com/general/latest/gr/cw_region.html, .../arg.html, .../sts.html;
    opencost pkg/cloud/aws/provider.go (pricingURL)"""
    flows = [
        AwsEgress(
            POD_NAME, namespace, (443,),
            (f"monitoring.{region}.amazonaws.com", f"tagging.{region}.amazonaws.com", f"sts.{region}.amazonaws.com"),
        )
    ]
    if opencost_pod:
        flows.append(AwsEgress(opencost_pod, namespace, (443,), ("pricing.us-east-1.amazonaws.com",)))
    return tuple(flows)


PROMETHEUS_POD = "prometheus"  # app.kubernetes.io/name the Prometheus Operator sets on its pods


def network_policies(namespace: str, egress: AwsEgress) -> list[dict]:
    """The exporter's NetworkPolicies (issue 15's default-deny ``monitoring``): only Prometheus's
    pods may scrape it, on its port; it may reach only the internet (never the pod network,
    the VPC or the metadata service) on the AWS endpoints' ports (DNS comes from the baseline)."""
    selector = {"app.kubernetes.io/name": POD_NAME}
    scrape = Rule((PORT,), remote_labelled=((namespace, (("app.kubernetes.io/name", PROMETHEUS_POD),)),))

    def labels(name: str) -> dict[str, str]:
        return standard_labels(name, "network-policy", PART_OF, OWNER)

    return [
        allow_manifest(RELEASE, namespace, (scrape,), labels(f"{RELEASE}-ingress"), selector=selector),
        egress_manifest(RELEASE, namespace, (internet(egress.ports),), labels(f"{RELEASE}-egress"), selector=selector),
    ]
