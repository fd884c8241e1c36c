"""Resource policies: each validate function on resources captured from the dev stack's mock
run, once as declared (passes) and once broken the way the rule forbids (fails)."""

from __future__ import annotations

import pytest

from tests.policy.helpers import captured, case, pod, resource_violations, synthetic


@case("container-resources", "pass")
@pytest.mark.parametrize("kind,name", [("Deployment", "user-service"), ("StatefulSet", "mysql"), ("CronJob", "service-dataingestor")])
def test_declared_workloads_request_and_limit_cpu_and_memory(kind, name):
    assert resource_violations("container-resources", captured(kind, name)) == []


@case("container-resources", "fail")
def test_a_sidecar_without_a_cpu_limit_fails():
    reg = captured("Deployment", "user-service")
    exporter = next(c for c in pod(reg)["containers"] if c["name"] == "nginx-exporter")
    del exporter["resources"]["limits"]["cpu"]
    assert resource_violations("container-resources", reg) == ["container 'nginx-exporter' has no resources.limits.cpu"]


@case("container-resources", "fail")
def test_an_init_container_without_requests_fails():
    reg = captured("Deployment", "service-currency")
    init = pod(reg)["initContainers"][0]
    del init["resources"]["requests"]
    assert resource_violations("container-resources", reg) == [
        f"container {init['name']!r} has no resources.requests.cpu, resources.requests.memory"
    ]


@case("container-resources", "pass")
def test_pinned_charts_set_requests_and_limits_in_their_values():
    assert resource_violations("container-resources", captured("Chart", "metrics-server")) == []
    assert resource_violations("container-resources", captured("Chart", "kube-prometheus-stack")) == []


@case("container-resources", "fail")
def test_a_chart_pod_without_limits_fails():
    reg = captured("Chart", "metrics-server")
    del reg.inputs["values"]["resources"]["limits"]
    assert resource_violations("container-resources", reg) == [
        "chart 'metrics-server': values path limits/cpu is not set (requests and limits of every pod)"
    ]


@case("container-resources", "fail")
def test_an_unpinned_chart_fails():
    reg = captured("Chart", "metrics-server")
    reg.inputs["chart"] = "some-chart"
    assert resource_violations("container-resources", reg) == [
        "chart 'some-chart' is not pinned in components/charts.py, so its pods' resources are unknown"
    ]


@case("cost-allocation-labels", "pass")
@pytest.mark.parametrize("kind,name", [("Namespace", "cloudmart"), ("Namespace", "trip-service-dev"), ("Deployment", "user-service"), ("CronJob", "service-dataingestor")])
def test_namespaces_and_workloads_carry_team_and_cost_center(kind, name):
    assert resource_violations("cost-allocation-labels", captured(kind, name)) == []


@case("cost-allocation-labels", "fail")
def test_a_namespace_without_cost_center_fails():
    reg = captured("Namespace", "cloudmart")
    del reg.inputs["metadata"]["labels"]["cost-center"]
    assert resource_violations("cost-allocation-labels", reg) == ["Namespace cloudmart: metadata.labels lack cost-center"]


@case("cost-allocation-labels", "fail")
def test_pods_of_a_workload_without_team_fail():
    reg = captured("StatefulSet", "mysql")
    del reg.inputs["spec"]["template"]["metadata"]["labels"]["team"]
    assert resource_violations("cost-allocation-labels", reg) == ["StatefulSet mysql: pod template labels lack team"]


def test_objects_that_run_no_pods_need_no_cost_labels():
    assert resource_violations("cost-allocation-labels", captured("Service", "user-service")) == []


@case("deployment-probes", "pass")
@pytest.mark.parametrize("name", ["user-service", "service-frontend", "kafka-ui", "service-redis"])
def test_deployments_have_liveness_and_readiness_probes(name):
    assert resource_violations("deployment-probes", captured("Deployment", name)) == []


@case("deployment-probes", "fail")
def test_a_deployment_container_without_readiness_probe_fails():
    reg = captured("Deployment", "user-service")
    del pod(reg)["containers"][1]["readinessProbe"]
    assert resource_violations("deployment-probes", reg) == ["container 'nginx-exporter' has no readinessProbe"]


def test_probes_are_not_asked_of_init_containers_or_statefulsets():
    assert resource_violations("deployment-probes", captured("Deployment", "service-currency")) == []
    reg = captured("StatefulSet", "mysql")
    for container in pod(reg)["containers"]:
        container.pop("livenessProbe", None)
    assert resource_violations("deployment-probes", reg) == []


@case("hpa-bounds", "pass")
@pytest.mark.parametrize("name", ["user-service-hpa", "service-currency-hpa"])
def test_declared_hpas_keep_their_bounds(name):
    assert resource_violations("hpa-bounds", captured("HorizontalPodAutoscaler", name)) == []


@case("hpa-bounds", "fail")
def test_min_replicas_above_max_fails():
    reg = captured("HorizontalPodAutoscaler", "user-service-hpa")
    reg.inputs["spec"]["minReplicas"] = 9.0
    assert resource_violations("hpa-bounds", reg) == [
        "replicas must satisfy 1 <= minReplicas <= maxReplicas (got 9 and 8)"
    ]


@case("hpa-bounds", "fail")
@pytest.mark.parametrize("value", [5.0, 9.0, 96.0, 100.0])
def test_utilisation_targets_outside_10_to_95_fail(value):
    reg = captured("HorizontalPodAutoscaler", "user-service-hpa")
    reg.inputs["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] = value
    assert resource_violations("hpa-bounds", reg) == [f"cpu target {value:g}% is outside 10-95%"]


@pytest.mark.parametrize("value", [10.0, 95.0])
def test_utilisation_targets_at_the_bounds_pass(value):
    reg = captured("HorizontalPodAutoscaler", "user-service-hpa")
    reg.inputs["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] = value
    assert resource_violations("hpa-bounds", reg) == []


@case("no-privileged-or-host-network", "pass")
@pytest.mark.parametrize("kind,name", [("Deployment", "user-service"), ("StatefulSet", "postgres"), ("CronJob", "service-dataingestor")])
def test_declared_pods_are_unprivileged_and_off_the_host_network(kind, name):
    assert resource_violations("no-privileged-or-host-network", captured(kind, name)) == []


@case("no-privileged-or-host-network", "fail")
def test_a_privileged_container_fails():
    reg = captured("StatefulSet", "postgres")
    pod(reg)["containers"][0]["securityContext"] = {"privileged": True}
    name = pod(reg)["containers"][0]["name"]
    assert resource_violations("no-privileged-or-host-network", reg) == [f"cloudmart/postgres: container {name!r} is privileged"]


@case("no-privileged-or-host-network", "fail")
def test_a_pod_on_the_host_network_fails():
    reg = captured("Deployment", "user-service")
    pod(reg)["hostNetwork"] = True
    assert resource_violations("no-privileged-or-host-network", reg) == [
        "cloudmart/user-service runs on the host network (hostNetwork: true)"
    ]


def test_node_exporter_may_use_the_host_network_and_the_exemption_is_configurable():
    node_exporter = {
        "metadata": {"name": "kube-prometheus-stack-prometheus-node-exporter", "namespace": "monitoring-agents"},
        "spec": {"template": {"spec": {"hostNetwork": True, "containers": [{"name": "node-exporter"}]}}},
    }
    reg = synthetic("kubernetes:apps/v1:DaemonSet", "node-exporter", node_exporter)
    assert resource_violations("no-privileged-or-host-network", reg) == []
    assert resource_violations("no-privileged-or-host-network", reg, {"hostNetworkExempt": []}) == [
        "monitoring-agents/kube-prometheus-stack-prometheus-node-exporter runs on the host network (hostNetwork: true)"
    ]
    # Only the agents' namespace is exempt: the same pod in the restricted monitoring is not.
    node_exporter["metadata"]["namespace"] = "monitoring"
    assert resource_violations("no-privileged-or-host-network", reg) != []


def test_objects_a_chart_renders_are_allocated_through_their_namespace():
    """Not every chart can label every object; its namespace carries team and cost-center."""
    reg = captured("Deployment", "user-service")
    del reg.inputs["metadata"]["labels"]["team"]
    assert resource_violations("cost-allocation-labels", reg) != []
    reg.urn = "urn:pulumi:dev::cloud-platform::kubernetes:helm.sh/v4:Chart$kubernetes:apps/v1:Deployment::grafana"
    assert resource_violations("cost-allocation-labels", reg) == []
