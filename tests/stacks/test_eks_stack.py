"""The eks stack under mocks (issue 10): what the AWS side declares and how the platform's
components are fed EKS platform data."""

from __future__ import annotations

import ipaddress
import json

import pulumi
import pytest

from components.trip_currency.catalog import built_images
from tests.conftest import EKS_STACKS, rendered, stack_run
from tools.mockrun import MOCK_ACCOUNT, run_program, stack_config

STACK = "eks"
P = "cloud-platform:"
ALB = "alb.ingress.kubernetes.io/"
REGISTRY = f"{MOCK_ACCOUNT}.dkr.ecr.ap-northeast-2.amazonaws.com"
CONTROLLER = "aws-load-balancer-controller"



def test_the_eks_stack_file_is_part_of_the_repository():
    # Every test below runs the eks stack: without it they must fail, never skip.
    assert STACK in EKS_STACKS, "Pulumi.eks.yaml with target eks is part of the repository"


@pytest.fixture(params=[True, False], ids=["preview", "up"])
def run(request):
    return stack_run(STACK, request.param)


def _up():
    return stack_run(STACK, False)


def _one(run, type_token, name):
    (found,) = [r for r in run.of_type(type_token) if r.name == name]
    return found


def _with_config(preview=False, **overrides):
    config, secrets = stack_config(STACK, {P + k: v for k, v in overrides.items()})
    return run_program(STACK, preview=preview, config=config, secret_keys=secrets)


def _releases():
    return {r["chart"]: r["values"] for r in rendered(STACK).releases}


def _objects(kind):
    return [o for o in rendered(STACK).objects if o["kind"] == kind]


def test_eks_stack_declares_cluster_node_groups_and_network_in_both_modes(run):
    assert len(run.of_type("eks:index:Cluster")) == 1
    assert len(run.of_type("eks:index:ManagedNodeGroup")) == 2
    assert len(run.of_type("aws:ec2/vpc:Vpc")) == 1
    assert run.of_type("kubernetes:storage.k8s.io/v1:StorageClass")


def test_only_the_expected_invokes_are_made(run):
    tokens = {token for token, _ in run.invokes}
    assert tokens == {
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getAvailabilityZones:getAvailabilityZones",
        "aws:eks/getAddonVersion:getAddonVersion",
    }
    addons = {a["addonName"]: a for t, a in run.invokes if t == "aws:eks/getAddonVersion:getAddonVersion"}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"}
    assert {a["kubernetesVersion"] for a in addons.values()} == {"1.35"}


def test_subnets_span_three_zones_with_load_balancer_role_tags():
    run = _up()
    (vpc,) = run.of_type("aws:ec2/vpc:Vpc")
    network = ipaddress.IPv4Network(vpc.inputs["cidrBlock"])
    subnets = run.of_type("aws:ec2/subnet:Subnet")
    public = [s for s in subnets if s.inputs["mapPublicIpOnLaunch"]]
    private = [s for s in subnets if not s.inputs["mapPublicIpOnLaunch"]]
    assert len(public) == len(private) == 3
    for s in public:
        assert s.inputs["tags"]["kubernetes.io/role/elb"] == "1" and "kubernetes.io/role/internal-elb" not in s.inputs["tags"]
    for s in private:
        assert s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" and "kubernetes.io/role/elb" not in s.inputs["tags"]
    assert len({s.inputs["availabilityZone"] for s in public}) == 3
    nets = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in subnets]
    assert all(n.subnet_of(network) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])


def test_one_nat_gateway_by_default_one_per_zone_on_request():
    assert len(_up().of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert len(_up().of_type("aws:ec2/eip:Eip")) == 1
    per_az = _with_config(natGateways="per-az")
    assert len(per_az.of_type("aws:ec2/natGateway:NatGateway")) == 3
    assert len(per_az.of_type("aws:ec2/eip:Eip")) == 3


def test_cluster_is_1_35_api_auth_oidc_kms_logs_standard_support_named_explicitly():
    run = _up()
    (cluster,) = run.of_type("eks:index:Cluster")
    i = cluster.inputs
    assert i["name"] == "trip-service-cluster"
    assert i["version"] == "1.35"
    assert i["authenticationMode"] == "API"
    assert i["upgradePolicy"] == {"supportType": "STANDARD"}
    assert i["createOidcProvider"] is True
    assert i["skipDefaultNodeGroup"] is True
    assert "storageClasses" not in i
    assert set(i["enabledClusterLogTypes"]) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    logs = _one(run, "aws:cloudwatch/logGroup:LogGroup", "cluster-logs")
    assert logs.inputs["name"] == "/aws/eks/trip-service-cluster/cluster" and logs.inputs["retentionInDays"] == 30
    assert logs.urn in cluster.dependencies  # exists before EKS would create it without expiry
    assert logs.inputs["kmsKeyId"] == "arn:aws:mock:::key/logs-key"
    secrets_key = _one(run, "aws:kms/key:Key", "eks-secrets-key")
    assert i["encryptionConfigKeyArn"] == f"arn:aws:mock:::key/{secrets_key.name}"


def test_managed_addons_are_pinned_to_the_versions_get_addon_version_resolves():
    run = _up()
    (cluster,) = run.of_type("eks:index:Cluster")
    assert cluster.inputs["corednsAddonOptions"]["version"] == "v0.0.0-mock-coredns-1.35"
    assert cluster.inputs["kubeProxyAddonOptions"]["version"] == "v0.0.0-mock-kube-proxy-1.35"
    addons = {a.inputs["addonName"]: a.inputs for a in run.of_type("aws:eks/addon:Addon")}
    assert set(addons) == {"aws-ebs-csi-driver", "vpc-cni"}
    assert addons["aws-ebs-csi-driver"]["addonVersion"] == "v0.0.0-mock-aws-ebs-csi-driver-1.35"
    assert addons["vpc-cni"]["addonVersion"] == "v0.0.0-mock-vpc-cni-1.35"


def test_the_vpc_cni_enforces_network_policies_with_its_own_irsa_role_before_any_node_joins():
    run = _up()
    (cluster,) = run.of_type("eks:index:Cluster")
    assert cluster.inputs["useDefaultVpcCni"] is True and "vpcCniOptions" not in cluster.inputs  # pulumi-eks adds no second one
    cni = _one(run, "aws:eks/addon:Addon", "cluster-vpc-cni-addon")
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert cni.inputs["resolveConflictsOnCreate"] == "OVERWRITE"  # adopts the aws-node EKS bootstraps
    role = _one(run, "aws:iam/role:Role", "cluster-vpc-cni-role")
    assert cni.inputs["serviceAccountRoleArn"] == f"arn:aws:mock:::role/{role.name}"
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert [v for k, v in trust.items() if k.endswith(":sub")] == ["system:serviceaccount:kube-system:aws-node"]
    (attachment,) = [r for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if r.name.startswith("cluster-vpc-cni-")]
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
    for group in run.of_type("eks:index:ManagedNodeGroup"):
        assert cni.urn in group.dependencies, group.name


def test_the_api_endpoint_is_public_only_to_the_configured_cidrs_or_private_only():
    (cluster,) = _up().of_type("eks:index:Cluster")
    assert cluster.inputs["endpointPrivateAccess"] is True
    assert cluster.inputs["endpointPublicAccess"] is True
    assert cluster.inputs["publicAccessCidrs"] == ["203.0.113.0/24"]  # Pulumi.eks.yaml's example range
    (private,) = _with_config(apiPublicAccessCidrs="").of_type("eks:index:Cluster")
    assert private.inputs["endpointPublicAccess"] is False and "publicAccessCidrs" not in private.inputs
    assert private.inputs["endpointPrivateAccess"] is True


def test_an_api_endpoint_open_to_the_internet_registers_nothing():
    for preview in (True, False):
        with pytest.raises(pulumi.RunError, match=r"apiPublicAccessCidrs must be .*never 0\.0\.0\.0/0.*got \"0\.0\.0\.0/0\"") as err:
            _with_config(preview, apiPublicAccessCidrs="0.0.0.0/0")
        assert err.value.registrations == []


def test_admin_principals_get_cluster_admin_access_entries():
    arn = "arn:aws:iam::111122223333:role/platform-admins"
    (cluster,) = _with_config(adminPrincipalArns=arn).of_type("eks:index:Cluster")
    (entry,) = cluster.inputs["accessEntries"].values()
    assert entry["principalArn"] == arn
    (policy,) = entry["accessPolicies"].values()
    assert policy["policyArn"].endswith("AmazonEKSClusterAdminPolicy")
    assert policy["accessScope"] == {"type": "cluster"}


def test_node_groups_are_an_on_demand_base_and_a_tainted_spot_group_from_config():
    groups = {g.inputs["nodeGroupName"]: g.inputs for g in _up().of_type("eks:index:ManagedNodeGroup")}
    assert set(groups) == {"trip-service-cluster-base", "trip-service-cluster-spot"}
    base, spot = groups["trip-service-cluster-base"], groups["trip-service-cluster-spot"]
    assert base["capacityType"] == "ON_DEMAND" and base["labels"] == {"cloud-platform/pool": "base"}
    assert not base.get("taints")
    assert spot["capacityType"] == "SPOT" and spot["labels"] == {"cloud-platform/pool": "spot"}
    assert spot["taints"] == [{"key": "cloud-platform/spot", "value": "true", "effect": "NO_SCHEDULE"}]
    for group in (base, spot):
        assert "diskSize" not in group  # the launch template holds the disk
        assert group["amiType"] in ("AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD")
        low, want, high = (group["scalingConfig"][k] for k in ("minSize", "desiredSize", "maxSize"))
        assert low <= want <= high


def test_a_spot_group_has_at_least_three_interchangeable_types_of_one_size():
    from components.cost.instances import INSTANCE_TYPES

    groups = {g.inputs["nodeGroupName"]: g.inputs for g in _up().of_type("eks:index:ManagedNodeGroup")}
    types = groups["trip-service-cluster-spot"]["instanceTypes"]
    assert len(set(types)) >= 3
    assert len({INSTANCE_TYPES[t].size for t in types}) == 1
    assert len({INSTANCE_TYPES[t].arch for t in types}) == 1


def test_node_groups_follow_their_keys():
    run = _with_config(
        spotInstanceTypes="t4g.large, m6g.large, m7g.large", spotArch="arm64", spotMinSize="2", spotDesiredSize="3",
        spotMaxSize="9", baseInstanceTypes="m7g.large", baseArch="arm64",
    )
    groups = {g.inputs["nodeGroupName"]: g.inputs for g in run.of_type("eks:index:ManagedNodeGroup")}
    spot, base = groups["trip-service-cluster-spot"], groups["trip-service-cluster-base"]
    assert spot["instanceTypes"] == ["t4g.large", "m6g.large", "m7g.large"] and spot["amiType"] == "AL2023_ARM_64_STANDARD"
    assert spot["scalingConfig"] == {"minSize": 2, "desiredSize": 3, "maxSize": 9}
    assert base["instanceTypes"] == ["m7g.large"] and base["amiType"] == "AL2023_ARM_64_STANDARD"


def test_every_node_group_launches_from_a_template_with_imdsv2_hop_limit_1_encrypted_gp3_and_no_ssh_key():
    run = _up()
    templates = run.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert {t.name for t in templates} == {"cluster-base-launch-template", "cluster-spot-launch-template"}
    for t in templates:
        assert t.inputs["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}
        (root,) = t.inputs["blockDeviceMappings"]
        assert root["deviceName"] == "/dev/xvda"
        assert root["ebs"]["volumeType"] == "gp3" and root["ebs"]["encrypted"] == "true"
        assert "keyName" not in t.inputs and "imageId" not in t.inputs
    for group in run.of_type("eks:index:ManagedNodeGroup"):
        assert "launchTemplate" in group.inputs and "remoteAccess" not in group.inputs


def test_node_role_has_only_the_eks_node_minimum():
    run = _up()
    node_attachments = [r for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if r.name.startswith("cluster-node-")]
    # No AmazonEKS_CNI_Policy: aws-node has its own IRSA role, so pods reaching the node's
    # credentials do not inherit the right to assign ENIs and addresses.
    assert {r.inputs["policyArn"].rsplit("/", 1)[-1] for r in node_attachments} == {
        "AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"
    }
    role = _one(run, "aws:iam/role:Role", "cluster-node-role")
    assert not [r for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.inputs["role"] == role.name]


def test_kms_keys_are_protected_rotated_with_a_deletion_window():
    keys = _up().of_type("aws:kms/key:Key")
    assert {k.name for k in keys} == {"eks-secrets-key", "data-key", "logs-key"}
    for key in keys:
        assert key.protect
        assert key.inputs["deletionWindowInDays"] == 30
        assert key.inputs["enableKeyRotation"] is True


def test_ecr_has_an_immutable_scanned_encrypted_repository_per_built_image():
    run = _up()
    repos = {r.inputs["name"]: r.inputs for r in run.of_type("aws:ecr/repository:Repository")}
    assert set(repos) == set(built_images())
    assert all(r.retain_on_delete for r in run.of_type("aws:ecr/repository:Repository"))
    data_key = _one(run, "aws:kms/key:Key", "data-key")
    for repo in repos.values():
        assert repo["imageTagMutability"] == "IMMUTABLE"
        assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": f"arn:aws:mock:::key/{data_key.name}"}]
    policies = run.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert len(policies) == len(repos)
    for policy in policies:
        (rule,) = json.loads(policy.inputs["policy"])["rules"]
        assert rule["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30}
        assert rule["action"] == {"type": "expire"}
    keep = _with_config(ecrKeepImages="5").of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")[0]
    assert json.loads(keep.inputs["policy"])["rules"][0]["selection"]["countNumber"] == 5


def test_images_of_the_platforms_own_services_come_from_ecr_with_the_configured_tag():
    containers = [
        c
        for kind in ("Deployment", "CronJob")
        for o in _objects(kind)
        for c in (o["spec"]["jobTemplate"] if kind == "CronJob" else o)["spec"]["template"]["spec"]["containers"]
    ]
    own = {c["image"] for c in containers if c["image"].split("/")[-1].split(":")[0] in built_images()}
    assert own == {f"{REGISTRY}/{name}:prod-63" for name in built_images()}


def test_storage_class_is_the_only_default_gp3_encrypted_with_the_data_key_and_retain():
    classes = _objects("StorageClass")
    (sc,) = classes
    assert sc["metadata"]["name"] == "gp3-encrypted"
    assert sc["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert sc["provisioner"] == "ebs.csi.aws.com"
    assert sc["parameters"]["type"] == "gp3"
    assert sc["parameters"]["encrypted"] == "true"
    assert sc["parameters"]["kmsKeyId"] == "arn:aws:mock:::key/data-key"
    assert sc["reclaimPolicy"] == "Retain"
    assert sc["volumeBindingMode"] == "WaitForFirstConsumer"
    assert sc["allowVolumeExpansion"] is True


def test_every_claim_uses_gp3_encrypted():
    claims = [t for o in _objects("StatefulSet") for t in o["spec"].get("volumeClaimTemplates", [])]
    assert claims and {c["spec"]["storageClassName"] for c in claims} == {"gp3-encrypted"}
    kps = [r for r in rendered(STACK).releases if r["chart"] == "kube-prometheus-stack"][0]["values"]
    storage = kps["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert storage["storageClassName"] == "gp3-encrypted"


def _ingresses():
    return {o["metadata"]["name"]: o for o in _objects("Ingress")}


def test_trip_ingress_is_seed_004s_alb_with_the_acm_certificate_of_the_stack():
    run = _up()
    validation = run.of_type("aws:acm/certificateValidation:CertificateValidation")[0]
    cert = _one(run, "aws:acm/certificate:Certificate", "tls-cert")
    ingress = _ingresses()["trip-service-ingress"]
    a = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["spec"]["rules"][0]["host"] == "2025teamproject.store"
    assert a[ALB + "scheme"] == "internet-facing"
    assert a[ALB + "target-type"] == "ip"
    assert json.loads(a[ALB + "listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
    assert a[ALB + "ssl-redirect"] == "443"
    assert a[ALB + "ssl-policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert a[ALB + "healthcheck-path"] == "/health"
    assert a[ALB + "group.name"] == "trip-service-alb"
    # The ARN is the ACM resource's output, passed on by the validation that waits for ISSUED.
    assert a[ALB + "certificate-arn"] == validation.inputs["certificateArn"]
    assert a[ALB + "certificate-arn"] == f"arn:aws:acm:mock-region:{MOCK_ACCOUNT}:certificate/mock-{cert.name}"


def test_certificate_covers_every_host_and_is_validated_through_route53():
    run = _up()
    cert = _one(run, "aws:acm/certificate:Certificate", "tls-cert")
    names = [cert.inputs["domainName"], *cert.inputs["subjectAlternativeNames"]]
    hosts = {rule["host"] for o in _ingresses().values() for rule in o["spec"]["rules"]}
    assert set(names) == hosts
    assert cert.inputs["validationMethod"] == "DNS"
    records = run.of_type("aws:route53/record:Record")
    assert {r.inputs["zoneId"] for r in records} == {"Z0EXAMPLE2025TEAMPROJ"}
    assert {r.inputs["name"] for r in records} == {f"_mock.{n}." for n in names}


def test_an_existing_certificate_arn_replaces_acm_issuance():
    arn = "arn:aws:acm:ap-northeast-2:111122223333:certificate/12345678-1234-1234-1234-123456789012"
    run = _with_config(certificateArn=arn, hostedZoneId="")
    assert run.of_type("aws:acm/certificate:Certificate") == []
    assert run.of_type("aws:route53/record:Record") == []
    for ingress in run.of_type("kubernetes:networking.k8s.io/v1:Ingress"):
        assert ingress.inputs["metadata"]["annotations"][ALB + "certificate-arn"] == arn


def test_cloudmart_shares_the_public_alb_group_and_the_admin_uis_are_not_on_it():
    ingresses = _ingresses()
    o = ingresses["cloudmart-ingress"]
    assert o["metadata"]["namespace"] == "cloudmart" and o["spec"]["ingressClassName"] == "alb"
    assert o["spec"]["rules"][0]["host"] == "2025teamproject.store"
    assert o["metadata"]["annotations"][ALB + "group.name"] == "trip-service-alb"
    assert o["metadata"]["annotations"][ALB + "healthcheck-path"] == "/health"
    backends = {p["path"]: p["backend"]["service"]["name"] for p in o["spec"]["rules"][0]["http"]["paths"]}
    assert backends["/cloudmart/user"] == "user-service"
    # No adminCidrs in Pulumi.eks.yaml: Grafana and the Jaeger UI have no Ingress (port-forward only).
    assert set(ingresses) == {"trip-service-ingress", "cloudmart-ingress"}


ADMIN = "198.51.100.0/24,203.0.113.10/32"


def test_admin_cidrs_put_grafana_and_jaeger_on_a_separate_alb_admitting_only_them():
    run = _with_config(adminCidrs=ADMIN)
    ingresses = {r.inputs["metadata"]["name"]: r.inputs for r in run.of_type("kubernetes:networking.k8s.io/v1:Ingress")}
    expected = {
        "grafana": ("monitoring", "grafana.2025teamproject.store", "/api/health"),
        "jaeger-ui": ("tracing", "jaeger.2025teamproject.store", "/"),
    }
    for name, (namespace, host, health) in expected.items():
        o = ingresses[name]
        a = o["metadata"]["annotations"]
        assert o["metadata"]["namespace"] == namespace
        assert o["spec"]["rules"][0]["host"] == host
        assert a[ALB + "group.name"] == a[ALB + "load-balancer-name"] == "trip-service-admin-alb"
        assert a[ALB + "inbound-cidrs"] == ADMIN
        assert a[ALB + "healthcheck-path"] == health
        assert a[ALB + "ssl-redirect"] == "443"
    for public in ("trip-service-ingress", "cloudmart-ingress"):
        notes = ingresses[public]["metadata"]["annotations"]
        assert notes[ALB + "group.name"] == "trip-service-alb" and ALB + "inbound-cidrs" not in notes
    cert = _one(run, "aws:acm/certificate:Certificate", "tls-cert")
    assert {cert.inputs["domainName"], *cert.inputs["subjectAlternativeNames"]} == {
        "2025teamproject.store", "grafana.2025teamproject.store", "jaeger.2025teamproject.store"
    }


def test_both_albs_drop_invalid_headers_log_to_the_access_log_bucket_and_are_deletion_protected():
    run = _with_config(adminCidrs=ADMIN)
    bucket = _one(run, "aws:s3/bucket:Bucket", "alb-logs")
    name = bucket.inputs["bucket"]
    assert name == f"trip-service-cluster-alb-logs-{MOCK_ACCOUNT}-ap-northeast-2"
    for ingress in run.of_type("kubernetes:networking.k8s.io/v1:Ingress"):
        attributes = dict(kv.split("=", 1) for kv in ingress.inputs["metadata"]["annotations"][ALB + "load-balancer-attributes"].split(","))
        assert attributes == {
            "routing.http.drop_invalid_header_fields.enabled": "true",
            "access_logs.s3.enabled": "true",
            "access_logs.s3.bucket": name,
            "access_logs.s3.prefix": "alb",
            "deletion_protection.enabled": "true",
        }, ingress.name
    # The bucket policy exists before the controller, which every Ingress waits for.
    policy = _one(run, "aws:s3/bucketPolicy:BucketPolicy", "alb-logs-policy")
    assert policy.urn in _one(run, "kubernetes:helm.sh/v4:Chart", CONTROLLER).dependencies


def test_the_access_log_bucket_is_sse_s3_private_expiring_and_writable_by_the_regions_elb_account():
    run = _up()
    (encryption,) = run.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    # SSE-S3: the only server-side encryption ELB access-log delivery supports (not SSE-KMS).
    assert encryption.inputs["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    (block,) = run.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block.inputs[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    (lifecycle,) = run.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled" and rule["expiration"] == {"days": 90}
    policy = json.loads(_one(run, "aws:s3/bucketPolicy:BucketPolicy", "alb-logs-policy").inputs["policy"])
    (write,) = [st for st in policy["Statement"] if st["Effect"] == "Allow"]
    # ap-northeast-2's Elastic Load Balancing account (a Region available before August 2022).
    assert write["Principal"] == {"AWS": "arn:aws:iam::600734575887:root"} and write["Action"] == "s3:PutObject"
    assert write["Resource"].endswith(f"/alb/AWSLogs/{MOCK_ACCOUNT}/*")


def test_no_service_on_eks_opens_node_ports():
    services = _objects("Service")
    assert not [s for s in services if s["spec"].get("type") == "NodePort"]
    assert not [p for s in services for p in s["spec"]["ports"] if "nodePort" in p]
    (lb,) = [s for s in services if s["spec"].get("type") == "LoadBalancer"]
    assert lb["spec"]["allocateLoadBalancerNodePorts"] is False
    releases = {r["chart"]: r["values"] for r in rendered(STACK).releases}
    assert releases["kube-prometheus-stack"]["grafana"]["service"]["type"] == "ClusterIP"


def test_frontend_gets_seed_004s_nlb():
    (lb,) = [s for s in _objects("Service") if s["spec"].get("type") == "LoadBalancer"]
    assert lb["metadata"]["namespace"] == "trip-service-prod"
    assert lb["spec"]["selector"]["app.kubernetes.io/name"] == "service-frontend"
    cert = f"arn:aws:acm:mock-region:{MOCK_ACCOUNT}:certificate/mock-tls-cert"
    assert lb["metadata"]["annotations"] == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
        "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": cert,
        "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "443",
        "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    }
    # TLS on 443 only: no plain-HTTP listener, the NLB forwards to the frontend's HTTP port.
    assert lb["spec"]["ports"] == [{"name": "public", "port": 443, "targetPort": "http", "protocol": "TCP"}]


def test_ingresses_and_load_balancers_wait_for_the_controller_which_waits_for_the_nodes():
    run = _up()
    controller = _one(run, "kubernetes:helm.sh/v4:Chart", CONTROLLER)
    # Depending on the cluster component means depending on everything in it: the node
    # groups the controller's pods need.
    for group in run.of_type("eks:index:ManagedNodeGroup"):
        assert group.urn in controller.dependencies
    fronted = run.of_type("kubernetes:networking.k8s.io/v1:Ingress") + [
        r for r in run.of_type("kubernetes:core/v1:Service") if r.inputs["spec"].get("type") == "LoadBalancer"
    ]
    assert len(fronted) == 3  # Trip's and CloudMart's Ingresses and the NLB Service (no admin ALB here)
    for reg in fronted:
        # Created after the controller, so deleted before it: no ALB or NLB is orphaned.
        assert controller.urn in reg.dependencies, reg.name


def test_controller_chart_pin_and_values():
    releases = {r["chart"]: r for r in rendered(STACK).releases}
    alb = releases[CONTROLLER]
    assert (alb["version"], alb["repository"], alb["namespace"]) == ("3.5.0", "https://aws.github.io/eks-charts", "kube-system")
    assert alb["values"]["clusterName"] == "trip-service-cluster"
    assert alb["values"]["region"] == "ap-northeast-2"
    assert alb["values"]["vpcId"] == "network-vpc-id"
    # No cluster-wide Service webhook that could block ClusterIP Services while it starts.
    assert alb["values"]["enableServiceMutatorWebhook"] is False
    ca = releases["cluster-autoscaler"]
    assert ca["version"].startswith("9.59.") and ca["repository"] == "https://kubernetes.github.io/autoscaler"


def test_observability_on_eks_scrapes_no_control_plane_and_verifies_kubelet_tls():
    releases = {r["chart"]: r["values"] for r in rendered(STACK).releases}
    kps = releases["kube-prometheus-stack"]
    for component in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert kps[component]["enabled"] is False, component
    assert "--kubelet-insecure-tls" not in releases["metrics-server"].get("args", [])


def test_trip_config_says_where_it_runs():
    (config,) = [o for o in _objects("ConfigMap") if o["metadata"]["name"] == "trip-service-config"]
    assert config["data"]["CLOUD_PROVIDER"] == "aws"
    assert config["data"]["REGION"] == "ap-northeast-2"


def test_kubeconfig_is_a_secret_output_and_feeds_the_kubernetes_provider():
    run = _up()
    assert "kubeconfig" in run.secret_outputs
    (provider,) = run.of_type("pulumi:providers:kubernetes")
    assert "/kubeconfig" in provider.secret_paths
    assert json.loads(provider.inputs["kubeconfig"])["kind"] == "Config"


def test_every_aws_resource_goes_through_the_configured_regions_provider():
    run = _up()
    (provider,) = run.of_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "ap-northeast-2"
    aws_resources = [r for r in run.registrations if r.type.startswith("aws:")]
    assert aws_resources and all(r.provider.rsplit("::", 1)[0] == provider.urn for r in aws_resources)


def test_urls_name_the_https_hosts_and_cloudmarts_paths_without_node_ports():
    urls = _up().outputs["urls"]
    assert "grafana" not in urls and "jaeger" not in urls  # no admin ALB: port-forward only
    admin = _with_config(adminCidrs=ADMIN).outputs["urls"]
    assert admin["grafana"] == "https://grafana.2025teamproject.store"
    assert admin["jaeger"] == "https://jaeger.2025teamproject.store"
    assert urls["trip"] == "https://2025teamproject.store"
    assert urls["user-service-ingress"] == "https://2025teamproject.store/cloudmart/user"
    assert not [u for u in urls.values() if "localhost" in u]


def test_vpc_flow_logs_go_to_a_kms_encrypted_log_group_with_a_retention():
    run = _up()
    (vpc,) = run.of_type("aws:ec2/vpc:Vpc")
    (flow,) = run.of_type("aws:ec2/flowLog:FlowLog")
    group = _one(run, "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert flow.inputs["vpcId"] == f"{vpc.name}-id"
    assert flow.inputs["trafficType"] == "ALL" and flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow.inputs["logDestination"] == f"arn:aws:mock:::loggroup/{group.name}"
    assert group.inputs["retentionInDays"] == 90
    assert group.inputs["kmsKeyId"] == "arn:aws:mock:::key/logs-key"
    role = _one(run, "aws:iam/role:Role", "network-flow-logs-role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert flow.inputs["iamRoleArn"] == f"arn:aws:mock:::role/{role.name}"


def test_the_vpcs_default_security_group_keeps_no_rules():
    (sg,) = _up().of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.inputs["vpcId"] == "network-vpc-id"
    assert sg.inputs["ingress"] == [] and sg.inputs["egress"] == []


def test_the_logs_key_lets_cloudwatch_logs_use_it_for_this_accounts_log_groups_only():
    policy = json.loads(_one(_up(), "aws:kms/key:Key", "logs-key").inputs["policy"])
    admin, logs = policy["Statement"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{MOCK_ACCOUNT}:root"}
    assert logs["Principal"] == {"Service": "logs.ap-northeast-2.amazonaws.com"}
    assert logs["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:ap-northeast-2:{MOCK_ACCOUNT}:*"}}


def _policy(run, namespace, name):
    (found,) = [
        r.inputs for r in run.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if r.inputs["metadata"]["namespace"] == namespace and r.inputs["metadata"]["name"] == name
    ]
    return found


def test_the_admin_uis_admit_the_admin_albs_subnets_only_when_it_exists():
    from components.aws.specs import subnet_plan

    public = {p.cidr for p in subnet_plan("10.0.0.0/16", 3) if p.public}

    def sources(run, namespace, name, port):
        rules = _policy(run, namespace, name)["spec"]["ingress"]
        return {peer["ipBlock"]["cidr"] for r in rules if {"protocol": "TCP", "port": port} in r["ports"] for peer in r["from"] if "ipBlock" in peer}

    admin = _with_config(adminCidrs=ADMIN)
    assert sources(admin, "monitoring", "grafana-ingress", 3000) == public
    assert sources(admin, "tracing", "jaeger-ingress", 16686) == public
    closed = _up()
    assert sources(closed, "monitoring", "grafana-ingress", 3000) == set()
    assert sources(closed, "tracing", "jaeger-ingress", 16686) == set()
