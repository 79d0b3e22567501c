"""The false-positive rate and power of the held-out-free verdict on A
(slopscope.experiments.studies.counterfactual), measured on oracle controls through the same
pipeline:
each replicate is a seed of K half-pool oracle models (no training).

- null: the perfect generaliser (memorize = 0): "holds" is a false positive (nominal 2.5 %).
- planted: the generaliser mixed with a memoriser of the most typical fifth of each model's
  training half (`memorize` share, ramping up in log step from the first checkpoint), the same
  planted control as `slopscope calibrate`: "holds" is a detection.

Saved as <runs>/calibration/<name>-cf.json."""

from __future__ import annotations

from slopscope.errors import check_int
from slopscope.experiments.calibration.calibrate import oracle_overrides
from slopscope.experiments.config.schema import load_config
from slopscope.experiments.studies.counterfactual import counterfactual_sweep, held_out_free_a
from slopscope.experiments.sweeps.executors import Execution
from slopscope.experiments.sweeps.sweep import run_sweep
from slopscope.measure.stats import wilson_interval
from slopscope.store import atomic_write_text, calibration_path, write_json
from slopscope.toml_text import to_toml
from slopscope.train import checkpoint_steps
from slopscope.verdicts import format_interval


def calibrate_counterfactual(source: str = "counterfactual", overrides=(), replicates: int = 20,
                             models: int = 4, memorize: float = 0.3,
                             execution: Execution | None = None, report=print) -> dict:
    """'holds' rates of the held-out-free A on the null and planted arms, with Wilson 95 %
    intervals; saved next to the other calibrations."""
    check_int("replicates", replicates, minimum=1)
    execution = execution or Execution()
    config = load_config(source, list(overrides))
    onset = checkpoint_steps(config.train)[0]
    arms = {"null": oracle_overrides(0.0, "typical", 0),
            "planted": oracle_overrides(memorize, "typical", onset)}
    out = {"replicates": replicates, "models": models, "memorize": memorize, "arms": {}}
    for arm, oracle in arms.items():
        sweep = counterfactual_sweep(source, [*overrides, *oracle], models, seed=0)
        sweep.update(seeds=list(range(replicates)), name=f"{sweep['name']}-calibration-{arm}")
        path = execution.runs_dir / "counterfactual" / f"{sweep['name']}.toml"
        atomic_write_text(path, to_toml(sweep) + "\n")
        report(f"counterfactual calibration, {arm}: {replicates} replicates x {models} models")
        sweep_dir = run_sweep(path, execution, report=lambda *_: None)
        verdicts = [held_out_free_a(sweep_dir, seed)["verdict"] for seed in range(replicates)]
        hits = sum(v == "holds" for v in verdicts)
        low, high = wilson_interval(hits, replicates)
        out["arms"][arm] = {"hits": hits, "n": replicates, "rate": hits / replicates,
                            "low": float(low), "high": float(high)}
        interval = format_interval(hits / replicates, float(low), float(high), signed=False)
        report(f"  {arm}: holds in {hits}/{replicates} = {interval}")
    write_json(calibration_path(execution.runs_dir, f"{config.name}-cf"), out)
    return out
