"""EC2 instance types the node groups may use: size, architecture and network limits, and what
a node leaves to pods (allocatable). No Pulumi import.

- vCPU, memory and architecture: the EC2 instance type pages (general purpose: t3, t3a, t4g,
  m5, m5a, m6i, m6a, m7i, m6g, m7g; compute: c5, c5a, c6i, c6a, c7i, c6g, c7g; memory: r6g, r7g).
  Ref: https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html
- ENIs and IPv4 addresses per ENI: ``nodeadm/internal/kubelet/instance-info.jsonl`` of
  awslabs/amazon-eks-ami (commit 81fec2e8, 2026-07-23), the table EKS's own node bootstrap reads.
- Max pods: ``ENIs x (IPv4 per ENI - 1) + 2`` (``calculateStandardMaxPods`` in
  ``nodeadm/internal/kubelet/eni_max_pods.go``, same commit).
- Kubelet reservation (``nodeadm/internal/kubelet/config.go``, same commit): memory
  ``11 MiB x maxPods + 255 MiB`` (``getMemoryMebibytesToReserve``); CPU 6 % of the first core,
  1 % of the second, 0.5 % of cores 3-4, 0.25 % above (``getCPUMillicoresToReserve``); and the
  hard eviction threshold ``memory.available: 100Mi`` (``EvictionHard``).
"""

from __future__ import annotations

from dataclasses import dataclass

EVICTION_HARD_MI = 100


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpu: int
    memory_gib: float
    arch: str  # amd64 or arm64
    enis: int
    ipv4_per_eni: int

    @property
    def size(self) -> tuple[int, float]:
        return (self.vcpu, self.memory_gib)

    @property
    def max_pods(self) -> int:
        return self.enis * (self.ipv4_per_eni - 1) + 2

    @property
    def reserved_cpu_m(self) -> int:
        total = self.vcpu * 1000
        out = 0
        for start, end, per_10k in ((0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50), (4000, total, 25)):
            if total > start:
                out += (min(total, end) - start) * per_10k // 10000
        return out

    @property
    def reserved_memory_mi(self) -> int:
        return 11 * self.max_pods + 255

    @property
    def allocatable_cpu_m(self) -> int:
        return self.vcpu * 1000 - self.reserved_cpu_m

    @property
    def allocatable_memory_mi(self) -> float:
        return self.memory_gib * 1024 - self.reserved_memory_mi - EVICTION_HARD_MI


def _t(name: str, vcpu: int, gib: float, arch: str, enis: int, ips: int) -> InstanceType:
    return InstanceType(name, vcpu, gib, arch, enis, ips)


INSTANCE_TYPES: dict[str, InstanceType] = {
    t.name: t
    for t in (
        _t("t3.medium", 2, 4, "amd64", 3, 6),
        _t("t3.large", 2, 8, "amd64", 3, 12),
        _t("t3.xlarge", 4, 16, "amd64", 4, 15),
        _t("t3a.medium", 2, 4, "amd64", 3, 6),
        _t("t3a.large", 2, 8, "amd64", 3, 12),
        _t("t3a.xlarge", 4, 16, "amd64", 4, 15),
        _t("t4g.medium", 2, 4, "arm64", 3, 6),
        _t("t4g.large", 2, 8, "arm64", 3, 12),
        _t("t4g.xlarge", 4, 16, "arm64", 4, 15),
        _t("m5.large", 2, 8, "amd64", 3, 10),
        _t("m5.xlarge", 4, 16, "amd64", 4, 15),
        _t("m5a.large", 2, 8, "amd64", 3, 10),
        _t("m5a.xlarge", 4, 16, "amd64", 4, 15),
        _t("m6i.large", 2, 8, "amd64", 3, 10),
        _t("m6i.xlarge", 4, 16, "amd64", 4, 15),
        _t("m6a.large", 2, 8, "amd64", 3, 10),
        _t("m6a.xlarge", 4, 16, "amd64", 4, 15),
        _t("m7i.large", 2, 8, "amd64", 3, 10),
        _t("m7i.xlarge", 4, 16, "amd64", 4, 15),
        _t("m6g.large", 2, 8, "arm64", 3, 10),
        _t("m6g.xlarge", 4, 16, "arm64", 4, 15),
        _t("m7g.large", 2, 8, "arm64", 3, 10),
        _t("m7g.xlarge", 4, 16, "arm64", 4, 15),
        _t("c5.large", 2, 4, "amd64", 3, 10),
        _t("c5a.large", 2, 4, "amd64", 3, 10),
        _t("c6i.large", 2, 4, "amd64", 3, 10),
        _t("c6a.large", 2, 4, "amd64", 3, 10),
        _t("c7i.large", 2, 4, "amd64", 3, 10),
        _t("c6g.large", 2, 4, "arm64", 3, 10),
        _t("c7g.large", 2, 4, "arm64", 3, 10),
        _t("r6g.large", 2, 16, "arm64", 3, 10),
        _t("r7g.large", 2, 16, "arm64", 3, 10),
    )
}
