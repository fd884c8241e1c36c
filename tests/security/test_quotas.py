"""Issue 9, quotas: every application namespace has a ResourceQuota and a LimitRange, and
its own workloads fit them at their maximum scale. The sum here is independent of
components/quota.py: it reads the rendered objects (HPA maximum plus the Deployment's
``maxSurge``, StatefulSet replicas, one Job per ``Forbid`` CronJob)."""

from __future__ import annotations

from components.specs import parse_cpu_m, parse_memory_mi
from tests.security.helpers import app_namespaces, of_kind

SEED_002_NAMES = {"production": ("production-quota", "production-limits")}


def _pod(spec: dict) -> dict[str, float]:
    """Effective pod requests/limits: app containers summed, or the largest init container."""
    def res(c, section, kind):
        value = c["resources"][section][kind]
        return parse_cpu_m(value) if kind == "cpu" else parse_memory_mi(value)

    out = {}
    for section in ("requests", "limits"):
        for kind in ("cpu", "memory"):
            apps = sum(res(c, section, kind) for c in spec["containers"])
            inits = [res(c, section, kind) for c in spec.get("initContainers") or []]
            out[f"{section}.{kind}"] = max([apps, *inits])
    return out


def _ceiling(stack: str, ns: str) -> tuple[dict[str, float], int, int]:
    hpa_max = {h["spec"]["scaleTargetRef"]["name"]: h["spec"]["maxReplicas"] for h in of_kind(stack, "HorizontalPodAutoscaler", ns)}
    pods: list[tuple[dict, int]] = []
    for d in of_kind(stack, "Deployment", ns):
        surge = d["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        pods.append((d["spec"]["template"]["spec"], hpa_max.get(d["metadata"]["name"], d["spec"]["replicas"]) + surge))
    claims = 0
    for s in of_kind(stack, "StatefulSet", ns):
        pods.append((s["spec"]["template"]["spec"], s["spec"]["replicas"]))
        claims += len(s["spec"].get("volumeClaimTemplates") or []) * s["spec"]["replicas"]
    for c in of_kind(stack, "CronJob", ns):
        assert c["spec"]["concurrencyPolicy"] == "Forbid"
        pods.append((c["spec"]["jobTemplate"]["spec"]["template"]["spec"], 1))
    total = {k: 0.0 for k in ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory")}
    for spec, copies in pods:
        for k, v in _pod(spec).items():
            total[k] += v * copies
    return total, sum(c for _, c in pods), claims


def test_every_application_namespace_has_one_quota_and_one_limit_range(stack):
    for ns in app_namespaces(stack):
        quotas, limits = of_kind(stack, "ResourceQuota", ns), of_kind(stack, "LimitRange", ns)
        assert len(quotas) == 1 and len(limits) == 1, ns
        expected = SEED_002_NAMES.get(ns, (f"{ns}-quota", f"{ns}-limits"))
        assert (quotas[0]["metadata"]["name"], limits[0]["metadata"]["name"]) == expected


def test_workloads_fit_their_quota_at_maximum_replicas(stack):
    for ns in app_namespaces(stack):
        (quota,) = of_kind(stack, "ResourceQuota", ns)
        hard = quota["spec"]["hard"]
        total, pods, claims = _ceiling(stack, ns)
        assert parse_cpu_m(hard["requests.cpu"]) >= total["requests.cpu"], ns
        assert parse_memory_mi(hard["requests.memory"]) >= total["requests.memory"], ns
        assert parse_cpu_m(hard["limits.cpu"]) >= total["limits.cpu"], ns
        assert parse_memory_mi(hard["limits.memory"]) >= total["limits.memory"], ns
        assert int(hard["pods"]) >= pods and int(hard["persistentvolumeclaims"]) >= claims, ns


def test_every_container_fits_its_limit_range(stack):
    for ns in app_namespaces(stack):
        (limit_range,) = of_kind(stack, "LimitRange", ns)
        (bounds,) = limit_range["spec"]["limits"]
        specs = [o["spec"]["template"]["spec"] for kind in ("Deployment", "StatefulSet") for o in of_kind(stack, kind, ns)]
        specs += [c["spec"]["jobTemplate"]["spec"]["template"]["spec"] for c in of_kind(stack, "CronJob", ns)]
        for spec in specs:
            for c in spec["containers"] + (spec.get("initContainers") or []):
                req, lim = c["resources"]["requests"], c["resources"]["limits"]
                assert parse_cpu_m(bounds["min"]["cpu"]) <= parse_cpu_m(req["cpu"]), (ns, c["name"])
                assert parse_memory_mi(bounds["min"]["memory"]) <= parse_memory_mi(req["memory"]), (ns, c["name"])
                assert parse_cpu_m(lim["cpu"]) <= parse_cpu_m(bounds["max"]["cpu"]), (ns, c["name"])
                assert parse_memory_mi(lim["memory"]) <= parse_memory_mi(bounds["max"]["memory"]), (ns, c["name"])
