"""Issue 9, secrets, identities and root filesystems in every stack: database passwords are
files (``*_FILE``), Redis's is in a mounted config file, no password is on a command line;
every workload runs as its own ServiceAccount without an API token; the Trip frontend's root
is read-only and only the documented containers still write to theirs."""

from __future__ import annotations

import pytest

from tests.security.helpers import app_namespaces, of_kind, trip_namespace

# (namespace suffix, pod, container) -> the *_FILE variables its image reads (official images'
# "Docker Secrets" sections on Docker Hub: postgres, mysql, mongo).
FILE_PASSWORDS = {
    ("cloudmart", "postgres"): {"POSTGRES_PASSWORD_FILE"},
    ("trip", "mysql"): {"MYSQL_PASSWORD_FILE", "MYSQL_ROOT_PASSWORD_FILE"},
    ("trip", "mongodb"): {"MONGO_INITDB_ROOT_PASSWORD_FILE"},
}
# Containers whose images write to their root filesystem (README: "Root filesystems").
WRITABLE_ROOT = {("cloudmart", "kafka"), ("trip", "mysql"), ("trip", "zookeeper"), ("trip", "kafka")}


def _ns(stack: str, short: str) -> str:
    return "cloudmart" if short == "cloudmart" else trip_namespace(stack)


def _short(stack: str, ns: str) -> str:
    return "trip" if ns == trip_namespace(stack) else ns


def _pod_specs(stack: str):
    """(namespace, owner name, pod spec) of every pod template in the application namespaces."""
    for ns in app_namespaces(stack):
        for kind in ("Deployment", "StatefulSet"):
            for o in of_kind(stack, kind, ns):
                yield ns, o["metadata"]["name"], o["spec"]["template"]["spec"]
        for c in of_kind(stack, "CronJob", ns):
            yield ns, c["metadata"]["name"], c["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def _mounted_secret_files(pod: dict, container: dict) -> set[str]:
    secrets = {v["name"]: v["secret"] for v in pod.get("volumes") or [] if "secret" in v}
    return {
        f"{m['mountPath']}/{item['path']}"
        for m in container.get("volumeMounts") or []
        if m["name"] in secrets
        for item in secrets[m["name"]].get("items") or []
    }


@pytest.mark.parametrize("short,pod_name", sorted(FILE_PASSWORDS))
def test_database_passwords_are_read_from_mounted_secret_files(stack, short, pod_name):
    (sts,) = [s for s in of_kind(stack, "StatefulSet", _ns(stack, short)) if s["metadata"]["name"] == pod_name]
    pod = sts["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert not [e for e in env.values() if "secretKeyRef" in e.get("valueFrom", {})]
    files = _mounted_secret_files(pod, container)
    for variable in FILE_PASSWORDS[(short, pod_name)]:
        assert env[variable]["value"] in files, variable


def test_no_password_is_passed_on_a_command_line(stack):
    for ns, name, pod in _pod_specs(stack):
        for c in pod["containers"] + (pod.get("initContainers") or []):
            argv = [*(c.get("command") or []), *(c.get("args") or [])]
            for key in ("livenessProbe", "readinessProbe", "startupProbe"):
                argv += ((c.get(key) or {}).get("exec") or {}).get("command") or []
            text = " ".join(argv)
            for needle in ("--requirepass", "PASSWORD)", '-p"$', "-a "):
                assert needle not in text, (ns, name, c["name"], needle)


@pytest.mark.parametrize("short,redis", [("cloudmart", "redis-service"), ("trip", "service-redis")])
def test_redis_reads_its_password_from_a_mounted_config_file(stack, short, redis):
    (deployment,) = [d for d in of_kind(stack, "Deployment", _ns(stack, short)) if d["metadata"]["name"] == redis]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "env" not in container
    (config,) = [a for a in container["command"][1:] if a.endswith(".conf")]
    assert config in _mounted_secret_files(pod, container)
    (secret,) = [v["secret"] for v in pod["volumes"] if "secret" in v]
    assert {"key": "redis.conf", "path": "redis.conf"} in secret["items"]


def test_every_workload_runs_as_its_own_service_account_without_a_token(stack):
    accounts = {
        (a["metadata"]["namespace"], a["metadata"]["name"]): a
        for a in of_kind(stack, "ServiceAccount")
    }
    seen = set()
    for ns, name, pod in _pod_specs(stack):
        assert pod["automountServiceAccountToken"] is False, (ns, name)
        account = pod.get("serviceAccountName")
        assert account and account != "default", (ns, name)
        assert (ns, account) not in seen, f"{ns}/{account} is shared"
        seen.add((ns, account))
        assert accounts[(ns, account)]["automountServiceAccountToken"] is False


def test_trip_frontend_runs_on_a_read_only_root_with_emptydirs_where_nginx_writes(stack):
    ns = trip_namespace(stack)
    (frontend,) = [d for d in of_kind(stack, "Deployment", ns) if d["metadata"]["name"] == "service-frontend"]
    pod = frontend["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    empty = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    written = {m["mountPath"] for m in container["volumeMounts"] if m["name"] in empty}
    assert written >= {"/var/cache/nginx", "/var/run", "/tmp"}


def test_only_the_documented_containers_write_to_their_root_filesystem(stack):
    writable = set()
    for ns, _, pod in _pod_specs(stack):
        for c in pod["containers"] + (pod.get("initContainers") or []):
            if not c["securityContext"]["readOnlyRootFilesystem"]:
                writable.add((_short(stack, ns), c["name"]))
    assert writable == WRITABLE_ROOT


def test_finops_demo_services_are_named_as_seed_002_calls_them():
    services = {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in of_kind("dev", "Service")}
    assert ("production", "web-app-service") in services
