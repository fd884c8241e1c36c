"""Namespaces the program creates: ownership labels and Pod Security admission, as data.

Every Namespace carries ``team``, ``cost-center`` and ``app.kubernetes.io/part-of`` (the
FinOps dashboard groups cost by them; kube-state-metrics exports them), and the three Pod
Security admission modes at one level, pinned to the platform's Kubernetes minor so a
cluster upgrade never tightens or loosens them silently.
Ref: https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces
"""

from __future__ import annotations

from typing import Literal

from components.manifests import owner_labels
from components.specs import Ownership

PodSecurityLevel = Literal["restricted", "baseline", "privileged"]
PSA_PREFIX = "pod-security.kubernetes.io"
PSA_MODES = ("enforce", "audit", "warn")
# The policy version follows the cluster minor the platform targets (Kubernetes 1.35).
PSA_VERSION = "v1.35"


def pod_security_labels(level: PodSecurityLevel) -> dict[str, str]:
    """enforce, audit and warn at ``level``, each with its version pinned."""
    labels: dict[str, str] = {}
    for mode in PSA_MODES:
        labels[f"{PSA_PREFIX}/{mode}"] = level
        labels[f"{PSA_PREFIX}/{mode}-version"] = PSA_VERSION
    return labels


def namespace_manifest(name: str, owner: Ownership, part_of: str, level: PodSecurityLevel) -> dict:
    """A Namespace with its owner's labels and its Pod Security level."""
    labels = {**owner_labels(owner, part_of), **dict(owner.extra), **pod_security_labels(level)}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
