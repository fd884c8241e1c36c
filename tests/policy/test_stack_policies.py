"""Stack policies on resources captured from the dev stack's mock run: the namespace lock-down on
every target, and the eks-only rules, which need an eks stack (an EKS cluster among its resources)."""

from __future__ import annotations

import copy

import pytest
from pulumi.output import Unknown

from policy.stack import PSA_ENFORCE, target
from tests.policy.helpers import captured, case, pod, registrations, stack_violations, synthetic
from tools.mockrun import Registration
from tools.policycheck import stack_args

TRIP = "trip-service-dev"
EKS_CLUSTER = synthetic("eks:index:Cluster", "eks-cluster", {"name": "cloud-platform-eks"})


def _namespace_of(reg: Registration) -> str | None:
    meta = reg.inputs.get("metadata") or {}
    return meta.get("name") if reg.type.endswith(":Namespace") else meta.get("namespace")


def trip_namespace() -> list[Registration]:
    """The Trip Currency namespace of the dev stack and everything declared in it."""
    return [r for r in registrations() if _namespace_of(r) == TRIP]


def without(regs: list[Registration], *names: str) -> list[Registration]:
    """``regs`` less the Kubernetes objects named ``names``."""
    return [r for r in regs if (r.inputs.get("metadata") or {}).get("name") not in names or r.type.endswith(":Namespace")]


def with_level(regs: list[Registration], level: str | None) -> list[Registration]:
    namespace = next(r for r in regs if r.type.endswith(":Namespace"))
    labels = namespace.inputs["metadata"]["labels"]
    labels.pop(PSA_ENFORCE)
    if level is not None:
        labels[PSA_ENFORCE] = level
    return regs


@case("namespace-lockdown", "pass")
def test_the_trip_namespace_as_declared_passes():
    """Pod Security restricted, a quota, a LimitRange, default-deny plus one policy per store and API."""
    assert stack_violations("namespace-lockdown", trip_namespace()) == []


@case("namespace-lockdown", "pass")
def test_baseline_is_enough_for_an_application_namespace():
    assert stack_violations("namespace-lockdown", with_level(trip_namespace(), "baseline")) == []


@case("namespace-lockdown", "fail")
def test_a_namespace_without_a_pod_security_level_fails():
    assert stack_violations("namespace-lockdown", with_level(trip_namespace(), None)) == [
        f"namespace {TRIP}: label {PSA_ENFORCE} is None, expected one of privileged, baseline, restricted"
    ]


@case("namespace-lockdown", "fail")
def test_a_privileged_application_namespace_fails():
    assert stack_violations("namespace-lockdown", with_level(trip_namespace(), "privileged")) == [
        f"application namespace {TRIP} enforces the privileged Pod Security level"
    ]


@case("namespace-lockdown", "fail")
@pytest.mark.parametrize("kind,name", [("ResourceQuota", f"{TRIP}-quota"), ("LimitRange", f"{TRIP}-limits")])
def test_an_application_namespace_without_quota_or_limit_range_fails(kind, name):
    assert stack_violations("namespace-lockdown", without(trip_namespace(), name)) == [
        f"application namespace {TRIP} has no {kind}"
    ]


# Policies that select every pod of the namespace (deny both ways, DNS) and the egress policies
# of the pods these tests leave unselected.
NAMESPACE_WIDE = ("default-deny-ingress", "default-deny-egress", "allow-dns", "kafka-ui-egress", "service-dataingestor-egress")


@case("namespace-lockdown", "fail")
def test_a_pod_that_no_network_policy_selects_fails():
    """Without the namespace-wide policies and the MySQL policy, MySQL, the ingestor and Kafka UI
    are unselected."""
    regs = without(trip_namespace(), *NAMESPACE_WIDE, "mysql-ingress")
    assert sorted(stack_violations("namespace-lockdown", regs)) == [
        f"{TRIP}/kafka-ui: no NetworkPolicy selects its pods",
        f"{TRIP}/mysql: no NetworkPolicy selects its pods",
        f"{TRIP}/service-dataingestor: no NetworkPolicy selects its pods",
    ]


def test_match_expressions_select_pods_like_kubernetes_does():
    regs = without(trip_namespace(), *NAMESPACE_WIDE)
    selector = {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": ["service-dataingestor", "kafka-ui"]}]}
    policy = {"metadata": {"name": "tools", "namespace": TRIP}, "spec": {"podSelector": selector}}
    tools = synthetic("kubernetes:networking.k8s.io/v1:NetworkPolicy", "tools", policy)
    assert stack_violations("namespace-lockdown", [*regs, tools]) == []
    selector["matchExpressions"][0]["operator"] = "NotIn"
    assert len(stack_violations("namespace-lockdown", [*regs, tools])) == 2


def test_workloads_a_chart_renders_do_not_make_a_platform_namespace_an_application_namespace():
    chart = captured("Chart", "kube-prometheus-stack")
    monitoring = captured("Namespace", "monitoring-agents")
    assert monitoring.inputs["metadata"]["labels"][PSA_ENFORCE] == "privileged"  # node-exporter
    grafana = copy.deepcopy(captured("Deployment", "user-service"))
    grafana.inputs["metadata"].update(name="node-exporter", namespace="monitoring-agents")
    grafana.parent = chart.urn
    assert stack_violations("namespace-lockdown", [monitoring, chart, grafana]) == []
    grafana.parent = ""
    assert "application namespace monitoring-agents enforces the privileged Pod Security level" in stack_violations(
        "namespace-lockdown", [monitoring, chart, grafana]
    )


def test_the_target_is_eks_when_the_stack_declares_an_eks_cluster_unless_configured():
    dev = registrations()
    assert target(stack_args(dev)) == "kind"
    assert target(stack_args([*dev, EKS_CLUSTER])) == "eks"
    assert target(stack_args(dev, {"target": "eks"})) == "eks"
    assert target(stack_args([*dev, EKS_CLUSTER], {"target": "kind"})) == "kind"


EKS_POLICIES = [
    "eks-pinned-images",
    "eks-encrypted-retained-storage",
    "eks-ingress-https",
    "eks-no-nodeport-services",
    "kind-conveniences-off-eks",
    "eks-api-endpoint-closed",
    "eks-network-policy-enforcement",
]


@pytest.mark.parametrize("policy", EKS_POLICIES)
def test_eks_policies_do_not_apply_to_kind_stacks(policy):
    """The dev stack has NodePorts, hostPorts, insecure kubelet TLS and ``dev-latest`` images, and
    they are fine on kind."""
    assert stack_violations(policy, registrations()) == []
    assert stack_violations(policy, [*registrations(), EKS_CLUSTER]) != []


def _on_eks(*regs: Registration) -> list[Registration]:
    return [*regs, EKS_CLUSTER]


@case("eks-pinned-images", "pass")
def test_tagged_and_digest_pinned_images_pass_on_eks():
    reg = captured("Deployment", "service-currency", stack="prod")
    assert pod(reg)["containers"][0]["image"].endswith(":prod-63")
    digest = captured("Deployment", "user-service")
    pod(digest)["containers"][0]["image"] = "nginxinc/nginx-unprivileged@sha256:" + "a" * 64
    assert stack_violations("eks-pinned-images", _on_eks(reg, digest)) == []


@case("eks-pinned-images", "fail")
@pytest.mark.parametrize(
    "image", ["registry.example:5000/korgosu/service-currency", "korgosu/service-currency:latest", "korgosu/service-currency:dev-latest"]
)
def test_tagless_or_latest_images_fail_on_eks(image):
    reg = captured("Deployment", "service-currency", stack="prod")
    pod(reg)["containers"][0]["image"] = image
    assert stack_violations("eks-pinned-images", _on_eks(reg)) == [
        f"service-currency: image {image!r} is not pinned (no tag, or latest)"
    ]


@case("eks-pinned-images", "fail")
def test_a_chart_image_tag_latest_fails_on_eks():
    chart = captured("Chart", "jaeger")
    chart.inputs["values"].setdefault("jaeger", {})["image"] = {"tag": "latest"}
    assert stack_violations("eks-pinned-images", _on_eks(chart)) == ["chart jaeger: values jaeger.image.tag is latest"]


def _storage_class(name: str = "gp3-encrypted", reclaim: str = "Retain", encrypted: str = "true") -> Registration:
    """The class the eks stack declares (DESIGN: ebs.csi.aws.com, gp3, encrypted, WaitForFirstConsumer)."""
    return synthetic(
        "kubernetes:storage.k8s.io/v1:StorageClass",
        name,
        {
            "metadata": {"name": name, "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "ebs.csi.aws.com",
            "parameters": {"type": "gp3", "encrypted": encrypted},
            "reclaimPolicy": reclaim,
            "volumeBindingMode": "WaitForFirstConsumer",
        },
    )


def _mysql(storage_class: str | None) -> Registration:
    reg = captured("StatefulSet", "mysql")
    for template in reg.inputs["spec"]["volumeClaimTemplates"]:
        template["spec"]["storageClassName"] = storage_class
    return reg


@case("eks-encrypted-retained-storage", "pass")
@pytest.mark.parametrize("claim_class", ["gp3-encrypted", None])
def test_an_encrypted_retained_default_class_and_claims_on_it_pass(claim_class):
    assert stack_violations("eks-encrypted-retained-storage", _on_eks(_storage_class(), _mysql(claim_class))) == []


@case("eks-encrypted-retained-storage", "fail")
def test_an_unencrypted_or_deleting_class_fails_on_eks():
    assert stack_violations("eks-encrypted-retained-storage", _on_eks(_storage_class(reclaim="Delete", encrypted="false"))) == [
        'StorageClass gp3-encrypted is not encrypted (parameters.encrypted must be "true")',
        "StorageClass gp3-encrypted has reclaimPolicy 'Delete', expected Retain",
    ]


@case("eks-encrypted-retained-storage", "fail")
def test_claims_on_an_undeclared_class_or_without_a_default_fail_on_eks():
    assert stack_violations("eks-encrypted-retained-storage", _on_eks(_storage_class(), _mysql("gp2"))) == [
        "trip-mysql-statefulset: claims StorageClass 'gp2', which the stack does not declare"
    ]
    assert stack_violations("eks-encrypted-retained-storage", _on_eks(_mysql(None))) == [
        "trip-mysql-statefulset: a claim uses the cluster default class, and the stack declares none"
    ]


ALB_TLS = {
    "alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:ap-northeast-2:123456789012:certificate/test",
    "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
    "alb.ingress.kubernetes.io/ssl-redirect": "443",
}


def _trip_ingress(notes: dict) -> Registration:
    reg = captured("Ingress", "trip-service-ingress")
    reg.inputs["metadata"]["annotations"] = dict(notes)
    return reg


@case("eks-ingress-https", "pass")
def test_an_alb_ingress_with_certificate_and_redirect_passes():
    assert stack_violations("eks-ingress-https", _on_eks(_trip_ingress(ALB_TLS))) == []


def test_a_certificate_arn_not_known_until_the_update_counts_as_set():
    """In a preview the ACM certificate's ARN is unknown (``pulumi.output.Unknown`` under mocks,
    the unknown sentinel on the wire)."""
    notes = {**ALB_TLS, "alb.ingress.kubernetes.io/certificate-arn": Unknown()}
    assert stack_violations("eks-ingress-https", _on_eks(_trip_ingress(notes))) == []


@case("eks-ingress-https", "fail")
def test_the_kind_ingress_has_neither_tls_nor_redirect_on_eks():
    messages = stack_violations("eks-ingress-https", _on_eks(captured("Ingress", "trip-service-ingress")))
    assert [m.split(":")[0] for m in messages] == [
        "Ingress trip-service-ingress has no TLS",
        "Ingress trip-service-ingress does not redirect HTTP to HTTPS",
    ]


@case("eks-ingress-https", "fail")
def test_a_redirect_to_a_port_that_is_not_an_https_listener_fails():
    notes = {**ALB_TLS, "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}]'}
    assert len(stack_violations("eks-ingress-https", _on_eks(_trip_ingress(notes)))) == 1


@case("eks-no-nodeport-services", "fail")
def test_a_nodeport_service_fails_on_eks():
    assert stack_violations("eks-no-nodeport-services", _on_eks(captured("Service", "user-service"))) == [
        "Service user-service is of type NodePort"
    ]


@case("eks-no-nodeport-services", "pass")
def test_clusterip_services_pass_on_eks():
    reg = captured("Service", "user-service")
    reg.inputs["spec"]["type"] = "ClusterIP"
    for port in reg.inputs["spec"]["ports"]:
        port.pop("nodePort", None)
    assert stack_violations("eks-no-nodeport-services", _on_eks(reg, captured("Service", "payment-service"))) == []


@case("kind-conveniences-off-eks", "fail")
def test_the_kind_conveniences_of_dev_fail_on_eks():
    regs = [
        captured("Chart", "metrics-server"),
        captured("Chart", "ingress-nginx"),
        captured("Chart", "kube-prometheus-stack"),
        captured("Command", "kind-cluster"),
    ]
    assert stack_violations("kind-conveniences-off-eks", _on_eks(*regs)) == [
        "chart metrics-server: values args[0] passes --kubelet-insecure-tls",
        "chart ingress-nginx: values controller.hostPort.enabled enables a hostPort",
        "chart kube-prometheus-stack: values grafana.service.type is NodePort",
        "kind-cluster creates a kind cluster",
    ]


@case("kind-conveniences-off-eks", "fail")
def test_a_container_host_port_or_insecure_kubelet_flag_fails_on_eks():
    reg = captured("Deployment", "user-service")
    pod(reg)["containers"][0]["ports"][0]["hostPort"] = 8080.0
    pod(reg)["containers"][1]["args"].append("--kubelet-insecure-tls")
    assert stack_violations("kind-conveniences-off-eks", _on_eks(reg)) == [
        "user-service/user-service binds a hostPort",
        "user-service/nginx-exporter passes --kubelet-insecure-tls",
    ]


@case("kind-conveniences-off-eks", "pass")
def test_charts_without_the_kind_values_pass_on_eks():
    metrics = captured("Chart", "metrics-server")
    metrics.inputs["values"]["args"] = []
    nginx = captured("Chart", "ingress-nginx")
    nginx.inputs["values"]["controller"]["hostPort"]["enabled"] = False
    grafana = captured("Chart", "kube-prometheus-stack")
    grafana.inputs["values"]["grafana"]["service"] = {"type": "ClusterIP"}
    assert stack_violations("kind-conveniences-off-eks", _on_eks(metrics, nginx, grafana, captured("Deployment", "user-service"))) == []


def test_chart_values_not_known_until_the_update_are_skipped_not_fatal():
    """In a preview the ALB controller's clusterName and vpcId are unknown; the rest is still checked."""
    metrics = captured("Chart", "metrics-server")
    metrics.inputs["values"]["clusterName"] = Unknown()
    assert stack_violations("kind-conveniences-off-eks", _on_eks(metrics)) == [
        "chart metrics-server: values args[0] passes --kubelet-insecure-tls"
    ]


# On the eks stack itself (captured): each eks rule passes as declared, and fails once the
# object it guards is broken the way the rule forbids.
def _eks_stack_violations(policy: str, break_it) -> list[str]:
    regs = registrations("eks")
    break_it(regs)
    return stack_violations(policy, regs)


def _eks_object(regs: list[Registration], kind: str, name: str) -> Registration:
    return next(r for r in regs if r.type.endswith(f":{kind}") and name in ((r.inputs.get("metadata") or {}).get("name"), r.inputs.get("chart")))


@case("eks-pinned-images", "pass")
@case("eks-encrypted-retained-storage", "pass")
@case("eks-ingress-https", "pass")
@case("eks-no-nodeport-services", "pass")
@case("kind-conveniences-off-eks", "pass")
@pytest.mark.parametrize("policy", EKS_POLICIES)
def test_the_eks_stack_as_declared_passes_the_eks_rules(policy):
    assert target(stack_args(registrations("eks"))) == "eks"
    assert _eks_stack_violations(policy, lambda regs: None) == []


def _set_image(regs, tag):
    container = pod(_eks_object(regs, "Deployment", "service-currency"))["containers"][0]
    container["image"] = container["image"].rsplit(":", 1)[0] + f":{tag}"


def _delete_reclaim(regs):
    _eks_object(regs, "StorageClass", "gp3-encrypted").inputs["reclaimPolicy"] = "Delete"


def _drop_redirect(regs):
    del _eks_object(regs, "Ingress", "trip-service-ingress").inputs["metadata"]["annotations"]["alb.ingress.kubernetes.io/ssl-redirect"]


def _node_port(regs):
    _eks_object(regs, "Service", "service-frontend").inputs["spec"]["type"] = "NodePort"


def _insecure_kubelet(regs):
    _eks_object(regs, "Chart", "metrics-server").inputs["values"]["args"] = ["--kubelet-insecure-tls"]


@case("eks-pinned-images", "fail")
@case("eks-encrypted-retained-storage", "fail")
@case("eks-ingress-https", "fail")
@case("eks-no-nodeport-services", "fail")
@case("kind-conveniences-off-eks", "fail")
@pytest.mark.parametrize(
    "policy,break_it,expected",
    [
        ("eks-pinned-images", lambda regs: _set_image(regs, "latest"), "service-currency: image "),
        ("eks-encrypted-retained-storage", _delete_reclaim, "StorageClass gp3-encrypted has reclaimPolicy 'Delete', expected Retain"),
        ("eks-ingress-https", _drop_redirect, "Ingress trip-service-ingress does not redirect HTTP to HTTPS"),
        ("eks-no-nodeport-services", _node_port, "Service service-frontend is of type NodePort"),
        ("kind-conveniences-off-eks", _insecure_kubelet, "chart metrics-server: values args[0] passes --kubelet-insecure-tls"),
    ],
)
def test_breaking_a_guarded_eks_object_fails(policy, break_it, expected):
    [message] = _eks_stack_violations(policy, break_it)
    assert message.startswith(expected)


# --- Issue 15: the guards on the real eks program -------------------------------------------


def _eks_regs() -> list[Registration]:
    return registrations("eks")


def _one_of(regs: list[Registration], type_token: str, name: str | None = None) -> Registration:
    (found,) = [r for r in regs if r.type == type_token and (name is None or r.name == name)]
    return found


@case("eks-api-endpoint-closed", "pass")
def test_the_eks_programs_endpoint_limited_to_its_cidrs_passes():
    assert stack_violations("eks-api-endpoint-closed", _eks_regs()) == []


@case("eks-api-endpoint-closed", "pass")
def test_a_private_only_endpoint_passes():
    regs = _eks_regs()
    cluster = _one_of(regs, "eks:index:Cluster")
    cluster.inputs["endpointPublicAccess"] = False
    cluster.inputs.pop("publicAccessCidrs")
    assert stack_violations("eks-api-endpoint-closed", regs) == []


@case("eks-api-endpoint-closed", "fail")
def test_an_endpoint_open_to_the_internet_fails():
    regs = _eks_regs()
    cluster = _one_of(regs, "eks:index:Cluster")
    cluster.inputs.pop("publicAccessCidrs")
    assert stack_violations("eks-api-endpoint-closed", regs) == [
        "cluster cluster-eks: the public API endpoint is open to 0.0.0.0/0 (set publicAccessCidrs or endpointPublicAccess: false)"
    ]
    cluster.inputs["publicAccessCidrs"] = ["203.0.113.0/24", "0.0.0.0/0"]
    assert stack_violations("eks-api-endpoint-closed", regs) == ["cluster cluster-eks: publicAccessCidrs includes 0.0.0.0/0, the whole internet"]


@case("eks-network-policy-enforcement", "pass")
def test_the_eks_programs_vpc_cni_with_its_policy_agent_passes():
    assert stack_violations("eks-network-policy-enforcement", _eks_regs()) == []


@case("eks-network-policy-enforcement", "fail")
def test_a_vpc_cni_without_its_policy_agent_fails():
    regs = _eks_regs()
    cni = next(r for r in regs if r.type == "aws:eks/addon:Addon" and r.inputs["addonName"] == "vpc-cni")
    cni.inputs["configurationValues"] = '{"enableNetworkPolicy": "false"}'
    message = 'the VPC CNI does not enforce NetworkPolicies: set enableNetworkPolicy "true" in the vpc-cni add-on\'s configurationValues'
    assert stack_violations("eks-network-policy-enforcement", regs) == [message]
    assert stack_violations("eks-network-policy-enforcement", [r for r in regs if r is not cni]) == [message]


@case("default-deny-egress", "pass")
@pytest.mark.parametrize("stack", ["dev", "eks"])
def test_every_namespace_of_the_real_programs_denies_egress(stack):
    assert stack_violations("default-deny-egress", registrations(stack)) == []


@case("default-deny-egress", "fail")
def test_a_namespace_without_default_deny_egress_fails():
    regs = [r for r in _eks_regs() if not ((r.inputs.get("metadata") or {}).get("name") == "default-deny-egress" and (r.inputs.get("metadata") or {}).get("namespace") == "cloudmart")]
    assert stack_violations("default-deny-egress", regs) == [
        "namespace cloudmart has no default-deny egress NetworkPolicy (podSelector {}, policyTypes [Egress], no rules)"
    ]
    # An "egress" that allows something is no default deny.
    regs = _eks_regs()
    deny = next(r for r in regs if (r.inputs.get("metadata") or {}).get("name") == "default-deny-egress" and r.inputs["metadata"]["namespace"] == "tracing")
    deny.inputs["spec"]["egress"] = [{}]
    assert stack_violations("default-deny-egress", regs) == [
        "namespace tracing has no default-deny egress NetworkPolicy (podSelector {}, policyTypes [Egress], no rules)"
    ]


@case("eks-imdsv2", "fail")
def test_node_groups_without_launch_templates_fail():
    regs = [r for r in _eks_regs() if r.type != "aws:ec2/launchTemplate:LaunchTemplate"]
    for group in (r for r in regs if r.type == "eks:index:ManagedNodeGroup"):
        group.inputs.pop("launchTemplate", None)
    violations = stack_violations("eks-imdsv2", regs)
    assert violations == [
        "node group cluster-base-nodes has no launch template (IMDSv2 and volume encryption left to defaults)",
        "node group cluster-spot-nodes has no launch template (IMDSv2 and volume encryption left to defaults)",
    ]


@case("eks-imdsv2", "fail")
def test_a_launch_template_allowing_imdsv1_or_two_hops_or_a_plain_root_fails():
    template = synthetic(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "nodes-lt",
        {"metadataOptions": {"httpTokens": "optional", "httpPutResponseHopLimit": 2}, "blockDeviceMappings": [{"ebs": {"encrypted": "false"}}]},
    )
    assert stack_violations("eks-imdsv2", [EKS_CLUSTER, template]) == [
        "launch template nodes-lt: metadataOptions.httpTokens is 'optional', expected required",
        "launch template nodes-lt: metadataOptions.httpPutResponseHopLimit is 2, expected 1",
        "launch template nodes-lt: the root volume is not encrypted (blockDeviceMappings[].ebs.encrypted)",
    ]


def test_imdsv2_does_not_apply_to_kind_stacks():
    assert stack_violations("eks-imdsv2", registrations()) == []


@case("eks-imdsv2", "pass")
def test_the_eks_programs_node_groups_require_imdsv2_with_hop_limit_1_and_encrypted_roots():
    assert stack_violations("eks-imdsv2", _eks_regs()) == []
