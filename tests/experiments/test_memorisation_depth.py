"""A judged after memorisation begins: the learner that copies its typical fifth late
(the case that read "not shown" before copying began), training to a memorisation depth
(train.until), and calibration controls timed like the run they calibrate."""

from __future__ import annotations

import pytest

from slopscope import app
from slopscope.errors import SlopscopeError
from slopscope.experiments import load_config
from slopscope.experiments.calibration.calibrate import learning_overrides, planted_onset
from slopscope.experiments.run.runner import run_experiment
from slopscope.store import read_json
from slopscope.summary import read_summary
from slopscope.train import checkpoint_steps

LATE = ['model.backbone="oracle"', "data.train=3072", "train.steps=30000",
        "model.options.level_onset=100", "model.options.level_ratio=4",
        "model.options.memorize=0.1", 'model.options.memorize_set="typical"',
        "model.options.onset=20000", "measure.likelihood=false"]


def test_a_learner_that_copies_its_typical_fifth_late_holds_after_the_onset(tmp_path):
    """It knows the grammar by step ~1600 and copies from step 20 000: the halfway rule judged
    it at step 17 862 (before any copying: "not shown"); excess-half judges it after."""
    run_dir = run_experiment(load_config("w2", LATE), 0, tmp_path, progress=False)
    a = read_summary(run_dir).findings["A"]
    assert a.verdict == "holds" and a.details["step"] >= 20000
    assert a.details["excess_reproduced"] > 0 and a.details["excess_copies"] > 0.05
    halfway = next(s for s in a.details["secondary"] if s["measured"].startswith("t1, halfway"))
    assert halfway["step"] < 20000 and halfway["verdict"] == "not shown"
    page = app.run_report(run_dir).read_text()  # the report says where the run sits
    assert "tau*_3 = " in page and "window tau_mem / tau*_L" in page
    assert f"A at step {a.details['step']}: training strings reproduced beyond" in page


TINY = ["train.steps=400", "measure.generations=300", "measure.likelihood=false"]


def test_training_to_a_depth_stops_where_a_straight_run_has_the_same_weights(tmp_path):
    deep = run_experiment(load_config("demo", [*TINY, "train.until=0.05"]), 0, tmp_path / "a",
                          progress=False)
    stopped = read_json(deep / "done.json")["stopped_at"]
    steps = checkpoint_steps(load_config("demo", TINY).train)
    assert stopped in steps and stopped < steps[-1]
    records = {r: read_json(deep / "measurements" / f"step-{r:08d}.json")["scalars"]
               for r in steps if r <= stopped}
    assert records[stopped]["excess_copy_fraction"] >= 0.05
    assert all(s["excess_copy_fraction"] < 0.05 for r, s in records.items() if r < stopped)
    assert not (deep / "checkpoints" / f"ckpt-{steps[-1]:08d}.safetensors").exists()
    straight = run_experiment(load_config("demo", TINY), 0, tmp_path / "b", progress=False)
    name = f"ckpt-{stopped:08d}.safetensors"
    assert (deep / "checkpoints" / name).read_bytes() == (straight / "checkpoints" /
                                                           name).read_bytes()
    # resumed after the stop was found but before it was recorded: the same stop
    (deep / "done.json").unlink()
    assert run_experiment(load_config("demo", [*TINY, "train.until=0.05"]), 0, tmp_path / "a",
                          progress=False) == deep
    assert read_json(deep / "done.json")["stopped_at"] == stopped


def test_calibration_controls_take_the_runs_measured_times():
    config = load_config("w2")
    steps = checkpoint_steps(config.train)
    assert planted_onset(config, steps) == config.controls.memorisation == 6358
    assert planted_onset(config, steps, "first") == steps[0]
    positions = [planted_onset(config, steps, p) for p in ("early", "middle", "late")]
    assert steps[0] < positions[0] < positions[1] < positions[2] < steps[-1]
    assert learning_overrides(config, steps) == ["model.options.level_onset=100",
                                                 "model.options.level_ratio=5.7576"]
    with pytest.raises(SlopscopeError, match="onset='never'"):
        planted_onset(config, steps, "never")
    with pytest.raises(SlopscopeError, match="'learned' = \\[300, 200\\]"):
        load_config("w2", ["controls.learned=[300, 200]"])
    # not part of a run's identity: the same runs, calibrated at another timing
    assert load_config("w2", ["controls.memorisation=100"]).hash() == config.hash()


def test_a_calibration_of_some_arms_is_saved_apart(tmp_path):
    from slopscope.experiments.calibration.calibrate import calibrate
    from slopscope.experiments.sweeps.executors import Execution

    table = calibrate("demo", runs=1, execution=Execution(tmp_path, workers=1),
                      report=lambda _: None, only_arms=("planted", "uniform"), onset="late")
    assert set(table["verdicts"]["A"]) == {"power", "uniform_holds"}
    assert (tmp_path / "calibration" / "demo-onset-late-arms-planted-uniform.json").exists()
    assert not (tmp_path / "calibration" / "demo.json").exists()
    with pytest.raises(SlopscopeError, match="arm 'copies'; allowed: null, planted"):
        calibrate("demo", runs=1, execution=Execution(tmp_path), only_arms=("copies",))


def test_the_quintile_figure_groups_by_the_score_a_judges_by(tmp_path):
    """Under a root-only tail T3 (log p) takes m values: the report's reproduced-by-group curves
    are those m groups, as finding A compares them, and the caption says so."""
    import pyarrow.parquet as pq

    config = load_config("demo", ['model.backbone="oracle"', *TINY, "grammar.zipf_a=0",
                                  "grammar.zipf_levels=[1]", 'findings.a_typicality="t3"'])
    run_dir = run_experiment(config, 0, tmp_path, progress=False)
    curves = pq.read_table(run_dir / "tables" / "quintiles.parquet").to_pydict()
    assert set(curves["typicality"]) == {"t3"}
    assert set(curves["quintile"]) == set(range(1, config.grammar.m + 1))
    page = app.run_report(run_dir).read_text()
    assert f"T3 group (one per value of the score, which takes only {config.grammar.m}" in page
