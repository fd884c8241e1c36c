"""The policies of the cloud-platform pack, with their enforcement levels.

Importable without starting anything: ``policy/__main__.py`` hands ``POLICIES`` to
``PolicyPack``, and tests (and ``python -m tools policy``) call each policy's ``validate``.

Levels: **mandatory** blocks ``pulumi preview``/``up``; it is for what is unsafe, uncontrolled
in cost, or invalid (missing requests and limits, unlabelled costs, privileged or host-network
pods, bad autoscaling bounds, a namespace without isolation, anything kind-only or unpinned on
eks). **advisory** warns: Deployment probes, because third-party charts (Grafana's sidecars)
ship containers without them, and a missing probe degrades rollouts rather than breaking safety.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from policy import eks, stack, workloads

MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY

TARGET_SCHEMA = PolicyConfigSchema(
    properties={"target": {"type": "string", "enum": ["auto", "eks", "kind"], "default": "auto"}},
)


def _resource(name: str, description: str, validate, level=MANDATORY, schema=None) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=level, config_schema=schema
    )


def _eks(name: str, description: str, validate) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=MANDATORY, config_schema=TARGET_SCHEMA
    )


HOST_NETWORK_SCHEMA = PolicyConfigSchema(
    properties={
        "hostNetworkExempt": {
            "type": "array",
            "items": {"type": "string"},
            "default": list(workloads.DEFAULT_HOST_NETWORK_EXEMPT),
        }
    }
)

POLICIES: tuple = (
    _resource(
        "container-resources",
        "Every container requests and limits CPU and memory; pinned charts set them in their values.",
        workloads.container_resources,
    ),
    _resource(
        "cost-allocation-labels",
        "Namespaces, workloads and their pods carry the team and cost-center labels.",
        workloads.cost_labels,
    ),
    _resource(
        "deployment-probes",
        "Every container of a Deployment has a liveness and a readiness probe.",
        workloads.deployment_probes,
        level=ADVISORY,
    ),
    _resource(
        "hpa-bounds",
        "HPAs have 1 <= minReplicas <= maxReplicas and utilisation targets between 10 and 95 %.",
        workloads.hpa_bounds,
    ),
    _resource(
        "no-privileged-or-host-network",
        "No privileged container and no pod on the host network (node-exporter is exempt).",
        workloads.privileged_or_host_network,
        schema=HOST_NETWORK_SCHEMA,
    ),
    StackValidationPolicy(
        name="namespace-lockdown",
        description=(
            "Namespaces carry a Pod Security enforce label; application namespaces enforce baseline or restricted "
            "and have a ResourceQuota, a LimitRange and a NetworkPolicy selecting each pod."
        ),
        validate=stack.namespace_lockdown,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="default-deny-egress",
        description="Every namespace the program declares denies egress by default; pods reach only what their policies name.",
        validate=stack.default_deny_egress,
        enforcement_level=MANDATORY,
    ),
    _eks(
        "eks-api-endpoint-closed",
        "On eks, the API server's public endpoint is off or open only to listed CIDRs, never 0.0.0.0/0.",
        eks.eks_api_endpoint_closed,
    ),
    _eks(
        "eks-network-policy-enforcement",
        "On eks, the VPC CNI add-on runs its network policy agent (enableNetworkPolicy), so NetworkPolicies hold.",
        eks.eks_network_policy_enforcement,
    ),
    _eks(
        "eks-imdsv2",
        "On eks, node groups use launch templates requiring IMDSv2 with hop limit 1 and an encrypted root volume.",
        eks.eks_imdsv2,
    ),
    _eks("eks-pinned-images", "On eks, no image is tagless or tagged latest.", eks.eks_pinned_images),
    _eks(
        "eks-encrypted-retained-storage",
        "On eks, StorageClasses are encrypted with reclaimPolicy Retain, and claims use them.",
        eks.eks_storage,
    ),
    _eks("eks-ingress-https", "On eks, every Ingress has TLS and redirects HTTP to HTTPS.", eks.eks_ingress_https),
    _eks("eks-no-nodeport-services", "On eks, no Service is of type NodePort.", eks.eks_no_nodeport_services),
    _eks(
        "kind-conveniences-off-eks",
        "On eks, no hostPorts, no NodePorts in chart values, no --kubelet-insecure-tls, no kind cluster.",
        eks.kind_conveniences_off_eks,
    ),
)

BY_NAME = {p.name: p for p in POLICIES}
