"""``python -m tools preflight``: check the tools ``make up`` needs before anything is created.

The checks live in ``tools/toolchain.py`` (standard library only), which ``make`` runs with
the system Python before ``.venv`` is built: Python 3.11+, docker and its daemon, and kind
and pulumi on PATH at a supported version or fetchable at the version pinned in
``tools/toolchain.json``. This command runs the same checks without fetching anything.
Every problem is named at once, one line each on stderr, and the exit status is 2, so
``make up`` stops before Pulumi declares a single resource.
"""

from __future__ import annotations

from tools import toolchain


def main() -> int:
    return toolchain.main(["check"])
