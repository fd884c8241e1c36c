"""``python -m tools drift``: turn one scheduled ``pulumi preview --refresh --expect-no-changes``
into one GitHub issue per stack (README, "Drift detection").

The drift workflow (``.github/workflows/drift.yml``) runs the preview and hands this command the
preview's exit status and its output. The command then:

- classifies the run: ``clean`` (exit 0), ``drift`` (the CLI's expect-no-changes error), or
  ``error`` (any other failure: credentials, a locked stack, a program error). Pulumi words the
  expect-no-changes error differently across commands and versions ("no changes were expected
  but changes were proposed" / "... occurred", Ref: pulumi/pulumi ``pkg/cmd/pulumi`` preview and
  ``NoChangesExpectedError``), so both forms are recognised;
- writes the diff to the job summary;
- keeps exactly one open issue per stack, titled ``Drift detected on stack <stack>`` and labelled
  ``drift``: it opens one on the first drift, updates its body and comments on every later drift,
  and closes it with a comment on the first clean run. An error leaves the issue as it is: a
  failed refresh proves neither drift nor its absence.

Exit status: 0 clean, 1 drift (the check fails, as DESIGN.md's convention has it for a check that
found a problem), 2 error or bad usage. Standard library only: it runs before any venv exists.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

LABEL = "drift"
# GitHub caps an issue body and a comment at 65,536 characters; keep room for the text around it.
MAX_DIFF_CHARS = 60_000
_EXPECT_NO_CHANGES = re.compile(r"no changes were expected (?:for \S+ )?but changes (?:were proposed|occurred)")

Outcome = Literal["clean", "drift", "error"]
Action = Literal["open", "update", "close", "none"]


def issue_title(stack: str) -> str:
    return f"Drift detected on stack {stack}"


def classify(status: int, output: str) -> Outcome:
    """What one ``pulumi preview --refresh --expect-no-changes`` run says about the stack."""
    if status == 0:
        return "clean"
    if _EXPECT_NO_CHANGES.search(output):
        return "drift"
    return "error"


def decide(outcome: Outcome, open_issue: Mapping[str, Any] | None) -> Action:
    """One issue per stack: opened on drift, updated while drift lasts, closed when clean."""
    if outcome == "drift":
        return "update" if open_issue else "open"
    if outcome == "clean" and open_issue:
        return "close"
    return "none"


def trimmed(diff: str, limit: int = MAX_DIFF_CHARS) -> str:
    """The diff's tail fits an issue body: the summary and the error are at the end."""
    if len(diff) <= limit:
        return diff
    return f"[... {len(diff) - limit} earlier characters cut; the run log has them all]\n" + diff[-limit:]


def issue_body(stack: str, run_url: str, diff: str) -> str:
    return (
        f"The scheduled drift check found that stack `{stack}` differs from `main`.\n\n"
        f"Last seen in {run_url}. `pulumi preview --refresh --expect-no-changes --stack {stack}` printed:\n\n"
        f"```\n{trimmed(diff)}\n```\n\n"
        "Either bring the change into the code and merge it, or run the deploy workflow to put the stack "
        "back as `main` declares it. This issue closes itself on the first clean run."
    )


def summary(stack: str, outcome: Outcome, diff: str) -> str:
    heading = {"clean": "no drift", "drift": "drift detected", "error": "the drift check failed"}[outcome]
    text = f"### `{stack}`: {heading}\n"
    if outcome != "clean":
        text += f"\n```\n{trimmed(diff)}\n```\n"
    return text


@dataclass(frozen=True)
class GitHub:
    """The few REST calls the command makes, through ``request(method, path, body)``."""

    repository: str
    request: Callable[[str, str, Mapping[str, Any] | None], Any]

    def open_issue(self, title: str) -> dict | None:
        page = 1
        while True:
            found = self.request("GET", f"/repos/{self.repository}/issues?state=open&labels={LABEL}&per_page=100&page={page}", None)
            for issue in found:
                if issue.get("title") == title and "pull_request" not in issue:
                    return issue
            if len(found) < 100:
                return None
            page += 1

    def create(self, title: str, body: str) -> dict:
        return self.request("POST", f"/repos/{self.repository}/issues", {"title": title, "body": body, "labels": [LABEL]})

    def edit(self, number: int, fields: Mapping[str, Any]) -> dict:
        return self.request("PATCH", f"/repos/{self.repository}/issues/{number}", dict(fields))

    def comment(self, number: int, body: str) -> dict:
        return self.request("POST", f"/repos/{self.repository}/issues/{number}/comments", {"body": body})


def apply(github: GitHub, stack: str, outcome: Outcome, diff: str, run_url: str) -> tuple[Action, int | None]:
    """Bring the stack's drift issue in line with this run; return what was done and the issue number."""
    title = issue_title(stack)
    existing = github.open_issue(title)
    action = decide(outcome, existing)
    if action == "open":
        return action, github.create(title, issue_body(stack, run_url, diff))["number"]
    if existing is None:
        return action, None
    number = existing["number"]
    if action == "update":
        github.edit(number, {"body": issue_body(stack, run_url, diff)})
        github.comment(number, f"Still drifting in {run_url}.")
    elif action == "close":
        github.comment(number, f"No drift in {run_url}: closing.")
        github.edit(number, {"state": "closed", "state_reason": "completed"})
    return action, number


def rest(api_url: str, token: str) -> Callable[[str, str, Mapping[str, Any] | None], Any]:
    """A GitHub REST client on urllib (Ref: docs.github.com/rest/issues)."""

    def request(method: str, path: str, body: Mapping[str, Any] | None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(api_url.rstrip("/") + path, data=data, method=method)
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("Authorization", f"Bearer {token}")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.loads(response.read() or b"null")

    return request


class UsageError(Exception):
    """A missing variable or file: the workflow is set up wrongly."""


def _environment(env: Mapping[str, str]) -> tuple[str, str, str, str]:
    missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not env.get(name)]
    if missing:
        raise UsageError(f"drift: {' and '.join(missing)} must be set (the workflow passes them)")
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    run_url = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env.get('GITHUB_RUN_ID', '')}"
    return env["GITHUB_TOKEN"], env["GITHUB_REPOSITORY"], env.get("GITHUB_API_URL", "https://api.github.com"), run_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="the stack the preview ran on")
    parser.add_argument("--status", required=True, type=int, help="exit status of the preview")
    parser.add_argument("--log", required=True, type=Path, help="file holding the preview's output")


def run(args: argparse.Namespace, env: Mapping[str, str] = os.environ, make_request=rest) -> int:
    try:
        token, repository, api_url, run_url = _environment(env)
        diff = args.log.read_text(errors="replace")
    except (UsageError, OSError) as err:
        print(err if isinstance(err, UsageError) else f"drift: cannot read {args.log}: {err.strerror}", file=sys.stderr)
        return 2
    outcome = classify(args.status, diff)
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(summary(args.stack, outcome, diff))
    try:
        action, number = apply(GitHub(repository, make_request(api_url, token)), args.stack, outcome, diff, run_url)
    except (urllib.error.URLError, OSError) as err:
        print(f"drift: the GitHub API call failed ({err}); the issue for {args.stack} was not updated", file=sys.stderr)
        return 2
    where = f" (issue #{number})" if number else ""
    print(f"drift: {args.stack}: {outcome}, issue {action}{where}", file=sys.stderr)
    return {"clean": 0, "drift": 1, "error": 2}[outcome]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.drift", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
