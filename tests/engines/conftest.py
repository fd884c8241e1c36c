"""The session's promtool batch: started once collection ends, so promtool evaluates every
case in the background while the other tests run; the ``promtool`` tests run last and only
read their outcomes (``tests/engines/promtool.py``)."""

from __future__ import annotations

from tests.conftest import STACKS
from tests.engines import promtool


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: item.get_closest_marker("promtool") is not None)  # stable: order kept otherwise


def pytest_collection_finish(session):
    if any(item.get_closest_marker("promtool") for item in session.items):
        promtool.start(STACKS)
