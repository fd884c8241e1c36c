"""Issue 14: what Pulumi's v4 Chart applies from each pinned chart, on every stack.

Hooks are dropped before any check (``tools/chartmodel.py`` says why, with Pulumi's source). Each
test names one check of ``tools.charts.CHECKS`` and fails with every problem it found.
"""

from __future__ import annotations

import pytest

from tests.charts.conftest import require_charts
from tests.conftest import EKS_STACKS, STACKS
from tools import chartmodel

require_charts()

per_stack = pytest.mark.parametrize("results", STACKS, indirect=True)


def _found(results, check: str) -> list[str]:
    return [f"{r.release.chart}: {p}" for r in results for p in r.checks[check]]


@per_stack
def test_no_pod_needs_an_object_that_only_a_hook_creates(results):
    assert _found(results, "hook-only objects") == []


@per_stack
def test_every_webhook_configuration_has_a_ca_source(results):
    assert _found(results, "webhook CA") == []


@per_stack
def test_two_renders_of_the_same_values_are_identical(results):
    assert _found(results, "determinism") == []


@per_stack
def test_no_grafana_role_reads_secrets_cluster_wide(results):
    assert _found(results, "grafana secrets") == []


@per_stack
def test_grafana_sidecars_watch_named_namespaces(results):
    assert _found(results, "grafana sidecars") == []


@per_stack
def test_every_chart_container_init_containers_included_is_sized(results):
    assert _found(results, "sizing") == []


@per_stack
def test_every_chart_pod_passes_its_namespace_enforce_level(results):
    assert _found(results, "pod security") == []


@per_stack
def test_only_host_agents_are_privileged(results):
    assert _found(results, "host access") == []


@per_stack
def test_a_replicated_webhook_server_has_a_disruption_budget(results):
    assert _found(results, "disruption budget") == []


@per_stack
def test_rendered_objects_are_valid_use_every_values_key_and_pass_the_policies(results):
    assert [f"{r.release.chart}: {p}" for r in results for p in r.problems] == []


@per_stack
def test_nothing_pulumi_applies_is_a_hook(results):
    assert [chartmodel.ref(o) for r in results for o in r.objects if chartmodel.is_hook(o)] == []
    assert all(chartmodel.is_hook(o) for r in results for o in r.hooks)


@pytest.mark.parametrize("results", EKS_STACKS, indirect=True)
def test_the_load_balancer_controller_has_a_disruption_budget(results):
    [lbc] = [r for r in results if r.release.chart == "aws-load-balancer-controller"]
    assert [chartmodel.ref(o) for o in lbc.objects if o["kind"] == "PodDisruptionBudget"] != []
