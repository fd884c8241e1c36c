"""Register a plain manifest dict (from a pure ``*_manifest`` builder) as its Pulumi resource.

One mapping from kind to resource class, so components do not repeat
``k8s.core.v1.X(name, metadata=m["metadata"], spec=m["spec"], opts=...)`` for every kind.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

_CLASSES = {
    "Namespace": k8s.core.v1.Namespace,
    "ServiceAccount": k8s.core.v1.ServiceAccount,
    "ResourceQuota": k8s.core.v1.ResourceQuota,
    "LimitRange": k8s.core.v1.LimitRange,
    "NetworkPolicy": k8s.networking.v1.NetworkPolicy,
    "Ingress": k8s.networking.v1.Ingress,
}


def declare(name: str, manifest: dict, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """``manifest`` minus apiVersion/kind becomes the resource's arguments."""
    args = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    if "automountServiceAccountToken" in args:
        args["automount_service_account_token"] = args.pop("automountServiceAccountToken")
    return _CLASSES[manifest["kind"]](name, **args, opts=opts)
