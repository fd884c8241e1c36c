"""Issue 14 on eks: the Load Balancer Controller's webhook certificate comes from the program
(the same at every render, its key never written out), the controller has a
PodDisruptionBudget, and both controllers meet the restricted Pod Security profile."""

from __future__ import annotations

import json

from components.aws.specs import ALB_WEBHOOK_SERVICE
from components.cost.inventory import REDACTED
from components.webhook_tls import webhook_dns_names
from tests.conftest import rendered, stack_run
from tools.diff import Record, objects_of
from tools.podsecurity import restricted_violations
from tools.render import render

STACK = "eks"
CONTROLLER = "aws-load-balancer-controller"
PRIVATE_KEY = "PRIVATE KEY-----"


def _chart(name: str):
    (chart,) = [r for r in stack_run(STACK, False).of_type("kubernetes:helm.sh/v4:Chart") if r.inputs["chart"] == name]
    return chart


def _tls(kind: str, name: str):
    (reg,) = [r for r in stack_run(STACK, False).of_type(f"tls:index/{kind}") if r.name == name]
    return reg


def test_the_webhook_certificate_names_the_chart_webhook_service():
    request = _tls("certRequest:CertRequest", "aws-load-balancer-controller-webhook-request")
    assert request.inputs["dnsNames"] == [
        "aws-load-balancer-webhook-service.kube-system",
        "aws-load-balancer-webhook-service.kube-system.svc",
        "aws-load-balancer-webhook-service.kube-system.svc.cluster.local",
    ]
    assert webhook_dns_names(ALB_WEBHOOK_SERVICE, "kube-system") == request.inputs["dnsNames"]
    cert = _tls("locallySignedCert:LocallySignedCert", "aws-load-balancer-controller-webhook-cert")
    assert "server_auth" in cert.inputs["allowedUses"] and cert.inputs["earlyRenewalHours"] > 0
    ca = _tls("selfSignedCert:SelfSignedCert", "aws-load-balancer-controller-webhook-ca")
    assert ca.inputs["isCaCertificate"] is True


def test_the_controller_gets_the_program_made_ca_certificate_and_key_so_renders_do_not_change():
    """All three set: the chart's webhookCerts helper then skips genCA/genSignedCert."""
    values = _chart(CONTROLLER).inputs["values"]
    tls = values["webhookTLS"]
    assert tls["caCert"].startswith("-----BEGIN CERTIFICATE-----") and "webhook-ca" in tls["caCert"]
    assert tls["cert"].startswith("-----BEGIN CERTIFICATE-----") and "webhook-cert" in tls["cert"]
    assert tls["key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert values.get("keepTLSSecret") is not True and values.get("enableCertManager") is not True


def test_the_webhook_key_is_a_secret_and_no_output_carries_it():
    run = stack_run(STACK, False)
    assert "/values" in _chart(CONTROLLER).secret_paths  # the SDK marks the whole values secret
    assert PRIVATE_KEY not in json.dumps(run.outputs, default=str)


def test_render_and_diff_write_the_webhook_key_redacted_and_everything_else_readable(tmp_path):
    render(STACK, tmp_path)
    written = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert PRIVATE_KEY not in written
    (release,) = [r for r in rendered(STACK).releases if r["chart"] == CONTROLLER]
    assert release["values"]["webhookTLS"]["key"] == REDACTED
    assert release["values"]["webhookTLS"]["caCert"].startswith("-----BEGIN CERTIFICATE-----")
    assert release["values"]["replicaCount"] == 2
    records = [Record(r.type, r.name, r.inputs, r.secret_paths, r.custom) for r in stack_run(STACK, False).registrations]
    assert PRIVATE_KEY not in json.dumps(objects_of(records), default=str)


def test_the_controller_has_a_disruption_budget_with_two_replicas():
    values = _chart(CONTROLLER).inputs["values"]
    # templates/pdb.yaml renders only with replicaCount > 1
    assert values["podDisruptionBudget"] == {"maxUnavailable": 1} and values["replicaCount"] > 1


def _pod(values: dict, pod_key: str, container_key: str) -> dict:
    return {"securityContext": values[pod_key], "containers": [{"name": "controller", "securityContext": values[container_key]}]}


def test_both_controllers_meet_the_restricted_profile():
    lbc = _chart(CONTROLLER).inputs["values"]
    autoscaler = _chart("cluster-autoscaler").inputs["values"]
    assert restricted_violations(_pod(lbc, "podSecurityContext", "securityContext")) == []
    assert restricted_violations(_pod(autoscaler, "securityContext", "containerSecurityContext")) == []
    assert autoscaler["securityContext"]["runAsUser"] == 65534
