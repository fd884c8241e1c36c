"""The pack as a whole: it boots the way the Pulumi CLI starts it and answers over gRPC, every
policy has a passing and a failing test, the levels are the documented ones, and the whole
pack passes on every stack."""

from __future__ import annotations

import functools
import subprocess
import sys

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

import tests.policy.test_resource_policies  # noqa: F401  (registers its cases)
import tests.policy.test_stack_policies  # noqa: F401
from policy.rules import BY_NAME, POLICIES
from tests.conftest import ROOT, STACKS, stack_run
from tests.policy.helpers import CASES, captured, pod, synthetic
from tools.mockrun import Run
from tools.policycheck import check, main

LEVELS = {
    "container-resources": "mandatory",
    "cost-allocation-labels": "mandatory",
    "deployment-probes": "advisory",
    "hpa-bounds": "mandatory",
    "no-privileged-or-host-network": "mandatory",
    "namespace-lockdown": "mandatory",
    "eks-pinned-images": "mandatory",
    "eks-encrypted-retained-storage": "mandatory",
    "eks-ingress-https": "mandatory",
    "eks-no-nodeport-services": "mandatory",
    "kind-conveniences-off-eks": "mandatory",
    "default-deny-egress": "mandatory",
    "eks-api-endpoint-closed": "mandatory",
    "eks-network-policy-enforcement": "mandatory",
    "eks-imdsv2": "mandatory",
}
CLOSED_CLUSTER = {"name": "cloud-platform", "endpointPublicAccess": False, "vpcCniOptions": {"enableNetworkPolicy": True}}


def test_every_policy_has_a_passing_and_a_failing_test():
    missing = sorted({(p.name, outcome) for p in POLICIES for outcome in ("pass", "fail")} - CASES)
    assert missing == []


def test_enforcement_levels_are_the_documented_ones():
    assert {p.name: p.enforcement_level.value for p in POLICIES} == LEVELS


def test_the_policy_project_runs_in_the_projects_virtualenv():
    project = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "../.venv"}}
    assert (ROOT / "policy" / project["runtime"]["options"]["virtualenv"]).resolve() == (ROOT / ".venv").resolve()


@pytest.fixture(scope="module")
def analyzer():
    """The pack started as the Python language host starts a policy pack: ``python -u -m
    pulumi.policy <engine> <dir>`` in the pack's directory; it prints its gRPC port."""
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(ROOT / "policy")],
        cwd=ROOT / "policy",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = proc.stdout.readline().strip()
        assert port.isdigit(), proc.stderr.read() if proc.poll() is not None else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_running_pack_lists_every_policy_with_its_level(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "cloud-platform"
    assert {p.name: analyzer_pb2.EnforcementLevel.Name(p.enforcementLevel).lower() for p in info.policies} == LEVELS


def test_the_running_pack_reports_a_violation_of_a_captured_resource(analyzer):
    reg = captured("Deployment", "user-service")
    del pod(reg)["containers"][0]["resources"]["limits"]
    request = analyzer_pb2.AnalyzeRequest(
        type=reg.type, properties=json_format.ParseDict(reg.inputs, struct_pb2.Struct()), urn=reg.urn, name=reg.name
    )
    found = [(d.policyName, d.message.splitlines()[-1]) for d in analyzer.Analyze(request).diagnostics]
    assert found == [("container-resources", "container 'user-service' has no resources.limits.cpu, resources.limits.memory")]


def test_the_running_pack_applies_stack_policies_to_the_whole_stack(analyzer):
    """AnalyzeStack on captured resources: the eks rules see the EKS cluster and report the
    NodePort; on the kind stack they are not applicable."""
    service = captured("Service", "user-service")
    # A cluster that keeps issue 15's guards (closed endpoint, enforcing CNI): only the NodePort speaks.
    cluster = synthetic("eks:index:Cluster", "eks-cluster", CLOSED_CLUSTER)

    def analyze(regs):
        resources = [
            analyzer_pb2.AnalyzerResource(
                type=r.type, urn=r.urn, name=r.name, parent=r.parent, properties=json_format.ParseDict(r.inputs, struct_pb2.Struct())
            )
            for r in regs
        ]
        response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources))
        return [(d.policyName, d.message.splitlines()[-1]) for d in response.diagnostics]

    assert analyze([service, cluster]) == [("eks-no-nodeport-services", "Service user-service is of type NodePort")]
    assert analyze([service]) == []


def test_the_offline_runner_prints_violations_and_fails_only_on_mandatory_ones(capsys):
    service = captured("Service", "user-service")
    deployment = captured("Deployment", "user-service")
    del pod(deployment)["containers"][0]["readinessProbe"]
    chart = captured("Chart", "kube-prometheus-stack")
    deployment.parent = chart.urn  # as a chart's object it needs no namespace of the program's
    advisory_only = Run("dev", True, [chart, deployment], {}, set())
    assert main("dev", advisory_only) == 0
    assert capsys.readouterr().out.splitlines() == [
        "[advisory] deployment-probes: container 'user-service' has no readinessProbe",
        "dev: 1 violation(s), 0 mandatory",
    ]
    cluster = synthetic("eks:index:Cluster", "eks-cluster", CLOSED_CLUSTER)
    assert main("eks", Run("eks", True, [service, cluster], {}, set())) == 1
    assert capsys.readouterr().out.splitlines() == [
        "[mandatory] eks-no-nodeport-services: Service user-service is of type NodePort",
        "eks: 1 violation(s), 1 mandatory",
    ]


@functools.cache
def pack_violations(stack: str, preview: bool) -> tuple:
    return tuple(check(stack_run(stack, preview)))


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
@pytest.mark.parametrize("policy,stack", [(p, s) for p in sorted(BY_NAME) for s in STACKS])
def test_the_whole_pack_passes_on_every_stack(policy, stack, preview):
    assert [v.message for v in pack_violations(stack, preview) if v.policy == policy] == []
