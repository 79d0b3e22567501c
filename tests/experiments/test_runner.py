"""End-to-end runs: the run directory, its tables, resume, re-measure and the CLI."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest

from slopscope import SlopscopeError
from slopscope.cli import main
from slopscope.experiments import load_config
from slopscope.experiments.run.runner import measure_run, run_experiment
from slopscope.report import build_report
from tests.browser import render

TINY = ["grammar.v=4", "grammar.n=3", "grammar.m=2", "grammar.L=3", "data.train=24",
        "data.test=24", "train.steps=500", "train.batch_size=24", "train.lr=3e-3",
        "train.warmup=20", "train.checkpoints=4", "train.first_checkpoint=50",
        "model.options.width=32", "model.options.heads=2", "measure.generations=400"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    config = load_config("e2", TINY)
    run_dir = run_experiment(config, 0, runs, progress=False)
    build_report(run_dir)
    return config, run_dir


def test_a_run_directory_is_self_describing(finished):
    config, run_dir = finished
    for name in ("config.json", "grammar.json", "train.npy", "test.npy", "summary.json",
                 "done.json", "tables/checkpoints.parquet", "tables/strings.parquet",
                 "tables/blocks.parquet", "tables/typicality.parquet"):
        assert (run_dir / name).exists(), name
    steps = pq.read_table(run_dir / "tables" / "checkpoints.parquet").column("step").to_pylist()
    assert steps == [50, 108, 232, 500]
    strings = pq.read_table(run_dir / "tables" / "strings.parquet")
    assert strings.num_rows == 4 * 48
    counts = strings.column("count").to_numpy()
    assert counts.sum() > 0  # the tiny model reproduces some strings
    saved = json.loads((run_dir / "config.json").read_text())
    assert saved["hash"] == config.hash() and saved["seed"] == 0
    summary = json.loads((run_dir / "summary.json").read_text())
    train, test = summary["splits"]["train"], summary["splits"]["test"]
    assert 0 < train["reproduced_fraction"] <= 1
    assert set(train["generation_time"]) == {"t1", "t1_kgram", "t2", "t3"}
    assert "likelihood_time" in test  # held-out control side by side
    gens = np.load(run_dir / "generations" / "step-00000500.npy", allow_pickle=False)
    assert gens.shape == (400, 8)


def test_a_finished_run_is_not_run_again(finished):
    config, run_dir = finished
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file()}
    assert run_experiment(config, 0, run_dir.parent, progress=False) == run_dir
    after = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file()}
    assert before == after


def test_an_interrupted_run_resumes_and_reproduces_its_results(finished, tmp_path):
    config, run_dir = finished
    copy = tmp_path / run_dir.name
    import shutil

    shutil.copytree(run_dir, copy)
    (copy / "done.json").unlink()
    (copy / "checkpoints" / "ckpt-00000500.json").unlink()  # killed before the last checkpoint
    for path in (copy / "measurements").glob("step-00000500.*"):
        path.unlink()
    kept = (copy / "measurements" / "step-00000050.json").stat().st_mtime_ns
    # resumed with other verdict settings (not part of the run's identity): training resumes
    changed = load_config("e2", [*TINY, "findings.d_copy_gate=0.06"])
    assert changed.hash() == config.hash()
    run_experiment(changed, 0, tmp_path, progress=False)
    assert (copy / "measurements" / "step-00000050.json").stat().st_mtime_ns == kept
    for table in ("checkpoints", "strings", "blocks"):
        assert pq.read_table(copy / "tables" / f"{table}.parquet").equals(
            pq.read_table(run_dir / "tables" / f"{table}.parquet"))


def test_measure_re_measures_an_old_run_with_new_settings(finished, tmp_path):
    import shutil

    _, run_dir = finished
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    measure_run(copy, ["measure.generations=100", "measure.likelihood=false"], progress=False)
    assert np.load(copy / "generations" / "step-00000050.npy").shape == (100, 8)
    nelbo = pq.read_table(copy / "tables" / "strings.parquet").column("nelbo_per_token")
    assert np.isnan(nelbo.to_numpy()).all()
    with pytest.raises(SlopscopeError, match="findings.\\* keys only"):
        measure_run(copy, ["train.steps=10"], progress=False)
    # a record from before the verdicts (no excess copy fraction) is measured again
    record = copy / "measurements" / "step-00000050.json"
    old = json.loads(record.read_text())
    del old["scalars"]["excess_copy_fraction"]
    record.write_text(json.dumps(old))
    summary = measure_run(copy, progress=False)
    assert "excess_copy_fraction" in json.loads(record.read_text())["scalars"]
    assert set(summary.findings) == {"A", "D"}


def test_cli_run_and_errors(tmp_path, capsys):
    assert main(["run", "e2", *TINY, "train.steps=20", "train.first_checkpoint=10",
                 "--runs-dir", str(tmp_path), "--quiet"]) == 0
    assert "reproduced train" in capsys.readouterr().out
    assert main(["run", "e2", "train.stpes=3"]) == 2
    assert "unknown key 'train.stpes'" in capsys.readouterr().err
    assert main(["measure", str(tmp_path / "nothing")]) == 2
    assert "is not a run directory" in capsys.readouterr().err


def test_the_report_has_every_figure_and_a_findings_table(finished):
    _, run_dir = finished
    page = (run_dir / "report" / "report.html").read_text()
    assert page.count("<img") == 7 and "data:image/png;base64," in page
    for name in ("copies_validity", "learned_above_chance", "memorized_by_quintile",
                 "time_vs_typicality",
                 "nearest_neighbours", "blocks_over_training", "membership_inference"):
        assert (run_dir / "report" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert b"<svg" in (run_dir / "report" / f"{name}.svg").read_bytes()[:500]
    for finding in ("A: prototypical", "B: fat tails", "C: a top-level tail", "D: partial",
                    "E1: larger training sets"):
        assert finding in page
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["findings"]["A"]["verdict"] in page  # displayed from summary.json
    assert "mean log p(x), train" in page and "mean log p(x), test" in page
    assert "slopscope calibrate" in page  # no calibration yet: how to make one


def test_runs_lists_every_run_with_its_headline_figures(finished, tmp_path, capsys):
    from slopscope.experiments.run.catalog import catalog

    _, run_dir = finished
    rows = catalog(run_dir.parent)
    row = next(r for r in rows if r["run"] == run_dir.name)
    assert row["status"] == "done" and row["P"] == 24 and row["P_max_fraction"] == 24 / 384
    assert 0 < row["train_reproduced"] <= 1
    assert main(["runs", "--runs-dir", str(run_dir.parent)]) == 0
    out = capsys.readouterr().out
    assert run_dir.name in out and "train_reproduced" in out
    assert main(["runs", "--runs-dir", str(tmp_path / "none")]) == 2


# what a verdict cell says of its trust (report/trust.py), or that there is no verdict to trust
TRUST = (r"\((trustworthy|not trustworthy|power|not calibrated|its controls cannot|"
         r"descriptive|false positives)|^(secondary: )?not measurable|saturated, no order")


def test_the_report_renders_in_headless_chromium_without_console_errors(finished):
    _, run_dir = finished
    shown = render(run_dir / "report" / "report.html")
    assert len(shown.images) == 7 and all(done and width > 0 and caption
                                            for done, width, caption in shown.images)
    assert shown.problems == []
    assert shown.verdicts and all(re.search(TRUST, cell) for cell in shown.verdicts)


def test_a_report_folder_linked_elsewhere_is_replaced_not_written_through(finished, tmp_path):
    _, run_dir = finished
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    report = run_dir / "report"
    shutil.rmtree(report, ignore_errors=True)
    report.symlink_to(elsewhere, target_is_directory=True)
    page = build_report(run_dir)
    assert page.exists() and not report.is_symlink() and report.is_dir()
    assert not list(elsewhere.iterdir())


def test_swapped_splits_are_refused_naming_the_file(finished, tmp_path, capsys):
    """data.json records the SHA-256 of train.npy and test.npy; a run whose files differ is
    refused before anything is measured (swapping them changed D from -1.143 to -0.590)."""
    _, run_dir = finished
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    train, test = (copy / "train.npy").read_bytes(), (copy / "test.npy").read_bytes()
    (copy / "train.npy").write_bytes(test)
    (copy / "test.npy").write_bytes(train)
    before = (copy / "summary.json").read_bytes()
    assert main(["measure", str(copy), "--force", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{copy / 'train.npy'} is not the split this run recorded" in err
    assert (copy / "summary.json").read_bytes() == before


@pytest.mark.parametrize("damage", ["garbage measurements", "grammar.json deleted"])
def test_a_damaged_run_directory_is_one_line_naming_the_file(finished, tmp_path, capsys, damage):
    _, run_dir = finished
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    if damage == "garbage measurements":
        bad = sorted((copy / "measurements").glob("*.npz"))[0]
        bad.write_bytes(b"not a zip file")
    else:
        bad = copy / "grammar.json"
        bad.unlink()
    assert main(["measure", str(copy), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("slopscope: error: ") and str(bad) in err


def test_a_summary_without_its_final_figures_is_one_line(finished, tmp_path, capsys):
    _, run_dir = finished
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    summary = json.loads((copy / "summary.json").read_text())
    (copy / "summary.json").write_text(json.dumps({**summary, "final": {}}))
    assert main(["report", str(copy)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a run summary (it lacks 'final.copy_fraction')" in err
