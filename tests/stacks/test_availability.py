"""Availability on every stack (issue 16): replicated Deployments spread over zones and nodes
and have a PodDisruptionBudget; on eks, stateful and single-replica pods can never land on
Spot, chart pods sit on the base pool and DaemonSets reach every node."""

from __future__ import annotations

import pytest

from components.cost.capacity import GroupCapacity, PodSet, allowed, workload_pods
from components.placement import HOSTNAME_KEY, ZONE_KEY
from tests.conftest import EKS_STACKS, STACKS, rendered
from tools.cost import stack_settings

SPOT_TAINT = ("cloud-platform/spot", "true", "NoSchedule")


def _hpa_max(objects) -> dict:
    return {
        (o["metadata"]["namespace"], o["spec"]["scaleTargetRef"]["name"]): o["spec"]["maxReplicas"]
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }


def _replicated(stack: str) -> list[dict]:
    objects = rendered(stack).objects
    top = _hpa_max(objects)
    return [
        o for o in objects
        if o["kind"] == "Deployment"
        and max(o["spec"].get("replicas", 1), top.get((o["metadata"]["namespace"], o["metadata"]["name"]), 0)) >= 2
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_every_deployment_that_can_run_two_replicas_spreads_over_zones_and_nodes(stack):
    deployments = _replicated(stack)
    assert deployments, "the profile has replicated Deployments"
    zone_policy = "DoNotSchedule" if stack in EKS_STACKS else "ScheduleAnyway"
    for d in deployments:
        selector = d["spec"]["selector"]["matchLabels"]
        spread = {c["topologyKey"]: c for c in d["spec"]["template"]["spec"].get("topologySpreadConstraints", [])}
        name = f"{d['metadata']['namespace']}/{d['metadata']['name']}"
        assert set(spread) == {ZONE_KEY, HOSTNAME_KEY}, name
        assert spread[ZONE_KEY]["whenUnsatisfiable"] == zone_policy, name
        assert all(c["maxSkew"] == 1 and c["labelSelector"] == {"matchLabels": selector} for c in spread.values()), name


@pytest.mark.parametrize("stack", STACKS)
def test_every_deployment_that_can_run_two_replicas_has_a_pdb(stack):
    objects = rendered(stack).objects
    budgets = {
        (o["metadata"]["namespace"], tuple(sorted(o["spec"]["selector"]["matchLabels"].items())))
        for o in objects if o["kind"] == "PodDisruptionBudget" and o["spec"].get("maxUnavailable") == 1
    }
    for d in _replicated(stack):
        key = (d["metadata"]["namespace"], tuple(sorted(d["spec"]["selector"]["matchLabels"].items())))
        assert key in budgets, f"{d['metadata']['namespace']}/{d['metadata']['name']} has no PDB"


def _spot_group() -> GroupCapacity:
    return GroupCapacity("spot", "spot", "c5.large", "SPOT", (("cloud-platform/pool", "spot"),), (SPOT_TAINT,), 0, 1, 9)


@pytest.mark.parametrize("stack", EKS_STACKS)
def test_stateful_and_single_replica_pods_can_never_land_on_spot(stack):
    pods = {p.owner: p for p in workload_pods(rendered(stack), at_max=False)}
    objects = rendered(stack).objects
    stateful = [f"{o['metadata']['namespace']}/StatefulSet/{o['metadata']['name']}" for o in objects if o["kind"] == "StatefulSet"]
    singles = [
        f"{o['metadata']['namespace']}/Deployment/{o['metadata']['name']}"
        for o in objects if o["kind"] == "Deployment" and o["spec"].get("replicas", 1) < 2
    ]
    names = {"mysql", "mongodb", "kafka", "postgres", "zookeeper"}
    assert names <= {s.rsplit("/", 1)[-1] for s in stateful}
    charts = [o for o in pods if "/chart:" in o and pods[o].count and not pods[o].daemonset]
    assert any("prometheus" in c for c in charts) and any("loki" in c for c in charts)
    for owner in stateful + singles + charts:
        pod = pods[owner]
        assert not allowed(pod, _spot_group()), f"{owner} may run on Spot"
        assert ("cloud-platform/pool", "base") in pod.node_selector, f"{owner} is not pinned to the base pool"


@pytest.mark.parametrize("stack", EKS_STACKS)
def test_stateless_replicas_prefer_spot_and_daemonsets_reach_every_node(stack):
    pods = workload_pods(rendered(stack), at_max=False)
    replicated = {f"{d['metadata']['namespace']}/Deployment/{d['metadata']['name']}" for d in _replicated(stack)}
    floors = [p for p in pods if p.owner in replicated and p.count >= 2]
    assert floors and all(p.preferred_pool == "spot" and allowed(p, _spot_group()) for p in floors)
    daemonsets = [p for p in pods if p.daemonset]
    assert {p.owner.rsplit("/", 1)[-1] for p in daemonsets} >= {"alloy", "node-exporter"}
    assert all(allowed(p, _spot_group()) for p in daemonsets)


def test_a_pod_without_the_toleration_is_kept_off_a_tainted_group():
    pod = PodSet("x", 1, 100, 100)
    assert not allowed(pod, _spot_group())
    assert allowed(PodSet("y", 1, 100, 100, tolerations=(("cloud-platform/spot", "Equal", "true", "NoSchedule"),)), _spot_group())


@pytest.mark.parametrize("stack", EKS_STACKS)
def test_the_load_balancer_controller_spreads_and_has_a_budget(stack):
    (alb,) = [r for r in rendered(stack).releases if r["chart"] == "aws-load-balancer-controller"]
    values = alb["values"]
    assert values["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert {c["topologyKey"] for c in values["topologySpreadConstraints"]} == {ZONE_KEY, HOSTNAME_KEY}
    assert values["nodeSelector"] == {"cloud-platform/pool": "base"}
    assert stack_settings(stack).eks is not None
