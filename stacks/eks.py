"""The eks target: the AWS infrastructure of seeds 002 and 004, then the same application
components as on kind, fed EKS platform data.

Order of the build: KMS keys, VPC, ECR, ACM, the cluster (``EksCluster``), IRSA roles, the
EBS CSI add-on and the ``gp3-encrypted`` default StorageClass, the AWS Load Balancer Controller
and the Cluster Autoscaler, then the apps. Every Ingress and load-balancer Service depends on
the controller's release: created after it, deleted before it.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import cloudmart
from components.aws import iam
from components.aws.certificate import Certificate, CertificateArgs
from components.aws.cluster import EksCluster, EksClusterArgs
from components.aws.irsa import IrsaRole, IrsaRoleArgs
from components.aws.network import Network, NetworkArgs
from components.aws.registry import Registry, RegistryArgs
from components.aws.routes import Route, route_ingress
from components.aws.specs import (
    ALB_LOG_EXPIRY_DAYS,
    ALB_LOG_PREFIX,
    ALB_WEBHOOK_SERVICE,
    BASE_POOL,
    ELB_LOG_ACCOUNTS,
    NLB_TLS_PORT,
    POOL_LABEL,
    SPOT_POOL,
    SPOT_TAINT,
    STORAGE_CLASS,
    WebhookTlsValues,
    admin_alb_annotations,
    alb_annotations,
    alb_logs_bucket_name,
    alb_controller_values,
    autoscaler_values,
    ecr_registry,
    external_dns_values,
    nlb_annotations,
    storage_class_spec,
    subnet_plan,
)
from components.charts import AWS_LOAD_BALANCER_CONTROLLER, CLOUDWATCH_EXPORTER, CLUSTER_AUTOSCALER, EXTERNAL_DNS, helm_release
from components.cost.instances import INSTANCE_TYPES
from components.declare import declare
from components.cost.prices import REGIONS, spot_price as discounted
from components.manifests import owner_labels
from components.observability import addons, cloudwatch
from components.observability.prometheus import GRAFANA_SERVICE
from components.observability import ownership as obs_ownership
from components.observability.stack import MONITORING, TRACING
from components.placement import Placement
from components.platform import Platform, Tls
from components.specs import Ownership
from components.trip_currency.catalog import built_images
from components.webhook_tls import WebhookTls, WebhookTlsArgs
from stacks.apps import Apps, app_outputs, cloudmart_scrape, deploy_apps
from stacks.eks_config import EksSettings
from stacks.settings import Settings

# Cluster add-ons managed by EKS, each pinned to the version get_addon_version resolves for
# the cluster's minor (the default version, not "most recent": it changes only when AWS
# changes the default). Ref: https://docs.aws.amazon.com/eks/latest/userguide/eks-add-ons.html
CLUSTER_ADDONS = ("vpc-cni", "coredns", "kube-proxy")
EBS_ADDON = "aws-ebs-csi-driver"
KMS_DELETION_WINDOW_DAYS = 30
KUBE_SYSTEM = "kube-system"
# The cluster's own add-ons belong to the platform team, like ingress-nginx on kind.
ADDON_LABELS = owner_labels(Ownership(team="platform", cost_center="CC-2000"), "cluster-addons")


# The node groups' pools (components/aws/specs.py) as the components read them.
EKS_PLACEMENT = Placement(pool_label=POOL_LABEL, base_pool=BASE_POOL, spot_pool=SPOT_POOL, spot_taint=SPOT_TAINT)


def hosts(domain: str, admin: bool) -> dict[str, str]:
    """The names the ALBs serve: Trip Currency (and CloudMart under ``/cloudmart/``, its own
    Ingress) on the domain itself (seed 004); with an admin ALB (``admin``), Grafana and the
    Jaeger UI on subdomains. The certificate covers exactly these names."""
    names = {"trip": domain}
    if admin:
        names.update({"grafana": f"grafana.{domain}", "jaeger": f"jaeger.{domain}"})
    return names


def eks_platform(eks: EksSettings, account: str, certificate_arn: pulumi.Input[str], logs_bucket: str) -> Platform:
    """EKS platform data: ALB ingress with the ACM certificate (its access logs to
    ``logs_bucket``), ClusterIP Services (no NodePorts), the gp3-encrypted class, ECR, an NLB
    for the frontend serving TLS on 443 only, no control-plane scrapers (the control plane is
    managed), verified kubelet TLS, the base/Spot node pools and a hard zone spread (every EKS
    node carries ``topology.kubernetes.io/zone``).

    No in-cluster ingress controller proxies the traffic: the ALB and the NLB target pod IPs
    from their interfaces in the public subnets, so those subnets are the external sources
    NetworkPolicies admit on the public ports."""
    public = tuple(s.cidr for s in subnet_plan(eks.vpc_cidr, eks.az_count) if s.public)
    return Platform(
        name="eks",
        exposure="ClusterIP",
        ingress_class="alb",
        ingress_annotations=tuple(alb_annotations(certificate_arn, logs_bucket).items()),
        ingress_host=eks.domain,
        tls=Tls(hosts=(eks.domain,)),
        storage_class=STORAGE_CLASS,
        registry=ecr_registry(account, eks.region),
        load_balancer_annotations=tuple(nlb_annotations(certificate_arn).items()),
        load_balancer_port=NLB_TLS_PORT,
        cluster_scrapers=False,
        kubelet_insecure_tls=False,
        cloud_provider="aws",
        region=eks.region,
        ingress_namespace=None,
        external_sources=public,
        node_network=(eks.vpc_cidr,),
        api_server_ports=(443,),
        placement=EKS_PLACEMENT,
        zone_spread="DoNotSchedule",
        sli_source="alb",
        cloud_prices=True,
        spot_price=spot_price(eks),
        addons=("aws-load-balancer-controller", "cluster-autoscaler", "cloudwatch-exporter"),
    )


# What Prometheus scrapes on eks beyond the apps (its egress policy admits these): the CloudWatch
# exporter in monitoring, and the Load Balancer Controller (8080) and Cluster Autoscaler (8085)
# through their prometheus.io pod annotations in kube-system.
EKS_SCRAPE_TARGETS = ((MONITORING, (cloudwatch.PORT,)), (KUBE_SYSTEM, (8080, 8085)))


def spot_price(eks: EksSettings) -> tuple[float, int, float] | None:
    """OpenCost's Spot fallback: the hourly price, vCPUs and GiB of the Spot group's dearest
    type, priced as ``tools cost`` prices it (the stated discount below on-demand, from the
    region's price table); ``None`` without a Spot group or when the table lacks a type."""
    prices = REGIONS.get(eks.region)
    for group in eks.node_groups:
        if group.capacity_type != "SPOT" or prices is None:
            continue
        known = [(prices.on_demand[t], t) for t in group.instance_types if t in prices.on_demand and t in INSTANCE_TYPES]
        if len(known) != len(group.instance_types):
            return None
        on_demand, dearest = max(known, key=lambda pair: pair[0].usd)
        return (discounted(on_demand, eks.cost.spot_discount_percent).usd, *INSTANCE_TYPES[dearest].size)
    return None


def kms_key(role: str, description: str, opts: pulumi.ResourceOptions, policy: dict | None = None) -> aws.kms.Key:
    """A customer-managed key: protected (``pulumi destroy`` refuses it), rotated yearly, and
    a deletion window before AWS deletes it for good. ``policy`` replaces the default key
    policy (the account administers the key) where a service must use it."""
    key = aws.kms.Key(
        f"{role}-key",
        description=description,
        deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
        enable_key_rotation=True,
        policy=None if policy is None else json.dumps(policy),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True)),
    )
    aws.kms.Alias(f"{role}-key-alias", name=f"alias/cloud-platform-{role}", target_key_id=key.key_id, opts=opts)
    return key


def addon_version(name: str, eks: EksSettings, provider: aws.Provider) -> pulumi.Output[str]:
    return aws.eks.get_addon_version_output(
        addon_name=name,
        kubernetes_version=eks.kubernetes_version,
        most_recent=False,
        opts=pulumi.InvokeOutputOptions(provider=provider),
    ).version


def build_cluster(settings: Settings, eks: EksSettings, account: str, provider: aws.Provider, tags: dict[str, str]):
    """KMS keys, network and the cluster; returns (cluster, network, data key)."""
    on_aws = pulumi.ResourceOptions(provider=provider)
    secrets_key = kms_key("eks-secrets", "Envelope encryption of the EKS cluster's Kubernetes Secrets", on_aws)
    data_key = kms_key("data", "EBS volumes and ECR images of the platform", on_aws)
    logs_key = kms_key(
        "logs", "CloudWatch log groups of the platform (control plane, VPC flow logs)", on_aws, iam.logs_key_policy(account, eks.region)
    )
    zones = aws.get_availability_zones(state="available", opts=pulumi.InvokeOptions(provider=provider)).names
    network = Network(
        "network",
        NetworkArgs(settings.cluster_name, eks.vpc_cidr, tuple(zones[: eks.az_count]), eks.nat_per_az, tags, logs_key.arn),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    cluster = EksCluster(
        "cluster",
        EksClusterArgs(
            name=settings.cluster_name,
            version=eks.kubernetes_version,
            vpc_id=network.vpc_id,
            public_subnet_ids=network.public_subnet_ids,
            private_subnet_ids=network.private_subnet_ids,
            secrets_key_arn=secrets_key.arn,
            logs_key_arn=logs_key.arn,
            node_groups=eks.node_groups,
            addon_versions={a: addon_version(a, eks, provider) for a in CLUSTER_ADDONS},
            admin_principals=eks.admin_principals,
            viewer_principals=eks.viewer_principals,
            api_public_cidrs=eks.api_public_cidrs,
            tags=tags,
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    return cluster, network, data_key


def irsa(name: str, account: iam.ServiceAccountRole, cluster: EksCluster, provider, policy=None, tags=None) -> IrsaRole:
    return IrsaRole(
        name,
        IrsaRoleArgs(account, cluster.oidc_provider_arn, cluster.oidc_issuer, policy, tags or {}),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )


def storage(settings: Settings, eks: EksSettings, cluster: EksCluster, data_key, provider, k8s_provider, tags):
    """The EBS CSI add-on with its IRSA role (KMS grants on the data key) and the default
    ``gp3-encrypted`` StorageClass."""
    role = irsa("ebs-csi", iam.EBS_CSI, cluster, provider, data_key.arn.apply(iam.ebs_kms_policy), tags)
    addon = aws.eks.Addon(
        "ebs-csi-addon",
        cluster_name=settings.cluster_name,
        addon_name=EBS_ADDON,
        addon_version=addon_version(EBS_ADDON, eks, provider),
        service_account_role_arn=role.arn,
        resolve_conflicts_on_update="OVERWRITE",
        tags=tags,
        opts=pulumi.ResourceOptions(provider=provider, depends_on=[cluster]),
    )
    spec = storage_class_spec(data_key.arn, ADDON_LABELS)
    return k8s.storage.v1.StorageClass(
        "gp3-encrypted",
        metadata=spec["metadata"],
        provisioner=spec["provisioner"],
        parameters=spec["parameters"],
        reclaim_policy=spec["reclaimPolicy"],
        volume_binding_mode=spec["volumeBindingMode"],
        allow_volume_expansion=spec["allowVolumeExpansion"],
        opts=pulumi.ResourceOptions(provider=k8s_provider, depends_on=[addon]),
    )


def controllers(settings: Settings, eks: EksSettings, cluster: EksCluster, network: Network, provider, k8s_provider, tags, logs_policy=None):
    """The AWS Load Balancer Controller and the Cluster Autoscaler, each with its IRSA role.
    The controller waits for the access-log bucket's policy (``logs_policy``): every ALB
    writes its logs from creation, and every Ingress waits for the controller."""
    alb_role = irsa("alb-controller", iam.ALB_CONTROLLER, cluster, provider, iam.alb_controller_policy(), tags)
    after_nodes = pulumi.ResourceOptions(provider=k8s_provider, depends_on=[cluster, *([logs_policy] if logs_policy else [])])
    # The release name is the chart's fullname, which its certificate names.
    webhook = WebhookTls(
        "aws-load-balancer-controller-webhook",
        WebhookTlsArgs(AWS_LOAD_BALANCER_CONTROLLER.chart, ALB_WEBHOOK_SERVICE, KUBE_SYSTEM),
    )
    alb = helm_release(
        "aws-load-balancer-controller",
        AWS_LOAD_BALANCER_CONTROLLER,
        KUBE_SYSTEM,
        alb_controller_values(
            settings.cluster_name, eks.region, network.vpc_id, alb_role.arn, iam.ALB_CONTROLLER.service_account,
            WebhookTlsValues(webhook.ca_cert, webhook.cert, webhook.key),
        ),
        after_nodes,
        labels=ADDON_LABELS,
        placement=EKS_PLACEMENT,
    )
    ca_role = irsa("cluster-autoscaler", iam.AUTOSCALER, cluster, provider, iam.autoscaler_policy(settings.cluster_name), tags)
    helm_release(
        "cluster-autoscaler",
        CLUSTER_AUTOSCALER,
        KUBE_SYSTEM,
        autoscaler_values(settings.cluster_name, eks.region, ca_role.arn, iam.AUTOSCALER.service_account),
        after_nodes,
        labels=ADDON_LABELS,
        placement=EKS_PLACEMENT,
    )
    return alb


def public_dns(settings: Settings, eks: EksSettings, cluster: EksCluster, provider, k8s_provider, tags):
    """external-dns, when the stack has a hosted zone: every Ingress host under ``domain`` gets
    its alias record in that zone, and keeps it when the ALB is re-created. Its IRSA role may
    change only that zone's records under ``domain``. With ``certificateArn`` and no zone the
    program cannot reach DNS; the README lists the records to create."""
    if not eks.hosted_zone_id:
        return None
    role = irsa("external-dns", iam.EXTERNAL_DNS, cluster, provider, iam.external_dns_policy(eks.hosted_zone_id, eks.domain), tags)
    return helm_release(
        "external-dns",
        EXTERNAL_DNS,
        KUBE_SYSTEM,
        external_dns_values(
            settings.cluster_name, eks.region, eks.hosted_zone_id, eks.domain, role.arn, iam.EXTERNAL_DNS.service_account
        ),
        pulumi.ResourceOptions(provider=k8s_provider, depends_on=[cluster]),
        labels=ADDON_LABELS,
        placement=EKS_PLACEMENT,
    )


def cloudwatch_exporter(settings: Settings, eks: EksSettings, cluster: EksCluster, apps: Apps, provider, k8s_provider, tags):
    """The ALB's CloudWatch metrics into Prometheus (the SLIs on eks): YACE in ``monitoring``
    with an IRSA role that may only discover tagged resources and read CloudWatch metrics, on the
    on-demand base pool like the other controllers. After the observability stack, whose
    namespace and ServiceMonitor CRD it needs."""
    account = iam.CLOUDWATCH_EXPORTER
    role = irsa("cloudwatch-exporter", account, cluster, provider, iam.cloudwatch_exporter_policy(), tags)
    values = cloudwatch.exporter_values(
        eks.region, settings.cluster_name, role.arn, settings.profile.observability.cloudwatch_exporter.to_k8s(), account.service_account
    )
    (flow, *_) = cloudwatch.aws_egress(eks.region, account.namespace, None)
    for policy in cloudwatch.network_policies(account.namespace, flow):
        declare(f"cloudwatch-exporter-{policy['metadata']['name']}", policy, pulumi.ResourceOptions(provider=k8s_provider, depends_on=[apps.obs]))
    return helm_release(
        "cloudwatch-exporter", CLOUDWATCH_EXPORTER, account.namespace, values,
        pulumi.ResourceOptions(provider=k8s_provider, depends_on=[apps.obs]),
        release=cloudwatch.RELEASE, labels=obs_ownership.LABELS, placement=EKS_PLACEMENT,
    )


def alb_logs_bucket(name: str, region: str, account: str, provider, tags) -> aws.s3.BucketPolicy:
    """The ALBs' access-log bucket: SSE-S3 (the only encryption ELB log delivery supports),
    no public access, objects expire after ``ALB_LOG_EXPIRY_DAYS``, and the policy that lets
    the Region's Elastic Load Balancing account write under ``<prefix>/AWSLogs/<account>/``.
    Ref: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html"""
    on_aws = pulumi.ResourceOptions(provider=provider)
    bucket = aws.s3.Bucket("alb-logs", bucket=name, force_destroy=False, tags=tags, opts=on_aws)
    aws.s3.BucketServerSideEncryptionConfiguration(
        "alb-logs-encryption",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                )
            )
        ],
        opts=on_aws,
    )
    aws.s3.BucketPublicAccessBlock(
        "alb-logs-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=on_aws,
    )
    aws.s3.BucketLifecycleConfiguration(
        "alb-logs-expiry",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-access-logs",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=f"{ALB_LOG_PREFIX}/"),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=ALB_LOG_EXPIRY_DAYS),
            )
        ],
        opts=on_aws,
    )
    return aws.s3.BucketPolicy(
        "alb-logs-policy",
        bucket=bucket.id,
        policy=json.dumps(iam.alb_logs_bucket_policy(name, ALB_LOG_PREFIX, account, ELB_LOG_ACCOUNTS[region])),
        opts=on_aws,
    )


def public_routes(names: dict[str, str], platform: Platform, eks: EksSettings, apps: Apps, alb, k8s_provider) -> None:
    """Grafana and the Jaeger UI: never on the public ALB. With ``adminCidrs`` they get their
    own ALB group (``admin_alb_annotations``) admitting only those ranges; without, no Ingress
    at all, and ``kubectl port-forward`` reaches them (the README says how)."""
    if not eks.admin_cidrs:
        return
    admin = replace(platform, ingress_annotations=tuple(admin_alb_annotations(dict(platform.ingress_annotations), eks.admin_cidrs).items()))
    owner, part_of = obs_ownership.OWNER, obs_ownership.PART_OF
    routes = (
        Route("grafana", MONITORING, names["grafana"], (("/", GRAFANA_SERVICE, 80),), "/api/health", owner, part_of),
        Route("jaeger-ui", TRACING, names["jaeger"], (("/", "jaeger-ui", addons.JAEGER_UI_PORT),), "/", owner, part_of),
    )
    for route in routes:
        spec = route_ingress(route, admin)
        k8s.networking.v1.Ingress(
            f"{route.name}-ingress",
            metadata=spec["metadata"],
            spec=spec["spec"],
            opts=pulumi.ResourceOptions(provider=k8s_provider, depends_on=[alb, apps.obs]),
        )


def build(settings: Settings) -> dict[str, object]:
    """Declare the eks stack; return its outputs."""
    eks = settings.eks
    assert eks is not None, "the settings loader builds eks settings for target eks"
    tags = {"project": "cloud-platform", "cluster": settings.cluster_name, "managed-by": "pulumi"}
    provider = aws.Provider("aws", region=eks.region, default_tags=aws.ProviderDefaultTagsArgs(tags=tags))
    account = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider)).account_id
    cluster, network, data_key = build_cluster(settings, eks, account, provider, tags)
    registry = Registry(
        "ecr",
        RegistryArgs(built_images(), data_key.arn, eks.ecr_keep_images, tags),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    names = hosts(eks.domain, bool(eks.admin_cidrs))
    cert = Certificate(
        "tls",
        CertificateArgs(tuple(names.values()), eks.hosted_zone_id, eks.certificate_arn, tags),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    k8s_provider = k8s.Provider("eks-provider", kubeconfig=cluster.kubeconfig, opts=pulumi.ResourceOptions(depends_on=[cluster]))
    storage_class = storage(settings, eks, cluster, data_key, provider, k8s_provider, tags)
    logs_bucket = alb_logs_bucket_name(settings.cluster_name, account, eks.region)
    logs_policy = alb_logs_bucket(logs_bucket, eks.region, account, provider, tags)
    alb = controllers(settings, eks, cluster, network, provider, k8s_provider, tags, logs_policy)
    platform = eks_platform(eks, account, cert.arn, logs_bucket)
    on_cluster = pulumi.ResourceOptions(provider=k8s_provider, depends_on=[storage_class])
    apps = deploy_apps(
        settings, platform, (cloudmart_scrape(),), on_cluster, controller=(alb,), ui_published=bool(eks.admin_cidrs),
        extra_scrape_targets=EKS_SCRAPE_TARGETS,
    )
    public_routes(names, platform, eks, apps, alb, k8s_provider)
    cloudwatch_exporter(settings, eks, cluster, apps, provider, k8s_provider, tags)
    public_dns(settings, eks, cluster, provider, k8s_provider, tags)
    urls = {**cloudmart.urls(platform), **{key: f"https://{host}" for key, host in names.items()}}
    return {
        "clusterName": settings.cluster_name,
        **app_outputs(settings, apps, urls),
        "kubeconfig": cluster.kubeconfig,
        "region": eks.region,
        "vpcId": network.vpc_id,
        "ecrRepositories": registry.urls,
        "certificateArn": cert.arn,
        "albControllerRelease": alb.urn,
    }
