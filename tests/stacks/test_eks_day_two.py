"""Issue 19, DNS owned by the program: with `hostedZoneId`, external-dns publishes every public
name of the eks stack in that zone, and its role can touch nothing else."""

from __future__ import annotations

import fnmatch
import json
from urllib.parse import urlsplit

from components.aws.specs import external_dns_values
from tests.conftest import rendered, stack_run
from tools.mockrun import run_program, stack_config

STACK = "eks"
P = "cloud-platform:"
ZONE = "Z0EXAMPLE2025TEAMPROJ"  # Pulumi.eks.yaml's hostedZoneId
DOMAIN = "2025teamproject.store"


def _external_dns() -> dict:
    [values] = [r["values"] for r in rendered(STACK).releases if r["chart"] == "external-dns"]
    return values


def _public_names(outputs: dict) -> set[str]:
    return {urlsplit(u).hostname for u in outputs["urls"].values() if urlsplit(u).scheme == "https"}


def _ingress_hosts(run) -> set[str]:
    """Hosts of the Ingresses the ALB serves: the Load Balancer Controller writes their status,
    which is where external-dns's ingress source reads the ALB's name from."""
    return {
        rule["host"]
        for ingress in run.of_type("kubernetes:networking.k8s.io/v1:Ingress")
        if ingress.inputs["spec"].get("ingressClassName") == "alb"
        for rule in ingress.inputs["spec"]["rules"]
    }


def _under(name: str, domains: list[str]) -> bool:
    return any(name == d or name.endswith("." + d) for d in domains)


def test_every_name_in_the_url_outputs_is_published_by_external_dns():
    run = stack_run(STACK, False)
    values = _external_dns()
    names = _public_names(run.outputs)
    assert names, "the eks stack exports https URLs"
    assert "ingress" in values["sources"]
    assert f"--zone-id-filter={ZONE}" in values["extraArgs"]
    uncovered = {n for n in names if n not in _ingress_hosts(run) or not _under(n, values["domainFilters"])}
    assert uncovered == set()


def test_records_follow_the_ingresses_and_only_this_clusters_records_are_ever_changed():
    values = _external_dns()
    assert (values["provider"], values["registry"], values["policy"]) == ({"name": "aws"}, "txt", "sync")
    assert values["txtOwnerId"] == "trip-service-cluster"
    # The apex's ownership record must stay inside its zone: the prefix carries the record type
    # and ends with a dot (external-dns docs/registry/txt.md).
    assert "%{record_type}" in values["txtPrefix"] and values["txtPrefix"].endswith(".")
    assert values["domainFilters"] == [DOMAIN]


def test_the_dns_role_can_change_records_only_in_its_zone_and_under_the_domain():
    run = stack_run(STACK, False)
    [policy] = [r for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "external-dns-policy"]
    statements = json.loads(policy.inputs["policy"])["Statement"]
    zone = f"arn:aws:route53:::hostedzone/{ZONE}"
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions, resources = set(statement["Action"]), set(statement["Resource"])
        assert all(a.startswith("route53:") for a in actions)
        # AWS authorises ListHostedZones only on "*"; every other call is held to the one zone.
        assert resources == {zone} or actions == {"route53:ListHostedZones"}, statement
    [change] = [s for s in statements if "route53:ChangeResourceRecordSets" in s["Action"]]
    allowed = change["Condition"]["ForAllValues:StringLike"]["route53:ChangeResourceRecordSetsNormalizedRecordNames"]
    assert all(fnmatch.fnmatch(n, p) is False for n in ("evil.example.com", "2025teamproject.store.evil.com") for p in allowed)
    assert any(fnmatch.fnmatch("extdns-a.grafana." + DOMAIN, p) for p in allowed)
    assert any(fnmatch.fnmatch(DOMAIN, p) for p in allowed)


def test_only_the_external_dns_service_account_may_assume_the_dns_role():
    run = stack_run(STACK, False)
    [role] = [r for r in run.of_type("aws:iam/role:Role") if r.name == "external-dns-role"]
    condition = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:kube-system:external-dns" in condition.values()
    assert _external_dns()["serviceAccount"]["name"] == "external-dns"


def test_without_a_hosted_zone_nothing_touches_dns():
    arn = "arn:aws:acm:ap-northeast-2:111122223333:certificate/12345678-1234-1234-1234-123456789012"
    config, secrets = stack_config(STACK, {P + "certificateArn": arn, P + "hostedZoneId": ""})
    run = run_program(STACK, preview=False, config=config, secret_keys=secrets)
    releases = [r for r in run.of_type("kubernetes:helm.sh/v4:Chart") if "external-dns" in r.name]
    assert releases == []
    assert [r for r in run.registrations if r.name.startswith("external-dns")] == []


def test_external_dns_values_are_pure_data():
    values = external_dns_values("c", "ap-northeast-2", "Z1", "example.com", "arn:aws:iam::1:role/r", "external-dns")
    assert values["extraArgs"] == ["--aws-zone-type=public", "--zone-id-filter=Z1"]
    assert values["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/r"}
    assert values["resources"]["requests"] and values["resources"]["limits"]


def test_viewer_principals_get_read_only_access_entries_beside_the_admins():
    admin, viewer = "arn:aws:iam::111122223333:role/admins", "arn:aws:iam::111122223333:role/ci-preview"
    config, secrets = stack_config(STACK, {P + "adminPrincipalArns": admin, P + "viewerPrincipalArns": viewer})
    (cluster,) = run_program(STACK, preview=False, config=config, secret_keys=secrets).of_type("eks:index:Cluster")
    entries = {e["principalArn"]: e["accessPolicies"] for e in cluster.inputs["accessEntries"].values()}
    policy = {arn: [p["policyArn"].rsplit("/", 1)[1] for p in policies.values()] for arn, policies in entries.items()}
    assert policy == {admin: ["AmazonEKSClusterAdminPolicy"], viewer: ["AmazonEKSAdminViewPolicy"]}
    scopes = {p["accessScope"]["type"] for policies in entries.values() for p in policies.values()}
    assert scopes == {"cluster"}

