"""Checkers for the custom resources the program declares (no Kubernetes schema covers them).

Each checker validates the fields we use against a strict JSON schema written from the
Prometheus Operator API reference (unknown fields are errors), and a PrometheusRule's
expressions are parsed and their metrics checked (``tools/promql.py``).
Ref: https://prometheus-operator.dev/docs/api-reference/api/
"""

from __future__ import annotations

import jsonschema

from tools.promql import problems as promql_problems

_STR = {"type": "string", "minLength": 1}
_DURATION = {"type": "string", "pattern": r"^([0-9]+(ms|s|m|h|d|w|y))+$"}
_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
_METADATA = {
    "type": "object",
    "required": ["name", "namespace"],
    "properties": {"name": _STR, "namespace": _STR, "labels": _LABELS, "annotations": _LABELS},
    "additionalProperties": False,
}


def _resource(kind: str, spec: dict) -> dict:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {"apiVersion": {"const": "monitoring.coreos.com/v1"}, "kind": {"const": kind}, "metadata": _METADATA, "spec": spec},
        "additionalProperties": False,
    }


_SELECTOR = {
    "type": "object",
    "properties": {"matchLabels": _LABELS},
    "required": ["matchLabels"],
    "additionalProperties": False,
}
_NAMESPACE_SELECTOR = {
    "type": "object",
    "properties": {"matchNames": {"type": "array", "items": _STR, "minItems": 1}, "any": {"type": "boolean"}},
    "additionalProperties": False,
}
_ENDPOINT = {
    "type": "object",
    "required": ["port"],
    "properties": {
        "port": _STR,
        "path": {"type": "string", "pattern": "^/"},
        "interval": _DURATION,
        "scheme": {"enum": ["http", "https"]},
        "honorLabels": {"type": "boolean"},
    },
    "additionalProperties": False,
}


def _monitor(kind: str, endpoints_key: str) -> dict:
    """PodMonitor and ServiceMonitor differ only in their kind and endpoint list's key."""
    return _resource(
        kind,
        {
            "type": "object",
            "required": ["selector", endpoints_key],
            "properties": {
                "namespaceSelector": _NAMESPACE_SELECTOR,
                "selector": _SELECTOR,
                endpoints_key: {"type": "array", "items": _ENDPOINT, "minItems": 1},
                # Pod labels copied onto the series (both kinds have it).
                "podTargetLabels": {"type": "array", "items": _STR, "minItems": 1},
            },
            "additionalProperties": False,
        },
    )


POD_MONITOR = _monitor("PodMonitor", "podMetricsEndpoints")
SERVICE_MONITOR = _monitor("ServiceMonitor", "endpoints")
_RULE = {
    "type": "object",
    "required": ["alert", "expr"],
    "properties": {
        "alert": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
        "expr": _STR,
        "for": _DURATION,
        "labels": _LABELS,
        "annotations": _LABELS,
    },
    "additionalProperties": False,
}
PROMETHEUS_RULE = _resource(
    "PrometheusRule",
    {
        "type": "object",
        "required": ["groups"],
        "properties": {
            "groups": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["name", "rules"],
                    "properties": {"name": _STR, "interval": _DURATION, "rules": {"type": "array", "items": _RULE, "minItems": 1}},
                    "additionalProperties": False,
                },
            }
        },
        "additionalProperties": False,
    },
)


def _schema_problems(obj: dict, schema: dict) -> list[str]:
    name = obj.get("metadata", {}).get("name")
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{obj.get('kind')} {name}: {'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(obj)
    ]


def check_pod_monitor(obj: dict) -> list[str]:
    return _schema_problems(obj, POD_MONITOR)


def check_service_monitor(obj: dict) -> list[str]:
    return _schema_problems(obj, SERVICE_MONITOR)


def check_prometheus_rule(obj: dict) -> list[str]:
    found = _schema_problems(obj, PROMETHEUS_RULE)
    if found:
        return found
    return [p for group in obj["spec"]["groups"] for rule in group["rules"] for p in promql_problems(rule["expr"])]


CHECKERS = {
    "monitoring.coreos.com/v1/PodMonitor": check_pod_monitor,
    "monitoring.coreos.com/v1/ServiceMonitor": check_service_monitor,
    "monitoring.coreos.com/v1/PrometheusRule": check_prometheus_rule,
}
