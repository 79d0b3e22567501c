"""How long runs take, before they start: one estimator for every command that announces its
cost (reproduce, sweep, calibrate). Measured on the 2-core machines, one torch thread per
process: a trained run's time is its backbone's `SECONDS_PER_5000_STEPS` times its noise
family's `run_cost` (its sampling chain) per 5000 steps; an oracle control (nothing trained) a
fixed few seconds."""

from __future__ import annotations

from slopscope.diffusion import FAMILIES
from slopscope.models import MODELS

ORACLE_RUN_SECONDS = 4.0  # an oracle control run: no training, one measurement per checkpoint
ANNOUNCE_SECONDS = 600.0  # a command expected to take longer says so before it starts


def run_seconds(config) -> float:
    """The estimated wall time of one run of `config` on one core."""
    options = MODELS[config.model.backbone].options
    per_5000 = getattr(options, "SECONDS_PER_5000_STEPS", None)
    if per_5000 is None:  # a model with nothing to train (the oracle)
        return ORACLE_RUN_SECONDS
    factor = FAMILIES[config.diffusion.family].run_cost(config.diffusion.options)
    return per_5000 * factor * config.train.steps / 5000


def cost_text(runs: int, seconds: float, workers: int) -> str:
    """'N runs, about X on W workers (2-core estimate)' for `seconds` of work in all."""
    wall = seconds / max(workers, 1)
    when = f"{wall / 3600:.1f} h" if wall >= 3600 else f"{max(wall / 60, 1):.0f} min"
    return (f"{runs} run{'s' * (runs != 1)}, about {when} on {workers} "
            f"worker{'s' * (workers != 1)} (2-core estimate)")
