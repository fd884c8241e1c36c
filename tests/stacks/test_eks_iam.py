"""The eks stack's IAM under mocks (issue 10): IRSA roles bound to their service accounts,
the charts running under them, and the permissions each controller gets."""

from __future__ import annotations

import json

import pytest

from components.aws.iam import EBS_CSI
from tests.stacks.test_eks_stack import CONTROLLER, _one, _releases, _up
from tools.mockrun import MOCK_ACCOUNT, MOCK_OIDC_ISSUER

def _irsa_trust(run, role_name):
    role = _one(run, "aws:iam/role:Role", role_name)
    return json.loads(role.inputs["assumeRolePolicy"])


@pytest.mark.parametrize(
    "role,service_account",
    [
        ("ebs-csi-role", "ebs-csi-controller-sa"),
        ("alb-controller-role", "aws-load-balancer-controller"),
        ("cluster-autoscaler-role", "cluster-autoscaler"),
    ],
)
def test_irsa_roles_trust_only_their_service_account(role, service_account):
    (statement,) = _irsa_trust(_up(), role)["Statement"]
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::{MOCK_ACCOUNT}:oidc-provider/{MOCK_OIDC_ISSUER}"}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {
        f"{MOCK_OIDC_ISSUER}:sub": f"system:serviceaccount:kube-system:{service_account}",
        f"{MOCK_OIDC_ISSUER}:aud": "sts.amazonaws.com",
    }


def test_charts_run_under_the_service_accounts_their_roles_trust():
    releases = _releases()
    alb = releases[CONTROLLER]["serviceAccount"]
    assert alb["name"] == "aws-load-balancer-controller"
    assert alb["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:mock:::role/alb-controller-role"}
    ca = releases["cluster-autoscaler"]["rbac"]["serviceAccount"]
    assert ca["name"] == "cluster-autoscaler"
    assert ca["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:mock:::role/cluster-autoscaler-role"}
    addons = {a.inputs["addonName"]: a.inputs for a in _up().of_type("aws:eks/addon:Addon")}
    assert addons["aws-ebs-csi-driver"]["serviceAccountRoleArn"] == "arn:aws:mock:::role/ebs-csi-role"
    assert addons["vpc-cni"]["serviceAccountRoleArn"] == "arn:aws:mock:::role/cluster-vpc-cni-role"
    assert EBS_CSI.service_account == "ebs-csi-controller-sa"


def test_ebs_csi_role_gets_the_driver_policy_and_kms_grants_on_the_data_key():
    run = _up()
    (attachment,) = [r for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if r.name.startswith("ebs-csi-")]
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    policy = json.loads(_one(run, "aws:iam/rolePolicy:RolePolicy", "ebs-csi-policy").inputs["policy"])
    grants, use = policy["Statement"]
    assert set(grants["Action"]) == {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert grants["Resource"] == use["Resource"] == ["arn:aws:mock:::key/data-key"]
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(use["Action"])


def test_autoscaler_may_change_only_this_clusters_node_groups():
    policy = json.loads(_one(_up(), "aws:iam/rolePolicy:RolePolicy", "cluster-autoscaler-policy").inputs["policy"])
    (mutating,) = [s for s in policy["Statement"] if "autoscaling:SetDesiredCapacity" in s["Action"]]
    assert mutating["Condition"] == {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/trip-service-cluster": "owned"}}
    values = _releases()["cluster-autoscaler"]
    assert values["autoDiscovery"] == {"clusterName": "trip-service-cluster"}
    assert values["awsRegion"] == "ap-northeast-2"


def test_the_cloudwatch_exporter_role_may_only_discover_and_read_metrics():
    """Issue 17: cloudwatch:GetMetricData, cloudwatch:ListMetrics and tag:GetResources, nothing else."""
    run = _up()
    (statement,) = _irsa_trust(run, "cloudwatch-exporter-role")["Statement"]
    assert statement["Condition"]["StringEquals"][f"{MOCK_OIDC_ISSUER}:sub"] == "system:serviceaccount:monitoring:cloudwatch-exporter"
    policy = json.loads(_one(run, "aws:iam/rolePolicy:RolePolicy", "cloudwatch-exporter-policy").inputs["policy"])
    (allow,) = policy["Statement"]
    assert allow["Effect"] == "Allow"
    assert sorted(allow["Action"]) == ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "tag:GetResources"]
    exporter = _releases()["prometheus-yet-another-cloudwatch-exporter"]
    assert exporter["serviceAccount"]["name"] == "cloudwatch-exporter"
    assert exporter["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:mock:::role/cloudwatch-exporter-role"}
    assert not [r for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if r.name.startswith("cloudwatch-exporter-")]


def test_opencost_needs_no_aws_role_on_eks():
    """OpenCost's AWS provider reads the public price list without credentials (no Spot data
    feed, no cloud cost export): no IRSA role is created for it."""
    roles = {r.name for r in _up().of_type("aws:iam/role:Role")}
    assert not [name for name in roles if "opencost" in name]
