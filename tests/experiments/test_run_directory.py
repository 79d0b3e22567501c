"""The run directory is the only interface between the stages: the tables hold every figure the
report shows (computed once, equal to the measurement functions), and the report builds from a
copied run directory with the rest of the package unused."""

from __future__ import annotations

import ast
import html
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from slopscope import app, measure
from slopscope.experiments import load_config
from slopscope.experiments.run.runner import run_experiment
from slopscope.report import build_report
from slopscope.summary import read_summary

ORACLE = ["grammar.v=8", "grammar.n=8", "grammar.m=4", "data.train=128", "data.test=128",
          "train.steps=1000", "train.checkpoints=5", "train.first_checkpoint=100",
          "measure.generations=500", "model.backbone=oracle", "model.options.memorize=0.3",
          "model.options.memorize_set='typical'"]
SRC = Path(__file__).resolve().parents[2] / "src" / "slopscope"


@pytest.fixture(scope="module")
def oracle_run(tmp_path_factory):
    run_dir = run_experiment(load_config("e2", ORACLE), 1, tmp_path_factory.mktemp("runs"),
                             progress=False)
    build_report(run_dir)
    return run_dir


def _columns(path) -> dict:
    return {k: np.asarray(v) for k, v in pq.read_table(path).to_pydict().items()}


def test_times_quintiles_and_neighbours_in_the_tables_equal_the_measurements(oracle_run):
    tables = oracle_run / "tables"
    strings, times = _columns(tables / "strings.parquet"), _columns(tables / "times.parquet")
    typicality = _columns(tables / "typicality.parquet")
    steps = _columns(tables / "checkpoints.parquet")["step"]
    curves = _columns(tables / "quintiles.parquet")
    taus = {}
    for split in ("train", "test"):
        rows = strings["split"] == split
        counts = strings["count"][rows].reshape(len(steps), -1)
        tau = measure.generation_times(counts, steps)
        np.testing.assert_array_equal(times["generation_time"][times["split"] == split], tau)
        taus[split] = tau
    assert set(curves["typicality"]) == {"t1"}  # finding A's score in this run
    grouped, _ = measure.curves_by_score_group(
        taus, {split: typicality["t1"][typicality["split"] == split] for split in taus}, steps)
    for split in ("train", "test"):
        for curve in grouped[split]:
            mine = (curves["split"] == split) & (curves["quintile"] == curve["group"] + 1)
            np.testing.assert_allclose(curves["fraction"][mine], curve["fraction"])
            np.testing.assert_allclose(curves["low"][mine], curve["low"])
    neighbours = _columns(tables / "neighbours.parquet")
    train, test = np.load(oracle_run / "train.npy"), np.load(oracle_run / "test.npy")
    last = np.load(oracle_run / "generations" / f"step-{steps[-1]:08d}.npy")
    d = train.shape[1]
    for step, strings_at in ((steps[-1], last), (-1, test)):
        expected = measure.distance_histogram(measure.nearest_hamming(strings_at, train)[0], d)
        np.testing.assert_allclose(neighbours["fraction"][neighbours["step"] == step], expected)
    examples = _columns(tables / "examples.parquet")
    generated = examples["section"] == "generated"
    shown = last[:generated.sum()]
    assert list(examples["text"][generated]) == [" ".join(map(str, row)) for row in shown]
    copies = measure.is_copy(shown, train)
    assert list(examples["kind"][generated] == "copy of a training string") == list(copies)


def test_the_summary_has_one_typed_reader(oracle_run):
    summary = read_summary(oracle_run)
    raw = json.loads((oracle_run / "summary.json").read_text())
    assert summary.train.reproduced_fraction == raw["splits"]["train"]["reproduced_fraction"]
    assert summary.verdict("A") == raw["findings"]["A"]["verdict"]
    assert summary.delay_area == raw["delay"]["area"]
    again = type(summary).from_dict(json.loads(json.dumps(summary.to_dict())))
    assert again.findings == summary.findings and again.steps == summary.steps
    checkpoints = _columns(oracle_run / "tables" / "checkpoints.parquet")
    assert summary.tau_mem == measure.crossing_step(checkpoints["excess_copy_fraction"],
                                                    checkpoints["step"], 0.05)
    assert summary.tau_rule == measure.crossing_step(checkpoints["valid"], checkpoints["step"],
                                                     0.5) == checkpoints["step"][0]  # oracle
    never = dict(raw, splits={s: dict(raw["splits"][s], median_generation_time=None)
                              for s in ("train", "test")})
    assert type(summary).from_dict(never).test.median_generation_time == np.inf
    for path in SRC.rglob("*.py"):
        if path.name == "summary.py":
            continue
        text = path.read_text()
        assert '"splits"]' not in text and "summary.json\")" not in text, path


def test_experiments_never_import_the_report():
    for path in (SRC / "experiments").rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not any(str(n).startswith("slopscope.report") for n in names), path


BLOCKER = """
import sys
BLOCKED = ("slopscope.experiments", "slopscope.measure", "slopscope.grammar",
           "slopscope.tokendata", "slopscope.diffusion", "slopscope.models", "slopscope.train",
           "slopscope.data", "slopscope.checkpoints", "torch", "numba")

class Block:
    def find_spec(self, name, path=None, target=None):
        if name in BLOCKED or name.startswith(tuple(b + "." for b in BLOCKED)):
            raise ImportError(f"the report must not need {name}")

sys.meta_path.insert(0, Block())
from slopscope.report import build_report
print(build_report(sys.argv[1]))
"""


def _without_images(page: str) -> str:
    return re.sub(r"base64,[A-Za-z0-9+/=]+", "", page)


def test_the_report_builds_from_a_copied_run_directory_alone(oracle_run, tmp_path):
    copy = tmp_path / "elsewhere" / oracle_run.name
    shutil.copytree(oracle_run, copy)  # delete nothing: the page is written again
    before = (copy / "report" / "report.html").stat().st_mtime_ns
    done = subprocess.run([sys.executable, "-c", BLOCKER, str(copy)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    page = (copy / "report" / "report.html").read_text()
    assert (copy / "report" / "report.html").stat().st_mtime_ns > before
    assert page.count("<img") == 7  # six figures + membership inference (likelihood measured)
    original = (oracle_run / "report" / "report.html").read_text()
    assert _without_images(page) == _without_images(original)
    config = html.unescape(page.split("<h2>Configuration</h2><pre>")[1].split("</pre>")[0])
    saved = json.loads((oracle_run / "config.json").read_text())["config"]
    assert tomllib.loads(config)["model"] == saved["model"]  # the configuration as TOML


def test_the_report_shows_the_calibration_saved_next_to_the_run(oracle_run, tmp_path):
    runs = tmp_path / "runs"
    copy = runs / oracle_run.name
    shutil.copytree(oracle_run, copy)
    rate = {"rate": 0.1, "low": 0.03, "high": 0.3, "hits": 2, "n": 20}
    name = json.loads((copy / "config.json").read_text())["config"]["name"]
    (runs / "calibration").mkdir()
    (runs / "calibration" / f"{name}.json").write_text(json.dumps(
        {"replicates": 20, "memorize": 0.3, "verdicts": {"A": {"uniform_holds": rate,
                                                                "power": rate}}}))
    page = html.unescape(app.run_report(copy, force=True).read_text())
    assert "20 replicates per arm" in page and "0.100 [0.030, 0.300] (2/20)" in page
    assert "A: 'holds' is not trustworthy" in page and "'not shown' says little" in page
    other = json.loads((runs / "calibration" / f"{name}.json").read_text())
    other["config_hash"] = "0000000000"  # the calibration of another configuration: not shown
    (runs / "calibration" / f"{name}.json").write_text(json.dumps(other))
    assert "No calibration of these verdicts yet" in app.run_report(copy, force=True).read_text()


def test_the_catalogue_lists_a_run_whose_summary_is_of_an_older_layout(oracle_run, tmp_path):
    from slopscope.experiments.run.catalog import catalog

    copy = tmp_path / oracle_run.name
    shutil.copytree(oracle_run, copy)
    old = json.loads((copy / "summary.json").read_text())
    del old["splits"]["train"]["reproduced_fraction"]
    (copy / "summary.json").write_text(json.dumps(old))
    (row,) = catalog(tmp_path)
    assert row["status"] == "re-measure" and row.get("train_reproduced") is None


def test_the_report_says_when_the_controls_cannot_judge_a_finding():
    from slopscope.report.sections import _reading

    never = {"rate": 0.0, "low": 0.0, "high": 0.07, "hits": 0, "n": 50, "measurable": 0}
    text = _reading("A", {"uniform_holds": never, "power": never})
    assert "cannot judge it at this size" in text and "(50 + 50)" in text
    some = {**never, "measurable": 50}
    assert "trustworthy" in _reading("A", {"uniform_holds": some, "power": some})
