"""The burn-rate alerts' windows and factors, proven by behaviour rather than by substring:
each case is a series that the rule as written treats one way and a plausible wrong value of
one window or factor treats the other way. ``test_each_case_fails_with_its_wrong_value``
swaps that value into the rendered rule and checks that promtool then fails the case, so a
case that cannot tell the two apart fails the suite. All cases run in one promtool process.

Series: 100 requests per minute (per 5 minutes for the slow alert) through the ingress, in
phases of a given 5xx percentage. The SLO allows 0.1% errors; the fast alert pages at 14.4x
over 1h and 5m, or 6x over 6h and 30m, for 2m; the slow one tickets at 1x over 3d and 6h, for 1h.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engines.promtool import Case, platform_rule_groups, run_cases
from tests.engines.series import INGRESS, selector
from tests.engines.test_alert_rules import FAST_SUMMARY, PAGE

STACK = "dev"  # every stack renders the same SLO rules (test_alert_rules runs them on each)
CLEAN_4H = (0.0, 240)


@dataclass(frozen=True)
class WindowCase:
    """``phases``: (5xx percent, samples) in order. ``fires``: the description's percentage
    when the alert must fire at ``eval_time``, None when it must stay silent. ``wrong``: a
    plausible wrong text of the alert's expression (old, new) under which the case must fail."""

    id: str
    alert: str
    phases: tuple[tuple[float, int], ...]
    fires: str | None
    wrong: tuple[str, str]
    interval: str = "1m"

    @property
    def eval_time(self) -> str:
        minutes = (sum(n for _, n in self.phases) - 1) * int(self.interval[:-1])
        return f"{minutes}m"

    def series(self) -> list[dict]:
        out = []
        for status, share in (("200", lambda p: 100 - p), ("500", lambda p: p)):
            value, parts = 1000.0, []
            for percent, samples in self.phases:
                step = round(share(percent), 6)
                parts.append(f"{value!r}+{step!r}x{samples - 1}")
                value = round(value + step * samples, 6)
            out.append({"series": selector("nginx_ingress_controller_requests", {**INGRESS, "status": status}), "values": " ".join(parts)})
        return out

    def to_promtool(self) -> dict:
        exp = []
        if self.fires is not None:
            exp = [{"exp_labels": PAGE, "exp_annotations": {"summary": FAST_SUMMARY, "description": f"5xx ratio through the ingress is {self.fires}."}}]
        return {
            "interval": self.interval,
            "input_series": self.series(),
            "alert_rule_test": [{"eval_time": self.eval_time, "alertname": self.alert, "exp_alerts": exp}],
        }


FAST, SLOW = "AvailabilitySLOBurnRateFast", "AvailabilitySLOBurnRateSlow"
CASES = (
    # 2% for 65 min after 4 clean hours: over 1h it is 2% (> 1.44%); over 2h about 1.08%
    # (over 6h, 0.43%: under 6 x 0.1%, so the 6h/30m pair stays out of it).
    WindowCase("fast-long-window-1h-fires", FAST, (CLEAN_4H, (2.0, 65)), "2%", ("[1h]", "[2h]")),
    # 2.5% for an hour, clean for the last 4 minutes: 0% over 5m; over 15m about 1.8%.
    WindowCase("fast-short-window-5m-silent", FAST, (CLEAN_4H, (2.5, 60), (0.0, 4)), None, ("[5m]", "[15m]")),
    # 1.6% for 65 min: above 14.4 x 0.1%, below 20 x 0.1%.
    WindowCase("fast-factor-14.4-fires-at-1.6", FAST, (CLEAN_4H, (1.6, 65)), "1.6%", ("(14.4 * ", "(20 * ")),
    # 1.2% for 65 min: below 14.4 x 0.1%, above 10 x 0.1%.
    WindowCase("fast-factor-14.4-silent-at-1.2", FAST, (CLEAN_4H, (1.2, 65)), None, ("(14.4 * ", "(10 * ")),
    # 0.8% for the last 4 hours: about 0.53% over 6h (< 0.6%); 0.8% over 3h.
    WindowCase("fast-long-window-6h-silent", FAST, (CLEAN_4H, (0.8, 240)), None, ("[6h]", "[3h]")),
    # 0.65% for 6 hours: above 6 x 0.1%, below 7 x 0.1%.
    WindowCase("fast-factor-6-fires-at-0.65", FAST, ((0.65, 370),), "0.65%", ("(6 * ", "(7 * ")),
    # 5-minute samples. 0.3% for the last 10 hours after 28 clean ones: about 0.08% over 3d
    # (all 38 hours); 0.125% over 1d.
    WindowCase("slow-long-window-3d-silent", SLOW, ((0.0, 336), (0.3, 120)), None, ("[3d]", "[1d]"), "5m"),
    # 0.3% for 20 hours, clean for the last 7: 0% over 6h; about 0.21% over 1d.
    WindowCase("slow-short-window-6h-silent", SLOW, ((0.3, 240), (0.0, 84)), None, ("[6h]", "[1d]"), "5m"),)


def alert_rule(case: WindowCase, wrong: bool = False) -> list[dict]:
    """The rendered rule ``case.alert`` alone (it reads no recording rule, and no rule reads
    ALERTS), with ``case.wrong`` swapped into its expression when ``wrong``."""
    (rule,) = [r for g in platform_rule_groups(STACK) for r in g["rules"] if r.get("alert") == case.alert]
    if wrong:
        old, new = case.wrong
        assert old in rule["expr"], f"{case.id}: {old!r} is not in {case.alert}'s expression"
        rule = {**rule, "expr": rule["expr"].replace(old, new)}
    return [{"name": "slo", "rules": [rule]}]


@functools.cache
def outcomes() -> dict[str, tuple[bool, str]]:
    """Every case, as written and with its wrong value, in one promtool process. Rules are
    evaluated at the cases' sample interval (the slow alert's days at 5m; its ``for: 1h`` is
    still a whole number of evaluations)."""
    cases = {}
    for c in CASES:
        tests = [c.to_promtool()]
        cases[c.id] = Case(alert_rule(c), tests, c.interval, recording_rules=False)
        cases[f"{c.id}-wrong"] = Case(alert_rule(c, wrong=True), tests, c.interval, recording_rules=False)
    return run_cases(cases, Path(tempfile.mkdtemp(prefix="rule-windows-")))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_window_or_factor_behaves_under_promtool(case):
    ok, report = outcomes()[case.id]
    assert ok, report


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_case_fails_with_its_wrong_value(case):
    ok, report = outcomes()[f"{case.id}-wrong"]
    assert not ok, f"{case.id} passes with {case.wrong[1]!r} instead of {case.wrong[0]!r}: it does not pin the value"
