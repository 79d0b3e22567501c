"""The regime figures of a results row (experiments/results/regime_figures.py): exact answers on
constructed runs, censoring, and the label that keeps a row without a window from being called a
reproduction of the paper's regime."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from slopscope.experiments.results.regime_figures import row_figures, run_figures
from slopscope.report.results import _figures as format_figures

INF = math.inf


def _run(tau_L, tau_mem, valid=0.9, last=16000, step=8000):
    return {"tau_L": tau_L, "tau_mem": tau_mem, "last": last, "step": step, "valid": valid}


def test_run_figures_read_the_statistics_checkpoint():
    summary = SimpleNamespace(tau_learned={1: 100.0, 2: 900.0, 3: 5000.0}, tau_mem=INF,
                              levels=3)
    table = {"step": [100, 1000, 16000], "novel_valid_k3": [0.1, 0.4, 0.6]}
    assert run_figures(summary, table, 1000) == {"tau_L": 5000.0, "tau_mem": INF,
                                                 "last": 16000, "step": 1000, "valid": 0.4}
    assert run_figures(summary, table, None)["valid"] == 0.6  # a sweep finding: the last
    assert run_figures(SimpleNamespace(tau_learned=None), table, None) is None  # token data
    # the top level "learned" over the few strings valid below it, the lower levels never: the
    # whole grammar is not learned
    unlearned = SimpleNamespace(tau_learned={1: INF, 2: INF, 3: 45.0}, tau_mem=INF, levels=3)
    assert run_figures(unlearned, table, None)["tau_L"] == INF


def test_a_window_row_and_its_ratio():
    figures = row_figures([_run(4000, 8000, 0.8), _run(1000, 4000, 0.6), _run(INF, 3000, 0.2)])
    assert figures["window"] and figures["windows"] == 2
    assert figures["ratio"] == pytest.approx(math.sqrt(2 * 4))  # geometric mean of 2 and 4
    assert not figures["ratio_is_bound"]
    assert figures["tau_L"]["centre"] == pytest.approx(2000) and figures["tau_L"]["censored"] == 1
    assert figures["valid"] == pytest.approx(0.5333333)
    assert format_figures(figures)["label"].startswith("in the window (2 of 3")
    # tau_mem beyond the run: the last step stands in, a lower bound
    bound = row_figures([_run(4000, INF), _run(4000, INF)])
    assert bound["ratio"] == pytest.approx(4) and bound["ratio_is_bound"]
    assert format_figures(bound)["ratio"] == ">4.0"
    # one decimal, so that B-window's 1.954 does not print as "2" beside a "1.6"
    assert format_figures(row_figures([_run(1000, 1954)]))["ratio"] == "2.0"
    assert format_figures(bound)["tau_mem"] == "not reached (2 censored)"


def test_rows_without_a_window_say_so():
    copying = row_figures([_run(5000, 1000), _run(5000, 6000), _run(3000, 2000)])
    assert not copying["window"] and copying["ratio"] == pytest.approx(1.2)
    assert format_figures(copying)["label"] == ("no window: copying begins before the whole "
                                                "grammar is learned in 2 of 3 runs")
    never = row_figures([_run(INF, 1000), _run(INF, 2000), _run(3000, 4000)])
    assert "never learned (2 of 3 runs)" in format_figures(never)["label"]
    assert row_figures([None, None]) is None
    assert format_figures(None)["label"].startswith("not measured")


def test_a_results_row_records_the_regime_of_its_runs(tmp_path):
    """Through reproduce's row assembly: two hierarchical-learner controls (whole grammar
    learned at a planted step, no copies), D judged on each; the row's figures read their
    summaries and checkpoint tables at D's step."""
    from slopscope.experiments import load_config
    from slopscope.experiments.results.plan import Row
    from slopscope.experiments.results.reproduce import _row_result
    from slopscope.experiments.run.runner import run_experiment
    from slopscope.store import read_columns, write_table
    from slopscope.summary import read_summary
    from tests.experiments.test_level_onsets import ORACLE

    overrides = [*ORACLE, "model.options.level_onset=40", "model.options.level_ratio=4.0"]
    config = load_config("e2", overrides)
    dirs = [str(run_experiment(config, seed, tmp_path, progress=False)) for seed in (0, 1)]
    write_table(tmp_path / "index.parquet", {"run_dir": dirs, "seed": [0, 1]})
    row = Row("D-x", "D", "D", {"base": "e2", "overrides": overrides, "seeds": [0, 1],
                                "name": "x"}, "none", 0, False)
    figures = _row_result(row, tmp_path, None)["regime_figures"]
    summaries = [read_summary(d) for d in dirs]
    taus = [s.tau_learned[3] for s in summaries]
    assert all(steps[0] < tau < steps[-1] for tau, steps in
               zip(taus, (s.steps for s in summaries), strict=True))  # learned within the run
    assert figures["window"] and figures["windows"] == 2 and figures["tau_mem"]["censored"] == 2
    assert figures["tau_L"]["centre"] == pytest.approx(math.sqrt(taus[0] * taus[1]))
    steps = [s.findings["D"].details["step"] for s in summaries]
    valid = [read_columns(f"{d}/tables/checkpoints.parquet") for d in dirs]
    expected = [float(t["novel_valid_k3"][list(t["step"]).index(st)])
                for t, st in zip(valid, steps, strict=True)]
    assert figures["steps"] == sorted(set(steps))
    assert figures["valid"] == pytest.approx(sum(expected) / 2)


def test_a_row_of_several_points_names_the_arm_that_never_generalised(tmp_path):
    """Two grid points of hierarchical-learner controls: one learns the whole grammar early,
    the other never within the run (its first level's onset lies beyond the last step)."""
    import json

    from slopscope.experiments import load_config
    from slopscope.experiments.results.plan import Row
    from slopscope.experiments.results.reproduce import _row_result
    from slopscope.experiments.run.runner import run_experiment
    from slopscope.report.results import build_results
    from slopscope.store import write_table
    from tests.experiments.test_level_onsets import ORACLE

    overrides = [*ORACLE, "model.options.level_ratio=4.0"]
    onsets = [40, 100000]
    dirs = [str(run_experiment(load_config("e2", [*overrides, f"name='o{onset}'",
                                                  f"model.options.level_onset={onset}"]),
                               0, tmp_path, progress=False)) for onset in onsets]
    write_table(tmp_path / "index.parquet", {"run_dir": dirs, "seed": [0, 0],
                                             "model.options.level_onset": [str(o) for o in
                                                                           onsets]})
    row = Row("B-x", "B", "A", {"base": "e2", "overrides": overrides, "seeds": [0],
                                "name": "x", "grid": {"model.options.level_onset": onsets}},
              "none", 0, False)
    result = _row_result(row, tmp_path, None)
    early, never = result["regime_per_point"]
    assert early["point"] == "model.options.level_onset=40" and early["figures"]["window"]
    assert never["point"] == "model.options.level_onset=100000"
    assert never["figures"]["tau_L"]["censored"] == 1 and not never["figures"]["window"]
    assert result["regime_figures"]["runs"] == 2
    (tmp_path / "results.json").write_text(json.dumps({"quick": False, "rows": [result]},
                                                      default=str))
    page = build_results(tmp_path).read_text()
    assert ("Regime per point: model.options.level_onset=40: in the window (1 of 1 runs learn "
            "the grammar first)") in page
    assert ("model.options.level_onset=100000: no window: the whole grammar never learned "
            "(1 of 1 runs), tau*_L not reached (1 censored)") in page
