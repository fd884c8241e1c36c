"""Seed 001's FinOps demo: namespaces with cost centers, the deployments and their HPAs."""

from __future__ import annotations

import pytest

from components.finops_demo import APPS, demo_spec, namespace_manifest
from components.workload import deployment_manifest, hpa_manifest
from tests.conftest import stack_run
from tools.mockrun import run_program, stack_config
from tools.render import collect
from tools.validate import validate_object

BY_NAME = {a.name: a for a in APPS}


@pytest.mark.parametrize(
    "namespace,team,cost_center",
    [("production", "frontend", "CC-1001"), ("staging", "qa", "CC-1002"), ("development", "dev", "CC-1003")],
)
def test_namespaces_carry_the_seed_cost_centers(namespace, team, cost_center):
    (app,) = [a for a in APPS if a.namespace == namespace]
    labels = namespace_manifest(app)["metadata"]["labels"]
    assert {"team": team, "cost-center": cost_center}.items() <= labels.items()


@pytest.mark.parametrize(
    "name,replicas,requests,limits",
    [
        ("web-app", 3, {"cpu": "200m", "memory": "256Mi"}, {"cpu": "500m", "memory": "512Mi"}),
        ("api-server", 2, {"cpu": "100m", "memory": "128Mi"}, {"cpu": "300m", "memory": "256Mi"}),
        ("dev-service", 1, {"cpu": "50m", "memory": "64Mi"}, {"cpu": "100m", "memory": "128Mi"}),
    ],
)
def test_seed_deployments(name, replicas, requests, limits):
    app = BY_NAME[name]
    deployment = deployment_manifest(demo_spec(app), app.namespace, app.owner)
    assert deployment["spec"]["replicas"] == replicas
    assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"] == {"requests": requests, "limits": limits}
    assert deployment["spec"]["template"]["metadata"]["labels"]["cost-center"] == app.owner.cost_center


def test_seed_hpas():
    web = hpa_manifest(demo_spec(BY_NAME["web-app"]), "production", BY_NAME["web-app"].owner)["spec"]
    assert (web["minReplicas"], web["maxReplicas"]) == (2, 10)
    assert {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in web["metrics"]} == {"cpu": 70, "memory": 80}
    api = hpa_manifest(demo_spec(BY_NAME["api-server"]), "staging", BY_NAME["api-server"].owner)["spec"]
    assert (api["minReplicas"], api["maxReplicas"]) == (1, 5)
    assert hpa_manifest(demo_spec(BY_NAME["dev-service"]), "development", BY_NAME["dev-service"].owner) is None


def test_demo_is_off_by_default_and_declared_when_flagged():
    assert not stack_run("dev", False).of_type("cloud-platform:demo:FinOpsDemo")
    config, secrets = stack_config("dev", {"cloud-platform:finopsDemo": "true"})
    run = run_program("dev", preview=False, config=config, secret_keys=secrets)
    assert run.of_type("cloud-platform:demo:FinOpsDemo")
    demo_namespaces = {a.namespace for a in APPS}
    objects = [o for o in collect(run).objects if demo_namespaces & {o["metadata"].get("namespace"), o["metadata"]["name"]}]
    names = {(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects if o["kind"] == "Deployment"}
    assert {("production", "web-app"), ("staging", "api-server"), ("development", "dev-service")} <= names
    assert [p for o in objects for p in validate_object(o)] == []
