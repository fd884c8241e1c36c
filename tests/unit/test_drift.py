"""Issue 19, drift detection: `tools drift` keeps one issue per stack from each scheduled
`pulumi preview --refresh --expect-no-changes`, and the drift workflow runs it read-only."""

from __future__ import annotations

import argparse
import urllib.error
from pathlib import Path

import pytest

from tests.unit.test_review_workflows import load, step_using, steps
from tools import drift

DRIFT_OUTPUT = "~ aws:ec2/securityGroup:SecurityGroup sg update [diff: ~ingress]\nerror: no changes were expected but changes were proposed\n"


class FakeGitHub:
    """The GitHub REST API as the command uses it: issues live in memory, every call is logged."""

    def __init__(self, issues: list[dict] | None = None, fail: bool = False):
        self.issues = issues or []
        self.calls: list[tuple[str, str, dict | None]] = []
        self.fail = fail

    def __call__(self, api_url: str, token: str):
        assert (api_url, token) == ("https://api.github.com", "t0ken")
        return self.request

    def request(self, method: str, path: str, body):
        self.calls.append((method, path, body))
        if self.fail:
            raise urllib.error.URLError("connection refused")
        if method == "GET":
            page = int(path.rsplit("page=", 1)[1])
            open_ = [i for i in self.issues if i["state"] == "open" and drift.LABEL in i["labels"]]
            return open_[(page - 1) * 100 : page * 100]
        if method == "POST" and path.endswith("/issues"):
            issue = {"number": 100 + len(self.issues), "state": "open", **body}
            self.issues.append(issue)
            return issue
        number = int(path.split("/issues/")[1].split("/")[0])
        [issue] = [i for i in self.issues if i["number"] == number]
        if method == "POST":
            issue.setdefault("comments", []).append(body["body"])
            return {"id": 1}
        issue.update(body)
        return issue

    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p, _ in self.calls if m != "GET"]


ENV = {"GITHUB_TOKEN": "t0ken", "GITHUB_REPOSITORY": "acme/cloud-platform", "GITHUB_RUN_ID": "42"}
RUN_URL = "https://github.com/acme/cloud-platform/actions/runs/42"


def _run(tmp_path: Path, github: FakeGitHub, status: int, output: str, stack: str = "eks", env=None) -> int:
    log = tmp_path / "preview.log"
    log.write_text(output)
    args = argparse.Namespace(stack=stack, status=status, log=log)
    return drift.run(args, env={**ENV, "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), **(env or {})}, make_request=github)


@pytest.mark.parametrize(
    ("status", "output", "outcome"),
    [
        (0, "Resources:\n    212 unchanged\n", "clean"),
        (255, DRIFT_OUTPUT, "drift"),
        # The wording of `up`/`refresh` and of older CLIs.
        (255, "error: no changes were expected but changes occurred\n", "drift"),
        (255, "error: no changes were expected for preview but changes were proposed\n", "drift"),
        (255, "error: failed to load checkpoint: AccessDenied\n", "error"),
        (1, "error: the stack is currently locked by 1 lock(s)\n", "error"),
    ],
)
def test_a_preview_run_is_clean_drift_or_an_error(status, output, outcome):
    assert drift.classify(status, output) == outcome


def test_the_first_drift_opens_one_labelled_issue_with_the_diff(tmp_path):
    github = FakeGitHub()
    assert _run(tmp_path, github, 255, DRIFT_OUTPUT) == 1
    [issue] = github.issues
    assert issue["title"] == "Drift detected on stack eks" and issue["labels"] == ["drift"]
    assert "sg update [diff: ~ingress]" in issue["body"] and RUN_URL in issue["body"]
    assert "drift detected" in (tmp_path / "summary.md").read_text()


def test_drift_again_updates_the_same_issue_instead_of_opening_another(tmp_path):
    github = FakeGitHub()
    _run(tmp_path, github, 255, DRIFT_OUTPUT)
    assert _run(tmp_path, github, 255, DRIFT_OUTPUT.replace("sg update", "role update")) == 1
    [issue] = github.issues
    assert "role update" in issue["body"] and issue["comments"] == [f"Still drifting in {RUN_URL}."]


def test_a_clean_run_closes_the_open_issue_and_a_later_drift_opens_a_new_one(tmp_path):
    github = FakeGitHub()
    _run(tmp_path, github, 255, DRIFT_OUTPUT)
    assert _run(tmp_path, github, 0, "212 unchanged") == 0
    [issue] = github.issues
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    assert issue["comments"] == [f"No drift in {RUN_URL}: closing."]
    _run(tmp_path, github, 255, DRIFT_OUTPUT)
    assert [i["state"] for i in github.issues] == ["closed", "open"]


def test_a_clean_run_with_no_issue_and_a_failed_run_write_nothing(tmp_path):
    github = FakeGitHub()
    assert _run(tmp_path, github, 0, "212 unchanged") == 0
    assert _run(tmp_path, github, 255, "error: AccessDenied") == 2
    assert github.writes() == []
    # A failed refresh proves nothing: an open drift issue stays open and unchanged.
    _run(tmp_path, github, 255, DRIFT_OUTPUT)
    before = dict(github.issues[0])
    assert _run(tmp_path, github, 255, "error: AccessDenied") == 2
    assert github.issues[0] == before
    assert "the drift check failed" in (tmp_path / "summary.md").read_text()


def test_each_stack_has_its_own_issue_and_others_are_left_alone(tmp_path):
    unrelated = {"number": 7, "state": "open", "title": "Drift detected on stack staging", "labels": ["drift"]}
    pull = {"number": 8, "state": "open", "title": "Drift detected on stack eks", "labels": ["drift"], "pull_request": {}}
    github = FakeGitHub([unrelated, pull])
    _run(tmp_path, github, 255, DRIFT_OUTPUT)
    assert [i["number"] for i in github.issues if i["title"] == "Drift detected on stack eks" and "pull_request" not in i] == [102]
    assert "comments" not in unrelated


def test_the_open_issue_is_found_past_the_first_page():
    filler = [{"number": n, "state": "open", "title": f"Drift detected on stack s{n}", "labels": ["drift"]} for n in range(100)]
    target = {"number": 500, "state": "open", "title": "Drift detected on stack eks", "labels": ["drift"]}
    github = FakeGitHub([*filler, target])
    assert drift.GitHub("acme/cloud-platform", github.request).open_issue("Drift detected on stack eks") is target


def test_a_long_diff_is_cut_from_the_front_to_fit_an_issue():
    diff = "x" * 70_000 + "error: no changes were expected but changes were proposed"
    body = drift.issue_body("eks", RUN_URL, diff)
    assert len(body) < 65_536 and body.count("error: no changes were expected") == 1
    assert "earlier characters cut" in body


def test_missing_token_or_an_api_failure_is_one_line_and_exit_2(tmp_path, capsys):
    assert _run(tmp_path, FakeGitHub(), 255, DRIFT_OUTPUT, env={"GITHUB_TOKEN": ""}) == 2
    assert capsys.readouterr().err.strip() == "drift: GITHUB_TOKEN must be set (the workflow passes them)"
    assert _run(tmp_path, FakeGitHub(fail=True), 255, DRIFT_OUTPUT) == 2
    assert "the issue for eks was not updated" in capsys.readouterr().err


def test_the_drift_workflow_runs_daily_read_only_with_the_preview_role():
    doc = load("drift.yml")
    assert "schedule" in doc["on"] and doc["on"]["schedule"][0]["cron"].split()[2:] == ["*", "*", "*"]
    assert doc["permissions"] == {"contents": "read"}
    job = doc["jobs"]["drift"]
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    assert job["strategy"]["matrix"]["stack"] == ["eks"]
    # The same OIDC role as the pull-request preview: read access, never the deploy role.
    preview_role = step_using(load("pull-request.yml"), "cloud-preview", "aws-actions/configure-aws-credentials")["with"]["role-to-assume"]
    assert step_using(doc, "drift", "aws-actions/configure-aws-credentials")["with"]["role-to-assume"] == preview_role
    assert "AWS_DEPLOY_ROLE_ARN" not in (Path(__file__).resolve().parents[2] / ".github/workflows/drift.yml").read_text()


def test_the_drift_workflow_previews_with_refresh_and_hands_the_result_to_tools_drift():
    doc = load("drift.yml")
    gate, *rest = steps(doc, "drift")
    assert gate["id"] == "gate" and "::notice" in gate["run"] and "fork" in gate["run"]
    assert all(s.get("if") == "steps.gate.outputs.run == 'true'" for s in rest)
    preview = next(s for s in rest if s.get("id") == "preview")
    assert 'pulumi preview --stack "$STACK" --refresh --expect-no-changes' in preview["run"]
    assert "set +e" in preview["run"] and 'echo "status=$?" >> "$GITHUB_OUTPUT"' in preview["run"]
    report = rest[-1]
    assert report["run"] == '.venv/bin/python -m tools drift --stack "$STACK" --status "$STATUS" --log preview.log'
    assert report["env"]["STATUS"] == "${{ steps.preview.outputs.status }}"
    for step in doc["jobs"]["drift"]["steps"]:
        assert "${{" not in step.get("run", "")
    pulumi = step_using(doc, "drift", "pulumi/actions")["with"]
    assert "command" not in pulumi
    assert pulumi["pulumi-version"] == step_using(load("deploy-eks.yml"), "up", "pulumi/actions")["with"]["pulumi-version"]
