"""The pinned charts, rendered from the chart cache as Pulumi's v4 Chart applies them.

Each stack's charts are rendered and checked once per session (``checked``). Without the pinned
charts in the cache, every test here skips with one line naming ``make charts``; with
``CHARTS_REQUIRED=true`` (the pull-request workflow) a missing chart fails instead.
"""

from __future__ import annotations

import functools
import os

import pytest

from components.charts import PINS
from tests.conftest import stack_run
from tools import chartcache, charts


def require_charts() -> None:
    """Called at import by each test module here: one skip line for the whole module (or a
    collection failure under ``CHARTS_REQUIRED=true``) when the cache lacks a pinned chart."""
    cache = chartcache.cache_dir()
    absent = [chartcache.archive_name(p.chart, p.version) for p in PINS.values() if not (cache / chartcache.archive_name(p.chart, p.version)).is_file()]
    if not absent:
        return
    message = f"chart cache {cache} lacks {len(absent)} of {len(PINS)} pinned charts: run `make charts`"
    if os.environ.get("CHARTS_REQUIRED", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)


@functools.cache
def checked(stack: str) -> tuple[charts.Rendered, ...]:
    """Every release of ``stack`` rendered (twice, for determinism), hooks dropped, checked."""
    return tuple(charts.check_stack(charts.Engine(), charts.stack_of(stack, stack_run(stack, False))))


@pytest.fixture
def results(request) -> tuple[charts.Rendered, ...]:
    return checked(request.param)
