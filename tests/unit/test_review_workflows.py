"""The review and deploy workflows: yamllint with the repository's config, then their structure
(triggers, permissions, what each job runs), since no workflow can run here. actionlint and the
SHA pins of every workflow are tested in test_workflows.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
# The review and deploy workflows of issue 11; ci.yml (make test) belongs to issue 7.
REVIEW = [ROOT / ".github" / "workflows" / n for n in ("pull-request.yml", "pull-request-comment.yml", "deploy-eks.yml", "drift.yml")]
LINTED = [*WORKFLOWS, ROOT / "policy" / "PulumiPolicy.yaml", ROOT / ".yamllint.yaml"]


def load(name: str) -> dict:
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def steps(doc: dict, job: str) -> list[dict]:
    return doc["jobs"][job]["steps"]


def step_using(doc: dict, job: str, action: str) -> dict:
    [found] = [s for s in steps(doc, job) if s.get("uses", "").startswith(f"{action}@")]
    return found


def _lint_config() -> YamlLintConfig:
    return YamlLintConfig(file=str(ROOT / ".yamllint.yaml"))


@pytest.mark.parametrize("path", LINTED, ids=lambda p: p.name)
def test_yamllint_finds_nothing(path):
    problems = list(linter.run(path.read_text(), _lint_config(), str(path)))
    assert [f"{p.line}:{p.column} {p.message}" for p in problems] == []


def test_yamllint_config_rejects_what_it_should():
    bad = "on:\n  push:\n    branches: [main]\njobs:\n  a:\n    if: yes\n    if: no\n"
    rules = {p.rule for p in linter.run(bad, _lint_config())}
    assert {"truthy", "key-duplicates"} <= rules


def test_review_workflows_start_read_only_and_scripts_never_interpolate_event_data():
    for path in REVIEW:
        doc = yaml.safe_load(path.read_text())
        assert doc.get("permissions") == {"contents": "read"}, path.name
        for job in doc["jobs"].values():
            for step in job.get("steps", ()):
                assert "${{" not in step.get("run", ""), f"{path.name}: pass expressions to run scripts through env"


def test_pull_requests_run_make_test():
    runs_tests = [
        p.name
        for p in WORKFLOWS
        if "pull_request" in (load(p.name)["on"] or {})
        and any("make test" in s.get("run", "") or ".ci/run" in s.get("run", "") for j in load(p.name)["jobs"].values() for s in j["steps"])
    ]
    assert runs_tests


def test_pull_request_workflow_has_no_privileged_trigger():
    doc = load("pull-request.yml")
    assert list(doc["on"]) == ["pull_request"]
    assert doc["jobs"]["charts"].get("permissions") is None
    assert doc["jobs"]["offline-diff"].get("permissions") is None


def test_charts_are_rendered_from_a_filled_cache_and_their_tests_cannot_skip():
    doc = load("pull-request.yml")
    runs = [s.get("run", "") for s in steps(doc, "charts")]
    assert not any(s.get("uses", "").startswith("Azure/setup-helm@") for s in steps(doc, "charts"))  # no helm binary
    fill, render = runs.index("make charts"), runs.index(".venv/bin/python -m tools charts")
    [test_step] = [s for s in steps(doc, "charts") if "pytest tests/charts" in s.get("run", "")]
    assert fill < render < steps(doc, "charts").index(test_step)
    assert test_step["env"] == {"CHARTS_REQUIRED": "true"}
    assert "chart-cache" in doc["jobs"]["charts"]["env"]["CLOUD_PLATFORM_CHART_CACHE"]


def test_offline_diff_uses_no_secrets_uploads_the_comment_and_the_budget_guard_fails_the_check():
    text = (ROOT / ".github" / "workflows" / "pull-request.yml").read_text()
    doc = load("pull-request.yml")
    job = doc["jobs"]["offline-diff"]
    assert "secrets." not in yaml.safe_dump(job)
    diff = next(s for s in job["steps"] if s.get("id") == "diff")
    assert '.venv/bin/python -m tools diff --base "origin/$BASE_REF" --format markdown > review/comment.md' in diff["run"]
    upload = step_using(doc, "offline-diff", "actions/upload-artifact")
    assert upload["if"] == "always()" and upload["with"]["name"] == "review-comment"
    guard = job["steps"][-1]
    assert guard["if"] == "steps.diff.outputs.status != '0'" and "exit 1" in guard["run"]
    assert text.count("fetch-depth: 0") == 1


def test_the_comment_is_posted_from_the_base_repository_and_updated_in_place():
    doc = load("pull-request-comment.yml")
    assert doc["on"] == {"workflow_run": {"workflows": [load("pull-request.yml")["name"]], "types": ["completed"]}}
    assert doc["jobs"]["comment"]["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert not any("actions/checkout" in s.get("uses", "") for s in steps(doc, "comment"))
    sticky = step_using(doc, "comment", "marocchino/sticky-pull-request-comment")["with"]
    assert sticky == {"header": "offline-diff", "number": "${{ steps.pr.outputs.number }}", "path": "review/comment.md"}


def test_cloud_preview_uses_oidc_the_policy_pack_and_one_edited_comment_and_skips_with_a_notice():
    doc = load("pull-request.yml")
    job = doc["jobs"]["cloud-preview"]
    assert job["permissions"]["id-token"] == "write"
    gate = job["steps"][0]
    assert gate["id"] == "gate" and "::notice" in gate["run"] and "forks" in gate["run"]
    assert all(s.get("if") == "steps.gate.outputs.run == 'true'" for s in job["steps"][1:])
    aws = step_using(doc, "cloud-preview", "aws-actions/configure-aws-credentials")["with"]
    assert aws["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}" and "aws-access-key-id" not in aws
    pulumi = step_using(doc, "cloud-preview", "pulumi/actions")["with"]
    assert pulumi["command"] == "preview" and pulumi["diff"] is True
    assert pulumi["comment-on-pr"] is True and pulumi["edit-pr-comment"] is True
    assert pulumi["policyPacks"] == "policy" and pulumi["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"


def test_eks_is_deployed_from_main_behind_a_protected_environment():
    doc = load("deploy-eks.yml")
    assert doc["on"] == {"push": {"branches": ["main"]}}
    job = doc["jobs"]["up"]
    # Issue 19: the environments mirror the stacks; eks is the one cloud stack today.
    assert job["environment"] == "${{ matrix.stack }}" and job["strategy"]["matrix"]["stack"] == ["eks"]
    assert job["needs"] == "preview"
    assert doc["concurrency"]["cancel-in-progress"] is False
    pulumi = step_using(doc, "up", "pulumi/actions")["with"]
    assert (pulumi["command"], pulumi["stack-name"], pulumi["policyPacks"]) == ("up", "${{ matrix.stack }}", "policy")
    aws = step_using(doc, "up", "aws-actions/configure-aws-credentials")["with"]
    assert aws["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"


def test_a_merge_previews_every_stack_before_eks_is_deployed():
    doc = load("deploy-eks.yml")
    preview = doc["jobs"]["preview"]
    stacks = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))
    assert sorted(preview["strategy"]["matrix"]["stack"]) == stacks
    offline = next(s for s in preview["steps"] if "tools render" in s.get("run", ""))
    assert '.venv/bin/python -m tools policy "$STACK"' in offline["run"] and "if" not in offline
    pulumi = step_using(doc, "preview", "pulumi/actions")
    assert pulumi["if"] == "steps.gate.outputs.run == 'true'" and pulumi["with"]["command"] == "preview"
    aws = step_using(doc, "preview", "aws-actions/configure-aws-credentials")["with"]
    assert aws["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
