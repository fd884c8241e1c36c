"""Issue 9, Pod Security admission: every Namespace carries enforce, audit and warn with the
version pinned; application namespaces, ``monitoring`` and ``tracing`` are restricted (issue
14), and every pod template there (and the securityContext values sent to charts whose pods
run there) meets every control of the restricted profile. Only the host agents' namespace is
privileged."""

from __future__ import annotations

import copy

import pytest

from components.charts import dig
from tests.conftest import rendered_with_demo, target_of
from tests.security.helpers import app_namespaces, namespace_labels
from tools.netpol import pod_templates
from tools.podsecurity import restricted_violations

MODES = ("enforce", "audit", "warn")
# Where a namespace cannot be restricted, why (the README's table says the same).
NOT_RESTRICTED = {
    "monitoring-agents": "privileged",  # node-exporter: hostNetwork, hostPID, hostPath /, /proc, /sys
    "ingress-nginx": "privileged",  # the controller binds hostPorts 80/443 on kind
}


def _levels(stack: str) -> dict[str, str]:
    return {n: labels.get("pod-security.kubernetes.io/enforce") for n, labels in namespace_labels(stack).items()}


def test_every_namespace_has_all_three_modes_at_one_level_with_a_pinned_version(stack):
    for name, labels in namespace_labels(stack).items():
        levels = {labels.get(f"pod-security.kubernetes.io/{m}") for m in MODES}
        versions = {labels.get(f"pod-security.kubernetes.io/{m}-version") for m in MODES}
        assert len(levels) == 1 and levels <= {"restricted", "baseline", "privileged"}, name
        assert versions == {"v1.35"}, name


def test_application_namespaces_monitoring_and_tracing_are_restricted_and_only_the_documented_ones_are_not(stack):
    levels = _levels(stack)
    for ns in (*app_namespaces(stack), "monitoring", "tracing"):
        assert levels[ns] == "restricted", ns
    expected = dict(NOT_RESTRICTED)
    if target_of(stack) != "kind":
        expected.pop("ingress-nginx")  # ingress-nginx runs on kind only (eks: the ALB)
    assert {n: lvl for n, lvl in levels.items() if lvl != "restricted"} == expected


def test_every_pod_template_in_a_restricted_namespace_meets_the_restricted_profile(stack):
    levels = _levels(stack)
    pods = [p for p in pod_templates(rendered_with_demo(stack).objects) if levels.get(p.namespace) == "restricted"]
    assert len(pods) >= 20
    problems = {p.owner: restricted_violations(p.pod_spec()) for p in pods}
    assert {k: v for k, v in problems.items() if v} == {}


# Chart pods in restricted namespaces: the pods each chart builds from our values, for the
# fields the profile checks (pod securityContext, each container's, volumes). Helm merges our
# maps over the chart's defaults, so a field the values set is the field the pod gets.
# Refs (templates at the pinned versions): jaeger 4.11.1 jaeger-deploy.yaml; grafana 12.11.1
# _pod.tpl (init-chown-data only with initChownData.enabled); kube-prometheus-stack 88.5.3
# prometheus-operator/deployment.yaml; kube-state-metrics 8.4.0 deployment.yaml; loki 18.11.0
# single-binary/statefulset.yaml; metrics-server 3.13.1 deployment.yaml; opencost 2.5.17
# deployment.yaml. Prometheus and Alertmanager pods are made by the operator from their specs.
def _pod(ctx, *containers, volumes=(), init=()) -> dict:
    return {
        "securityContext": ctx,
        "initContainers": [{"name": n, "securityContext": c} for n, c in init],
        "containers": [{"name": n, "securityContext": c} for n, c in containers],
        "volumes": list(volumes),
    }


def _grafana(v: dict) -> list[dict]:
    g = v["grafana"]
    init = [("init-chown-data", {"runAsUser": 0, "runAsNonRoot": False, "capabilities": {"add": ["CHOWN"], "drop": ["ALL"]}})]
    chown = dig(g, ("initChownData", "enabled")) is not False and "persistence" in g
    sidecar = dig(g, ("sidecar", "securityContext"))
    return [
        _pod(
            g.get("securityContext"),
            ("grafana", g.get("containerSecurityContext")),
            ("grafana-sc-dashboard", sidecar),
            ("grafana-sc-datasources", sidecar),
            init=init if chown else (),
        )
    ]


CHART_PODS = {
    "jaeger": lambda v: [
        _pod(
            dig(v, ("jaeger", "podSecurityContext")),
            ("jaeger", dig(v, ("jaeger", "securityContext"))),
            volumes=dig(v, ("jaeger", "extraVolumes")),
        )
    ],
    "kube-prometheus-stack": lambda v: [
        _pod(v["prometheusOperator"].get("securityContext"), ("operator", v["prometheusOperator"].get("containerSecurityContext"))),
        _pod(v["kube-state-metrics"].get("securityContext"), ("ksm", v["kube-state-metrics"].get("containerSecurityContext"))),
        _pod(dig(v, ("prometheus", "prometheusSpec")).get("securityContext"), ("prometheus", None)),
        _pod(dig(v, ("alertmanager", "alertmanagerSpec")).get("securityContext"), ("alertmanager", None)),
        *_grafana(v),
    ],
    "loki": lambda v: [_pod(v["loki"].get("podSecurityContext"), ("loki", v["loki"].get("containerSecurityContext")))],
    "metrics-server": lambda v: [_pod(v.get("podSecurityContext"), ("metrics-server", v.get("securityContext")))],
    "opencost": lambda v: [
        _pod(
            v.get("podSecurityContext"),
            ("opencost", v["opencost"]["exporter"].get("securityContext")),
            ("opencost-ui", v["opencost"]["ui"].get("securityContext")),
        )
    ],
    # eks: templates/deployment.yaml sets .Values.podSecurityContext and .Values.securityContext.
    "prometheus-yet-another-cloudwatch-exporter": lambda v: [
        _pod(v.get("podSecurityContext"), ("prometheus-yet-another-cloudwatch-exporter", v.get("securityContext")))
    ],
}
# Containers the operator creates sets its own container securityContext on; the pod level is ours.
OPERATOR_MADE = {"prometheus", "alertmanager"}


def _violations(pod: dict) -> list[str]:
    for c in pod["containers"]:
        if c["name"] in OPERATOR_MADE:
            c["securityContext"] = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    return restricted_violations(pod)


def test_chart_pods_in_restricted_namespaces_get_restricted_security_contexts(stack):
    levels = _levels(stack)
    releases = [r for r in rendered_with_demo(stack).releases if levels.get(r["namespace"]) == "restricted"]
    assert {r["chart"] for r in releases} >= {"jaeger", "kube-prometheus-stack", "loki", "metrics-server"}
    for release in releases:
        pods = CHART_PODS[release["chart"]](release["values"])
        assert {release["chart"]: [v for p in pods for v in _violations(p)]} == {release["chart"]: []}


def test_opencost_pods_meet_the_restricted_profile_where_it_is_switched_on():
    from components.observability import addons
    from components.observability.options import Pricing
    from components.observability.sizes import DEV

    for pod in CHART_PODS["opencost"](addons.opencost_values(DEV, Pricing(), "monitoring")):
        assert restricted_violations(pod) == []


def test_grafana_has_no_root_init_container_on_stacks_that_give_it_a_volume():
    for stack in ("staging", "prod", "eks"):
        (kps,) = [r for r in rendered_with_demo(stack).releases if r["chart"] == "kube-prometheus-stack"]
        grafana = kps["values"]["grafana"]
        assert "persistence" in grafana
        assert grafana["initChownData"] == {"enabled": False}
        assert grafana["securityContext"]["fsGroup"] == 472  # the kubelet hands the claim to Grafana's group


def test_jaeger_runs_as_its_image_user_without_an_api_token(stack):
    (jaeger,) = [r for r in rendered_with_demo(stack).releases if r["chart"] == "jaeger"]
    values = jaeger["values"]["jaeger"]
    assert values["podSecurityContext"]["runAsUser"] == 10001  # USER_UID in cmd/jaeger/Dockerfile
    assert values["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"name": "tmp", "mountPath": "/tmp"} in values["extraVolumeMounts"]  # the image's VOLUME /tmp
    assert values["serviceAccount"]["automountServiceAccountToken"] is False


HARDENED = {
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [
        {
            "name": "app",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsUser": 1000},
        }
    ],
    "volumes": [{"name": "tmp", "emptyDir": {}}],
}


def _with(path: tuple, value) -> dict:
    """The hardened pod with one field set (``path`` through dicts and list indexes)."""
    pod = copy.deepcopy(HARDENED)
    node = pod
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return pod


def test_the_checker_passes_a_hardened_pod():
    assert restricted_violations(HARDENED) == []


@pytest.mark.parametrize(
    "path,value",
    [
        (("hostNetwork",), True),
        (("hostPID",), True),
        (("hostIPC",), True),
        (("securityContext", "windowsOptions"), {"hostProcess": True}),
        (("volumes",), [{"name": "h", "hostPath": {"path": "/"}}]),
        (("volumes",), [{"name": "n", "nfs": {"server": "x", "path": "/"}}]),
        (("securityContext", "sysctls"), [{"name": "kernel.msgmax", "value": "1"}]),
        (("securityContext", "seLinuxOptions"), {"type": "spc_t"}),
        (("securityContext", "seLinuxOptions"), {"user": "root"}),
        (("securityContext", "seccompProfile"), {"type": "Unconfined"}),
        (("securityContext", "runAsNonRoot"), False),
        (("securityContext", "runAsUser"), 0),
        (("securityContext", "appArmorProfile"), {"type": "Unconfined"}),
        (("containers", 0, "securityContext", "privileged"), True),
        (("containers", 0, "securityContext", "allowPrivilegeEscalation"), True),
        (("containers", 0, "securityContext", "runAsUser"), 0),
        (("containers", 0, "securityContext", "procMount"), "Unmasked"),
        (("containers", 0, "securityContext", "capabilities"), {"drop": ["NET_RAW"]}),
        (("containers", 0, "securityContext", "capabilities"), {"drop": ["ALL"], "add": ["SYS_ADMIN"]}),
        (("containers", 0, "securityContext", "seccompProfile"), {"type": "Unconfined"}),
        (("containers", 0, "ports"), [{"containerPort": 80, "hostPort": 80}]),
        (("containers", 0, "readinessProbe"), {"httpGet": {"host": "10.0.0.1", "path": "/", "port": 80}}),
        (("containers", 0, "lifecycle"), {"preStop": {"tcpSocket": {"host": "10.0.0.1", "port": 80}}}),
    ],
)
def test_the_checker_rejects_each_control_of_the_profile(path, value):
    assert restricted_violations(_with(path, value)) != []


def test_the_checker_rejects_missing_pod_level_defaults():
    pod = _with(("securityContext",), {})
    problems = " ".join(restricted_violations(pod))
    assert "runAsNonRoot" in problems and "seccompProfile" in problems
    assert restricted_violations(HARDENED, {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}) != []
