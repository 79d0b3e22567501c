"""How long runs take, before they start: one estimator for every command that announces its
cost (reproduce, sweep, calibrate, counterfactual). A trained run's time is linear in three
amounts, each with a constant measured on the 2-core machines with one torch thread
(`python benchmarks/run_time.py --fit`):

- the strings trained on (steps x batch, a batch at most the training set), at its backbone's
  `TRAIN_SECONDS_PER_SAMPLE`;
- the network calls on one string while measuring: at each checkpoint, the generations and (with
  measure.likelihood) one NELBO per training and held-out string and NELBO sample, each taking
  its noise family's `network_calls` (d for masked diffusion, T for the chains), at the
  backbone's `CALL_SECONDS_PER_STRING`;
- the checkpoints, at CHECKPOINT_SECONDS (the other measurements, tables and saving).

Both backbone constants are for width 64 and strings of d = 8 tokens; they scale with
(width / 64)^2 and d / 8. An oracle control (nothing trained) takes ORACLE_CHECKPOINT_SECONDS
per checkpoint (measured: 200 controls of paper-cpu, 16 checkpoints of 2000 generations, in
about 4 min on 2 workers)."""

from __future__ import annotations

from slopscope.diffusion import FAMILIES
from slopscope.models import MODELS

ORACLE_CHECKPOINT_SECONDS = 0.15  # an oracle control: no training, one measurement per checkpoint
ANNOUNCE_SECONDS = 600.0  # a command expected to take longer says so before it starts
CHECKPOINT_SECONDS = 2.2  # per checkpoint, besides the network calls (fitted)
REFERENCE_WIDTH, REFERENCE_LENGTH = 64, 8  # the size the backbone constants are measured at
TOKEN_DATA_LENGTH = 8  # token data's length is known only once read: assumed for the estimate


def _length(config) -> int:
    if config.data.path:
        return config.data.length or TOKEN_DATA_LENGTH
    return config.grammar.s ** config.grammar.L


def cost_terms(config) -> dict[str, float]:
    """{cost constant: amount} of one run; its estimated time is the sum of constant x amount
    (`run_seconds`). Keys: "train:<backbone>", "call:<backbone>", "checkpoint"; an oracle
    control: {"oracle_checkpoint": checkpoints}."""
    backbone = config.model.backbone
    options = MODELS[backbone].options
    if not hasattr(options, "TRAIN_SECONDS_PER_SAMPLE"):  # nothing to train (the oracle)
        return {"oracle_checkpoint": float(config.train.checkpoints)}
    d = _length(config)
    width = config.model.options.get("width", getattr(options, "width", REFERENCE_WIDTH))
    size = (width / REFERENCE_WIDTH) ** 2 * d / REFERENCE_LENGTH
    measure, train = config.measure, config.train
    calls = FAMILIES[config.diffusion.family].network_calls(config.diffusion.options, d)
    strings = measure.generations + (measure.likelihood * (config.data.train + config.data.test)
                                     * measure.nelbo_samples)
    batch = min(train.batch_size, config.data.train)  # a batch is at most the training set
    return {f"train:{backbone}": train.steps * batch * size,
            f"call:{backbone}": train.checkpoints * calls * strings * size,
            "checkpoint": float(train.checkpoints)}


def run_seconds(config) -> float:
    """The estimated wall time of one run of `config` on one core."""
    options = MODELS[config.model.backbone].options
    constants = {"oracle_checkpoint": ORACLE_CHECKPOINT_SECONDS, "checkpoint": CHECKPOINT_SECONDS,
                 f"train:{config.model.backbone}": getattr(options, "TRAIN_SECONDS_PER_SAMPLE",
                                                           0.0),
                 f"call:{config.model.backbone}": getattr(options, "CALL_SECONDS_PER_STRING",
                                                          0.0)}
    return sum(constants[name] * amount for name, amount in cost_terms(config).items())


def oracle_seconds(config) -> float:
    """The estimated wall time of one oracle control of `config`'s size (a calibration run)."""
    return ORACLE_CHECKPOINT_SECONDS * config.train.checkpoints


def cost_text(runs: int, seconds: float, workers: int) -> str:
    """'N runs, about X on W workers (2-core estimate)' for `seconds` of work in all."""
    wall = seconds / max(workers, 1)
    when = f"{wall / 3600:.1f} h" if wall >= 3600 else f"{max(wall / 60, 1):.0f} min"
    return (f"{runs} run{'s' * (runs != 1)}, about {when} on {workers} "
            f"worker{'s' * (workers != 1)} (2-core estimate)")
