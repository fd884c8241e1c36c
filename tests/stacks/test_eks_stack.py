"""The eks stack under mocks (issue 10): what the AWS side declares and how the platform's
components are fed EKS platform data."""

from __future__ import annotations

import ipaddress
import json

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
    (logs,) = run.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert logs.inputs["name"] == "/aws/eks/trip-service-cluster/cluster" and logs.inputs["retentionInDays"] == 30
    assert logs.urn in cluster.dependencies  # exists before EKS would create it without expiry
    secrets_key = _one(run, "aws:kms/key:Key", "eks-secrets-key")
    assert i["encryptionConfigKeyArn"] == f"arn:aws:mock:::key/{secrets_key.name}"


def test_managed_addons_are_pinned_to_the_versions_get_addon_version_resolves():
    run = _up()
    (cluster,) = run.of_type("eks:index:Cluster")
    assert cluster.inputs["vpcCniOptions"]["addonVersion"] == "v0.0.0-mock-vpc-cni-1.35"
    assert cluster.inputs["corednsAddonOptions"]["version"] == "v0.0.0-mock-coredns-1.35"
    assert cluster.inputs["kubeProxyAddonOptions"]["version"] == "v0.0.0-mock-kube-proxy-1.35"
    (ebs,) = run.of_type("aws:eks/addon:Addon")
    assert ebs.inputs["addonName"] == "aws-ebs-csi-driver"
    assert ebs.inputs["addonVersion"] == "v0.0.0-mock-aws-ebs-csi-driver-1.35"


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
    assert {r.inputs["policyArn"].rsplit("/", 1)[-1] for r in node_attachments} == {
        "AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonEKS_CNI_Policy"
    }
    role = _one(run, "aws:iam/role:Role", "cluster-node-role")
    assert not [r for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.inputs["role"] == role.name]


def test_kms_keys_are_protected_rotated_with_a_deletion_window():
    keys = _up().of_type("aws:kms/key:Key")
    assert {k.name for k in keys} == {"eks-secrets-key", "data-key"}
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


def test_grafana_jaeger_and_cloudmart_share_the_alb_group_on_hosts_under_the_domain():
    ingresses = _ingresses()
    expected = {
        "grafana": ("monitoring", "grafana.2025teamproject.store", "/api/health"),
        "jaeger-ui": ("tracing", "jaeger.2025teamproject.store", "/"),
        "cloudmart-ingress": ("cloudmart", "2025teamproject.store", "/health"),
    }
    for name, (namespace, host, health) in expected.items():
        o = ingresses[name]
        assert o["metadata"]["namespace"] == namespace
        assert o["spec"]["ingressClassName"] == "alb"
        assert o["spec"]["rules"][0]["host"] == host
        assert o["metadata"]["annotations"][ALB + "group.name"] == "trip-service-alb"
        assert o["metadata"]["annotations"][ALB + "healthcheck-path"] == health
    backends = {p["path"]: p["backend"]["service"]["name"] for p in ingresses["cloudmart-ingress"]["spec"]["rules"][0]["http"]["paths"]}
    assert backends["/cloudmart/user"] == "user-service"
    assert set(ingresses) == {"trip-service-ingress", "cloudmart-ingress", "grafana", "jaeger-ui"}


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
    assert lb["metadata"]["annotations"] == {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    }


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
    assert len(fronted) == 5  # four Ingresses and the NLB Service
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
    assert urls["grafana"] == "https://grafana.2025teamproject.store"
    assert urls["jaeger"] == "https://jaeger.2025teamproject.store"
    assert urls["trip"] == "https://2025teamproject.store"
    assert urls["user-service-ingress"] == "https://2025teamproject.store/cloudmart/user"
    assert not [u for u in urls.values() if "localhost" in u]
