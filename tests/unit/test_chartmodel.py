"""``tools/chartmodel.py`` and ``tools/chartcache.py`` on objects and charts built here: each
check of what Pulumi's v4 Chart applies rejects what it must and accepts what it may."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
import yaml

from tools import chartcache, chartmodel
from tools.podsecurity import baseline_violations, lowest_level, restricted_violations

SIZED = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}
HOOK = {"helm.sh/hook": "pre-install,pre-upgrade"}


def _deployment(name: str, spec: dict, *, labels: dict | None = None, replicas: int = 1, namespace: str = "monitoring") -> dict:
    labels = labels or {"app.kubernetes.io/name": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": spec}},
    }


def _container(name: str = "app", **extra) -> dict:
    return {"name": name, "image": "x:1", "resources": SIZED, **extra}


def test_hooks_are_dropped_test_hooks_too_and_lists_expanded():
    objects = [
        {"kind": "Job", "metadata": {"name": "create", "annotations": HOOK}},
        {"kind": "Pod", "metadata": {"name": "test", "annotations": {"helm.sh/hook": "test"}}},
        {"apiVersion": "v1", "kind": "List", "items": [{"kind": "IngressClass", "metadata": {"name": "alb"}}]},
        {"kind": "Service", "metadata": {"name": "s"}},
    ]
    applied, dropped = chartmodel.pulumi_applies(objects)
    assert [o["metadata"]["name"] for o in applied] == ["alb", "s"]
    assert [o["metadata"]["name"] for o in dropped] == ["create", "test"]


def test_a_secret_only_a_hook_job_creates_is_a_problem_unless_optional_or_made_by_the_program():
    pod = {"containers": [_container()], "volumes": [{"name": "tls", "secret": {"secretName": "admission"}}]}
    applied = [_deployment("operator", pod)]
    hooks = [{"kind": "Job", "metadata": {"name": "admission-create", "annotations": HOOK}}]
    [problem] = chartmodel.missing_object_problems(applied, hooks, "monitoring", set())
    assert problem.startswith("Deployment monitoring/operator needs Secret monitoring/admission, not optional")
    assert "hook Jobs (admission-create)" in problem
    assert chartmodel.missing_object_problems(applied, hooks, "monitoring", {("Secret", "monitoring", "admission")}) == []
    optional = {"containers": [_container()], "volumes": [{"name": "tls", "secret": {"secretName": "admission", "optional": True}}]}
    assert chartmodel.missing_object_problems([_deployment("operator", optional)], hooks, "monitoring", set()) == []


@pytest.mark.parametrize(
    "container,volume",
    [
        ({"envFrom": [{"configMapRef": {"name": "cfg"}}]}, None),
        ({"env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "pw", "key": "k"}}}]}, None),
        ({}, {"name": "p", "projected": {"sources": [{"configMap": {"name": "cfg"}}]}}),
    ],
)
def test_every_way_a_pod_names_an_object_is_followed(container, volume):
    pod = {"containers": [_container(**container)], "volumes": [volume] if volume else []}
    assert len(chartmodel.missing_object_problems([_deployment("d", pod)], [], "monitoring", set())) == 1


def test_a_service_account_must_exist_but_default_always_does():
    named = {"serviceAccountName": "grafana", "containers": [_container()]}
    assert len(chartmodel.missing_object_problems([_deployment("d", named)], [], "monitoring", set())) == 1
    assert chartmodel.missing_object_problems([_deployment("d", {"containers": [_container()]})], [], "monitoring", set()) == []


def test_a_webhook_needs_a_ca_bundle_a_url_or_an_injector():
    def config(client: dict, annotations: dict | None = None) -> dict:
        return {"kind": "ValidatingWebhookConfiguration", "metadata": {"name": "w", "annotations": annotations or {}},
                "webhooks": [{"name": "v.example.com", "clientConfig": client}]}

    assert len(chartmodel.webhook_problems([config({"service": {"name": "s", "namespace": "n"}})])) == 1
    assert chartmodel.webhook_problems([config({"service": {"name": "s"}, "caBundle": "LS0t"})]) == []
    assert chartmodel.webhook_problems([config({"url": "https://hooks.example.com"})]) == []
    assert chartmodel.webhook_problems([config({"service": {"name": "s"}}, {"cert-manager.io/inject-ca-from": "n/c"})]) == []


def test_two_different_renders_name_the_objects_that_change():
    first = "kind: Secret\nmetadata: {name: tls}\ndata: {ca: a}\n---\nkind: Service\nmetadata: {name: s}\n"
    second = "kind: Secret\nmetadata: {name: tls}\ndata: {ca: b}\n---\nkind: Service\nmetadata: {name: s}\n"
    assert chartmodel.determinism_problems(first, first) == []
    assert chartmodel.determinism_problems(first, second) == [
        "Secret tls differs between two renders of the same values: every preview would change or replace it"
    ]


def test_grafana_may_read_secrets_only_in_its_own_namespace():
    rule = {"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["get", "watch", "list"]}
    cluster = [
        {"kind": "ClusterRole", "metadata": {"name": "kps-grafana-clusterrole"}, "rules": [rule]},
        {"kind": "ClusterRoleBinding", "metadata": {"name": "kps-grafana-clusterrolebinding"}, "roleRef": {"kind": "ClusterRole", "name": "kps-grafana-clusterrole"}},
    ]
    assert len(chartmodel.grafana_secret_problems(cluster, "monitoring")) == 1
    own = [{"kind": "Role", "metadata": {"name": "kps-grafana", "namespace": "monitoring"}, "rules": [rule]}]
    assert chartmodel.grafana_secret_problems(own, "monitoring") == []
    other = [{"kind": "Role", "metadata": {"name": "kps-grafana", "namespace": "apps"}, "rules": [rule]}]
    assert len(chartmodel.grafana_secret_problems(other, "monitoring")) == 1


def test_grafana_sidecars_watch_named_namespaces_holding_every_dashboard_with_rbac_there():
    def sidecar(value: str | None) -> dict:
        env = [{"name": "LABEL", "value": "grafana_dashboard"}, {"name": "LABEL_VALUE", "value": "1"}]
        env += [{"name": "NAMESPACE", "value": value}] if value else []
        return _deployment("grafana", {"containers": [_container("grafana-sc-dashboard", env=env)]})

    def dashboard(ns: str) -> dict:
        return {"kind": "ConfigMap", "metadata": {"name": "d", "namespace": ns, "labels": {"grafana_dashboard": "1"}}}

    assert chartmodel.grafana_sidecar_problems([sidecar("ALL")], "monitoring") == [
        "Deployment monitoring/grafana containers/grafana-sc-dashboard watches every namespace (NAMESPACE=ALL)"
    ]
    assert chartmodel.grafana_sidecar_problems([sidecar(None), dashboard("monitoring")], "monitoring") == []
    assert chartmodel.grafana_sidecar_problems([sidecar(None)], "monitoring", [dashboard("finops")]) == [
        "Deployment monitoring/grafana containers/grafana-sc-dashboard never loads ConfigMap finops/d: it watches monitoring"
    ]
    assert chartmodel.grafana_sidecar_problems([sidecar("monitoring,finops")], "monitoring", [dashboard("finops")]) == [
        "Deployment monitoring/grafana containers/grafana-sc-dashboard watches finops, where no RoleBinding lets its ServiceAccount read"
    ]
    other = {"kind": "RoleBinding", "metadata": {"name": "x", "namespace": "finops"}, "subjects": [{"kind": "ServiceAccount", "name": "x", "namespace": "finops"}]}
    assert len(chartmodel.grafana_sidecar_problems([sidecar("monitoring,finops")], "monitoring", [dashboard("finops"), other])) == 1
    binding = {"kind": "RoleBinding", "metadata": {"name": "grafana", "namespace": "finops"},
               "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "monitoring"}]}
    assert chartmodel.grafana_sidecar_problems([sidecar("monitoring,finops")], "monitoring", [dashboard("finops"), binding]) == []


def test_an_init_container_without_resources_is_unsized():
    pod = {"initContainers": [{"name": "init-chown-data", "image": "busybox"}], "containers": [_container()]}
    assert chartmodel.sizing_problems([_deployment("grafana", pod)], "monitoring") == [
        "Deployment monitoring/grafana initContainers/init-chown-data has no requests.cpu, requests.memory, limits.cpu, limits.memory"
    ]


RESTRICTED_CTX = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
RESTRICTED_POD = {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                  "containers": [_container(securityContext=RESTRICTED_CTX)]}
ROOT_INIT = {**RESTRICTED_POD, "initContainers": [_container("init", securityContext={"runAsUser": 0, "runAsNonRoot": False, "capabilities": {"add": ["CHOWN"]}})]}


def test_a_pod_its_namespace_level_rejects_is_a_problem():
    applied = [_deployment("grafana", ROOT_INIT)]
    assert chartmodel.pod_security_problems("kube-prometheus-stack", applied, "monitoring", {"monitoring": "privileged"}) == []
    assert chartmodel.pod_security_problems("kube-prometheus-stack", applied, "monitoring", {"monitoring": "baseline"}) == []
    assert len(chartmodel.pod_security_problems("kube-prometheus-stack", applied, "monitoring", {"monitoring": "restricted"})) == 5


def test_only_host_agents_may_need_more_than_restricted_or_share_a_lax_namespace():
    agent = _deployment("node-exporter", {"hostNetwork": True, "containers": [_container()]}, labels={"app.kubernetes.io/name": "prometheus-node-exporter"})
    hardened = _deployment("grafana", RESTRICTED_POD)
    levels = {"monitoring": "privileged"}
    assert chartmodel.host_access_problems("kube-prometheus-stack", [agent], "monitoring", levels) == []
    assert chartmodel.host_access_problems("kube-prometheus-stack", [hardened], "monitoring", levels) == [
        "Deployment monitoring/grafana is not a host agent but runs in monitoring, which enforces privileged, not restricted"
    ]
    assert chartmodel.host_access_problems("kube-prometheus-stack", [hardened], "monitoring", {"monitoring": "restricted"}) == []
    # kube-system is the cluster's: its pods must meet restricted, its level is not ours to set.
    assert chartmodel.host_access_problems("cluster-autoscaler", [_deployment("ca", RESTRICTED_POD, namespace="kube-system")], "kube-system", levels) == []
    bare = _deployment("ca", {"containers": [_container()]}, namespace="kube-system")
    assert len(chartmodel.host_access_problems("cluster-autoscaler", [bare], "kube-system", levels)) == 4


def test_a_replicated_fail_closed_webhook_server_needs_a_disruption_budget():
    labels = {"app.kubernetes.io/name": "lbc"}
    deployment = _deployment("lbc", {"containers": [_container()]}, labels=labels, replicas=2)
    service = {"kind": "Service", "metadata": {"name": "lbc-webhook"}, "spec": {"selector": labels}}
    webhook = {"kind": "MutatingWebhookConfiguration", "metadata": {"name": "w"},
               "webhooks": [{"name": "m", "clientConfig": {"service": {"name": "lbc-webhook"}}}]}
    assert len(chartmodel.disruption_budget_problems([deployment, service, webhook], "kube-system")) == 1
    pdb = {"kind": "PodDisruptionBudget", "metadata": {"name": "lbc"}, "spec": {"selector": {"matchLabels": labels}, "maxUnavailable": 1}}
    assert chartmodel.disruption_budget_problems([deployment, service, webhook, pdb], "kube-system") == []
    ignoring = {**webhook, "webhooks": [{**webhook["webhooks"][0], "failurePolicy": "Ignore"}]}
    assert chartmodel.disruption_budget_problems([deployment, service, ignoring], "kube-system") == []


# --- Pod Security, as pod-security-admission v0.35.6 decides -------------------------------------


def test_baseline_admits_the_default_capabilities_and_rejects_others():
    chown = {"containers": [{"name": "c", "securityContext": {"capabilities": {"add": ["CHOWN", "DAC_OVERRIDE"]}}}]}
    assert baseline_violations(chown) == []
    assert restricted_violations(chown) != []
    sys_admin = {"containers": [{"name": "c", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}
    assert baseline_violations(sys_admin) == ["capabilities added beyond the baseline set ['SYS_ADMIN']: containers/c"]


def test_a_pod_level_unconfined_seccomp_is_rejected_even_when_containers_set_their_own():
    pod = {**RESTRICTED_POD, "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "Unconfined"}},
           "containers": [_container(securityContext={**RESTRICTED_CTX, "seccompProfile": {"type": "RuntimeDefault"}})]}
    assert restricted_violations(pod) == ["seccompProfile Unconfined: pod"]


def test_user_namespaced_pods_are_relaxed_as_in_1_35():
    pod = {**RESTRICTED_POD, "hostUsers": False, "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
           "containers": [_container(securityContext={**RESTRICTED_CTX, "runAsUser": 0})]}
    assert restricted_violations(pod) == []


def test_the_1_32_sysctls_are_baseline_and_levels_are_ordered():
    assert baseline_violations({"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "4096"}]}, "containers": []}) == []
    assert lowest_level(RESTRICTED_POD) == "restricted"
    assert lowest_level(ROOT_INIT) == "baseline"
    assert lowest_level({"hostPID": True, "containers": []}) == "privileged"


# --- the chart cache ----------------------------------------------------------------------------


def _archive(files: dict[str, bytes], mtime: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"demo/{name}")
            info.size, info.mtime = len(data), mtime
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_the_content_digest_ignores_archive_metadata_but_not_content():
    files = {"Chart.yaml": b"name: demo\nversion: 1.0.0\n", "values.yaml": b"a: 1\n"}
    assert chartcache.content_digest(_archive(files, 0)) == chartcache.content_digest(_archive(files, 12345))
    assert chartcache.archive_digest(_archive(files, 0)) != chartcache.archive_digest(_archive(files, 12345))
    changed = {**files, "values.yaml": b"a: 2\n"}
    assert chartcache.content_digest(_archive(changed, 0)) != chartcache.content_digest(_archive(files, 0))


def test_helmignore_rules_leave_out_what_helm_package_does():
    rules = chartcache._ignore_rules("# comment\nci/\n*.swp\n.git/\ndocs/\n!keep.swp\n")
    assert chartcache.helmignored("ci/values.yaml", rules)
    assert chartcache.helmignored("templates/x.yaml.swp", rules)
    assert not chartcache.helmignored("keep.swp", rules)
    assert not chartcache.helmignored("templates/ci.yaml", rules)
    assert not chartcache.helmignored("ci", rules)  # a file named ci is no directory


def test_the_cache_lives_outside_the_repository_unless_pointed_elsewhere(monkeypatch, tmp_path):
    monkeypatch.delenv("CLOUD_PLATFORM_CHART_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert chartcache.cache_dir() == tmp_path / "xdg" / "cloud-platform" / "charts"
    monkeypatch.setenv("CLOUD_PLATFORM_CHART_CACHE", str(tmp_path / "mine"))
    assert chartcache.cache_dir() == tmp_path / "mine"


def test_a_missing_or_changed_cache_entry_is_an_error_naming_the_fix(tmp_path):
    with pytest.raises(chartcache.CacheMissing, match="run `make charts`"):
        chartcache.locate("demo", "1.0.0", cache=tmp_path, lock={})
    data = _archive({"Chart.yaml": b"name: demo\n"}, 0)
    (tmp_path / "demo-1.0.0.tgz").write_bytes(data)
    lock = {"demo": {"version": "1.0.0", "contentDigest": chartcache.content_digest(data)}}
    assert chartcache.locate("demo", "1.0.0", cache=tmp_path, lock=lock).verified
    lock["demo"]["contentDigest"] = "sha256:0"
    with pytest.raises(chartcache.CacheError, match="delete it and run `make charts`"):
        chartcache.locate("demo", "1.0.0", cache=tmp_path, lock=lock)


def test_every_pin_is_locked_with_a_git_source_and_a_content_digest():
    from components.charts import PINS

    lock = chartcache.load_lock()
    assert {c: str(e["version"]) for c, e in lock.items()} == {p.chart: p.version for p in PINS.values()}
    assert all(e["contentDigest"].startswith("sha256:") and e["git"]["ref"] for e in lock.values())


# --- the engine -----------------------------------------------------------------------------------


@pytest.fixture
def capabilities_chart(tmp_path: Path) -> Path:
    root = tmp_path / "caps"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(yaml.safe_dump({"apiVersion": "v2", "name": "caps", "version": "0.1.0",
                                                     "dependencies": [{"name": "sub", "version": "0.1.0", "condition": "sub.enabled"}]}))
    (root / "values.yaml").write_text("sub:\n  enabled: false\n")
    (root / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\n"
        "data:\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
        "  has: {{ .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" | quote }}\n"
    )
    return root


def test_the_engine_renders_at_the_clusters_version_with_the_crd_apis(capabilities_chart):
    [cm] = chartmodel.parse(chartmodel.render_text(capabilities_chart, "r", "ns", {}, kube_version="1.35.0", api_versions=["monitoring.coreos.com/v1"]))
    assert cm["metadata"] == {"name": "r", "namespace": "ns"}
    assert cm["data"] == {"kube": "v1.35.0", "has": "true"}


def test_a_switched_on_subchart_missing_from_the_cache_fails_the_render(capabilities_chart):
    with pytest.raises(chartmodel.RenderError, match="subchart sub is switched on"):
        chartmodel.render_text(capabilities_chart, "r", "ns", {"sub": {"enabled": True}}, kube_version="1.35.0")


def test_the_content_digest_reads_chart_metadata_as_data_and_skips_unbundled_subcharts():
    sub = _archive({"Chart.yaml": b"name: extra\n"}, 0)
    plain = {"Chart.yaml": b"# a comment\nname: demo\nversion: 1.0.0\nkeywords: []\n"}
    repacked = {"Chart.yaml": b"version: 1.0.0\nname: demo\n", "charts/extra-0.1.0.tgz": sub}
    assert chartcache.content_digest(_archive(plain, 0)) == chartcache.content_digest(_archive(repacked, 0), skip=["extra"])
    assert chartcache.content_digest(_archive(plain, 0)) != chartcache.content_digest(_archive(repacked, 0))


def test_a_packaged_chart_keeps_its_helmignore_and_drops_hidden_templates():
    files = {".helmignore": b"ci/\n", "Chart.yaml": b"name: demo\n", "ci/x.yaml": b"", "templates/.hidden.yaml": b"", "templates/a.yaml": b""}
    names = sorted(chartcache._members(chartcache.package_files("demo", files)))
    assert names == [".helmignore", "Chart.yaml", "templates/a.yaml"]


def test_the_pods_the_prometheus_operator_makes_are_checked_with_the_resources_security_context():
    prometheus = {"apiVersion": "monitoring.coreos.com/v1", "kind": "Prometheus", "metadata": {"name": "p", "namespace": "monitoring"},
                  "spec": {"securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}}}}
    [pod] = chartmodel.operator_pods([prometheus], "monitoring")
    assert [c["name"] for c in pod.spec["containers"]] == ["prometheus", "config-reloader"]
    assert chartmodel.pod_security_problems("kube-prometheus-stack", [prometheus], "monitoring", {"monitoring": "restricted"}) == []
    loose = {**prometheus, "spec": {"securityContext": {"runAsUser": 1000}}}
    found = chartmodel.pod_security_problems("kube-prometheus-stack", [loose], "monitoring", {"monitoring": "restricted"})
    assert len(found) == 6 and all(f.startswith("Prometheus monitoring/p in monitoring (restricted)") for f in found)


def test_make_charts_keeps_only_archives_that_match_the_lock(monkeypatch, tmp_path):
    import helm_python

    good = _archive({"Chart.yaml": b"name: demo\nversion: 1.0.0\n"}, 0)
    lock = {"demo": {"version": "1.0.0", "repository": "https://charts.example", "archiveDigest": chartcache.archive_digest(good), "contentDigest": "sha256:0"}}
    served = {"data": good}

    def pull(chart, *, repo_url, version, destination):
        assert (chart, repo_url, version) == ("demo", "https://charts.example", "1.0.0")
        (Path(destination) / f"{chart}-{version}.tgz").write_bytes(served["data"])
        return {"output": ""}

    monkeypatch.setattr(helm_python, "pull", pull)
    assert chartcache.fill_from_repositories(tmp_path, lock) == ["demo 1.0.0: pulled from https://charts.example, archive digest matches the lock"]
    assert (tmp_path / "demo-1.0.0.tgz").read_bytes() == good
    served["data"] = _archive({"Chart.yaml": b"name: demo\nversion: 1.0.0\n", "templates/new.yaml": b""}, 0)
    with pytest.raises(chartcache.CacheError, match="matches neither digest"):
        chartcache.fill_from_repositories(tmp_path / "other", lock)
    assert not (tmp_path / "other" / "demo-1.0.0.tgz").exists()
