"""No command-line input writes outside --runs-dir or --out: a run or sweep name is one safe path
component (name='../x' or 'a/b' is refused before anything is written), and a valid run writes
only under its runs directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from slopscope.cli import main
from slopscope.experiments.run import runner
from slopscope.experiments.sweeps import executors

TINY = ["train.steps=4", "train.checkpoints=1", "train.first_checkpoint=4", "train.batch_size=8",
        "train.device=cpu", "model.options.width=16", "model.options.heads=2",
        "model.options.layers=1", "measure.generations=20", "measure.likelihood=false"]
ESCAPES = ["../x", "../../../x", "a/b", "..", ".", "/tmp/x", "a\\b", "x/..", "", "a\x00b"]


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def place(tmp_path, monkeypatch):
    """tmp/work/ as the working directory, tmp/work/deep/runs as --runs-dir."""
    work = tmp_path / "work"
    (work / "deep").mkdir(parents=True)
    monkeypatch.chdir(work)
    return tmp_path, work / "deep" / "runs"


def _nothing_trains(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a hostile name reached training")

    monkeypatch.setattr(runner, "train", refuse)
    for name in list(executors.EXECUTORS):
        monkeypatch.setitem(executors.EXECUTORS, name, refuse)


def _escape_toml(value: str) -> str:
    return '"' + "".join(f"\\u{ord(c):04x}" for c in value) + '"'


@pytest.mark.parametrize("name", ESCAPES, ids=[repr(n) for n in ESCAPES])
def test_a_name_that_is_a_path_is_refused_before_anything_is_written(place, monkeypatch, capsys,
                                                                     name):
    tmp, runs = place
    _nothing_trains(monkeypatch)
    (tmp / "run.toml").write_text(f"name = {_escape_toml(name)}\n")
    (tmp / "sweep.toml").write_text(f'base = "demo"\nname = {_escape_toml(name)}\n')
    (tmp / "cf.toml").write_text(f'name = {_escape_toml(name)}\n[data]\ntrain = 64\ntest = 64\n')
    before = _tree(tmp)
    commands = [["run", "--runs-dir", str(runs), str(tmp / "run.toml")],
                ["run", "--runs-dir", str(runs), "demo", f"name={_escape_toml(name)}"],
                ["run", "demo", f"name={_escape_toml(name)}"],  # the default runs directory
                ["sweep", "--runs-dir", str(runs), str(tmp / "sweep.toml")],
                ["calibrate", "--runs-dir", str(runs), str(tmp / "sweep.toml"), "--runs", "1"],
                ["calibrate", "--runs-dir", str(runs), str(tmp / "run.toml"), "--runs", "1"],
                ["counterfactual", "--runs-dir", str(runs), str(tmp / "cf.toml")]]
    for argv in commands:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and "is not a safe name" in err, (argv, err)
    assert _tree(tmp) == before


def test_a_valid_run_writes_only_under_its_runs_directory(place, capsys):
    tmp, runs = place
    before = _tree(tmp)
    assert main(["run", "--quiet", "--runs-dir", str(runs), "demo", "name=my run.v1",
                 *TINY]) == 0
    new = _tree(tmp) - before
    inside = str(runs.relative_to(tmp))
    assert new and all(path == inside or path.startswith(inside + "/") or
                       inside.startswith(path + "/") for path in new), sorted(new)
    assert [p.name for p in runs.iterdir()] == [next(runs.iterdir()).name]
    assert next(runs.iterdir()).name.startswith("my_run.v1-")
    out = tmp / "g"
    before = _tree(tmp)
    assert main(["grammar", "--v", "4", "--n", "2", "--m", "2", "--L", "2", "--train", "4",
                 "--test", "4", "--out", str(out)]) == 0
    assert {p for p in _tree(tmp) - before if not p.startswith("g/")} == {"g"}
