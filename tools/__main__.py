"""``python -m tools <command>``: offline tooling for cloud-platform.

Commands:
  render <stack> --out DIR   write every manifest the stack declares, plus summary.json
  preflight                  check docker, kind and pulumi before ``make up``
  policy <stack>             run the policy pack offline on the stack (exit 1 on a mandatory violation)
  charts [<stack> ...] [--from DIR]
                             render every pinned chart as Pulumi's v4 Chart applies it and check it
                             (exit 2: the chart cache lacks a chart; fill it with `make charts`)
  charts cache [--from-git DIR]
                             fill the chart cache from the chart repositories, or from git clones
  preflight eks              check AWS credentials, ECR images, certificate and EIP quota before ``pulumi up -s eks``
  bootstrap-backend [--save] create (idempotently) the S3 state bucket and KMS keys for the eks stack;
                             --save writes them to .pulumi-backend-<stack>.mk for make
  backend <stack>            check the stack's Pulumi backend: S3 and KMS for a cloud stack (exit 2 with the fix)
  cost <stack> [--format F]  monthly cost estimate (table, json, markdown, or readme: the README block)
  diff --base REF [--stack S ...] [--format text|markdown]
                             manifest and cost diff against a git ref; exits 1 on the budget guard
  drift --stack S --status N --log FILE
                             the drift workflow's issue bookkeeping for one preview run (exit 1: drift)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from tools import bootstrap_backend, drift, preflight_eks


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="render a stack's manifests offline")
    render.add_argument("stack", help="stack name, as in Pulumi.<stack>.yaml")
    render.add_argument("--out", required=True, type=Path, help="output directory")
    policy = sub.add_parser("policy", help="run the policy pack offline on a stack")
    policy.add_argument("stack", help="stack name, as in Pulumi.<stack>.yaml")
    charts = sub.add_parser("charts", help="render every pinned chart as Pulumi applies it and check the objects; `charts cache` fills the chart cache")
    charts.add_argument("stacks", nargs="*", help="stack names (default: every stack), or `cache` to fill the chart cache")
    charts.add_argument("--from", dest="source", type=Path, help="render from chart sources in DIR (DIR/<chart>/ or DIR/<chart>-<version>.tgz) instead of the cache")
    charts.add_argument("--from-git", type=Path, help="with `cache`: build the charts from git clones DIR/<owner>+<name>/repo at the locked tags")
    charts.add_argument("--record", action="store_true", help="with `cache --from-git`: write the built charts' content digests into tools/charts.lock.yaml")
    preflight_parser = sub.add_parser("preflight", help="check the tools `make up` needs; `preflight eks`: the AWS account before `pulumi up -s eks`")
    preflight_parser.add_argument("target", nargs="?", choices=("kind", "eks"), default="kind", help="kind (default): docker, kind, pulumi; eks: the AWS account")
    preflight_eks.add_arguments(preflight_parser)
    bootstrap_backend.add_arguments(sub.add_parser("bootstrap-backend", help="create the S3 state backend and KMS keys (idempotent)"))
    backend = sub.add_parser("backend", help="check that the stack's Pulumi backend and secrets provider suit its target")
    backend.add_argument("stack", help="stack name, as in Pulumi.<stack>.yaml")
    cost = sub.add_parser("cost", help="monthly cost estimate of a stack, offline")
    cost.add_argument("stack", help="stack name, as in Pulumi.<stack>.yaml")
    cost.add_argument("--format", choices=("table", "json", "markdown", "readme"), default="table")
    diff = sub.add_parser("diff", help="objects and cost changed against a git ref, per stack")
    diff.add_argument("--base", required=True, help="git ref to compare with (branch, tag, HEAD~1, ...)")
    diff.add_argument("--stack", action="append", dest="stacks", help="a stack to diff (repeatable; default: all)")
    diff.add_argument("--format", choices=("text", "markdown"), default="text")
    drift.add_arguments(sub.add_parser("drift", help="open, update or close the stack's drift issue from a preview run"))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    if args.command == "preflight" and args.target == "eks":
        return preflight_eks.run(args)
    if args.command == "preflight":
        from tools import preflight

        return preflight.main()
    if args.command == "bootstrap-backend":
        return bootstrap_backend.run(args)
    if args.command == "drift":
        return drift.run(args)
    if args.command == "backend":
        from tools import stackenv

        return stackenv.main(args.stack, os.environ)

    from tools.mockrun import stack_names

    if args.command == "charts":
        from tools import charts as chart_check

        if args.stacks[:1] == ["cache"]:
            if len(args.stacks) > 1 or args.source:
                parser.error("charts cache takes only --from-git DIR and --record")
            if args.record and not args.from_git:
                parser.error("--record needs --from-git DIR")
            return chart_check.cache_main(args.from_git, record=args.record)
        if args.from_git or args.record:
            parser.error("--from-git and --record go with `charts cache`")
        unknown = sorted(set(args.stacks) - set(stack_names()))
        if unknown:
            parser.error(f"unknown stack(s) {', '.join(unknown)}: expected one of {', '.join(stack_names())}")
        return chart_check.main(args.stacks or stack_names(), source=args.source)
    if args.command == "policy":
        if args.stack not in stack_names():
            parser.error(f"unknown stack {args.stack!r}: expected one of {', '.join(stack_names())}")
        from tools import policycheck

        return policycheck.main(args.stack)
    from stacks.settings import ConfigError
    from tools.cliconfig import ConfigRefused

    if args.command != "diff" and args.stack not in stack_names():
        parser.error(f"unknown stack {args.stack!r}: expected one of {', '.join(stack_names())}")
    try:
        return _run(parser, args, stack_names())
    except (ConfigError, ConfigRefused) as err:
        # Only the problem lines, one per problem, as `pulumi up` would stop on them; no traceback.
        print(err, file=sys.stderr)
        return 2


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, known: list[str]) -> int:
    if args.command == "diff":
        return _diff(parser, args, known)
    if args.command == "cost":
        sys.stdout.write(_cost_text(args.stack, args.format))
        return 0
    from tools.render import OutDirRefused
    from tools.render import render as render_stack

    try:
        report = render_stack(args.stack, args.out)
    except OutDirRefused as err:
        print(err, file=sys.stderr)
        return 2
    print(json.dumps({"out": str(args.out), "total": report["total"], "resourceCount": report["resourceCount"]}, indent=2))
    return 0


def _cost_text(stack: str, fmt: str) -> str:
    from tools.cost import format_estimate, report_stack

    e, table = report_stack(stack)
    return format_estimate(e, fmt, table)


def _diff(parser: argparse.ArgumentParser, args: argparse.Namespace, known: list[str]) -> int:
    from tools.diff import BaseRefError, format_markdown, format_text, run_diff

    unknown = [s for s in args.stacks or [] if s not in known]
    if unknown:
        parser.error(f"unknown stack {unknown[0]!r}: expected one of {', '.join(known)}")
    try:
        diffs = run_diff(args.base, args.stacks)
    except BaseRefError as err:  # a bad ref is a usage error (2), never a budget breach (1)
        print(err, file=sys.stderr)
        return 2
    sys.stdout.write((format_markdown if args.format == "markdown" else format_text)(diffs, args.base))
    problems = [p for d in diffs for p in d.problems]
    for problem in problems:
        print(f"budget guard: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
