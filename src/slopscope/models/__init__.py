"""What a run measures, as one registry (MODELS): the denoiser backbones, trained on the data,
and the controls whose answer is known (the oracle), which are not trained.

A `MeasuredModel` names its options' dataclass (`model.options` is validated and typed from it;
a network's counts its parameters and activations, `memory_counts`, and its wall time,
`TRAIN_SECONDS_PER_SAMPLE` and `CALL_SECONDS_PER_STRING`), its network (a torch module class;
None: nothing is trained), what a run measures checkpoint by checkpoint ("module:Class" under
slopscope.experiments; a network is measured from its checkpoints) and whether it needs a
grammar. An options class takes from a grammar what it needs through `FROM_GRAMMAR` (option ->
grammar attribute, e.g. the U-Net's branching = s), filled in when the run does not set it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from slopscope.errors import SlopscopeError, check_int
from slopscope.models.oracle import ORACLE, OracleConfig
from slopscope.models.transformer import Transformer, TransformerConfig, reset_parameters
from slopscope.models.unet import TreeUNet, UNetConfig

_RUN = "slopscope.experiments.run.measured_models"


@dataclass(frozen=True)
class MeasuredModel:
    name: str
    options: type  # the dataclass of `model.options`
    network: type | None = None  # a torch module class, trained; None: a control, not trained
    measured: str = f"{_RUN}:NetworkModel"  # "module:Class" a run measures at each checkpoint
    needs_grammar: str = ""  # why it needs a grammar (empty: it does not)

    @property
    def trains(self) -> bool:
        return self.network is not None

    def options_for(self, options: dict, grammar=None) -> dict:
        """`model.options` with what the options class takes from the grammar (FROM_GRAMMAR)
        filled in where the run leaves it unset."""
        filled = dict(options)
        if grammar is not None:
            for key, attribute in getattr(self.options, "FROM_GRAMMAR", {}).items():
                filled.setdefault(key, getattr(grammar, attribute))
        return filled


MODELS = {m.name: m for m in (
    MeasuredModel("transformer", TransformerConfig, Transformer),
    MeasuredModel("unet", UNetConfig, TreeUNet),
    MeasuredModel(ORACLE, OracleConfig, measured=f"{_RUN}:OracleModel",
                  needs_grammar="the perfect generaliser samples it"),
)}


def measured_model_named(name: str) -> MeasuredModel:
    if name not in MODELS:
        raise SlopscopeError(f"'model.backbone' = {name!r}; allowed: {', '.join(sorted(MODELS))}")
    return MODELS[name]


def build_denoiser(family, backbone: str = "transformer", seed: int = 0, **config):
    """A network fitted to `family` (its input vocabulary and whether it needs t), with weights
    initialised from an explicit generator seeded by `seed` (same seed, same weights)."""
    networks = sorted(name for name, m in MODELS.items() if m.trains)
    if backbone not in networks:
        raise SlopscopeError(f"backbone={backbone!r}; allowed: {', '.join(networks)}")
    model = MODELS[backbone]
    try:
        cfg = model.options(**config)
    except TypeError as exc:
        raise SlopscopeError(f"bad option for backbone {backbone!r}: {exc}") from None
    net = model.network(family.v, family.d, family.input_vocab, family.needs_time, cfg)
    reset_parameters(net, torch.Generator().manual_seed(check_int("seed", seed, minimum=0)))
    return net


__all__ = [
    "MODELS",
    "MeasuredModel",
    "OracleConfig",
    "Transformer",
    "TransformerConfig",
    "TreeUNet",
    "UNetConfig",
    "build_denoiser",
    "measured_model_named",
]
