"""The experiment configuration: typed sections, read from TOML with `key.sub=value` overrides,
validated once at the edge (unknown keys and wrong types are one-line errors naming the key and
what is allowed), then passed down as plain frozen dataclasses."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from slopscope.diffusion import FAMILIES, family_options, sampler_options
from slopscope.errors import MAX_SEED, SlopscopeError, check_int, check_name
from slopscope.experiments.config.findings import FindingsConfig
from slopscope.experiments.config.migration import migrate
from slopscope.experiments.config.run_size import check_run_size
from slopscope.experiments.config.text import (  # noqa: F401 - re-exported
    apply_overrides,
    parse_override,
    preset_names,
    read_toml,
)
from slopscope.experiments.config.typed import build
from slopscope.grammar.rules import check_sizes, resolve_zipf_levels
from slopscope.models import measured_model_named
from slopscope.tokendata import FORMATS, TOKENIZERS
from slopscope.train import TrainConfig


@dataclass(frozen=True)
class GrammarConfig:
    v: int = 16
    n: int = 16
    m: int = 4
    s: int = 2
    L: int = 3
    seed: int | None = None  # None: derived from the run seed (a seed varies the grammar)
    zipf_a: float | None = None
    zipf_levels: list[int] | str = field(default_factory=list)


    def __post_init__(self):
        check_sizes(self.v, self.n, self.m, self.s, self.L)
        if self.seed is not None:
            check_int("seed", self.seed, minimum=0, maximum=MAX_SEED)
        resolve_zipf_levels(self.L, self.zipf_a, self.zipf_levels)


@dataclass(frozen=True)
class DataConfig:
    """Grammar samples by default; `path` (a text, .npy or Parquet file) replaces the grammar by
    your own token data, read with the options below (see slopscope.tokendata)."""

    train: int = 512
    test: int = 512
    seed: int | None = None  # None: derived from the run seed (a seed varies the split)
    path: str = ""
    format: str = "auto"  # auto (by suffix) | text | npy | parquet
    tokens: str = "chars"  # text: chars | whitespace
    column: str = ""  # Parquet: the integer-list column (default: the only one)
    lowercase: bool = False  # text: lower-case each line first
    pattern: str = ""  # text: keep only lines matching this regular expression in full
    length: int | None = None  # keep only sequences of this length (with pad: pad up to it)
    pad: bool = False  # pad shorter sequences with a pad token that the metrics leave out
    dedup: bool = True  # remove duplicate sequences (they are counted either way)
    max_vocab: int = 4096
    half: int | None = None  # counterfactual model: train on this half of the pool (data.py)

    def __post_init__(self):
        check_int("train", self.train, minimum=1)
        check_int("test", self.test, minimum=1)
        if self.half is not None:
            check_int("half", self.half, minimum=0)
            if self.train != self.test:
                raise SlopscopeError(f"data.half={self.half} needs data.train = data.test (the "
                                     f"two halves of one pool); got {self.train} and {self.test}")
        if self.seed is not None:
            check_int("seed", self.seed, minimum=0, maximum=MAX_SEED)
        check_int("max_vocab", self.max_vocab, minimum=2)
        if self.length is not None:
            check_int("length", self.length, minimum=1)
        for key, allowed in (("format", FORMATS), ("tokens", TOKENIZERS)):
            if getattr(self, key) not in allowed:
                raise SlopscopeError(f"'{key}' = {getattr(self, key)!r}; allowed: "
                                     f"{', '.join(allowed)}")


@dataclass(frozen=True)
class DiffusionConfig:
    family: str = "masked"
    options: dict = field(default_factory=dict)  # keyword options of the family


@dataclass(frozen=True)
class ModelConfig:
    backbone: str = "transformer"
    options: dict = field(default_factory=dict)  # fields of the backbone's config


MAX_NELBO_SAMPLES = 1000  # draws per string and noise level of each checkpoint's NELBO


@dataclass(frozen=True)
class MeasureConfig:
    generations: int = 10_000
    # keyword options of the family's sampler, e.g. masked: sampler_steps (None = d steps, one
    # token each; K = a K-step grid); measurement settings, not part of the run's identity
    sampler: dict = field(default_factory=dict)
    likelihood: bool = True  # per-string NELBO of train and held-out strings at each checkpoint
    nelbo_samples: int = 1

    def __post_init__(self):
        check_int("generations", self.generations, minimum=1)
        check_int("nelbo_samples", self.nelbo_samples, minimum=1, maximum=MAX_NELBO_SAMPLES)


@dataclass(frozen=True)
class ControlsConfig:
    """When this preset's calibration controls (the oracle) learn the grammar and begin to
    memorise: the real runs' own measured times, from a pilot, so that the power printed beside
    a verdict is the power at that run's timing. Like the findings they are not part of a run's
    identity. Unset: controls that know the grammar and memorise from the first checkpoint (or
    a finding's own learner: D's learning windows)."""

    learned: list[int] = field(default_factory=list)  # tau*_k of block sizes k = 1..L, measured
    memorisation: int | None = None  # tau_mem, measured: the planted memoriser's onset

    def __post_init__(self):
        for step in self.learned:
            check_int("learned", step, minimum=1)
        if list(self.learned) != sorted(self.learned):
            raise SlopscopeError(f"'learned' = {self.learned}; allowed: steps that do not "
                                 "decrease (tau*_1 <= ... <= tau*_L)")
        if self.memorisation is not None:
            check_int("memorisation", self.memorisation, minimum=1)


@dataclass(frozen=True)
class ExperimentConfig:
    name: str = "experiment"
    description: str = ""
    seeds: list[int] = field(default_factory=lambda: [0])
    grammar: GrammarConfig = field(default_factory=GrammarConfig)
    data: DataConfig = field(default_factory=DataConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    measure: MeasureConfig = field(default_factory=MeasureConfig)
    findings: FindingsConfig = field(default_factory=FindingsConfig)
    controls: ControlsConfig = field(default_factory=ControlsConfig)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        if out["data"]["half"] is None:  # added later: left out when unset, so that the hashes
            del out["data"]["half"]      # of runs and results rows made before stay the same
        out["findings"] = self.findings.to_dict()  # likewise, a finding's later keys
        out["train"] = self.train.to_dict()  # likewise (train.until)
        if out["controls"] == dataclasses.asdict(ControlsConfig()):  # likewise
            del out["controls"]
        return out

    def identity(self) -> dict:
        """Everything that changes data or weights (not the measurement settings, the verdict
        rules or the description, which may change later)."""
        return {k: v for k, v in self.to_dict().items()
                if k not in ("measure", "findings", "controls", "description")}

    def hash(self) -> str:
        """Identity of a run, hashed."""
        text = json.dumps(self.identity(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:10]


def _check_options(where: str, options: dict, allowed: list[str]) -> None:
    for key in options:
        if key not in allowed:
            raise SlopscopeError(f"unknown key '{where}.{key}'; allowed: "
                                 f"{', '.join(allowed) or 'none'}")


def check_findings(config: ExperimentConfig) -> None:
    """Each finding's settings against the run (its `check`: e.g. a typicality or a window that
    needs a grammar, on token data)."""
    for part in config.findings.parts():
        if hasattr(part, "check"):
            part.check(config)


def check_grammar_measurable(config: ExperimentConfig) -> None:
    """A grammar run measures blocks of sizes 1..L-1 and what each rule level learns beyond
    chance: refused before training when the grammar has one level, or when a level's rules use
    every s-tuple (its chance validity is 1: nothing there can be learned or measured)."""
    if config.data.path:
        return
    g = config.grammar
    if g.L < 2:
        raise SlopscopeError(f"grammar.L={g.L}: a run measures blocks of sizes 1..L-1 and the "
                             "learning of each rule level; allowed: grammar.L >= 2")
    tuples = g.v ** g.s
    for level, rules, bound in (("the root's", g.n * g.m, "grammar.n*grammar.m"),
                                ("every lower level's", g.v * g.m, "grammar.v*grammar.m")):
        if rules == tuples:
            raise SlopscopeError(
                f"{bound}={rules} = v**s={tuples}: {level} rules use every s-tuple, so any "
                f"symbols there parse and that level cannot be learned beyond chance; allowed: "
                f"{bound} < v**s")


def _check_new_run(config: ExperimentConfig) -> None:
    """Checks of a new configuration (not applied to saved ones, which older versions made
    under looser rules): a safe run name and a checkpoint schedule within the steps."""
    check_name("name", config.name)
    train = config.train
    for key in ("first_checkpoint", "checkpoints"):
        if getattr(train, key) > train.steps:
            raise SlopscopeError(f"train.{key}={getattr(train, key)} exceeds "
                                 f"train.steps={train.steps}; allowed: train.{key} <= "
                                 "train.steps")


def validate(config: ExperimentConfig, saved: bool = False) -> ExperimentConfig:
    """Cross-field checks that need the registries (families, backbones, grammar sizes); a new
    configuration (`saved` False) is also checked by `_check_new_run` and `check_findings`."""
    if not saved:
        _check_new_run(config)
    if config.diffusion.family not in FAMILIES:
        raise SlopscopeError(f"'diffusion.family' = {config.diffusion.family!r}; allowed: "
                             f"{', '.join(sorted(FAMILIES))}")
    family = config.diffusion.family
    _check_options("diffusion.options", config.diffusion.options, family_options(family))
    try:  # option values (ranges), before any data are made
        sizes = ((2, 2) if config.data.path else
                 (config.grammar.v, config.grammar.s ** config.grammar.L))
        FAMILIES[family](*sizes, **config.diffusion.options)
    except SlopscopeError as exc:
        raise SlopscopeError(f"diffusion.options: {exc}") from None
    _check_options("measure.sampler", config.measure.sampler, sampler_options(family))
    try:
        FAMILIES[family].check_sampler(config.measure.sampler)
    except SlopscopeError as exc:
        raise SlopscopeError(f"measure.sampler: {exc}") from None
    model = measured_model_named(config.model.backbone)
    _check_options("model.options", config.model.options,
                   [f.name for f in dataclasses.fields(model.options)])
    if not model.trains:  # a control: its options' types and ranges now (a network's: when built)
        build(model.options, config.model.options, "model.options")
    if model.needs_grammar and config.data.path:
        raise SlopscopeError(f"model.backbone={model.name!r} needs a grammar "
                             f"({model.needs_grammar}); token data (data.path) has none")
    if not config.seeds or any(not isinstance(s, int) or not 0 <= s <= MAX_SEED
                               for s in config.seeds):
        raise SlopscopeError(f"'seeds' = {_short(config.seeds)}; allowed: a non-empty list of "
                             f"ints in 0..{MAX_SEED}")
    if not saved:
        check_findings(config)
    check_run_size(config)  # grammar runs; token data is checked when read
    if not saved:
        check_grammar_measurable(config)
    return config


def _short(value, limit: int = 80) -> str:
    """repr(value), cut to `limit` characters (a 301-digit seed is named, not printed whole)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def load_config(source: str | None = None, overrides: list[str] = ()) -> ExperimentConfig:
    """The resolved configuration of a preset or TOML file (or the defaults) with overrides."""
    data = read_toml(source) if source is not None else {}
    config = build(ExperimentConfig, apply_overrides(data, list(overrides)))
    if config.train.seed != 0:  # 0, the default, is what a resolved configuration shows
        raise SlopscopeError(f"train.seed={config.train.seed} is not used: the model's seed is "
                             "derived from the run seed; allowed: vary `seeds` (grammar.seed and "
                             "data.seed hold those parts fixed)")
    return validate(config)


def config_from_dict(data: dict) -> ExperimentConfig:
    """Rebuild a saved (resolved) configuration, including one saved by an older version."""
    return validate(build(ExperimentConfig, migrate(data)), saved=True)
