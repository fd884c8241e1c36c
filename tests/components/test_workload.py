"""The Workload builders: what every Deployment gets, and when HPA, PDB and ConfigMap appear."""

from __future__ import annotations

from components.platform import Platform
from components.specs import Container, Hpa, HttpProbe, Ownership, Resources, ScrapeTarget, ServicePort, WorkloadSpec
from components.workload import configmap_manifest, deployment_manifest, hpa_manifest, pdb_manifest, service_manifest
from tools.validate import validate_object

OWNER = Ownership("platform", "CC-2001")
KIND = Platform(name="kind", exposure="NodePort", ingress_class="nginx")
CLUSTER_IP = Platform(name="other", exposure="ClusterIP", ingress_class="alb")


def spec(**overrides) -> WorkloadSpec:
    base = dict(
        name="demo",
        containers=(
            Container(
                "demo",
                "nginxinc/nginx-unprivileged:1.28.0-alpine",
                Resources(100, 128, 300, 256),
                run_as_user=101,
                liveness=HttpProbe("/health", 8080, 30, 10),
                readiness=HttpProbe("/ready", 8080, 10, 5),
            ),
        ),
        replicas=1,
        service_ports=(ServicePort("http", 80, 8080, node_port=30099),),
        component="backend",
        part_of="demo",
    )
    return WorkloadSpec(**{**base, **overrides})


def test_deployment_carries_standard_labels_team_and_cost_center():
    labels = deployment_manifest(spec(), "ns", OWNER)["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "demo"
    assert labels["app.kubernetes.io/part-of"] == "demo"
    assert labels["app.kubernetes.io/managed-by"] == "pulumi"
    assert labels["team"] == "platform"
    assert labels["cost-center"] == "CC-2001"


def test_pods_run_under_the_restricted_security_profile():
    pod = deployment_manifest(spec(), "ns", OWNER)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    ctx = pod["containers"][0]["securityContext"]
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"] == {"drop": ["ALL"]}
    assert ctx["readOnlyRootFilesystem"] is True
    assert ctx["runAsUser"] == 101


def test_every_container_has_requests_limits_and_probes():
    container = deployment_manifest(spec(), "ns", OWNER)["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "300m", "memory": "256Mi"}}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": 8080}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": 8080}


def test_scrape_annotations_follow_the_seed():
    annotations = deployment_manifest(spec(scrape=ScrapeTarget(9113)), "ns", OWNER)["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "9113"
    assert annotations["prometheus.io/path"] == "/metrics"


def test_no_hpa_pdb_or_configmap_unless_asked():
    s = spec()
    assert hpa_manifest(s, "ns", OWNER) is None
    assert pdb_manifest(s, "ns", OWNER) is None
    assert configmap_manifest(s, "ns", OWNER) is None


def test_hpa_is_autoscaling_v2_with_behavior():
    hpa = hpa_manifest(spec(hpa=Hpa(1, 4, cpu_utilization=70, memory_utilization=80)), "ns", OWNER)
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["behavior"]["scaleUp"]["policies"] == [{"type": "Percent", "value": 100, "periodSeconds": 30}]
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu", "memory"]


def test_pdb_for_every_deployment_that_can_run_two_pods_and_it_never_blocks_a_drain():
    # Issue 16: a Deployment that can have two or more replicas has a PDB. maxUnavailable 1
    # lets a single running replica go, so at one replica it never blocks a drain.
    assert pdb_manifest(spec(hpa=Hpa(1, 4)), "ns", OWNER)["spec"] == {
        "maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "demo", "app.kubernetes.io/instance": "demo"}}
    }
    assert pdb_manifest(spec(hpa=Hpa(2, 4)), "ns", OWNER)["spec"]["maxUnavailable"] == 1
    assert pdb_manifest(spec(replicas=2), "ns", OWNER) is not None
    assert pdb_manifest(spec(replicas=1), "ns", OWNER) is None


def test_replicated_deployments_spread_over_zones_and_nodes():
    pod = deployment_manifest(spec(hpa=Hpa(1, 4)), "ns", OWNER)["spec"]["template"]["spec"]
    zone, host = pod["topologySpreadConstraints"]
    assert (zone["topologyKey"], zone["maxSkew"]) == ("topology.kubernetes.io/zone", 1)
    assert (host["topologyKey"], host["whenUnsatisfiable"]) == ("kubernetes.io/hostname", "ScheduleAnyway")
    assert zone["labelSelector"] == {"matchLabels": {"app.kubernetes.io/name": "demo", "app.kubernetes.io/instance": "demo"}}
    assert "topologySpreadConstraints" not in deployment_manifest(spec(replicas=1), "ns", OWNER)["spec"]["template"]["spec"]


def test_config_change_rolls_the_pods():
    a = deployment_manifest(spec(config_name="c", config=(("k", "1"),)), "ns", OWNER)
    b = deployment_manifest(spec(config_name="c", config=(("k", "2"),)), "ns", OWNER)
    key = "checksum/config"
    assert a["spec"]["template"]["metadata"]["annotations"][key] != b["spec"]["template"]["metadata"]["annotations"][key]


def test_exposure_comes_from_platform_data():
    assert service_manifest(spec(), "ns", OWNER, KIND)["spec"]["type"] == "NodePort"
    assert service_manifest(spec(), "ns", OWNER, KIND)["spec"]["ports"][0]["nodePort"] == 30099
    internal = service_manifest(spec(), "ns", OWNER, CLUSTER_IP)["spec"]
    assert internal["type"] == "ClusterIP"
    assert "nodePort" not in internal["ports"][0]


def test_all_builders_emit_strict_valid_objects():
    s = spec(hpa=Hpa(2, 5), config_name="c", config=(("k", "v"),))
    objects = [
        deployment_manifest(s, "ns", OWNER),
        service_manifest(s, "ns", OWNER, KIND),
        hpa_manifest(s, "ns", OWNER),
        pdb_manifest(s, "ns", OWNER),
        configmap_manifest(s, "ns", OWNER),
    ]
    assert [p for o in objects for p in validate_object(o)] == []
