"""``python -m tools charts``: its logic on a small chart built here, rendered by the real Helm
engine (``helm-python-sdk``) from a ``--from`` directory. The pinned charts are rendered from the
chart cache by ``tests/charts/``."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
import yaml

from tools import charts
from tools.charts import Release, chart_defaults, object_problems, strict_schema, unknown_keys

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


DEMO_TEMPLATES = {
    "crd.yaml": """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec: {type: object, properties: {size: {type: integer}}}
""",
    "deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: demo}
  template:
    metadata:
      labels:
        app: demo
        {{- with .Values.undocumented }}
        extra: {{ . }}
        {{- end }}
    spec:
      containers:
        - name: demo
          image: demo:1.0
          resources: {{ toJson .Values.resources }}
          livenessProbe: {tcpSocket: {port: 80}}
          readinessProbe: {tcpSocket: {port: 80}}
""",
    "widget.yaml": """\
{{- if .Capabilities.APIVersions.Has "example.com/v1" }}
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
spec:
  size: {{ .Values.size | default 1 }}
{{- end }}
""",
    "secret.yaml": """\
{{- if .Values.randomSecret }}
apiVersion: v1
kind: Secret
metadata:
  name: generated
stringData:
  password: {{ randAlphaNum 16 | quote }}
{{- end }}
""",
}


@pytest.fixture
def demo_source(chart_dir: Path) -> Path:
    """``chart_dir`` with real templates, as a ``--from`` source directory."""
    (chart_dir / "templates").mkdir()
    for name, text in DEMO_TEMPLATES.items():
        (chart_dir / "templates" / name).write_text(text)
    return chart_dir.parent


def _stack(*releases: Release) -> charts.Stack:
    return charts.Stack("test", releases, frozenset(), {"apps": "restricted"})


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


def test_a_rendered_chart_is_validated_and_an_ignored_key_fails(demo_source):
    values = {"replicaCount": 2, "resources": SIZED, "undocumented": "read-by-a-template", "ignored": True, "side": {"port": 81}}
    [result] = charts.check_stack(charts.Engine(source=demo_source), _stack(Release("demo", "demo", "1.0.0", "https://charts.example", "apps", values)))
    # The Widget renders because the first pass found the CRD's API and passed it as --api-versions.
    assert [o["kind"] for o in result.objects] == ["CustomResourceDefinition", "Deployment", "Widget"]
    assert result.problems == [
        "demo: values key ignored is ignored: it is not in the chart's values.yaml and removing it changes nothing"
    ]


def test_a_chart_that_generates_secrets_says_the_ignored_key_check_could_not_be_made(demo_source):
    values = {"replicaCount": 1, "resources": SIZED, "ignored": True, "randomSecret": True}
    [result] = charts.check_stack(charts.Engine(source=demo_source), _stack(Release("demo", "demo", "1.0.0", "https://x", "apps", values)))
    assert result.problems == []
    assert result.checks["determinism"] == [
        "Secret generated differs between two renders of the same values: every preview would change or replace it"
    ]
    assert result.notes == (
        "demo: two renders with the same values differ, so these keys missing from its values.yaml "
        "could not be tested for effect: ignored, randomSecret",
    )


def test_a_custom_resource_is_checked_against_its_charts_crd(demo_source):
    values = {"replicaCount": 1, "resources": SIZED, "size": "big"}
    [result] = charts.check_stack(charts.Engine(source=demo_source), _stack(Release("demo", "demo", "1.0.0", "https://x", "apps", values)))
    assert [p.split(":")[0] for p in result.problems] == ["example.com/v1/Widget w"]
    assert result.problems[0].startswith("example.com/v1/Widget w: spec/size: 'big' is not of type 'integer'")


def test_the_policy_pack_checks_what_the_chart_renders(demo_source):
    """A chart pod without requests and limits would stop the real preview: it fails here first."""
    [result] = charts.check_stack(charts.Engine(source=demo_source), _stack(Release("demo", "demo", "1.0.0", "https://x", "apps", {"replicaCount": 1})))
    assert result.problems == [
        "policy container-resources: Deployment demo: container 'demo' has no resources.requests.cpu, "
        "resources.requests.memory, resources.limits.cpu, resources.limits.memory"
    ]


def test_without_the_chart_in_the_cache_the_command_names_make_charts_and_exits_2(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CLOUD_PLATFORM_CHART_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(charts, "stack_of", lambda stack: _stack(DEMO))
    assert charts.main(["dev"]) == 2
    err = capsys.readouterr().err
    assert err == f"charts: nothing was rendered: the chart cache {tmp_path / 'empty'} has no demo-1.0.0.tgz: run `make charts`\n"


def test_a_template_error_fails_with_status_1(demo_source, capsys, monkeypatch):
    (demo_source / "demo" / "templates" / "broken.yaml").write_text("{{ .Values.nope.deeper }}\n")
    monkeypatch.setattr(charts, "stack_of", lambda stack: _stack(DEMO))
    assert charts.main(["dev"], source=demo_source) == 1
    assert "nil pointer evaluating interface {}.deeper" in capsys.readouterr().err


def test_releases_carry_the_values_tools_render_writes():
    from tests.conftest import rendered

    by_chart = {r.chart: r for r in charts.releases_of("dev")}
    assert {r["chart"]: r["values"] for r in rendered("dev").releases} == {c: dict(r.values) for c, r in by_chart.items()}
    assert by_chart["metrics-server"].namespace == "monitoring"


def test_charts_cache_options_go_together(capsys):
    from tools.__main__ import main as tools_main

    for argv in (["charts", "cache", "--from", "x"], ["charts", "cache", "--record"], ["charts", "dev", "--from-git", "x"]):
        with pytest.raises(SystemExit) as exit_info:
            tools_main(argv)
        assert exit_info.value.code == 2, argv
    assert "--record needs --from-git DIR" in capsys.readouterr().err


def test_an_unreachable_chart_repository_names_the_offline_way_and_exits_2(capsys, monkeypatch, tmp_path):
    import helm_python

    monkeypatch.setenv("CLOUD_PLATFORM_CHART_CACHE", str(tmp_path))

    def unreachable(cache, lock):
        raise helm_python.HelmRepoError("looks like https://charts.example is not a valid chart repository or cannot be reached")

    monkeypatch.setattr(charts.chartcache, "fill_from_repositories", unreachable)
    assert charts.cache_main(None) == 2
    assert "python -m tools charts cache --from-git DIR" in capsys.readouterr().err
