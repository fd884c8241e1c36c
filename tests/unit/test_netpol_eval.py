"""The NetworkPolicy evaluator the isolation tests rely on: label selector semantics and peers."""

from __future__ import annotations

import json

import pytest

from tools.netpol import PodTemplate, admitted, ingress_policies_selecting, matches


@pytest.mark.parametrize(
    "selector,labels,expected",
    [
        ({}, {"a": "1"}, True),
        (None, {"a": "1"}, False),
        ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {}, False),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": ""}, False),
        ({"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]}, {"a": "1"}, False),
    ],
)
def test_label_selector_semantics(selector, labels, expected):
    assert matches(selector, labels) is expected


def _pod(ns: str, name: str) -> PodTemplate:
    return PodTemplate(ns, f"Deployment/{name}", (("app.kubernetes.io/name", name),), json.dumps({"containers": []}))


def _policy(ns: str, selector: dict, ingress: list | None, types=("Ingress",)) -> dict:
    spec: dict = {"podSelector": selector, "policyTypes": list(types)}
    if ingress is not None:
        spec["ingress"] = ingress
    return {"metadata": {"name": "p", "namespace": ns}, "spec": spec}


DB, APP, OTHER = _pod("shop", "db"), _pod("shop", "app"), _pod("elsewhere", "app")
PODS = [DB, APP, OTHER]
NAMESPACES = {"shop": {}, "elsewhere": {"team": "x"}}


def test_a_policy_selects_only_pods_of_its_own_namespace_and_only_for_ingress():
    policy = _policy("shop", {}, None)
    assert ingress_policies_selecting(DB, [policy]) == [policy]
    assert ingress_policies_selecting(OTHER, [policy]) == []
    assert ingress_policies_selecting(DB, [_policy("shop", {}, None, types=("Egress",))]) == []


def test_peers_pod_selector_alone_means_the_policys_namespace():
    rule = {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "app"}}}], "ports": [{"port": 5432}]}
    assert admitted(DB, [_policy("shop", {}, [rule])], PODS, NAMESPACES) == {5432: {("pod", "shop", "app")}}


def test_peers_namespace_selector_and_ip_block_and_empty_from():
    rules = [
        {"from": [{"namespaceSelector": {"matchLabels": {"team": "x"}}}], "ports": [{"port": 1}]},
        {"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 2}]},
        {"ports": [{"port": 3}]},
        {"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app.kubernetes.io/name": "app"}}}]},
    ]
    got = admitted(DB, [_policy("shop", {}, rules)], PODS, NAMESPACES)
    assert got[1] == {("namespace", "elsewhere")}
    assert got[2] == {("cidr", "10.0.0.0/8")}
    assert got[3] == {("any",)}
    assert {("pod", "shop", "app"), ("pod", "elsewhere", "app")} <= got["all-ports"]


def test_entry_rules_follow_platform_data():
    from components.netpol import entry_rules
    from components.platform import Platform

    kind = Platform("kind", "NodePort", "nginx", ingress_namespace="ingress-nginx", external_sources=("172.16.0.0/12",))
    assert [r.namespaces or r.cidrs for r in entry_rules(kind, 80, node_port=True)] == [("ingress-nginx",), ("172.16.0.0/12",)]
    assert [r.namespaces or r.cidrs for r in entry_rules(kind, 80, node_port=False)] == [("ingress-nginx",)]
    # A load balancer outside the cluster that targets pod IPs (no in-cluster controller).
    direct = Platform("eks", "ClusterIP", "alb", external_sources=("10.0.0.0/16",))
    assert [r.cidrs for r in entry_rules(direct, 80, node_port=False)] == [("10.0.0.0/16",)]
    assert entry_rules(Platform("x", "ClusterIP", "alb"), 80, node_port=False) == ()
