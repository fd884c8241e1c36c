"""Every object every stack declares, rendered and validated strictly against Kubernetes 1.35."""

from __future__ import annotations

import json

import pytest

from components.charts import PINS, chart_footprint
from tests.conftest import rendered, stack_run
from tools.render import REDACTED, render
from tools.validate import KUBERNETES_VERSION, UnvalidatedKind, validate_object


def test_target_minor_is_1_35():
    assert KUBERNETES_VERSION.startswith("1.35.")


def test_every_object_is_strict_valid(stack):
    objects = rendered(stack).objects
    assert objects
    problems = [p for o in objects for p in validate_object(o)]
    assert problems == []


def test_strict_validation_rejects_unknown_fields():
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {}, "bogus": 1}
    assert validate_object(bad)


def test_custom_resources_without_a_checker_are_an_error_not_a_skip():
    with pytest.raises(UnvalidatedKind):
        validate_object({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})


def test_every_chart_is_pinned_and_every_container_has_requests_and_limits(stack):
    releases = rendered(stack).releases
    assert releases
    for release in releases:
        pin = PINS[release["chart"]]
        assert release["version"] == pin.version and release["repository"] == pin.repo
        assert all(ch.isdigit() or ch == "." for ch in release["version"]), release["version"]
        assert chart_footprint(pin, release["values"], nodes=3)  # raises KeyError on a missing request/limit


def test_render_writes_objects_releases_and_summary(tmp_path):
    report = render("dev", tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary == report
    assert summary["resourceCount"] == len(stack_run("dev", False).registrations)
    assert summary["resourcesByType"]["kubernetes:apps/v1:Deployment"] >= 5
    assert set(summary["requests"]) >= {"cloudmart", "ingress-nginx"}
    for figures in ("min", "max"):
        assert set(summary["total"][figures]) == {"cpuMillicores", "cpuCores", "memoryMi", "memoryGi"}
    assert summary["total"]["max"]["cpuMillicores"] > summary["total"]["min"]["cpuMillicores"]
    assert (tmp_path / "cloudmart" / "deployment-user-service.yaml").exists()
    release = (tmp_path / "ingress-nginx" / "helmrelease-ingress-nginx.yaml").read_text()
    assert "chart: ingress-nginx" in release and "version: 4.15.1" in release


def test_rendered_files_hold_no_secret_values(tmp_path):
    render("dev", tmp_path)
    text = "\n".join(p.read_text() for p in tmp_path.rglob("*.yaml"))
    assert "mock-cloudmart-credentials" not in text
    assert REDACTED in text


def test_summary_counts_min_at_declared_replicas_and_max_at_hpa_maximum(tmp_path):
    report = render("dev", tmp_path)
    # user-service alone: 2 pods x (100m + 10m) at min, 8 x 110m at max; the namespace sums all.
    cloudmart = report["requests"]["cloudmart"]
    assert cloudmart["min"]["cpuMillicores"] >= 220
    assert cloudmart["max"]["cpuMillicores"] >= 8 * 110


def test_render_output_does_not_depend_on_the_order_mocks_return_keys_in():
    from tools.render import integral

    assert list(integral({"spec": {"b": 1.0, "a": [{"z": 2.0, "y": "x"}]}, "metadata": {}})) == ["metadata", "spec"]
    assert integral({"b": 1.0, "a": [{"z": 2.0, "y": "x"}]}) == {"a": [{"y": "x", "z": 2}], "b": 1}
    assert list(integral({"b": 1.0, "a": [{"z": 2.0, "y": "x"}]})["a"][0]) == ["y", "z"]
