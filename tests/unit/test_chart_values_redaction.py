"""Chart values that carry a secret: Pulumi marks the whole ``values`` input secret, so what
``tools render`` and ``tools diff`` write redacts the pin's declared secret paths and keeps the
rest readable; a chart that declares none is redacted whole (never written in clear)."""

from __future__ import annotations

from components.cost.inventory import HELM_CHART, REDACTED, Declared, collect

KEY = "-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n"


def _chart(chart: str, values: dict, secret_paths: list[str]) -> Declared:
    inputs = {"chart": chart, "version": "1", "namespace": "kube-system", "values": values}
    return Declared(HELM_CHART, chart, inputs, secret_paths)


def test_a_pins_declared_secret_value_is_redacted_and_the_rest_kept():
    values = {"replicaCount": 2, "webhookTLS": {"caCert": "CA", "cert": "C", "key": KEY}}
    (release,) = collect([_chart("aws-load-balancer-controller", values, ["/values"])]).releases
    assert release["values"] == {"replicaCount": 2, "webhookTLS": {"caCert": "CA", "cert": "C", "key": REDACTED}}


def test_wholly_secret_values_of_a_chart_that_declares_no_secret_path_are_redacted_whole():
    (release,) = collect([_chart("external-dns", {"token": KEY, "replicas": 1}, ["/values"])]).releases
    assert release["values"] == {"token": REDACTED, "replicas": REDACTED}


def test_a_secret_leaf_is_redacted_where_the_sdk_marks_only_that_leaf():
    (release,) = collect([_chart("external-dns", {"token": KEY, "replicas": 1}, ["/values/token"])]).releases
    assert release["values"] == {"token": REDACTED, "replicas": 1}
