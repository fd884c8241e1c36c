"""Pure AWS builders: the pinned controller policy, IRSA trust, subnet plan, manifests and the
mock harness's invoke contract."""

from __future__ import annotations

import ipaddress
import json

import pytest
from pulumi.runtime import MockCallArgs
from pulumi.runtime.proto import resource_pb2

from components.aws import iam, specs
from components.aws.routes import Route, route_ingress
from components.charts import AWS_LOAD_BALANCER_CONTROLLER, CLUSTER_AUTOSCALER
from components.platform import Platform
from components.specs import Ownership
from tools.mockrun import Mocks, RecordingMonitor
from tools.validate import validate_object


def test_alb_controller_policy_is_the_v3_5_0_file_with_its_80_actions():
    """`git show v3.5.0:docs/install/iam_policy.json` in kubernetes-sigs/aws-load-balancer-controller
    has 80 distinct actions in 16 statements (counted Nov 2026)."""
    assert AWS_LOAD_BALANCER_CONTROLLER.version == "3.5.0"
    assert iam.ALB_CONTROLLER_VERSION == "v3.5.0"
    policy = json.loads(iam.ALB_CONTROLLER_POLICY_FILE.read_text())
    assert policy["Version"] == "2012-10-17"
    assert len(policy["Statement"]) == 16
    actions = iam.policy_actions(policy)
    assert len(actions) == 80
    assert {
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:AddTags",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateSecurityGroup",
        "acm:DescribeCertificate",
        "wafv2:AssociateWebACL",
        "iam:CreateServiceLinkedRole",
    } <= actions


def test_autoscaler_chart_matches_the_cluster_minor():
    from stacks.eks_config import KUBERNETES_VERSIONS

    assert CLUSTER_AUTOSCALER.version == "9.59.0"  # appVersion 1.35.0
    assert KUBERNETES_VERSIONS == ("1.35",)


def test_irsa_trust_binds_one_service_account_and_the_sts_audience():
    doc = iam.irsa_trust_policy("arn:aws:iam::1:oidc-provider/oidc.example/id/X", "https://oidc.example/id/X", "ns", "sa")
    (statement,) = doc["Statement"]
    assert statement["Condition"]["StringEquals"] == {
        "oidc.example/id/X:sub": "system:serviceaccount:ns:sa",
        "oidc.example/id/X:aud": "sts.amazonaws.com",
    }


@pytest.mark.parametrize("cidr,zones", [("10.0.0.0/16", 3), ("10.20.0.0/16", 2), ("172.16.0.0/20", 3)])
def test_subnet_plan_gives_disjoint_public_and_private_subnets_per_zone(cidr, zones):
    plan = specs.subnet_plan(cidr, zones)
    assert sorted(p.zone for p in plan if p.public) == sorted(p.zone for p in plan if not p.public) == list(range(zones))
    nets = [ipaddress.IPv4Network(p.cidr) for p in plan]
    assert all(n.subnet_of(ipaddress.IPv4Network(cidr)) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])


def test_storage_class_spec_is_strict_valid():
    validate_object(specs.storage_class_spec("arn:aws:kms:ap-northeast-2:1:key/x", {"team": "platform"}))


def test_route_ingress_keeps_the_platform_annotations_and_sets_its_own_health_check():
    platform = Platform("eks", "ClusterIP", "alb", ingress_annotations=tuple(specs.alb_annotations("arn:cert", "logs-bucket").items()))
    ingress = route_ingress(Route("grafana", "monitoring", "grafana.example.org", (("/", "grafana", 80),), "/api/health", Ownership("platform", "CC-2000"), "observability"), platform)
    validate_object(ingress)
    annotations = ingress["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == "/api/health"
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == "arn:cert"
    assert annotations["alb.ingress.kubernetes.io/group.name"] == specs.ALB_GROUP


def test_an_unexpected_invoke_fails():
    with pytest.raises(NotImplementedError, match="unexpected invoke aws:s3/getBucket:getBucket"):
        Mocks().call(MockCallArgs("aws:s3/getBucket:getBucket", {}, ""))


def test_the_mock_monitor_does_not_advertise_resource_references():
    """pulumi/pulumi#6561: with the feature on, resources passed into remote components are
    rebuilt in the monitor's thread and their outputs land on another event loop."""
    monitor = RecordingMonitor(Mocks())
    assert resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES not in monitor.GetDeploymentInfo(None).supportedFeatures
    assert resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS in monitor.GetDeploymentInfo(None).supportedFeatures
    ask = type("Request", (), {"id": "resourceReferences"})
    assert monitor.SupportsFeature(ask).hasSupport is False


def test_admin_alb_annotations_need_cidrs_and_leave_the_public_group():
    public = specs.alb_annotations("arn:cert", "logs-bucket")
    admin = specs.admin_alb_annotations(public, ("198.51.100.0/24",))
    assert admin["alb.ingress.kubernetes.io/group.name"] == specs.ADMIN_ALB_GROUP != public["alb.ingress.kubernetes.io/group.name"]
    assert admin["alb.ingress.kubernetes.io/inbound-cidrs"] == "198.51.100.0/24"
    with pytest.raises(ValueError, match="needs at least one CIDR"):
        specs.admin_alb_annotations(public, ())


def test_the_internet_egress_excludes_every_private_range_and_the_metadata_service():
    from components.netpol import INTERNET, Egress, internet

    (peer,) = internet((443,)).to_k8s()["to"]
    assert peer["ipBlock"]["cidr"] == "0.0.0.0/0"
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= set(peer["ipBlock"]["except"])
    with pytest.raises(ValueError, match="metadata service"):
        Egress((443,), cidrs=(INTERNET,))
