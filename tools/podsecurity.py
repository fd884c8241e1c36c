"""The Pod Security Standards (``baseline`` and ``restricted``, as Kubernetes 1.35 enforces them),
as a checker of pod specs.

Each check mirrors one of Pod Security admission's own, ``k8s.io/pod-security-admission/policy``
at tag v0.35.6 (the 1.35 release), at the version 1.35 selects: the fields it reads, the values
it allows, and which restricted checks replace a baseline one (``OverrideCheckIDs``). A test runs
it over every pod template the program declares in a namespace that enforces ``restricted``, and
``tools/chartmodel.py`` over every pod a chart renders, at its namespace's enforce level.
Ref: https://github.com/kubernetes/pod-security-admission/tree/v0.35.6/policy
Ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/
"""

from __future__ import annotations

from collections.abc import Iterator

LEVELS = ("privileged", "baseline", "restricted")

# check_sysctls.go, sysctlsAllowedV1Dot32 (the newest set; 1.35 uses it).
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
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
    }
)
# check_capabilities_baseline.go, capabilities_allowed_1_0.
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
        "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)
# check_seLinuxOptions.go, selinuxAllowedTypes1_31.
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
# check_restrictedVolumes.go: the only volume sources restricted admits.
RESTRICTED_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"}
)
SECCOMP_ALLOWED = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ALLOWED = frozenset({"RuntimeDefault", "Localhost"})
HANDLER_KEYS = ("livenessProbe", "readinessProbe", "startupProbe")


def _containers(pod: dict) -> Iterator[tuple[str, dict]]:
    """Every container, as ``visitContainers`` walks them: init, regular, ephemeral."""
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for c in pod.get(kind) or []:
            yield f"{kind}/{c.get('name')}", c


def _ctx(c: dict) -> dict:
    return c.get("securityContext") or {}


def _user_namespaced(pod: dict) -> bool:
    """helpers.go relaxPolicyForUserNamespacePod: ``hostUsers: false`` relaxes runAsNonRoot,
    runAsUser and (baseline) procMount from 1.35."""
    return pod.get("hostUsers") is False


def _windows(pod: dict) -> bool:
    return (pod.get("os") or {}).get("name") == "windows"


# --- baseline ---------------------------------------------------------------------------------


def _selinux(where: str, ctx: dict) -> list[str]:
    se = ctx.get("seLinuxOptions")
    if se is None:
        return []
    out = []
    if se.get("type", "") not in SELINUX_TYPES:
        out.append(f"SELinux type {se.get('type')}: {where}")
    if se.get("user") or se.get("role"):
        out.append(f"SELinux user/role set: {where}")
    return out


def _seccomp_baseline(where: str, ctx: dict) -> list[str]:
    """check_seccompProfile_baseline.go 1.19: an explicit type other than RuntimeDefault or Localhost."""
    profile = ctx.get("seccompProfile")
    if profile is not None and profile.get("type") not in SECCOMP_ALLOWED:
        return [f"seccomp {profile.get('type')}: {where}"]
    return []


def _apparmor(where: str, ctx: dict) -> list[str]:
    profile = ctx.get("appArmorProfile")
    if profile is not None and profile.get("type") not in APPARMOR_ALLOWED:
        return [f"AppArmor {profile.get('type')}: {where}"]
    return []


def _baseline_pod(pod: dict, annotations: dict, *, restricted: bool) -> list[str]:
    out = []
    ctx = pod.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            out.append(f"host namespaces: {field}")
    if (ctx.get("windowsOptions") or {}).get("hostProcess"):
        out.append("HostProcess: pod")
    if not restricted:  # restrictedVolumes overrides hostPathVolumes
        for v in pod.get("volumes") or []:
            if "hostPath" in v:
                out.append(f"hostPath volume {v.get('name')}")
    for s in ctx.get("sysctls") or []:
        if s.get("name") not in BASELINE_SYSCTLS:
            out.append(f"sysctl {s.get('name')}")
    out += _selinux("pod", ctx)
    if not restricted:  # seccompProfile_restricted overrides the baseline check
        out += _seccomp_baseline("pod", ctx)
    out += _apparmor("pod", ctx)
    for key, value in annotations.items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and not (
            value == "" or value == "runtime/default" or value.startswith("localhost/")
        ):
            out.append(f"AppArmor annotation {key}={value}")
    return out


def _baseline_container(pod: dict, name: str, c: dict, *, restricted: bool) -> list[str]:
    out = []
    ctx = _ctx(c)
    if ctx.get("privileged"):
        out.append(f"privileged: {name}")
    if (ctx.get("windowsOptions") or {}).get("hostProcess"):
        out.append(f"HostProcess: {name}")
    # procMount: baseline relaxes it for user-namespaced pods from 1.35; procMount_restricted does not.
    if ctx.get("procMount", "Default") != "Default" and (restricted or not _user_namespaced(pod)):
        out.append(f"procMount {ctx['procMount']}: {name}")
    for p in c.get("ports") or []:
        if p.get("hostPort"):
            out.append(f"hostPort {p['hostPort']}: {name}")
    if not restricted:  # capabilities_restricted overrides capabilities_baseline
        extra = sorted(set((ctx.get("capabilities") or {}).get("add") or []) - BASELINE_CAPABILITIES)
        if extra:
            out.append(f"capabilities added beyond the baseline set {extra}: {name}")
    handlers = [c.get(k) or {} for k in HANDLER_KEYS]
    handlers += list((c.get("lifecycle") or {}).values())
    for h in handlers:
        for action in ("httpGet", "tcpSocket"):
            if (h.get(action) or {}).get("host"):
                out.append(f"probe or lifecycle host: {name}")
    out += _selinux(name, ctx) + _apparmor(name, ctx)
    if not restricted:
        out += _seccomp_baseline(name, ctx)
    return out


def baseline_violations(pod: dict, annotations: dict | None = None) -> list[str]:
    """Every way ``pod`` (a PodSpec) breaks the baseline profile; empty when it meets it."""
    out = _baseline_pod(pod, annotations or {}, restricted=False)
    for name, c in _containers(pod):
        out += _baseline_container(pod, name, c, restricted=False)
    return out


# --- restricted -------------------------------------------------------------------------------


def _restricted_pod(pod: dict) -> list[str]:
    out = []
    ctx = pod.get("securityContext") or {}
    for v in pod.get("volumes") or []:
        kinds = set(v) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            out.append(f"volume type {sorted(kinds - RESTRICTED_VOLUMES)}: {v.get('name')}")
    relaxed = _user_namespaced(pod)
    if not relaxed and ctx.get("runAsNonRoot") is False:
        out.append("runAsNonRoot false: pod")
    if not relaxed and ctx.get("runAsUser") == 0:
        out.append("runAsUser 0: pod")
    profile = ctx.get("seccompProfile")
    if profile is not None and profile.get("type") not in SECCOMP_ALLOWED:
        out.append(f"seccompProfile {profile.get('type')}: pod")
    return out


def _restricted_container(pod: dict, name: str, c: dict) -> list[str]:
    out = []
    pod_ctx = pod.get("securityContext") or {}
    ctx = _ctx(c)
    windows = _windows(pod)
    if not windows and ctx.get("allowPrivilegeEscalation") is not False:
        out.append(f"allowPrivilegeEscalation must be false: {name}")
    if not _user_namespaced(pod):
        if "runAsNonRoot" in ctx and ctx["runAsNonRoot"] is not None:
            if ctx["runAsNonRoot"] is False:
                out.append(f"runAsNonRoot false: {name}")
        elif pod_ctx.get("runAsNonRoot") is not True:
            out.append(f"runAsNonRoot must be true: {name}")
        if ctx.get("runAsUser") == 0:
            out.append(f"runAsUser 0: {name}")
    profile = ctx.get("seccompProfile")
    if profile is not None:
        if profile.get("type") not in SECCOMP_ALLOWED:
            out.append(f"seccompProfile {profile.get('type')}: {name}")
    elif (pod_ctx.get("seccompProfile") or {}).get("type") not in SECCOMP_ALLOWED:
        out.append(f"seccompProfile must be RuntimeDefault or Localhost: {name}")
    if not windows:
        caps = ctx.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            out.append(f"capabilities must drop ALL: {name}")
        extra = sorted(set(caps.get("add") or []) - {"NET_BIND_SERVICE"})
        if extra:
            out.append(f"capabilities added beyond NET_BIND_SERVICE {extra}: {name}")
    return out


def restricted_violations(pod: dict, annotations: dict | None = None) -> list[str]:
    """Every way ``pod`` (a PodSpec) breaks the restricted profile; empty when it meets it."""
    out = _baseline_pod(pod, annotations or {}, restricted=True) + _restricted_pod(pod)
    for name, c in _containers(pod):
        out += _baseline_container(pod, name, c, restricted=True) + _restricted_container(pod, name, c)
    return out


def violations(level: str, pod: dict, annotations: dict | None = None) -> list[str]:
    """What ``level``'s enforcement would reject in ``pod``; ``privileged`` admits anything."""
    if level == "restricted":
        return restricted_violations(pod, annotations)
    if level == "baseline":
        return baseline_violations(pod, annotations)
    if level == "privileged":
        return []
    raise ValueError(f"unknown Pod Security level {level!r}: expected one of {', '.join(LEVELS)}")


def lowest_level(pod: dict, annotations: dict | None = None) -> str:
    """The most restrictive level that admits ``pod``."""
    if not restricted_violations(pod, annotations):
        return "restricted"
    if not baseline_violations(pod, annotations):
        return "baseline"
    return "privileged"
