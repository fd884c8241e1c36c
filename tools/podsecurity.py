"""The Pod Security Standards' ``restricted`` profile (v1.35), as a checker of pod specs.

Every control of the Baseline profile and every one the Restricted profile adds, on the
fields the standard names. A test runs it over every pod template the program declares in
a namespace that enforces ``restricted``, and over the securityContext values sent to
charts whose pods run there.
Ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/ (Baseline, Restricted)
"""

from __future__ import annotations

from collections.abc import Iterator

BASELINE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
RESTRICTED_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)
SECCOMP_ALLOWED = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ALLOWED = frozenset({"RuntimeDefault", "Localhost"})
HANDLER_KEYS = ("livenessProbe", "readinessProbe", "startupProbe")


def _containers(pod: dict) -> Iterator[tuple[str, dict]]:
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for c in pod.get(kind) or []:
            yield f"{kind}/{c.get('name')}", c


def _baseline_pod(pod: dict, annotations: dict) -> list[str]:
    out = []
    ctx = pod.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            out.append(f"host namespaces: {field}")
    if (ctx.get("windowsOptions") or {}).get("hostProcess"):
        out.append("HostProcess: pod")
    for v in pod.get("volumes") or []:
        if "hostPath" in v:
            out.append(f"hostPath volume {v.get('name')}")
    for s in ctx.get("sysctls") or []:
        if s.get("name") not in BASELINE_SYSCTLS:
            out.append(f"sysctl {s.get('name')}")
    out += _selinux("pod", ctx)
    out += _seccomp_not_unconfined("pod", ctx)
    out += _apparmor("pod", ctx)
    for key, value in annotations.items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and not (
            value == "runtime/default" or value.startswith("localhost/")
        ):
            out.append(f"AppArmor annotation {key}={value}")
    return out


def _selinux(where: str, ctx: dict) -> list[str]:
    se = ctx.get("seLinuxOptions") or {}
    out = []
    if se.get("type", "") not in SELINUX_TYPES:
        out.append(f"SELinux type {se.get('type')}: {where}")
    if se.get("user") or se.get("role"):
        out.append(f"SELinux user/role set: {where}")
    return out


def _seccomp_not_unconfined(where: str, ctx: dict) -> list[str]:
    kind = (ctx.get("seccompProfile") or {}).get("type")
    return [f"seccomp Unconfined: {where}"] if kind == "Unconfined" else []


def _apparmor(where: str, ctx: dict) -> list[str]:
    kind = (ctx.get("appArmorProfile") or {}).get("type")
    return [f"AppArmor {kind}: {where}"] if kind is not None and kind not in APPARMOR_ALLOWED else []


def _baseline_container(name: str, c: dict) -> list[str]:
    out = []
    ctx = c.get("securityContext") or {}
    if ctx.get("privileged"):
        out.append(f"privileged: {name}")
    if (ctx.get("windowsOptions") or {}).get("hostProcess"):
        out.append(f"HostProcess: {name}")
    if ctx.get("procMount", "Default") != "Default":
        out.append(f"procMount {ctx['procMount']}: {name}")
    for p in c.get("ports") or []:
        if p.get("hostPort"):
            out.append(f"hostPort {p['hostPort']}: {name}")
    handlers = [c.get(k) or {} for k in HANDLER_KEYS]
    handlers += list((c.get("lifecycle") or {}).values())
    for h in handlers:
        for action in ("httpGet", "tcpSocket"):
            if (h.get(action) or {}).get("host"):
                out.append(f"probe or lifecycle host: {name}")
    out += _selinux(name, ctx) + _seccomp_not_unconfined(name, ctx) + _apparmor(name, ctx)
    return out


def _restricted_container(name: str, c: dict, pod_ctx: dict) -> list[str]:
    out = []
    ctx = c.get("securityContext") or {}
    if ctx.get("allowPrivilegeEscalation") is not False:
        out.append(f"allowPrivilegeEscalation must be false: {name}")
    non_root = ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot"))
    if non_root is not True:
        out.append(f"runAsNonRoot must be true: {name}")
    if ctx.get("runAsUser") == 0:
        out.append(f"runAsUser 0: {name}")
    seccomp = (ctx.get("seccompProfile") or pod_ctx.get("seccompProfile") or {}).get("type")
    if seccomp not in SECCOMP_ALLOWED:
        out.append(f"seccompProfile must be RuntimeDefault or Localhost: {name}")
    caps = ctx.get("capabilities") or {}
    if "ALL" not in (caps.get("drop") or []):
        out.append(f"capabilities must drop ALL: {name}")
    extra = set(caps.get("add") or []) - {"NET_BIND_SERVICE"}
    if extra:
        out.append(f"capabilities added beyond NET_BIND_SERVICE {sorted(extra)}: {name}")
    return out


def restricted_violations(pod: dict, annotations: dict | None = None) -> list[str]:
    """Every way ``pod`` (a PodSpec) breaks the restricted profile; empty when it meets it."""
    ctx = pod.get("securityContext") or {}
    out = _baseline_pod(pod, annotations or {})
    for v in pod.get("volumes") or []:
        kinds = set(v) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            out.append(f"volume type {sorted(kinds)}: {v.get('name')}")
    if ctx.get("runAsUser") == 0:
        out.append("runAsUser 0: pod")
    for name, c in _containers(pod):
        out += _baseline_container(name, c) + _restricted_container(name, c, ctx)
    return out
