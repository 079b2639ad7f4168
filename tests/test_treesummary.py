import json

import pytest

from stdlib_book import files, treesummary
from stdlib_book.commands import python


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "proj"
    files.make_tree(root, 50, files_per_dir=10)
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("x", encoding="utf-8")
    (root / "README").write_text("readme", encoding="utf-8")
    return root


def test_table_counts_every_file(tree, capsys):
    assert treesummary.main([str(tree)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["group", "files", "bytes"]
    total = out[-1].split()
    assert total[:2] == ["total", "51"]  # hidden .git skipped, README counted
    assert "(none)" in " ".join(out)


def test_json_by_top_level_and_hidden(tree, capsys):
    assert treesummary.main([str(tree), "--json", "--by", "top", "--hidden", "--top", "50"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == []
    assert ".git" in data["groups"]
    assert sum(g["files"] for g in data["groups"].values()) == 52


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["missing-dir"], "path does not exist"),
        (["--top", "0", "."], "at least 1"),
        (["--top", "many", "."], "expected a whole number"),
        (["--by", "colour", "."], "invalid choice"),
        ([], "the following arguments are required: path"),
    ],
)
def test_bad_usage_exits_2_with_a_message(argv, message, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        treesummary.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_a_file_is_not_a_directory(tree, capsys):
    with pytest.raises(SystemExit) as exc:
        treesummary.main([str(tree / "README")])
    assert exc.value.code == 2
    assert "not a directory" in capsys.readouterr().err


def test_unreadable_entries_are_reported_not_fatal(tree):
    summary = treesummary.summarise(tree / "README")  # os.walk cannot list a file
    assert summary.errors and sum(summary.files.values()) == 0


def test_symlinks_are_not_followed(tree, tmp_path):
    outside = tmp_path / "outside"
    files.make_tree(outside, 40)
    (tree / "link").symlink_to(outside, target_is_directory=True)
    (tree / "file-link.txt").symlink_to(outside / "file000000.txt")
    assert sum(treesummary.summarise(tree).files.values()) == 51


def test_runs_as_a_module_and_leaves_the_tree_unchanged(tree):
    before = files.relative_listing(tree)
    ran = python("-m", "stdlib_book.treesummary", str(tree), "--json")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["errors"] == []
    assert files.relative_listing(tree) == before
    helped = python("-m", "stdlib_book.treesummary", "--help")
    assert helped.returncode == 0 and "Exit codes" in helped.stdout
