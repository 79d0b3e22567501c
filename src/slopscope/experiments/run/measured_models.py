"""What a run measures at each checkpoint, as the registry slopscope.models.MODELS names it: a
trained network (weights loaded per step), or a control oracle (no training; exact samples and
likelihoods). Both give generations and a per-string negative log-likelihood bound at each step,
so the measurements never ask which one it is."""

from __future__ import annotations

import importlib

from slopscope.checkpoints import list_checkpoints
from slopscope.diffusion import get_family
from slopscope.errors import SlopscopeError
from slopscope.experiments.run.controls import OracleConfig, PlantedOracle
from slopscope.models import build_denoiser, measured_model_named
from slopscope.train import checkpoint_steps, load_weights, resolve_device


def build_network(config, source, model_seed: int):
    """(family, network) of a run, on its device."""
    family = get_family(config.diffusion.family, v=source.v, d=source.d,
                        **config.diffusion.options)
    model = measured_model_named(config.model.backbone)
    grammar = source.grammar if source.kind == "grammar" else None
    options = model.options_for(config.model.options, grammar)
    net = build_denoiser(family, config.model.backbone, seed=model_seed, **options)
    return family, net.to(resolve_device(config.train.device))


class NetworkModel:
    """A trained network, sampled with the options of `measure.sampler`; with `train.ema` set it
    is measured with its EMA weights (the usual practice), else with the raw ones."""

    def __init__(self, config, source, seeds: dict, run_dir, **_):
        self.family, self.net = build_network(config, source, seeds["model"])
        self.checkpoints = run_dir / "checkpoints"
        self.measure = config.measure
        self.use_ema = config.train.ema is not None

    def steps(self) -> list[int]:
        return list_checkpoints(self.checkpoints)

    def at(self, step: int) -> None:
        load_weights(self.checkpoints, step, self.net, use_ema=self.use_ema).eval()

    def generate(self, count: int, seed: int, step: int):
        return self.family.sample(self.net, count, seed, **self.measure.sampler)

    def nll(self, strings, seed: int, step: int):
        return self.family.nll_bound(self.net, strings, seed=seed,
                                     samples=self.measure.nelbo_samples)


class OracleModel:
    """`model.backbone = "oracle"`: the perfect generaliser, optionally with planted memorisation
    (slopscope.experiments.run.controls)."""

    def __init__(self, config, source, train_set, train_t1, **_):
        self._steps = checkpoint_steps(config.train)
        options = OracleConfig(**config.model.options)
        rank = source.grammar.log_prob(train_set) if options.memorize_by == "t3" else train_t1
        self.oracle = PlantedOracle(source.grammar, train_set, rank, options, self._steps)

    def steps(self) -> list[int]:
        return list(self._steps)

    def at(self, step: int) -> None:
        pass

    def generate(self, count: int, seed: int, step: int):
        return self.oracle.generate(count, seed, step)

    def nll(self, strings, seed: int, step: int):
        return self.oracle.nll(strings, step)


def needs_training(config) -> bool:
    """Whether the run trains a network (the oracle controls do not)."""
    return measured_model_named(config.model.backbone).trains


def measured_model(config, source, seeds: dict, run_dir, train_set, train_t1):
    """The model a run measures (its registered `measured` class): its trained network, or a
    control."""
    model = measured_model_named(config.model.backbone)
    if model.needs_grammar and source.kind != "grammar":
        raise SlopscopeError(f"model.backbone={model.name!r} needs a grammar "
                             f"({model.needs_grammar}); token data has none")
    module, name = model.measured.split(":")
    measured = getattr(importlib.import_module(module), name)
    return measured(config=config, source=source, seeds=seeds, run_dir=run_dir,
                    train_set=train_set, train_t1=train_t1)
