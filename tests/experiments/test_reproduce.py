"""The results page: its rows, the pooled rule over seeds (and its calibration), the page built
from results.json, and (slow, not in CI) `slopscope reproduce --quick` end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from slopscope.errors import SlopscopeError
from slopscope.experiments.results.plan import estimate_seconds, read_rows
from slopscope.experiments.results.reproduce import finished_row, select_rows
from slopscope.experiments.sweeps.sweep import expand, grid_points
from slopscope.experiments.verdicts.pooled import pooled, pooled_rate
from slopscope.report import page_plots
from slopscope.report.results import build_results
from slopscope.store import write_json
from slopscope.verdicts import BY_NAME, Verdict


def test_every_row_has_at_least_six_seeds_and_the_grids_the_findings_need():
    rows = {row.key: row for row in read_rows()}
    assert {row.finding for row in rows.values()} == set(BY_NAME)
    assert {"A-masked", "A-uniform", "A-gaussian", "A-words", "B", "C", "D", "E1"} <= set(rows)
    assert all(row.seeds >= 6 for key, row in rows.items() if key != "A-words")
    assert rows["A-words"].seeds >= 3
    assert rows["B"].points >= 4 and rows["E1"].points >= 4
    for row in rows.values():
        assert len(expand(row.sweep)) == row.seeds * row.points  # every configuration is valid
    assert rows["A-uniform"].config().diffusion.family == "uniform"
    assert rows["A-uniform"].calibration == "A-masked"  # the oracle ignores the family
    quick = read_rows(quick=True)
    assert [row.key for row in quick] == list(rows)
    assert all(row.sweep["name"].startswith("quick-") for row in quick)
    assert estimate_seconds(quick, 2)["seconds"] < estimate_seconds(read_rows(), 2)["seconds"] / 10
    assert rows["A-masked"].spec_hash() != quick[0].spec_hash()


def test_a_row_is_final_only_under_its_specification_and_the_revision_of_its_rule(tmp_path):
    rows = {row.key: row for row in read_rows()}
    a, b, path = rows["A-masked"], rows["B"], tmp_path / "row.json"
    assert finished_row(path, a) == (None, "")
    saved = {"spec": a.spec_hash(), "revision": a.judged.revision, "verdict": "holds"}
    write_json(path, saved)
    assert finished_row(path, a) == (saved, "")
    write_json(path, {**saved, "spec": "0000000000"})
    assert finished_row(path, a) == (None, " (its specification changed)")
    write_json(path, {"spec": a.spec_hash(), "verdict": "holds"})  # saved before revisions
    assert a.judged.revision > 1  # A's rule changed once (not measurable below 10 strings)
    assert finished_row(path, a) == (
        None, f" (judged under revision 1 of the A rule, now {a.judged.revision})")
    write_json(path, {"spec": b.spec_hash(), "verdict": "holds"})  # B's rule never changed
    assert finished_row(path, b)[0] is not None


def test_each_finding_has_a_row_in_the_window_on_the_u_net_at_six_seeds():
    rows = {row.key: row for row in read_rows()}
    window = {key: row for key, row in rows.items() if row.regime == "window"}
    assert {row.finding for row in window.values()} == {"A", "B", "C", "D", "E1"}
    assert {window[f"A-{f}-window"].config().diffusion.family
            for f in ("masked", "uniform", "gaussian")} == {"masked", "uniform", "gaussian"}
    assert all(row.seeds >= 6 and row.config().model.backbone == "unet"
               for row in window.values())
    assert window["B-window"].points >= 4 and window["E1-window"].points >= 4
    assert {window["C-window"].config(p).grammar.zipf_levels[0]
            for p in grid_points(window["C-window"].sweep)} == {1, 3}
    assert window["D-window"].config().findings.d_window == "generalising"
    # the Gaussian row shares the uniform row's calibration: same P, steps and checkpoints
    gaussian, uniform = window["A-gaussian-window"], window["A-uniform-window"]
    assert gaussian.calibration == "A-uniform-window"
    assert gaussian.config().train == uniform.config().train
    assert gaussian.config().data == uniform.config().data
    assert all(row.regime == "below" for key, row in rows.items() if key not in window)
    assert all(row.calibration == "self" for key, row in window.items() if key != gaussian.key)


def test_rows_can_run_alone_and_the_others_are_listed_as_pending(tmp_path):
    rows = read_rows()
    assert select_rows(rows, None) == {row.key for row in rows}
    assert select_rows(rows, ("D-window",)) == {"D-window"}
    window = {row.key for row in rows if row.regime == "window"}
    assert select_rows(rows, regime="window") == window and "E1-window" in window
    assert select_rows(rows, ("E1",), "window") == window | {"E1"}
    with pytest.raises(SlopscopeError, match="--regime above: allowed: below, window"):
        select_rows(rows, regime="above")
    with pytest.raises(SlopscopeError, match=r"--rows X-window: not a row .* allowed: A-masked"):
        select_rows(rows, ("D-window", "X-window"))
    (tmp_path / "results.json").write_text(json.dumps({"quick": False, "rows": [],
                                                       "pending": ["B-window", "E1-window"]}))
    page = build_results(tmp_path).read_text()
    assert "## Not yet run" in page and "B-window, E1-window." in page


def test_the_pooled_rule_is_the_mean_over_seeds_with_a_t_interval():
    entries = [Verdict.make("holds" if s > 0.22 else "not shown", s)
               for s in (0.2, 0.3, 0.25, 0.35)]
    found = pooled(BY_NAME["A"], entries).to_dict()
    mean, sd = np.mean([0.2, 0.3, 0.25, 0.35]), np.std([0.2, 0.3, 0.25, 0.35], ddof=1)
    half = 3.182446305284263 * sd / 2  # t(0.975, 3) * sd / sqrt(4)
    assert found["statistic"] == pytest.approx(mean)
    assert (found["low"], found["high"]) == pytest.approx((mean - half, mean + half))
    assert found["verdict"] == "holds" and "1 not shown, 3 holds" in found["measured"]
    one = pooled(BY_NAME["A"], [Verdict.make("holds", 0.2), Verdict.make("not measurable")])
    assert one.verdict == "not measurable"
    slopes = [Verdict.make("not shown", 9.0, pooled_statistic=s) for s in (0.2, 0.3, 0.25)]
    assert pooled(BY_NAME["D"], slopes).statistic == pytest.approx(0.25)  # D pools its window


def test_the_pooled_rule_keeps_its_false_positive_rate_on_a_null():
    rng = np.random.default_rng(3)
    null = [[float(x), 0.0, 0.0] for x in rng.normal(0.0, 1.0, 6 * 2000)]
    rate = pooled_rate(null, 6)
    assert rate["n"] == 2000 and rate["low"] < 0.025 < rate["high"] + 0.01
    planted = [[float(x), 0.0, 0.0] for x in rng.normal(2.0, 1.0, 6 * 200)]
    assert pooled_rate(planted, 6)["rate"] > 0.9
    assert pooled_rate(null[:5], 6) is None


def test_the_results_page_says_plainly_what_does_not_reproduce(tmp_path):
    rate = {"rate": 0.02, "low": 0.0, "high": 0.1, "hits": 1, "n": 50}
    rows = [
        {"key": "A-masked", "title": "A", "finding": "A", "seeds": 6, "points": 1, "failed": 0,
         "verdict": "holds", "statistic": 0.2, "low": 0.1, "high": 0.3, "measured": "m",
         "rule": "r", "calibration": {"false_positive_rate": rate, "power": rate},
         "seconds": 921.4},
        {"key": "C", "title": "C", "finding": "C", "seeds": 6, "points": 2, "failed": 0,
         "verdict": "not shown", "statistic": 0.01, "low": -0.02, "high": 0.04,
         "measured": "diff", "rule": "r", "calibration": {"false_positive_rate": rate,
                                                         "power": dict(rate, hits=9, n=20)}},
        {"key": "E1", "title": "E1", "finding": "E1", "seeds": 6, "points": 4, "failed": 0,
         "verdict": "holds", "statistic": -0.3, "low": -0.4, "high": -0.2, "measured": "m",
         "rule": "r", "calibration": None, "scaling": {
             "measured": "tau_mem ~ P^1.02 [0.9, 1.1]", "window": [
                 {"P": p, "seeds": 6, "tau_rule": 50.0, "tau_mem": 3.0 * p, "censored": 0}
                 for p in (64, 128, 256, 512)]}},
        {"key": "A-window", "title": "A", "finding": "A", "seeds": 6, "points": 1, "failed": 0,
         "verdict": "not shown", "statistic": 0.0, "low": -0.1, "high": 0.1, "measured": "m",
         "rule": "r", "calibration": None, "regime": "in the window", "revision": 1,
         "regime_figures": {
             "tau_L": {"centre": 5000.0, "censored": 1}, "tau_mem": {"centre": None,
                                                                  "censored": 6},
             "ratio": 3.2, "ratio_is_bound": True, "valid": 0.55, "label": "in the window"}},
    ]
    (tmp_path / "results.json").write_text(json.dumps({"quick": True, "rows": rows}))
    page = build_results(tmp_path).read_text()
    assert page.startswith("# slopscope results (quick)") and "QUICK" in page
    lines = page.splitlines()
    masked = lines.index("| A-masked | A | below the sample complexity | 6 x 1 (0 failed) | "
                         "+0.200 [+0.100, +0.300] | **holds (trustworthy: false positives 2%, "
                         "power 2%)** | 0.020 [0.00, 0.10] (1/50) | "
                         "0.020 [0.00, 0.10] (1/50) | - | - | - | - | not measured (token "
                         "data, or run before per-level validity) |")
    assert lines[masked + 1] == ("| A-window | A | in the window | 6 x 1 (0 failed) | "
                                 "+0.000 [-0.100, +0.100] | **not shown (not calibrated: no "
                                 "oracle controls); judged under revision 1 of the rule (now "
                                 f"{BY_NAME['A'].revision}): slopscope reproduce judges it "
                                 "again** | not available (no "
                                 "grammar: no oracle controls) | - | 5000 (1 censored) | not "
                                 "reached (6 censored) | >3.2 | 0.55 | in the window |")
    assert "**C** does not reproduce here (not shown: diff)" in page and "(9/20)" in page
    assert "- **A-masked**: m (rule: r). Wall time 921 s." in page
    assert "below the sample complexity 921 s (0.3 h); in the window 0 s (0.0 h); in all 921 s" \
        in page
    assert "| 512 | 6 | 50 | 1536 | 0 | 50 to 1536 |" in page and "no stopping window" not in page
    assert (tmp_path / "statistics.png").read_bytes()[:4] == b"\x89PNG"
    figure = page_plots.results_statistics(rows)  # one panel per finding, both regimes in it
    assert [len(ax.get_yticks()) for ax in figure.axes] == [2, 1, 1]
    assert (tmp_path / "e1_scaling.png").exists()
    window = dict(rows[2], key="E1-window", regime="in the window")
    (tmp_path / "results.json").write_text(json.dumps({"quick": False,
                                                       "rows": [rows[2], window]}))
    page = build_results(tmp_path).read_text()
    assert "## Memorisation time against training-set size (E1) (E1, below" in page
    assert "## Memorisation time against training-set size (E1) (E1-window, in the window)" in page
    assert (tmp_path / "e1_scaling_E1-window.png").exists()


def test_the_results_page_says_when_copying_begins_before_the_rules(tmp_path):
    window = [{"P": 64, "seeds": 6, "tau_rule": 2000.0, "tau_mem": 450.0, "censored": 0},
              {"P": 512, "seeds": 6, "tau_rule": None, "tau_mem": 3000.0, "censored": 0}]
    row = {"key": "E1", "title": "E1", "finding": "E1", "seeds": 6, "points": 2, "failed": 0,
           "verdict": "holds", "statistic": -0.3, "low": -0.4, "high": -0.2, "measured": "m",
           "rule": "r", "note": "a note.", "calibration": None,
           "scaling": {"measured": "tau_mem ~ P^0.9 [0.8, 1.0]", "window": window}}
    (tmp_path / "results.json").write_text(json.dumps({"quick": False, "rows": [row]}))
    page = build_results(tmp_path).read_text()
    assert "| 64 | 6 | 2000 | 450 | 0 | none: copying begins first |" in page
    assert "| 512 | 6 | not reached | 3000 | 0 | none: most generations never valid |" in page
    assert "leave no stopping window" in page and "(rule: r). a note." in page
    never = [dict(w, tau_rule=None, tau_mem=None, censored=6) for w in window]
    row["scaling"] = {"measured": "not measurable: 0 runs reach tau_mem", "window": never}
    (tmp_path / "results.json").write_text(json.dumps({"quick": True, "rows": [row]}))
    assert "| 64 | 6 | not reached | not reached | 6 |" in build_results(tmp_path).read_text()


def test_the_readme_quotes_the_committed_full_results_and_nothing_else():
    root = Path(__file__).resolve().parents[2]
    page = (root / "results" / "results.md").read_text()
    data = json.loads((root / "results" / "results.json").read_text())
    readme = (root / "README.md").read_text()
    section = readme[readme.index("## Results:"):readme.index("## The regime")]
    assert not data["quick"] and page.startswith("# slopscope results\n")
    keys = [row["key"] for row in data["rows"]] + data.get("pending", [])
    assert sorted(keys) == sorted(row.key for row in read_rows())  # every row, run or pending
    table = [line for line in section.splitlines() if line.startswith("|")]
    assert len(table) >= 10 and all(line in page.splitlines() for line in table)
    assert all(f"| {row['key']} |" in section for row in data["rows"])


@pytest.mark.slow
def test_reproduce_quick_runs_from_a_fresh_checkout_within_15_minutes(tmp_path):
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "slopscope.cli", "reproduce", "--quick",
                           "--out", str(tmp_path / "out"), "--runs-dir", str(tmp_path / "runs")],
                          capture_output=True, text=True, timeout=20 * 60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert time.perf_counter() - began < 15 * 60
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["quick"] and len(data["rows"]) == len(read_rows()) and not data["pending"]
    assert all(row["failed"] == 0 for row in data["rows"])
    assert "(quick)" in (tmp_path / "out" / "results.md").read_text()
