"""The real program, for every stack file, under mocks in preview and up modes."""

from __future__ import annotations

import yaml

from stacks.kind import NODE_IMAGE
from tests.conftest import ROOT, rendered, stack_run
from tools.mockrun import run_program, stack_config

COMPONENT_PREFIX = "cloud-platform:"


def _kind_config(run) -> dict:
    (cluster,) = run.of_type("command:local:Command")
    return yaml.safe_load(cluster.inputs["stdin"])


def test_program_declares_resources_in_both_modes(any_run):
    assert len(any_run.registrations) > 30
    assert any_run.of_type("cloud-platform:apps:CloudMart")


def test_children_are_named_after_their_component(any_run):
    components = {r.urn: r.name for r in any_run.registrations if r.type.startswith(COMPONENT_PREFIX)}
    for reg in any_run.registrations:
        if reg.parent in components:
            assert reg.name.startswith(components[reg.parent] + "-"), (reg.name, components[reg.parent])


def test_every_kubernetes_object_goes_through_the_cluster_provider(any_run):
    provider_urns = {r.urn for r in any_run.of_type("pulumi:providers:kubernetes")}
    for reg in any_run.registrations:
        if reg.type.startswith("kubernetes:") and not reg.type.startswith("pulumi:"):
            assert reg.provider.rsplit("::", 1)[0] in provider_urns, reg.name


def test_kind_cluster_is_created_with_one_control_plane_and_two_workers(kind_stack):
    stack = kind_stack
    config = _kind_config(stack_run(stack, False))
    roles = [n["role"] for n in config["nodes"]]
    assert roles == ["control-plane", "worker", "worker"]
    assert {n["image"] for n in config["nodes"]} == {NODE_IMAGE}
    assert NODE_IMAGE.startswith("kindest/node:v1.35.")
    assert config["nodes"][0]["labels"] == {"ingress-ready": "true"}


def test_kind_maps_ingress_ports_and_every_node_port_the_program_exposes(kind_stack):
    stack = kind_stack
    config = _kind_config(stack_run(stack, False))
    mapped = {m["containerPort"]: m["hostPort"] for m in config["nodes"][0]["extraPortMappings"]}
    exposed = {
        p["nodePort"]
        for o in rendered(stack).objects
        if o["kind"] == "Service" and o["spec"].get("type") == "NodePort"
        for p in o["spec"]["ports"]
        if "nodePort" in p
    }
    assert exposed, "kind exposes the seed's NodePorts"
    assert {80: 80, 443: 443}.items() <= mapped.items()
    assert exposed <= set(mapped)


def test_kind_config_opens_control_plane_metrics(kind_stack):
    stack = kind_stack
    patches = "\n".join(_kind_config(stack_run(stack, False))["kubeadmConfigPatches"])
    for needle in ("bind-address: 0.0.0.0", "http://0.0.0.0:2381", "metricsBindAddress: 0.0.0.0:10249"):
        assert needle in patches


def test_destroy_deletes_the_cluster_and_kubeconfig_stays_secret(kind_stack):
    stack = kind_stack
    run = stack_run(stack, False)
    (cluster,) = run.of_type("command:local:Command")
    name = stack_config(stack)[0]["cloud-platform:clusterName"]
    assert cluster.inputs["delete"] == f"kind delete cluster --name {name}"
    assert "command -v \"$tool\"" in cluster.inputs["create"]  # tools checked before creating
    assert "kubeconfig" in run.secret_outputs
    (provider,) = run.of_type("pulumi:providers:kubernetes")
    assert "/kubeconfig" in provider.secret_paths


def test_existing_context_replaces_the_kind_cluster(kubeconfig):
    kubeconfig("kind-mine", "kind-other")
    config, secrets = stack_config("dev", {"cloud-platform:kubeContext": "kind-mine"})
    run = run_program("dev", preview=True, config=config, secret_keys=secrets)
    assert run.of_type("command:local:Command") == []
    (provider,) = run.of_type("pulumi:providers:kubernetes")
    assert provider.inputs["context"] == "kind-mine"
    assert "kubeconfig" not in run.outputs


def test_ingress_nginx_comes_from_its_pinned_chart_set_up_for_kind(kind_stack):
    stack = kind_stack
    (chart,) = [r for r in stack_run(stack, False).of_type("kubernetes:helm.sh/v4:Chart") if r.name == "ingress-nginx"]
    assert chart.inputs["chart"] == "ingress-nginx"
    assert chart.inputs["version"] == "4.15.1"
    assert chart.inputs["repositoryOpts"]["repo"] == "https://kubernetes.github.io/ingress-nginx"
    controller = chart.inputs["values"]["controller"]
    assert controller["hostPort"]["enabled"] is True
    assert controller["nodeSelector"]["ingress-ready"] == "true"


def test_database_statefulsets_keep_their_claims(stack):
    for reg in stack_run(stack, False).of_type("kubernetes:apps/v1:StatefulSet"):
        assert reg.retain_on_delete, reg.name
        assert reg.inputs["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}


def test_generated_passwords_reach_kubernetes_only_as_secrets(stack):
    run = stack_run(stack, False)
    assert run.of_type("random:index/randomPassword:RandomPassword")
    for secret in run.of_type("kubernetes:core/v1:Secret"):
        for key in secret.inputs["stringData"]:
            if key.endswith("password"):
                assert "/stringData" in secret.secret_paths or f"/stringData/{key}" in secret.secret_paths


def test_stack_files_hold_no_plaintext_secrets():
    words = ("password", "token", "secret", "webhook", "apikey")
    for path in ROOT.glob("Pulumi.*.yaml"):
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        for key, value in config.items():
            if any(w in key.lower() for w in words):
                assert isinstance(value, dict) and set(value) == {"secure"}, f"{path.name}: {key} must be secure"
