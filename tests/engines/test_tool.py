"""The tool locator: a missing engine skips with the Debian package to install, and fails under CI."""

from __future__ import annotations

import pytest

from tests.engines import tool


@pytest.fixture
def nothing_installed(monkeypatch):
    monkeypatch.setattr(tool.shutil, "which", lambda name: None)
    monkeypatch.setattr(tool, "EXTRA_DIRS", ())


@pytest.mark.parametrize("name,package", [("promtool", "prometheus"), ("amtool", "prometheus-alertmanager"), ("nginx", "nginx-light")])
def test_a_missing_tool_skips_naming_its_debian_package(nothing_installed, monkeypatch, name, package):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"install the Debian package {package} "):
        tool.require(name)


def test_a_missing_tool_fails_under_ci(nothing_installed, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="promtool not found"):
        tool.require("promtool")
