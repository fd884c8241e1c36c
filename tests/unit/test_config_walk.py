"""The config walk: every key ``Pulumi.yaml`` declares is rendered at a non-default valid value
on a stack where it applies, and the effect its description promises is asserted in the
rendered objects or in the tools' output.

The registry is ``WALK``: one ``@walk("key", setting)`` entry per key, whose docstring is the
assertion the table shows (``python -m tests.config_space --table``). A declared key without
an entry fails ``test_key_acts_as_its_description_says`` with the line to add; an entry for a
key that is no longer declared fails too. Settings are shared renders (``tests/config_space.py``):
several keys are walked on one render, each by its own assertion.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import yaml

from components.cost.prices import AP_NORTHEAST_2
from components.profiles import PROFILES
from stacks.settings import KEYS_BY_NAME
from tests.config_space import (
    ADMIN,
    CERTIFICATE,
    DEV_CONTEXT,
    DEV_WALK,
    EKS_CERTIFICATE,
    EKS_NAT_PER_AZ,
    EKS_WALK,
    SLACK_URL,
    VIEWER,
    Result,
    Setting,
    declared_keys,
    render,
    setting,
)
from tests.engines import promtool
from tests.engines.promtool import Case
from tests.engines.series import MIB, Pod, pod_series
from tests.engines.test_finops_queries import PODS, SELECTED
from tools.diff import budget_problems

WALK_FILE = "tests/unit/test_config_walk.py"


@dataclass(frozen=True)
class Walk:
    key: str
    setting: Setting
    check: Callable[[Result], None]
    sole_value: bool = False  # the key accepts one value only: it is walked at that value

    @property
    def asserts(self) -> str:
        return " ".join((self.check.__doc__ or "").split())


WALK: dict[str, Walk] = {}


def walk(key: str, on: Setting, sole_value: bool = False):
    """Register the decorated ``check(result)`` as the walk of ``key`` on ``on``."""

    def register(check: Callable[[Result], None]):
        assert key not in WALK, f"{key} is walked twice in {WALK_FILE}"
        assert check.__doc__, f"the walk of {key} needs a docstring: it is the table's assertion"
        WALK[key] = Walk(key, on, check, sole_value)
        return check

    return register


# --- helpers ----------------------------------------------------------------------------
def kind_cluster(r: Result) -> dict:
    (command,) = r.of_type("command:local:Command")
    return yaml.safe_load(command.inputs["stdin"])


def node_group(r: Result, pool: str) -> dict:
    (group,) = [g.inputs for g in r.of_type("eks:index:ManagedNodeGroup") if g.inputs["labels"]["cloud-platform/pool"] == pool]
    return group


def secret_value(r: Result, name: str, key: str) -> str:
    """A Secret's value as registered (``collect`` redacts it), which must stay a Pulumi secret."""
    (reg,) = [x for x in r.of_type("kubernetes:core/v1:Secret") if (x.inputs.get("metadata") or {}).get("name") == name]
    assert reg.secret_paths, f"Secret {name} is registered in plain text"
    if key in (reg.inputs.get("stringData") or {}):
        return reg.inputs["stringData"][key]
    return base64.b64decode(reg.inputs["data"][key]).decode()


def alertmanager(r: Result) -> dict:
    return r.release("kube-prometheus-stack")["values"]["alertmanager"]["config"]


def receiver(r: Result, name: str) -> dict:
    (found,) = [x for x in alertmanager(r)["receivers"] if x["name"] == name]
    return found


def email_configs(r: Result) -> list[dict]:
    return [c for x in alertmanager(r)["receivers"] for c in x.get("email_configs", [])]


def alb_ingresses(r: Result) -> list[dict]:
    return [o for o in r.objects("Ingress") if o["spec"].get("ingressClassName") == "alb"]


def cost_panel_expr(r: Result) -> str:
    """The query of the FinOps dashboard's "Estimated Monthly Cost by Namespace" panel."""
    (cm,) = r.objects("ConfigMap", "finops-dashboard")
    panels = json.loads(cm["data"]["finops-dashboard.json"])["panels"]
    (panel,) = [p for p in panels if p["title"].startswith("Estimated Monthly Cost by Namespace")]
    (target,) = panel["targets"]
    return target["expr"]


def platform_groups(r: Result) -> list[dict]:
    (rule,) = r.objects("PrometheusRule", "platform-rules")
    return rule["spec"]["groups"]


PRICED = DEV_WALK  # the setting whose prices and budget the promtool cases evaluate


@promtool.cases_from
def price_cases(stack: str) -> dict[str, Case]:
    """The cost panel and budget cases on PRICED's rendered rules, for the session's promtool batch."""
    if stack != PRICED.stack:
        return {}
    r = render(PRICED)
    return {"walk-panel": Case(platform_groups(r), _cost_panel_tests(r)), "walk-budget": Case(platform_groups(r), _budget_tests())}


def promtool_ok(r: Result, case: str) -> None:
    assert r.setting == PRICED, f"the promtool cases are evaluated on {PRICED.name}'s rules"
    result = promtool.outcome(PRICED.stack, f"walk-{case}")
    assert result.ok, result.output


# --- kind and both targets --------------------------------------------------------------
@walk("target", setting("eks"))
def _target(r):
    """eks declares an EKS cluster and its node groups, and no kind cluster"""
    assert r.of_type("eks:index:Cluster") and r.of_type("eks:index:ManagedNodeGroup")
    assert not r.of_type("command:local:Command")


@walk("profile", setting("staging"))
def _profile(r):
    """staging: Trip Currency's APIs and frontend run the profile's replicas in trip-service-staging"""
    want = PROFILES["staging"].trip
    names = {"service-currency", "service-history", "service-ranking", "service-frontend"}
    found = {o["metadata"]["name"]: o for o in r.objects("Deployment") if o["metadata"]["name"] in names}
    assert set(found) == names
    assert {o["metadata"]["namespace"] for o in found.values()} == {f"trip-service-{want.environment}"}
    assert {o["spec"]["replicas"] for o in found.values()} == {want.replicas} != {PROFILES["dev"].trip.replicas}


@walk("clusterName", setting("dev"))
def _cluster_name(r):
    """the kind cluster is created and deleted under the name, and the output says it"""
    (command,) = r.of_type("command:local:Command")
    assert "kind create cluster --name cloud-platform-dev " in command.inputs["create"]
    assert command.inputs["delete"] == "kind delete cluster --name cloud-platform-dev"
    assert kind_cluster(r)["name"] == "cloud-platform-dev" == r.run.outputs["clusterName"]


@walk("kubeContext", DEV_CONTEXT)
def _kube_context(r):
    """no kind cluster is created; the Kubernetes provider uses the context"""
    assert not r.of_type("command:local:Command")
    providers = [p.inputs for p in r.of_type("pulumi:providers:kubernetes")]
    assert providers and all(p.get("context") == "walk-context" for p in providers)
    assert r.run.outputs["clusterName"] == "walk-context"


@walk("kindWorkers", DEV_WALK)
def _kind_workers(r):
    """the kind cluster config has 3 worker nodes beside the control plane"""
    roles = [n["role"] for n in kind_cluster(r)["nodes"]]
    assert roles.count("worker") == 3 and roles.count("control-plane") == 1


def _cost_panel_tests(r: Result) -> list[dict]:
    """The FinOps dashboard's cost panel, evaluated by promtool, prices requests at the
    configured $/vCPU-h and $/GiB-h (0.05 and 0.01, not OpenCost's defaults)."""
    cpu, mem = r.settings.pricing.cpu_hourly, r.settings.pricing.memory_gib_hourly
    assert (cpu, mem) == (0.05, 0.01)

    def monthly(cores: float, memory_bytes: int) -> float:  # PromQL's order of operations
        return (cores * cpu + memory_bytes / (1024 * MIB) * mem) * 730

    # cloudmart: (0.375 x 0.05 + 0.375 GiB x 0.01) x 730 = 16.425; trip-service-dev: 6.3875
    want = {'{namespace="cloudmart"}': monthly(0.375, 384 * MIB), '{namespace="trip-service-dev"}': monthly(0.125, 256 * MIB)}
    assert want['{namespace="cloudmart"}'] == pytest.approx(16.425)
    expr = cost_panel_expr(r).replace("$namespace", SELECTED)
    return [{
        "interval": "1m",
        "input_series": [s for pod in PODS for s in pod_series(pod, 60)],
        "promql_expr_test": [{"expr": expr, "eval_time": "30m", "exp_samples": [{"labels": k, "value": v} for k, v in want.items()]}],
    }]


def _budget_tests() -> list[dict]:
    """MonthlyCostOverBudget, under promtool, prices at the configured prices against the
    configured $123: 2.25 cores and 6 GiB cost 2.25 x 0.05 x 730 + 6 x 0.01 x 730 = $125.93
    (fires); 2 cores cost $116.80 (silent, though above the default $100 budget). At the
    default prices both would cost under $72 and stay silent."""

    def pods(cores: float) -> list[dict]:
        return pod_series(Pod("cloudmart", "product-service-6f7c9-abcde", "product-service", cores, 6 * 1024 * MIB), 60)

    fired = (2.25 * 0.05 + 6 * 0.01) * 730
    labels = {"team": "platform", "severity": "warning", "category": "finops"}
    annotations = {
        "summary": "Estimated monthly cost is above the $123 budget",
        "description": f"Requests cost about ${fired:.4g} per month at the configured prices.",
    }
    tests = [
        {"interval": "1m", "input_series": pods(2.25),
         "alert_rule_test": [{"eval_time": "40m", "alertname": "MonthlyCostOverBudget",
                              "exp_alerts": [{"exp_labels": labels, "exp_annotations": annotations}]}]},
        {"interval": "1m", "input_series": pods(2.0),
         "alert_rule_test": [{"eval_time": "40m", "alertname": "MonthlyCostOverBudget", "exp_alerts": []}]},
    ]
    return tests


@walk("cpuHourlyPrice", DEV_WALK)
def _cpu_price(r):
    """promtool: the FinOps dashboard's cost panel and the budget alert price CPU at $0.05/vCPU-h"""
    promtool_ok(r, "panel")
    promtool_ok(r, "budget")
    assert r.run.outputs["monthlyCostEstimate"]["prices"]["cpuHourly"] == 0.05


@walk("memoryGibHourlyPrice", DEV_WALK)
def _memory_price(r):
    """promtool: the FinOps dashboard's cost panel and the budget alert price memory at $0.01/GiB-h"""
    promtool_ok(r, "panel")
    promtool_ok(r, "budget")
    assert r.run.outputs["monthlyCostEstimate"]["prices"]["memoryGibHourly"] == 0.01


@walk("monthlyBudget", DEV_WALK)
def _monthly_budget(r):
    """promtool: MonthlyCostOverBudget fires at $125.93 and not at $116.80; tools diff refuses $124, not $122"""
    promtool_ok(r, "budget")
    (problem,) = budget_problems("dev", None, 124.0, r.settings)
    assert "exceeds cloud-platform:monthlyBudget ($123.00)" in problem
    assert budget_problems("dev", None, 122.0, r.settings) == []


@walk("maxIncreasePercent", DEV_WALK)
def _max_increase(r):
    """tools diff refuses a rise of 11% (limit 10%), accepts 9%"""
    (problem,) = budget_problems("dev", 100.0, 111.0, r.settings)
    assert "more than cloud-platform:maxIncreasePercent (10%)" in problem
    assert budget_problems("dev", 100.0, 109.0, r.settings) == []


@walk("alertSlackWebhookUrl", DEV_WALK)
def _slack(r):
    """critical-alerts and platform-team post to Slack with the URL read from the receivers Secret"""
    path = "/etc/alertmanager/secrets/alertmanager-receivers/slack-webhook-url"
    for name in ("critical-alerts", "platform-team"):
        assert [c["api_url_file"] for c in receiver(r, name)["slack_configs"]] == [path]
    assert secret_value(r, "alertmanager-receivers", "slack-webhook-url") == SLACK_URL
    assert SLACK_URL not in json.dumps(alertmanager(r))


@walk("alertEmailTo", DEV_WALK)
def _email_to(r):
    """default and critical-alerts e-mail the recipient"""
    assert {x["name"] for x in alertmanager(r)["receivers"] if x.get("email_configs")} == {"default", "critical-alerts"}
    assert {c["to"] for c in email_configs(r)} == {"oncall@example.com"}


@walk("alertEmailFrom", DEV_WALK)
def _email_from(r):
    """alert e-mail is sent from, and authenticates as, the sender"""
    assert {(c["from"], c["auth_username"]) for c in email_configs(r)} == {("alerts@example.com", "alerts@example.com")}


@walk("alertSmtpSmarthost", DEV_WALK)
def _smarthost(r):
    """alert e-mail goes through smtp.example.com:2525"""
    assert {c["smarthost"] for c in email_configs(r)} == {"smtp.example.com:2525"}


@walk("alertSmtpPassword", DEV_WALK)
def _smtp_password(r):
    """the password reaches Alertmanager only through the receivers Secret's file"""
    path = "/etc/alertmanager/secrets/alertmanager-receivers/smtp-password"
    assert {c["auth_password_file"] for c in email_configs(r)} == {path}
    assert secret_value(r, "alertmanager-receivers", "smtp-password") == "walk-smtp-password"
    assert "walk-smtp-password" not in json.dumps(alertmanager(r))


@walk("opencost", DEV_WALK)
def _opencost(r):
    """an OpenCost release reads the platform's Prometheus and prices at 730 h x the configured prices"""
    values = r.release("opencost")["values"]["opencost"]
    assert values["prometheus"]["internal"]["serviceName"] == "kube-prometheus-stack-prometheus"
    model = values["customPricing"]["costModel"]
    assert values["customPricing"]["enabled"] is True
    assert (float(model["CPU"]), float(model["RAM"])) == (pytest.approx(0.05 * 730), pytest.approx(0.01 * 730))


@walk("finopsDemo", DEV_WALK)
def _finops_demo(r):
    """the namespaces production, staging and development are declared, each with its Deployment"""
    demo = {"production", "staging", "development"}
    assert demo <= {o["metadata"]["name"] for o in r.objects("Namespace")}
    assert demo == {o["metadata"]["namespace"] for o in r.objects("Deployment")} & demo


@walk("tripImageTag", DEV_WALK)
def _trip_image_tag(r):
    """every korgosu/* image (Deployments and the ingestor CronJob) is tagged walk-7"""
    containers = [c for o in r.objects("Deployment") for c in o["spec"]["template"]["spec"]["containers"]]
    containers += [c for o in r.objects("CronJob") for c in o["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]]
    images = [c["image"] for c in containers if "korgosu/" in c["image"]]
    assert len(images) >= 5 and all(i.endswith(":walk-7") for i in images), images


# --- eks only ---------------------------------------------------------------------------
@walk("awsRegion", EKS_CERTIFICATE)
def _region(r):
    """the AWS provider, the ALB controller, the Cluster Autoscaler and the output use us-west-2; the estimate says it has no prices there"""
    assert {p.inputs["region"] for p in r.of_type("pulumi:providers:aws")} == {"us-west-2"}
    assert r.release("aws-load-balancer-controller")["values"]["region"] == "us-west-2"
    assert r.release("cluster-autoscaler")["values"]["awsRegion"] == "us-west-2"
    assert r.run.outputs["region"] == "us-west-2"
    assert r.run.outputs["monthlyCostEstimate"]["unpriced"] == ["AWS infrastructure in us-west-2"]


@walk("kubernetesVersion", setting("eks"), sole_value=True)
def _kubernetes_version(r):
    """the cluster runs 1.35 and every add-on version is looked up for 1.35"""
    (cluster,) = r.of_type("eks:index:Cluster")
    assert cluster.inputs["version"] == "1.35"
    lookups = [a for token, a in r.run.invokes if token == "aws:eks/getAddonVersion:getAddonVersion"]
    assert lookups and {a["kubernetesVersion"] for a in lookups} == {"1.35"}


@walk("vpcCidr", EKS_WALK)
def _vpc_cidr(r):
    """the VPC is 10.20.0.0/18 and every subnet lies inside it"""
    import ipaddress

    (vpc,) = r.of_type("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.20.0.0/18"
    net = ipaddress.ip_network("10.20.0.0/18")
    subnets = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in r.of_type("aws:ec2/subnet:Subnet")]
    assert subnets and all(s.subnet_of(net) for s in subnets)


@walk("availabilityZones", EKS_WALK)
def _zones(r):
    """2 zones: one public and one private subnet in each, and the node groups span both"""
    subnets = [s.inputs for s in r.of_type("aws:ec2/subnet:Subnet")]
    for public in (True, False):
        assert len({s["availabilityZone"] for s in subnets if s["mapPublicIpOnLaunch"] is public}) == 2
        assert sum(1 for s in subnets if s["mapPublicIpOnLaunch"] is public) == 2
    assert {len(g.inputs["subnetIds"]) for g in r.of_type("eks:index:ManagedNodeGroup")} == {2}


@walk("natGateways", EKS_NAT_PER_AZ)
def _nat(r):
    """per-az: one NAT gateway with its Elastic IP in each of the 3 public subnets"""
    gateways = [g.inputs for g in r.of_type("aws:ec2/natGateway:NatGateway")]
    publics = [s.name for s in r.of_type("aws:ec2/subnet:Subnet") if s.inputs["mapPublicIpOnLaunch"]]
    assert sorted(g["subnetId"] for g in gateways) == sorted(f"{p}-id" for p in publics) and len(publics) == 3
    assert len({g["allocationId"] for g in gateways}) == len(r.of_type("aws:ec2/eip:Eip")) == 3


def _pool_walk(pool: str, types: list[str], sizes: tuple[int, int, int], capacity: str) -> None:
    """Register the walks of ``<pool>InstanceTypes``, ``<pool>Arch`` and its three sizes on
    EKS_WALK, whose values for the pool are ``types`` (arm64) and ``sizes``."""

    def _types(r):
        group = node_group(r, pool)
        assert group["instanceTypes"] == types and group["capacityType"] == capacity

    def _arch(r):
        assert node_group(r, pool)["amiType"] == "AL2023_ARM_64_STANDARD"

    _types.__doc__ = f"the {pool} node group runs {', '.join(types)} ({capacity})"
    _arch.__doc__ = f"the {pool} node group boots the arm64 AL2023 AMI"
    walk(f"{pool}InstanceTypes", EKS_WALK)(_types)
    walk(f"{pool}Arch", EKS_WALK)(_arch)
    for key, index, field in (("MinSize", 0, "minSize"), ("DesiredSize", 1, "desiredSize"), ("MaxSize", 2, "maxSize")):

        def _size(r, field=field, want=sizes[index]):
            assert node_group(r, pool)["scalingConfig"][field] == want

        _size.__doc__ = f"the {pool} node group's scalingConfig.{field} is {sizes[index]}"
        walk(f"{pool}{key}", EKS_WALK)(_size)


_pool_walk("base", ["t4g.xlarge"], (3, 5, 7), "ON_DEMAND")
_pool_walk("spot", ["m6g.large", "m7g.large", "t4g.large"], (0, 3, 9), "SPOT")


@walk("spotDiscountPercent", EKS_WALK)
def _spot_discount(r):
    """the Spot nodes are priced 50% below the dearest of their types on demand"""
    (line,) = [i for i in r.estimate.infrastructure if i.name.startswith("nodes ") and i.name.endswith(" spot)")]
    dearest = max(AP_NORTHEAST_2.on_demand[t].monthly for t in ("m6g.large", "m7g.large", "t4g.large"))
    assert line.unit_usd == pytest.approx(dearest * 0.5)


@walk("costAssumptions", EKS_WALK)
def _cost_assumptions(r):
    """the estimate prices 250 GB of NAT data processing and 20 GB of control-plane logs, the other usage at its defaults"""
    lines = {i.name: i.quantity for i in r.estimate.infrastructure}
    assert lines["NAT data processing (natGb=250)"] == 250
    assert lines["control-plane logs ingested (logGb=20)"] == 20 == lines["control-plane logs stored, 30-day retention (logGb=20)"]
    assert lines["ECR storage (ecrGb=5)"] == 5


@walk("domain", EKS_WALK)
def _domain(r):
    """the ALB hosts, the certificate's names and external-dns's domain filter are under walk.example.org"""
    hosts = {rule["host"] for o in alb_ingresses(r) for rule in o["spec"]["rules"]}
    assert "walk.example.org" in hosts and all(h == "walk.example.org" or h.endswith(".walk.example.org") for h in hosts)
    (cert,) = r.of_type("aws:acm/certificate:Certificate")
    assert cert.inputs["domainName"] == "walk.example.org"
    assert hosts <= {cert.inputs["domainName"], *cert.inputs["subjectAlternativeNames"]}
    assert all(n.endswith(".walk.example.org") for n in cert.inputs["subjectAlternativeNames"])
    assert r.release("external-dns")["values"]["domainFilters"] == ["walk.example.org"]


@walk("hostedZoneId", EKS_WALK)
def _hosted_zone(r):
    """the certificate's validation records go into Z0WALKZONE42, and external-dns may only touch that zone"""
    records = [x.inputs for x in r.of_type("aws:route53/record:Record")]
    (cert,) = r.of_type("aws:acm/certificate:Certificate")
    assert len(records) == 1 + len(cert.inputs["subjectAlternativeNames"]) and {x["zoneId"] for x in records} == {"Z0WALKZONE42"}
    assert "--zone-id-filter=Z0WALKZONE42" in r.release("external-dns")["values"]["extraArgs"]


@walk("certificateArn", EKS_CERTIFICATE)
def _certificate(r):
    """no certificate or DNS record is created; every ALB Ingress serves the given certificate"""
    assert not r.of_type("aws:acm/certificate:Certificate") and not r.of_type("aws:route53/record:Record")
    arns = {o["metadata"]["annotations"]["alb.ingress.kubernetes.io/certificate-arn"] for o in alb_ingresses(r)}
    assert arns == {CERTIFICATE} and len(alb_ingresses(r)) >= 2
    assert r.run.outputs["certificateArn"] == CERTIFICATE


def _access_entries(r: Result) -> dict[str, set[str]]:
    """principal ARN -> the access policies its entries grant."""
    (cluster,) = r.of_type("eks:index:Cluster")
    out: dict[str, set[str]] = {}
    for entry in cluster.inputs["accessEntries"].values():
        for policy in entry["accessPolicies"].values():
            out.setdefault(entry["principalArn"], set()).add(policy["policyArn"].rsplit("/", 1)[-1])
    return out


@walk("adminPrincipalArns", EKS_WALK)
def _admins(r):
    """the principal gets a cluster-wide AmazonEKSClusterAdminPolicy access entry"""
    assert _access_entries(r)[ADMIN] == {"AmazonEKSClusterAdminPolicy"}


@walk("viewerPrincipalArns", EKS_WALK)
def _viewers(r):
    """the principal gets a read-only AmazonEKSAdminViewPolicy access entry, and nothing more"""
    assert _access_entries(r)[VIEWER] == {"AmazonEKSAdminViewPolicy"}


@walk("apiPublicAccessCidrs", EKS_WALK)
def _api_cidrs(r):
    """the cluster's public API endpoint admits 198.51.100.0/24 only (the private endpoint stays on)"""
    (cluster,) = r.of_type("eks:index:Cluster")
    assert cluster.inputs["endpointPublicAccess"] is True and cluster.inputs["endpointPrivateAccess"] is True
    assert cluster.inputs["publicAccessCidrs"] == ["198.51.100.0/24"]


@walk("adminCidrs", EKS_WALK)
def _admin_cidrs(r):
    """Grafana and the Jaeger UI get their own ALB group, admitting only 192.0.2.0/24 and 198.51.100.7/32"""
    admin = [o for o in alb_ingresses(r) if o["metadata"]["name"] in ("grafana", "jaeger-ui")]
    assert len(admin) == 2
    notes = [o["metadata"]["annotations"] for o in admin]
    assert {n["alb.ingress.kubernetes.io/inbound-cidrs"] for n in notes} == {"192.0.2.0/24,198.51.100.7/32"}
    public = {o["metadata"]["annotations"]["alb.ingress.kubernetes.io/group.name"] for o in alb_ingresses(r) if o not in admin}
    assert not {n["alb.ingress.kubernetes.io/group.name"] for n in notes} & public


@walk("ecrKeepImages", EKS_WALK)
def _ecr_keep(r):
    """every ECR repository's lifecycle policy keeps the last 12 images"""
    policies = [json.loads(p.inputs["policy"]) for p in r.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")]
    assert len(policies) == len(r.of_type("aws:ecr/repository:Repository")) >= 1
    assert {rule["selection"]["countNumber"] for p in policies for rule in p["rules"]} == {12}


# --- the walk ---------------------------------------------------------------------------
DECLARED = declared_keys()


# Keys whose walk reads promtool outcomes: run after the session's batch (tests/engines/conftest.py).
PROMTOOL_KEYS = {"cpuHourlyPrice", "memoryGibHourlyPrice", "monthlyBudget"}


@pytest.mark.parametrize("key", [pytest.param(k, marks=pytest.mark.promtool) if k in PROMTOOL_KEYS else k for k in DECLARED])
def test_key_acts_as_its_description_says(key):
    entry = WALK.get(key)
    if entry is None:
        pytest.fail(
            f"cloud-platform:{key} is declared in Pulumi.yaml but the config walk does not cover it: add "
            f'`@walk("{key}", <setting>)` with an assertion of its effect in {WALK_FILE} '
            "(shared settings in tests/config_space.py)",
            pytrace=False,
        )
    result = render(entry.setting)
    value, default = result.values[key], KEYS_BY_NAME[key].default
    if entry.sole_value:
        # Nothing else is accepted (tests/unit/test_config_edges.py tries a wrong value).
        assert value == default
    else:
        assert value != default, f"the walk of {key} renders {entry.setting.describe()}, where {key} keeps its default {default!r}"
    entry.check(result)


def test_the_walk_names_only_declared_keys():
    stale = sorted(set(WALK) - set(DECLARED))
    assert not stale, f"{WALK_FILE} walks keys Pulumi.yaml no longer declares: {', '.join(stale)}; rename or remove them"


def test_the_table_covers_every_declared_key():
    from tests.config_space import table

    text = table()
    assert f"{len(DECLARED)} of {len(DECLARED)} declared keys covered." in text
    assert all(f"| `{k}` |" in text for k in DECLARED)
