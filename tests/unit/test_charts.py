"""``python -m tools charts``: its logic on a small chart built here, with a stand-in ``helm``
executable, since tests have neither helm nor the chart repositories. The real charts are
rendered by the pull-request workflow (``.github/workflows/pull-request.yml``)."""

from __future__ import annotations

import io
import os
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest
import yaml

from tools import charts
from tools.charts import Helm, Release, chart_defaults, object_problems, strict_schema, unknown_keys

STAND_IN_HELM = textwrap.dedent(
    """\
    #!{python}
    # A stand-in for helm: `pull` copies the chart in $CHART_DIR, `template` renders a Deployment
    # from .replicaCount, .podAnnotations, .resources and .undocumented, a CRD, and one of its objects
    # when its API is among --api-versions.
    import os, shutil, sys, yaml
    args = sys.argv[1:]
    if os.environ.get("HELM_ERROR"):
        sys.exit(print(os.environ["HELM_ERROR"], file=sys.stderr) or 1)
    if args[0] == "version":
        print("v3.99.0")
    elif args[0] == "pull":
        shutil.copytree(os.environ["CHART_DIR"], os.path.join(args[args.index("--untardir") + 1], args[1]))
    elif args[0] == "template":
        values = yaml.safe_load(open(args[args.index("--values") + 1]))
        labels = {{"app": "demo", **({{"extra": values["undocumented"]}} if "undocumented" in values else {{}})}}
        pod = {{"metadata": {{"labels": labels, "annotations": values.get("podAnnotations") or None}},
               "spec": {{"containers": [{{"name": "demo", "image": "demo:1.0", "resources": values.get("resources") or {{}},
                                         "livenessProbe": {{"tcpSocket": {{"port": 80}}}}, "readinessProbe": {{"tcpSocket": {{"port": 80}}}}}}]}}}}
        docs = [
            {{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {{"name": "widgets.example.com"}},
             "spec": {{"group": "example.com", "scope": "Namespaced",
                      "names": {{"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"}},
                      "versions": [{{"name": "v1", "served": True, "storage": True, "schema": {{"openAPIV3Schema": {{
                          "type": "object", "properties": {{"apiVersion": {{"type": "string"}}, "kind": {{"type": "string"}},
                          "metadata": {{"type": "object"}},
                          "spec": {{"type": "object", "properties": {{"size": {{"type": "integer"}}}}}}}}}}}}}}]}}}},

            {{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {{"name": args[1]}},
             "spec": {{"replicas": values["replicaCount"], "selector": {{"matchLabels": {{"app": "demo"}}}}, "template": pod}}}},
        ]
        apis = [args[i + 1] for i, a in enumerate(args) if a == "--api-versions"]
        if "example.com/v1" in apis:  # like a template gated on .Capabilities.APIVersions.Has
            docs.append({{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {{"name": "w"}},
                          "spec": {{"size": values.get("size", 1)}}}})
        if os.environ.get("RANDOM_SECRET"):
            docs.append({{"apiVersion": "v1", "kind": "Secret", "metadata": {{"name": "generated"}},
                          "stringData": {{"password": os.urandom(8).hex()}}}})
        print(yaml.safe_dump_all(docs))
    """
)


def _tgz(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def chart_dir(tmp_path: Path) -> Path:
    """A chart ``demo`` with a packaged subchart ``sub`` under the alias ``side``."""
    root = tmp_path / "demo"
    (root / "charts").mkdir(parents=True)
    (root / "Chart.yaml").write_text(
        yaml.safe_dump({"name": "demo", "version": "1.0.0", "dependencies": [{"name": "sub", "alias": "side", "version": "0.1.0"}]})
    )
    (root / "values.yaml").write_text("replicaCount: 1\npodAnnotations: {}\nresources: {}\nimage:\n  tag: ''\nside:\n  port: 8080\n")
    sub = {"sub/Chart.yaml": "name: sub\nversion: 0.1.0\n", "sub/values.yaml": "enabled: true\nport: 80\nresources: {}\n"}
    (root / "charts" / "sub-0.1.0.tgz").write_bytes(_tgz(sub))
    return root


@pytest.fixture
def stand_in_helm(tmp_path: Path, chart_dir: Path, monkeypatch) -> Helm:
    exe = tmp_path / "bin" / "helm"
    exe.parent.mkdir()
    exe.write_text(STAND_IN_HELM.format(python=sys.executable))
    exe.chmod(0o755)
    monkeypatch.setenv("CHART_DIR", str(chart_dir))
    monkeypatch.delenv("HELM_ERROR", raising=False)
    monkeypatch.delenv("RANDOM_SECRET", raising=False)
    return Helm(str(exe))


SIZED = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}
DEMO = Release("demo", "demo", "1.0.0", "https://charts.example", "apps", {"replicaCount": 2, "resources": SIZED})


def test_defaults_merge_a_packaged_subchart_under_its_alias(chart_dir):
    assert chart_defaults(chart_dir) == {
        "replicaCount": 1,
        "podAnnotations": {},
        "resources": {},
        "image": {"tag": ""},
        "side": {"enabled": True, "port": 8080, "resources": {}},
    }


def test_unknown_keys_are_reported_except_beneath_free_form_defaults(chart_dir):
    values = {
        "replicaCount": 2,
        "podAnnotations": {"anything": "goes"},
        "side": {"port": 81, "resources": {"limits": {"cpu": "1"}}, "typo": 1},
        "replicas": 3,
    }
    assert unknown_keys(values, chart_defaults(chart_dir)) == [("side", "typo"), ("replicas",)]


def test_crd_schemas_become_strict_unless_they_preserve_unknown_fields():
    schema = strict_schema(
        {
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {"size": {"type": "integer", "nullable": True}}},
                "raw": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"a": {}}},
            },
        }
    )
    assert schema["additionalProperties"] is False
    assert schema["properties"]["spec"]["additionalProperties"] is False
    assert "additionalProperties" not in schema["properties"]["raw"]
    assert schema["properties"]["spec"]["properties"]["size"]["type"] == ["integer", "null"]


def test_objects_of_unknown_kinds_are_errors_not_skips():
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert object_problems(widget, {}) == ["example.com/v1/Widget w: no Kubernetes 1.35.0 schema and no CRD among the charts"]


def test_built_in_objects_are_validated_strictly():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}], "typo": 1}}
    assert len(object_problems(service, {})) == 1


def test_a_rendered_chart_is_validated_and_an_ignored_key_fails(stand_in_helm):
    values = {"replicaCount": 2, "resources": SIZED, "undocumented": "read-by-a-template", "ignored": True, "side": {"port": 81}}
    [result] = charts.check_stack(stand_in_helm, [Release("demo", "demo", "1.0.0", "https://charts.example", "apps", values)])
    # The Widget renders because the first pass found the CRD's API and passed it as --api-versions.
    assert [o["kind"] for o in result.objects] == ["CustomResourceDefinition", "Deployment", "Widget"]
    assert result.problems == [
        "demo: values key ignored is ignored: it is not in the chart's values.yaml and removing it changes nothing"
    ]


def test_a_chart_that_generates_secrets_says_the_ignored_key_check_could_not_be_made(stand_in_helm, monkeypatch):
    monkeypatch.setenv("RANDOM_SECRET", "1")
    values = {"replicaCount": 1, "resources": SIZED, "ignored": True}
    [result] = charts.check_stack(stand_in_helm, [Release("demo", "demo", "1.0.0", "https://x", "apps", values)])
    assert result.problems == []
    assert result.notes == (
        "demo: two renders with the same values differ, so these keys missing from its values.yaml "
        "could not be tested for effect: ignored",
    )


def test_a_custom_resource_is_checked_against_its_charts_crd(stand_in_helm):
    values = {"replicaCount": 1, "resources": SIZED, "size": "big"}
    [result] = charts.check_stack(stand_in_helm, [Release("demo", "demo", "1.0.0", "https://x", "apps", values)])
    assert [p.split(":")[0] for p in result.problems] == ["example.com/v1/Widget w"]
    assert result.problems[0].startswith("example.com/v1/Widget w: spec/size: 'big' is not of type 'integer'")


def test_the_policy_pack_checks_what_the_chart_renders(stand_in_helm):
    """A chart pod without requests and limits would stop the real preview: it fails here first."""
    [result] = charts.check_stack(stand_in_helm, [Release("demo", "demo", "1.0.0", "https://x", "apps", {"replicaCount": 1})])
    assert result.problems == [
        "policy container-resources: Deployment demo: container 'demo' has no resources.requests.cpu, "
        "resources.requests.memory, resources.limits.cpu, resources.limits.memory"
    ]


def test_without_helm_the_command_says_so_and_exits_with_the_skip_status(capsys, monkeypatch):
    monkeypatch.setattr(charts, "releases_of", lambda stack: [DEMO])
    assert charts.main(["dev"], Helm("no-such-helm-binary")) == charts.SKIPPED
    assert capsys.readouterr().out == (
        "charts: skipped, nothing was rendered: no-such-helm-binary is not installed (https://helm.sh/docs/intro/install/)\n"
    )


def test_an_unreachable_chart_repository_skips(stand_in_helm, capsys, monkeypatch):
    monkeypatch.setattr(charts, "releases_of", lambda stack: [DEMO])
    monkeypatch.setenv(
        "HELM_ERROR",
        'Error: looks like "https://charts.example" is not a valid chart repository or cannot be reached: '
        'Get "https://charts.example/index.yaml": dial tcp: lookup charts.example: no such host',
    )
    assert charts.main(["dev"], stand_in_helm) == charts.SKIPPED
    assert "cannot be reached" in capsys.readouterr().out


def test_a_wrong_pin_fails_instead_of_skipping(stand_in_helm, capsys, monkeypatch):
    monkeypatch.setattr(charts, "releases_of", lambda stack: [DEMO])
    monkeypatch.setenv("HELM_ERROR", 'Error: chart "demo" version "9.9.9" not found in https://charts.example repository')
    assert charts.main(["dev"], stand_in_helm) == 1
    assert "version \"9.9.9\" not found" in capsys.readouterr().out


def test_releases_carry_the_values_tools_render_writes():
    from tests.conftest import rendered

    by_chart = {r.chart: r for r in charts.releases_of("dev")}
    assert {r["chart"]: r["values"] for r in rendered("dev").releases} == {c: dict(r.values) for c, r in by_chart.items()}
    assert by_chart["metrics-server"].namespace == "monitoring"
