"""Pure data: quantities and the invariants the specs enforce."""

from __future__ import annotations

import pytest

from components.specs import (
    CommandProbe,
    EnvVar,
    Hpa,
    Resources,
    WorkloadSpec,
    cpu_quantity,
    memory_quantity,
    parse_cpu_m,
    parse_memory_mi,
)


@pytest.mark.parametrize("m,text", [(100, "100m"), (1000, "1"), (2500, "2500m")])
def test_cpu_quantities_render_like_kubectl(m, text):
    assert cpu_quantity(m) == text
    assert parse_cpu_m(text) == m


@pytest.mark.parametrize("mi,text", [(128, "128Mi"), (1024, "1Gi"), (1536, "1536Mi")])
def test_memory_quantities_render_in_binary_units(mi, text):
    assert memory_quantity(mi) == text
    assert parse_memory_mi(text) == mi


def test_decimal_memory_units_convert_to_mebibytes():
    assert parse_memory_mi("100M") == pytest.approx(95.367, rel=1e-3)
    assert parse_memory_mi(str(64 * 1024 * 1024)) == 64


def test_limits_below_requests_are_rejected():
    with pytest.raises(ValueError, match="limits must be >= requests"):
        Resources(200, 128, 100, 256)


def test_requests_are_mandatory_and_positive():
    with pytest.raises(ValueError, match="requests must be positive"):
        Resources(0, 128, 100, 256)


def test_hpa_bounds_must_be_ordered_and_have_a_metric():
    with pytest.raises(ValueError):
        Hpa(5, 2)
    with pytest.raises(ValueError):
        Hpa(1, 3, cpu_utilization=None)


def test_env_var_needs_exactly_one_source():
    with pytest.raises(ValueError):
        EnvVar("X")
    with pytest.raises(ValueError):
        EnvVar("X", value="a", secret="s", key="k")
    assert EnvVar("X", secret="s", key="k").to_k8s() == {"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}


def test_command_probe_needs_one_action():
    with pytest.raises(ValueError):
        CommandProbe(1, 1)
    assert CommandProbe(1, 2, tcp_port=6379).to_k8s()["tcpSocket"] == {"port": 6379}


def test_replicas_start_at_the_hpa_minimum_when_declared_lower():
    spec = WorkloadSpec("x", (), replicas=1, service_ports=(), component="c", part_of="p", hpa=Hpa(2, 4))
    assert (spec.min_replicas, spec.max_replicas) == (2, 4)
