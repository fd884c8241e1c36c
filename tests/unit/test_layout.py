"""The layout's import rule (DESIGN.md): the product (components, stacks, policy, the program)
never imports tools/, and the table of where each workload kind keeps its pod template lives
once, in components/manifests.py."""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import ROOT

PRODUCT = sorted([ROOT / "__main__.py", *(p for d in ("components", "stacks", "policy") for p in (ROOT / d).rglob("*.py"))])


def _imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_product_imports_no_tool(path):
    assert {m for m in _imported_modules(path) if m == "tools" or m.startswith("tools.")} == set()


def test_the_pod_template_table_is_written_once():
    written = [
        str(p.relative_to(ROOT))
        for p in sorted([*ROOT.glob("*/*.py"), *ROOT.glob("*/*/*.py")])
        if ".venv" not in p.parts and "tests" not in p.parts
        and re.search(r'"jobTemplate",\s*"spec",\s*"template"', p.read_text())
    ]
    assert written == ["components/manifests.py"]
