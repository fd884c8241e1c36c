"""``nginx -t`` on every nginx configuration the program ships, as rendered for each stack.

Debian's nginx-light (1.22) checks the syntax and the directives; the services run
``nginxinc/nginx-unprivileged:1.28`` (see the README on the version gap). Each config is
tested in a temporary prefix with its own error log, so nothing outside it is touched.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import rendered
from tests.engines.tool import run

CLOUDMART_SERVICES = {"user-service", "product-service", "order-service", "payment-service", "notification-service"}


def nginx_configs(stack: str) -> dict[str, str]:
    """``<namespace>/<configmap>`` -> nginx.conf text, for every ConfigMap key named like one."""
    return {
        f"{o['metadata']['namespace']}/{o['metadata']['name']}": text
        for o in rendered(stack).objects
        if o["kind"] == "ConfigMap"
        for key, text in (o.get("data") or {}).items()
        if key == "nginx.conf"
    }


def nginx_test(conf: str, prefix: Path):
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "nginx.conf").write_text(conf)
    return run("nginx", "-t", "-q", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log"))


def test_the_program_ships_one_nginx_config_per_cloudmart_service(stack):
    names = set(nginx_configs(stack))
    assert names == {f"cloudmart/{s}-nginx-config" for s in CLOUDMART_SERVICES}


def test_every_shipped_nginx_config_passes_nginx_t(stack, tmp_path):
    failures = {}
    for name, conf in nginx_configs(stack).items():
        result = nginx_test(conf, tmp_path / name.replace("/", "_"))
        if result.returncode != 0:
            failures[name] = result.stderr.strip()
    assert failures == {}


def test_nginx_t_rejects_a_broken_config(tmp_path):
    """The check can fail: a misspelt directive in an otherwise shipped config."""
    conf = next(iter(nginx_configs("dev").values())).replace("stub_status;", "stub_statu;")
    result = nginx_test(conf, tmp_path)
    assert result.returncode != 0 and 'unknown directive "stub_statu"' in result.stderr
