"""``tools render --out DIR`` (issue 18, item 5): a render removes what the previous render
wrote, so ``build/dev`` never keeps ``trip-service-prod/``; a non-empty directory render did
not make is refused (exit 2) and left untouched."""

from __future__ import annotations

import json

from tools import render as render_tool
from tools.__main__ import main


def _files(out) -> set[str]:
    return {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}


def test_a_second_render_into_the_same_directory_keeps_nothing_of_the_first(tmp_path):
    out = tmp_path / "build"
    render_tool.render("prod", out)
    assert (out / "trip-service-prod").is_dir()
    render_tool.render("dev", out)
    assert not (out / "trip-service-prod").exists()
    marker = json.loads((out / render_tool.MARKER).read_text())
    assert marker["stack"] == "dev"
    assert _files(out) == set(marker["files"]) | {render_tool.MARKER}


def test_files_a_user_added_to_a_render_directory_are_kept(tmp_path):
    out = tmp_path / "build"
    render_tool.render("dev", out)
    (out / "notes.txt").write_text("mine")
    render_tool.render("dev", out)
    assert (out / "notes.txt").read_text() == "mine"


def test_a_non_empty_directory_render_did_not_make_is_refused_and_untouched(tmp_path, capsys):
    (tmp_path / "precious.yaml").write_text("keep: me\n")
    assert main(["render", "dev", "--out", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"render: --out {tmp_path} is not empty and was not written by tools render")
    assert _files(tmp_path) == {"precious.yaml"}


def test_a_marker_never_makes_render_delete_outside_its_directory(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    out = tmp_path / "build"
    out.mkdir()
    (out / render_tool.MARKER).write_text(json.dumps({"files": ["../outside.txt"]}))
    render_tool.render("dev", out)
    assert outside.read_text() == "keep"
