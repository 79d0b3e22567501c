"""The findings slopscope judges, as one registry, and the type of a verdict.

A `Finding` says what a claim is: its name, whether one run or a sweep judges it, its title, its
rule (a function in `slopscope.experiments.verdicts`, named here and imported only where rules
run), the calibration arm on which it must hold (its power), and what is pooled over seeds. A
`Verdict` is a finding's answer on some runs: one of VERDICTS, a statistic with its 95 %
interval, what was measured, the rule, and the rule's own figures (`details`). Everything that
names a finding (rules, calibration, the results plan, reports, the catalogue) reads the
registry (`findings()`, `of_scope`, BY_NAME);
this module imports nothing heavy, so reports can read it without the experiments.

A finding owns what is its own: its settings (`settings`: a dataclass of `findings.*` keys,
checked against the run's configuration by its `check`, able to add oracle options to its
calibration controls by its `control_overrides`), the calibration arms it adds (`arms`) and the
figure its verdict carries (`figure`). A new finding is its rule plus one entry below (plus its
tests and docs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

VERDICTS = ("holds", "not shown", "reversed", "not measurable")
RUN, SWEEP = "run", "sweep"  # a finding's scope: what one verdict of it judges


@dataclass(frozen=True)
class Arm:
    """A calibration arm: oracle controls whose answer is known. `memorize_set` is what its
    planted memoriser copies (None: it copies nothing); `sharpen` > 0 replaces the generaliser by
    a slop generator (slopscope.models.oracle)."""

    name: str
    label: str  # the key of its 'holds' rate in a calibration file
    described: str  # what it plants, in words
    memorize_set: str | None = None
    sharpen: float = 0.0


NULL = Arm("null", "false_positive_rate", "nothing memorised (the perfect generaliser)")
PLANTED = Arm("planted", "power", "planted memorisation of the typical fifth", "typical")
ATYPICAL = Arm("atypical", "atypical_holds", "planted memorisation of the atypical fifth",
               "atypical")
SLOP = Arm("slop", "slop_holds", "planted slop", sharpen=1.0)
# memorisation of every training string alike: A's null (a model that memorises without
# favouring typical strings), where the perfect generaliser memorises nothing to rank
UNIFORM = Arm("uniform", "uniform_holds", "planted memorisation of every string", "all")
SHARED_ARMS = {RUN: (NULL, PLANTED, ATYPICAL), SWEEP: (NULL, PLANTED)}


@dataclass(frozen=True)
class TimesFigure:
    """A sweep finding's figure: memorisation and learning times against the grid value it
    compares, with a table per value. Its verdict carries the data under `detail` (from
    slopscope.experiments.verdicts.scaling.memorisation_scaling, whose window rows are keyed by
    `column`)."""

    detail: str  # the verdict detail holding the data (and the results row's key for it)
    heading: str  # the results page's section heading
    column: str  # the grid value's column name in the table (and its key in the data)
    axis: str  # the figure's x axis
    anchor: float | None = None  # an exponent from the literature that the page compares with
    anchor_text: str = ""


# ---- the settings of the shipped findings (the `findings.*` keys, flat in TOML) ----------------

TYPICALITIES = ("t1", "t1_kgram", "t2", "t3")
GRAMMAR_TYPICALITIES = ("t2", "t3")  # rule frequencies and log p: none without a grammar
D_WINDOWS = ("copies", "learning", "generalising")
GRAMMAR_WINDOWS = ("learning", "generalising")  # per-level learning times of a grammar


def _refuse(message: str):
    from slopscope.errors import SlopscopeError

    raise SlopscopeError(message)


@dataclass(frozen=True)
class ASettings:
    a_typicality: str = "t1"  # A's primary statistic: t1 | t1_kgram | t2 | t3
    a_time: str = "excess-half"  # A's time rule: excess-half | halfway | last

    def __post_init__(self):
        from slopscope.measure import TIME_RULES

        if self.a_typicality not in TYPICALITIES:
            _refuse(f"'a_typicality' = {self.a_typicality!r}; allowed: {', '.join(TYPICALITIES)}")
        if self.a_time not in TIME_RULES:
            _refuse(f"'a_time' = {self.a_time!r}; allowed: {', '.join(TIME_RULES)}")

    def check(self, config) -> None:
        """Against the run: token data has no grammar to rank strings by rules or log p."""
        if config.data.path and self.a_typicality in GRAMMAR_TYPICALITIES:
            _refuse(f"findings.a_typicality={self.a_typicality!r} needs a grammar (rules or log "
                    "p); token data (data.path) has none; allowed: t1, t1_kgram")


@dataclass(frozen=True)
class DSettings:
    d_block_size: int | None = None  # D's block size (None: the smallest one)
    d_copy_gate: float = 0.05  # D's window: exact copies in excess of chance below this
    # D's window: "copies" (checkpoints below the copy gate) | "learning" (from the bottom
    # level's learning time tau_1 to the onset of copying tau_mem) | "generalising" (from the
    # whole grammar's learning time tau_L to tau_mem)
    d_window: str = "copies"
    OMITTED_WHEN_DEFAULT = ("d_window",)  # added later: left out of a saved configuration when
    # unset, so that the hashes of results rows made before stay the same

    def __post_init__(self):
        from slopscope.errors import check_int

        if self.d_block_size is not None:
            check_int("d_block_size", self.d_block_size, minimum=1)
        if not 0 < self.d_copy_gate <= 1:
            _refuse(f"'d_copy_gate' = {self.d_copy_gate}; allowed: a share in (0, 1]")
        if self.d_window not in D_WINDOWS:
            _refuse(f"'d_window' = {self.d_window!r}; allowed: {', '.join(D_WINDOWS)}")

    def check(self, config) -> None:
        """Against the run: the block size is one that is measured (grammar block sizes 1..L-1;
        token data: checked when the data are read, their length known), and token data has no
        per-level learning times to open a window."""
        if config.data.path:
            if self.d_window in GRAMMAR_WINDOWS:
                _refuse(f"findings.d_window={self.d_window!r} needs the grammar's per-level "
                        "learning times; token data (data.path) has none; allowed: copies")
            return
        size, top = self.d_block_size, config.grammar.L - 1
        if size is not None and size > top:
            allowed = f"1..{top}" if top >= 1 else "none (L = 1 has no blocks; leave it unset)"
            _refuse(f"findings.d_block_size={size} is not a measured block size for "
                    f"grammar.L={config.grammar.L}; allowed: {allowed}")

    def control_overrides(self, config, steps) -> list[str]:
        """A window that starts at a learning time ("learning", "generalising") needs controls
        that learn level by level (a hierarchical learner): block size 1 from the third
        checkpoint, the whole grammar from the middle one (log-spaced in between), so that the
        window has an edge to find."""
        if self.d_window == "copies" or len(steps) < 3:
            return []
        first, whole, levels = steps[2], steps[len(steps) // 2], config.grammar.L
        ratio = (whole / first) ** (1 / (levels - 1)) if levels > 1 and whole > first else 2.0
        return [f"model.options.level_onset={first}", f"model.options.level_ratio={ratio:.6g}"]


@dataclass(frozen=True)
class Finding:
    name: str
    scope: str  # "run": one verdict per run (pooled over seeds); "sweep": one per sweep;
    # "study": judged by a study of its own (slopscope.experiments.studies)
    title: str
    rule: str  # "module:function" of the rule, under slopscope.experiments.verdicts
    power_arm: str = "planted"  # the calibration arm with a true effect
    null_arm: str = "null"  # the calibration arm without one (its false-positive rate)
    pooled: str = "statistic"  # run findings: the Verdict figure pooled over seeds
    compares: str | None = None  # sweep findings: the grid key whose values the rule compares
    unless: str | None = None  # ... and that a sweep varying this key is not judged by
    later_when_larger: bool | None = None  # planted onsets: later at larger `compares` values
    sweep_preset: str | None = None  # the shipped sweep preset that judges it
    settings: type | None = None  # its `findings.*` keys: a dataclass (see ASettings)
    arms: tuple = ()  # calibration arms it adds to its scope's shared ones (SHARED_ARMS)
    figure: TimesFigure | None = None  # the figure its verdict carries (a sweep finding's)
    marked_on: str | None = None  # the run-report figure that marks its statistic
    revision: int = 1  # raised whenever the rule can answer differently on the same runs: a
    # run summary or results row judged under an older revision is judged again

    @property
    def judges_runs(self) -> bool:
        """One verdict per run (pooled over seeds on the results page)."""
        return self.scope == RUN

    @property
    def judges_sweeps(self) -> bool:
        """One verdict per sweep, from its runs' records."""
        return self.scope == SWEEP

    def applies_to(self, varied: set) -> bool:
        """Whether a sweep varying the grid keys `varied` is judged by this (sweep) finding."""
        return (self.scope == "sweep" and self.compares in varied
                and (self.unless is None or self.unless not in varied))

    @property
    def power_label(self) -> str:
        return arm_named(self.power_arm).label

    @property
    def null_label(self) -> str:
        return arm_named(self.null_arm).label


_RULES = "slopscope.experiments.verdicts"
SHIPPED = (
    Finding("A", "run", "A: prototypical strings memorised first", f"{_RULES}.run_rules:finding_a",
            settings=ASettings, null_arm="uniform", arms=(UNIFORM,), marked_on="quintiles",
            # 2: not measurable below 10 strings reproduced (was "not shown"); 3: not measurable
            # before memorisation beyond the held-out control has begun, the time rule
            # excess-half (the default), a score with few distinct values grouped by value
            revision=3),
    Finding("B", "sweep", "B: fat tails (small a) delay memorisation",
            f"{_RULES}.sweep_rules:fat_tail_delay", compares="grammar.zipf_a",
            unless="grammar.zipf_levels", later_when_larger=False, sweep_preset="e3"),
    Finding("C", "sweep", "C: a top-level tail delays memorisation more than a bottom-level one",
            f"{_RULES}.sweep_rules:top_vs_bottom", compares="grammar.zipf_levels",
            later_when_larger=False, sweep_preset="e4"),
    Finding("D", "run", "D: partial memorisation = slop", f"{_RULES}.run_rules:finding_d",
            power_arm="slop", pooled="pooled_statistic", settings=DSettings, arms=(SLOP,),
            marked_on="slope"),
    Finding("E1", "sweep", "E1: larger training sets are memorised later",
            f"{_RULES}.sweep_rules:size_delay", compares="data.train", later_when_larger=True,
            sweep_preset="e1",
            figure=TimesFigure("scaling", "Memorisation time against training-set size", "P",
                               "training-set size P", anchor=1.0, anchor_text="The literature's "
                               "exponent 1 (onset linear in P)")),
)
BY_NAME = {f.name: f for f in SHIPPED}  # the registry: shipped findings, then registered ones
# a study's verdict, judged by `slopscope counterfactual` (no held-out split), not by runs or sweeps
HELD_OUT_FREE_A = Finding("A-counterfactual", "study", "A without a held-out split",
                          "slopscope.experiments.studies.counterfactual:held_out_free_a")


def findings() -> tuple[Finding, ...]:
    """Every registered finding, in registry order."""
    return tuple(BY_NAME.values())


def register(found: Finding) -> Finding:
    """Add a finding to the registry (its rule is found by `Finding.rule`)."""
    if found.name in BY_NAME or found.scope not in SHARED_ARMS:
        _refuse(f"finding {found.name!r} of scope {found.scope!r}; allowed: a new name and a "
                f"scope in {', '.join(SHARED_ARMS)}")
    taken = {key: f.name for f in findings() for key in settings_keys(f)}
    clash = [key for key in settings_keys(found) if key in taken]
    if clash:
        _refuse(f"finding {found.name!r}: settings key 'findings.{clash[0]}' belongs to "
                f"finding {taken[clash[0]]!r}; allowed: keys of its own")
    BY_NAME[found.name] = found
    return found


def settings_keys(found: Finding) -> list[str]:
    """The `findings.*` keys a finding owns."""
    from dataclasses import fields

    return [] if found.settings is None else [f.name for f in fields(found.settings)]


def arms(scope: str) -> tuple[Arm, ...]:
    """The calibration arms of a scope: the shared ones, then those its findings add."""
    out = {arm.name: arm for arm in SHARED_ARMS[scope]}
    for found in of_scope(scope):
        out.update({arm.name: arm for arm in found.arms if arm.name not in out})
    return tuple(out.values())


def all_arms() -> tuple[Arm, ...]:
    """Every calibration arm of every scope, once."""
    return tuple({arm.name: arm for scope in SHARED_ARMS for arm in arms(scope)}.values())


def arm_named(name: str) -> Arm:
    return next(arm for arm in all_arms() if arm.name == name)


def unregister(name: str) -> None:
    BY_NAME.pop(name, None)


def of_scope(scope: str) -> tuple[Finding, ...]:
    return tuple(f for f in BY_NAME.values() if f.scope == scope)


def judge(statistic, low, high) -> str:
    """holds / reversed / not shown from an interval oriented so that positive is the finding's
    direction; not measurable when a figure is missing."""
    figures = [statistic, low, high]
    if any(x is None or not math.isfinite(x) for x in figures):
        return "not measurable"
    return "holds" if low > 0 else "reversed" if high < 0 else "not shown"


def format_interval(statistic, low, high, digits: int = 3, signed: bool = True,
                    missing: str = "n/a", spec: str | None = None) -> str:
    """'stat [low, high]', e.g. '+0.173 [+0.128, +0.218]' (`spec`, e.g. '.0%', overrides the
    fixed-point format); `missing` when a figure is absent."""
    if any(x is None or not math.isfinite(x) for x in (statistic, low, high)):
        return missing
    spec = spec or f"{'+' if signed else ''}.{digits}f"
    return f"{statistic:{spec}} [{low:{spec}}, {high:{spec}}]"


_CORE = ("verdict", "statistic", "low", "high", "measured", "rule")


def _number(x):
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class Verdict:
    """A finding's answer; `details` holds the rule's own figures (e.g. A's checkpoint and its
    secondary variants, D's window)."""

    verdict: str
    statistic: float | None = None
    low: float | None = None
    high: float | None = None
    measured: str = ""
    rule: str = ""
    details: dict = field(default_factory=dict)

    @classmethod
    def of(cls, statistic, low, high, measured: str = "", rule: str = "",
           **details) -> Verdict:
        """The verdict that the interval gives (see `judge`)."""
        return cls.make(judge(statistic, low, high), statistic, low, high, measured, rule,
                        **details)

    @classmethod
    def make(cls, verdict: str, statistic=None, low=None, high=None, measured: str = "",
             rule: str = "", **details) -> Verdict:
        return cls(verdict, _number(statistic), _number(low), _number(high), measured, rule,
                   details)

    @property
    def measurable(self) -> bool:
        return self.verdict != "not measurable"

    def value(self, name: str = "statistic"):
        """A figure of the verdict: `statistic` or one of its details (e.g. the quantity a
        finding pools over seeds)."""
        return self.statistic if name == "statistic" else self.details.get(name)

    def interval(self, digits: int = 3, missing: str = "n/a") -> str:
        return format_interval(self.statistic, self.low, self.high, digits, missing=missing)

    def covers_zero(self) -> bool | None:
        """Whether a measurable interval contains 0 (the true value under the null)."""
        if self.low is None or self.high is None:
            return None
        return self.low <= 0 <= self.high

    def to_dict(self) -> dict:
        return {**self.details, **{k: getattr(self, k) for k in _CORE}}

    @classmethod
    def from_dict(cls, data: dict) -> Verdict:
        return cls(**{k: data[k] for k in _CORE if k in data},
                   details={k: v for k, v in data.items() if k not in _CORE})
