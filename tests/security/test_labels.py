"""Issue 9, cost allocation: every object every stack declares (and every Namespace, and
every pod template) carries ``team``, ``cost-center`` and ``app.kubernetes.io/part-of``;
charts get them through their common-label values."""

from __future__ import annotations

from components.charts import PART_OF_LABEL, PINS, dig
from tests.conftest import rendered_with_demo

OWNER_KEYS = ("team", "cost-center", PART_OF_LABEL)


def _missing(labels: dict | None) -> list[str]:
    return [k for k in OWNER_KEYS if not (labels or {}).get(k)]


def _templates(obj: dict) -> list[dict]:
    spec = obj.get("spec") or {}
    out = []
    if "template" in spec:
        out.append(spec["template"])
    if "jobTemplate" in spec:
        out += [spec["jobTemplate"], spec["jobTemplate"]["spec"]["template"]]
    out += spec.get("volumeClaimTemplates") or []
    return out


def test_every_rendered_object_carries_the_three_owner_labels(stack):
    objects = rendered_with_demo(stack).objects
    assert len(objects) > 100
    missing = {
        f"{o['kind']}/{o['metadata'].get('namespace', '')}/{o['metadata']['name']}": _missing(o["metadata"].get("labels"))
        for o in objects
    }
    assert {k: v for k, v in missing.items() if v} == {}


def test_every_pod_and_claim_template_carries_them_too(stack):
    problems = {}
    for o in rendered_with_demo(stack).objects:
        for i, template in enumerate(_templates(o)):
            if _missing((template.get("metadata") or {}).get("labels")):
                problems[f"{o['kind']}/{o['metadata']['name']}#{i}"] = _missing(template["metadata"].get("labels"))
    assert problems == {}


def test_every_chart_takes_the_owner_labels_through_its_values(stack):
    releases = rendered_with_demo(stack).releases
    assert releases
    for release in releases:
        pin = PINS[release["chart"]]
        assert pin.labels, f"{pin.chart} has no label slot"
        for slot in pin.labels:
            labels = dig(release["values"], slot.path)
            assert labels.get("team") and labels.get("cost-center"), (pin.chart, slot.path)
            # Charts that write part-of themselves must not get a second key of that name.
            assert (PART_OF_LABEL in labels) is (not slot.sets_part_of), (pin.chart, slot.path)


def test_finops_demo_pods_carry_seed_001s_app_and_tier_labels():
    expected = {"web-app": ("web", "frontend"), "api-server": ("api", "backend"), "dev-service": ("dev", "backend")}
    deployments = {o["metadata"]["name"]: o for o in rendered_with_demo("dev").objects if o["kind"] == "Deployment"}
    for name, (app, tier) in expected.items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert (labels["app"], labels["tier"]) == (app, tier)
