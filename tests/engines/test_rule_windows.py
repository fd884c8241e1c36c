"""The alerts' windows, factors, quantile, threshold and ``for:``, proven by behaviour rather
than by substring: each case is a series that the rule as written treats one way and a
plausible wrong value of one of them treats the other way. ``test_each_case_fails_with_its_wrong_value``
swaps that value into the rendered rule and checks that promtool then fails the case, so a
case that cannot tell the two apart fails the suite. The cases run in the session's promtool
batch (``tests/engines/promtool.py``).

Series: 100 requests per minute (per 5 minutes for the slow alert) through the ingress, in
phases of a given 5xx percentage. The SLO allows 0.1% errors; the fast alert pages at 14.4x
over 1h and 5m, or 6x over 6h and 30m, for 2m; the slow one tickets at 1x over 3d and 6h, for 1h.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.engines import promtool
from tests.engines.promtool import Case, platform_rule_groups
from tests.engines.series import INGRESS, MIB, Pod, ingress_latency, pod_series, selector
from tests.engines.test_alert_rules import FAST_SUMMARY, FINOPS, PAGE, PLATFORM, AlertCase

STACK = "dev"  # every stack renders the same rules but the budget (test_alert_rules runs them on each)
CLEAN_4H = (0.0, 240)
FAST, SLOW = "AvailabilitySLOBurnRateFast", "AvailabilitySLOBurnRateSlow"
LATENCY, EFFICIENCY = "HighLatencyP95", "NamespaceCPUEfficiencyLow"


@dataclass(frozen=True)
class RuleCase:
    """``series`` evaluated at ``eval_time``: ``fires`` lists (labels, annotations) of every
    expected alert, empty when the alert must stay silent. ``wrong`` is a plausible wrong text
    of the rule (old, new: replaced in its JSON, so ``expr`` or ``for``) under which the case
    must fail. ``recording_rules``: the rule reads kube-prometheus-stack's recording rules."""

    id: str
    alert: str
    series: list[dict]
    eval_time: str
    fires: list[tuple[dict, dict]]
    wrong: tuple[str, str]
    interval: str = "1m"
    recording_rules: bool = False

    def to_promtool(self) -> dict:
        return AlertCase(self.id, self.alert, self.series, self.eval_time, self.fires, self.interval).to_promtool()


def burn(id: str, alert: str, phases: tuple[tuple[float, int], ...], fires: str | None, wrong: tuple[str, str], interval: str = "1m") -> RuleCase:
    """A burn-rate case: 100 requests per sample, ``phases`` of (5xx percent, samples);
    ``fires`` is the percentage the description prints, None for silence. Evaluated at the
    last sample."""
    series = []
    for status, share in (("200", lambda p: 100 - p), ("500", lambda p: p)):
        value, parts = 1000.0, []
        for percent, samples in phases:
            step = round(share(percent), 6)
            parts.append(f"{value!r}+{step!r}x{samples - 1}")
            value = round(value + step * samples, 6)
        series.append({"series": selector("nginx_ingress_controller_requests", {**INGRESS, "status": status}), "values": " ".join(parts)})
    minutes = (sum(n for _, n in phases) - 1) * int(interval[:-1])
    expected = [] if fires is None else [(PAGE, {"summary": FAST_SUMMARY, "description": f"5xx ratio through the ingress is {fires}."})]
    return RuleCase(id, alert, series, f"{minutes}m", expected, wrong, interval)


LATENCY_LABELS = {**PLATFORM, "severity": "warning", "slo": "latency", "namespace": "cloudmart", "ingress": "cloudmart-ingress"}
LATENCY_SUMMARY = "p95 latency of cloudmart/cloudmart-ingress is above 200 ms"


def efficiency(id: str, usage: float, samples: int, eval_time: str, fires: str | None, wrong: tuple[str, str]) -> RuleCase:
    """order-service requests 0.5 core and uses ``usage``; ``fires`` is the printed efficiency."""
    series = pod_series(Pod("cloudmart", "order-service-7d9f8-x2k4p", "order-service", 0.5, 128 * MIB, usage, 64 * MIB), samples)
    expected = [] if fires is None else [(
        {**FINOPS, "namespace": "cloudmart"},
        {"summary": "Namespace cloudmart uses under 40% of the CPU it requests", "description": f"CPU efficiency is {fires}; right-size its requests."},
    )]
    return RuleCase(id, EFFICIENCY, series, eval_time, expected, wrong, recording_rules=True)


CASES = (
    # 2% for 65 min after 4 clean hours: over 1h it is 2% (> 1.44%); over 2h about 1.08%
    # (over 6h, 0.43%: under 6 x 0.1%, so the 6h/30m pair stays out of it).
    burn("fast-long-window-1h-fires", FAST, (CLEAN_4H, (2.0, 65)), "2%", ("[1h]", "[2h]")),
    # 2.5% for an hour, clean for the last 4 minutes: 0% over 5m; over 15m about 1.8%.
    burn("fast-short-window-5m-silent", FAST, (CLEAN_4H, (2.5, 60), (0.0, 4)), None, ("[5m]", "[15m]")),
    # 1.6% for 65 min: above 14.4 x 0.1%, below 20 x 0.1%.
    burn("fast-factor-14.4-fires-at-1.6", FAST, (CLEAN_4H, (1.6, 65)), "1.6%", ("(14.4 * ", "(20 * ")),
    # 1.2% for 65 min: below 14.4 x 0.1%, above 10 x 0.1%.
    burn("fast-factor-14.4-silent-at-1.2", FAST, (CLEAN_4H, (1.2, 65)), None, ("(14.4 * ", "(10 * ")),
    # 0.8% for the last 4 hours: about 0.53% over 6h (< 0.6%); 0.8% over 3h.
    burn("fast-long-window-6h-silent", FAST, (CLEAN_4H, (0.8, 240)), None, ("[6h]", "[3h]")),
    # 0.65% for 6 hours: above 6 x 0.1%, below 7 x 0.1%.
    burn("fast-factor-6-fires-at-0.65", FAST, ((0.65, 370),), "0.65%", ("(6 * ", "(7 * ")),
    # 5-minute samples. 0.3% for the last 10 hours after 28 clean ones: about 0.08% over 3d
    # (all 38 hours); 0.125% over 1d.
    burn("slow-long-window-3d-silent", SLOW, ((0.0, 336), (0.3, 120)), None, ("[3d]", "[1d]"), "5m"),
    # 0.3% for 20 hours, clean for the last 7: 0% over 6h; about 0.21% over 1d.
    burn("slow-short-window-6h-silent", SLOW, ((0.3, 240), (0.0, 84)), None, ("[6h]", "[1d]"), "5m"),
    # 80 of 100 requests within 0.125 s, all within 0.25 s: p95 = 0.125 + 0.125 x 15/20 =
    # 0.21875 s (fires); p90 = 0.125 + 0.125 x 10/20 = 0.1875 s (would not). ``$value`` prints
    # the float promtool computes from the extrapolated rates: 0.21874999999999994.
    RuleCase("latency-quantile-0.95-fires", LATENCY, ingress_latency({"0.125": 80, "0.25": 100, "0.5": 100, "+Inf": 100}, 20), "15m",
             [(LATENCY_LABELS, {"summary": LATENCY_SUMMARY, "description": "95th percentile latency is 0.21874999999999994s"})],
             ("histogram_quantile(0.95", "histogram_quantile(0.9")),
    # 90 within 0.125 s: p95 = 0.125 + 0.125 x 5/10 = 0.1875 s (silent); p99 = 0.2375 s (would fire).
    RuleCase("latency-quantile-0.95-silent", LATENCY, ingress_latency({"0.125": 90, "0.25": 100, "0.5": 100, "+Inf": 100}, 20), "15m", [],
             ("histogram_quantile(0.95", "histogram_quantile(0.99")),
    # 0.1875 / 0.5 = 37.5%: under the 40% floor, not under 30%.
    efficiency("efficiency-floor-0.4-fires-at-37.5", 0.1875, 90, "80m", "37.5%", ("< 0.4", "< 0.3")),
    # 25% from the start, evaluated at 50m: pending 50 of the 60 minutes ``for`` asks (30m would fire).
    efficiency("efficiency-for-1h-silent-at-50m", 0.125, 60, "50m", None, ('"for": "1h"', '"for": "30m"')),
)


def alert_rule(case: RuleCase, wrong: bool = False) -> list[dict] | None:
    """The rendered rule ``case.alert`` alone (no rule reads ALERTS), with ``case.wrong``
    swapped into it when ``wrong`` (None when the rule no longer holds the value to swap)."""
    (rule,) = [r for g in platform_rule_groups(STACK) for r in g["rules"] if r.get("alert") == case.alert]
    if wrong:
        old, new = case.wrong
        text = json.dumps(rule)
        if old not in text:
            return None
        rule = json.loads(text.replace(old, new))
    return [{"name": "under-test", "rules": [rule]}]


@promtool.cases_from
def rule_window_cases(stack: str) -> dict[str, Case]:
    """Every case, as written and with its wrong value, for the session's promtool batch. Rules
    are evaluated at the cases' sample interval (the slow alert's days at 5m; its ``for: 1h``
    is still a whole number of evaluations)."""
    if stack != STACK:
        return {}
    cases = {}
    for c in CASES:
        tests = [c.to_promtool()]
        cases[c.id] = Case(alert_rule(c), tests, c.interval, c.recording_rules)
        if (groups := alert_rule(c, wrong=True)) is not None:
            cases[f"{c.id}-wrong"] = Case(groups, tests, c.interval, c.recording_rules)
    return cases


@pytest.mark.promtool
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_window_or_factor_behaves_under_promtool(case):
    result = promtool.outcome(STACK, case.id)
    assert result.ok, result.output


@pytest.mark.promtool
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_case_fails_with_its_wrong_value(case):
    assert alert_rule(case, wrong=True) is not None, f"{case.id}: {case.wrong[0]!r} is not in {case.alert}: update the case"
    result = promtool.outcome(STACK, f"{case.id}-wrong")
    assert not result.ok, f"{case.id} passes with {case.wrong[1]!r} instead of {case.wrong[0]!r}: it does not pin the value"
