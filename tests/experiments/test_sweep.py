"""Sweeps: grid expansion, a 2-run local sweep in parallel processes, per-run failures."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from slopscope import SlopscopeError
from slopscope.cli import main
from slopscope.experiments.sweeps.executors import Execution
from slopscope.experiments.sweeps.sweep import expand, read_sweep
from tests.browser import render

TINY = ["grammar.v=4", "grammar.n=3", "grammar.m=2", "grammar.L=2", "data.train=8",
        "data.test=8", "train.steps=30", "train.batch_size=8", "train.checkpoints=2",
        "train.first_checkpoint=10", "model.options.width=16", "model.options.heads=2",
        "measure.generations=50", "measure.likelihood=false"]


def _write(tmp_path, grid: str, seeds="[0]") -> str:
    path = tmp_path / "sweep.toml"
    overrides = ", ".join(f'"{o}"' for o in TINY)
    path.write_text(f'base = "e2"\noverrides = [{overrides}]\nseeds = {seeds}\n[grid]\n{grid}\n')
    return str(path)


def test_expand_is_the_grid_times_the_seeds(tmp_path):
    path = _write(tmp_path, '"data.train" = [4, 8]\n"train.lr" = [1e-3, 2e-3]', seeds="[0, 1]")
    jobs = expand(read_sweep(path))
    assert len(jobs) == 8
    assert {job.seed for job in jobs} == {0, 1}
    assert jobs[0].overrides[-2:] == ("data.train=4", "train.lr=0.001")


def test_bad_grid_values_fail_before_anything_runs(tmp_path):
    with pytest.raises(SlopscopeError, match="'train.steps' = 'x'"):
        expand(read_sweep(_write(tmp_path, '"train.steps" = ["x"]')))
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "e2"\nworkerz = 2\n')
    with pytest.raises(SlopscopeError, match="unknown key 'workerz'"):
        read_sweep(bad)


def test_a_two_run_local_sweep_with_a_failing_run(tmp_path, capsys):
    # data.train=100 exceeds the 2-level grammar's 3 * 2**3 = 24 strings: that run fails alone
    path = _write(tmp_path, '"data.train" = [8, 100]')
    code = main(["sweep", path, "--runs-dir", str(tmp_path / "runs"), "--workers", "2"])
    out = capsys.readouterr().out
    assert code == 1
    assert "1 runs done, 1 failed" in out and "FAILED data.train=100" in out
    index = next((tmp_path / "runs" / "sweeps").glob("*/index.parquet"))
    rows = pq.read_table(index).to_pylist()
    assert len(rows) == 2
    ok = next(r for r in rows if r["data.train"] == "8")
    assert ok["error"] == "" and (tmp_path / "runs").joinpath(ok["run_dir"]).exists()
    assert "count=" in next(r for r in rows if r["data.train"] == "100")["error"]
    # running it again skips the finished run and reports the same failure
    assert main(["sweep", path, "--runs-dir", str(tmp_path / "runs")]) == 1


@pytest.mark.parametrize("executor, options", [
    ("ray", {}),
    ("slurm", {"cluster": "local", "timeout_min": 10}),
])
def test_the_same_sweep_runs_through_ray_and_submitit(tmp_path, executor, options):
    from slopscope.experiments.sweeps.sweep import run_sweep

    pytest.importorskip("ray" if executor == "ray" else "submitit")
    path = _write(tmp_path, '"data.train" = [8]', seeds="[0, 1]")
    lines: list[str] = []
    sweep_dir = run_sweep(path, Execution(tmp_path / "runs", 2, executor, options),
                          report=lines.append)
    rows = pq.read_table(sweep_dir / "index.parquet").to_pylist()
    assert sorted(r["seed"] for r in rows) == [0, 1]
    assert all(r["error"] == "" for r in rows), rows
    for row in rows:
        assert (tmp_path / "runs").joinpath(row["run_dir"], "done.json").exists()
    assert lines[-1].endswith("2 runs done, 0 failed")


def test_slurm_without_slurm_is_refused_not_run_here(tmp_path, capsys):
    """submitit falls back to local processes when it finds no SLURM: the sweep must refuse,
    not run every job here and ignore --partition."""
    pytest.importorskip("submitit")
    import shutil

    if shutil.which("sbatch"):
        pytest.skip("this machine has SLURM")
    assert main(["sweep", _write(tmp_path, '"data.train" = [8]'), "--executor", "slurm",
                 "--partition", "x", "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "found no SLURM on this machine" in err
    assert not list((tmp_path / "runs").glob("*/done.json"))


def test_an_unknown_executor_is_rejected(tmp_path):
    from slopscope.experiments.sweeps.sweep import run_sweep

    with pytest.raises(SlopscopeError, match="executor='k8s'"):
        run_sweep(_write(tmp_path, '"data.train" = [8]'), Execution(tmp_path, executor="k8s"))


def test_sweep_report_aggregates_seeds_with_intervals(tmp_path):
    from slopscope.experiments.sweeps.sweep import run_sweep
    from slopscope.measure import mean_ci
    from slopscope.report import build_sweep_report

    path = _write(tmp_path, '"train.steps" = [20, 40]', seeds="[0, 1]")
    sweep_dir = run_sweep(path, Execution(tmp_path / "runs", workers=2), report=lambda line: None)
    build_sweep_report(sweep_dir)
    rows = pq.read_table(sweep_dir / "aggregate.parquet").to_pylist()
    assert [r["point"] for r in rows] == ["train.steps=20", "train.steps=40"]
    assert all(r["runs"] == 2 and r["failed"] == 0 for r in rows)
    index = pq.read_table(sweep_dir / "index.parquet").to_pylist()
    values = [r["train_reproduced"] for r in index if r["train.steps"] == "20"]
    mean, low, high = mean_ci(values)
    assert rows[0]["train_reproduced_mean"] == pytest.approx(mean)
    assert (np.isnan(low) and np.isnan(rows[0]["train_reproduced_low"])) or \
        rows[0]["train_reproduced_low"] == pytest.approx(low)
    page = (sweep_dir / "report.html").read_text()
    assert "train.steps=40" in page and page.count("<img") == 1
    assert (sweep_dir / "sweep.png").exists() and (sweep_dir / "sweep.svg").exists()
    (sweep_dir / "aggregate.parquet").unlink()  # `report` on a sweep summarises it again
    assert main(["report", str(sweep_dir)]) == 0
    again = pq.read_table(sweep_dir / "aggregate.parquet").to_pylist()
    assert [(r["point"], r["runs"], r["train_reproduced_mean"]) for r in again] == \
        [(r["point"], r["runs"], r["train_reproduced_mean"]) for r in rows]
    shown = render(sweep_dir / "report.html")  # in a real headless browser
    assert len(shown.images) == 1 and all(done and width > 0 and caption
                                            for done, width, caption in shown.images)
    assert shown.problems == []


@pytest.mark.parametrize("name, key, count", [("e1", "data.train", 15),
                                              ("e3", "grammar.zipf_a", 15),
                                              ("e4", "grammar.zipf_levels", 10)])
def test_sweep_presets_expand(name, key, count):
    jobs = expand(read_sweep(name))
    assert len(jobs) == count and all(job.point[0][0] == key for job in jobs)
