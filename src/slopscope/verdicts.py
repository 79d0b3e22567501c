"""The findings slopscope judges, as one registry, and the type of a verdict.

A `Finding` says what a claim is: its name, whether one run or a sweep judges it, its title, its
rule (a function in `slopscope.experiments.verdicts`, named here and imported only where rules
run), the calibration arm on which it must hold (its power), and what is pooled over seeds. A
`Verdict` is a finding's answer on some runs: one of VERDICTS, a statistic with its 95 %
interval, what was measured, the rule, and the rule's own figures (`details`). Everything that
names a finding (rules, calibration, the results plan, reports, the catalogue) reads the
registry (`findings()`, `of_scope`, BY_NAME);
this module imports nothing heavy, so reports can read it without the experiments.

A new finding is its rule plus one entry below (plus its tests and docs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

VERDICTS = ("holds", "not shown", "reversed", "not measurable")

# calibration arms (controls whose answer is known) and the key of each one's 'holds' rate in a
# calibration file
ARM_LABELS = {"null": "false_positive_rate", "planted": "power", "atypical": "atypical_holds",
              "slop": "slop_holds"}
ARMS_BY_SCOPE = {"run": ("null", "planted", "atypical", "slop"), "sweep": ("null", "planted")}


@dataclass(frozen=True)
class Finding:
    name: str
    scope: str  # "run": one verdict per run (pooled over seeds); "sweep": one per sweep;
    # "study": judged by a study of its own (slopscope.experiments.studies)
    title: str
    rule: str  # "module:function" of the rule, under slopscope.experiments.verdicts
    power_arm: str = "planted"  # the calibration arm with a true effect
    pooled: str = "statistic"  # run findings: the Verdict figure pooled over seeds
    compares: str | None = None  # sweep findings: the grid key whose values the rule compares
    unless: str | None = None  # ... and that a sweep varying this key is not judged by
    later_when_larger: bool | None = None  # planted onsets: later at larger `compares` values
    sweep_preset: str | None = None  # the shipped sweep preset that judges it
    revision: int = 1  # raised whenever the rule can answer differently on the same runs: a
    # run summary or results row judged under an older revision is judged again

    def applies_to(self, varied: set) -> bool:
        """Whether a sweep varying the grid keys `varied` is judged by this (sweep) finding."""
        return (self.scope == "sweep" and self.compares in varied
                and (self.unless is None or self.unless not in varied))

    @property
    def power_label(self) -> str:
        return ARM_LABELS[self.power_arm]


_RULES = "slopscope.experiments.verdicts"
SHIPPED = (
    Finding("A", "run", "A: prototypical strings memorised first", f"{_RULES}.run_rules:finding_a",
            revision=2),  # 2: not measurable below 10 strings reproduced (was "not shown")
    Finding("B", "sweep", "B: fat tails (small a) delay memorisation",
            f"{_RULES}.sweep_rules:fat_tail_delay", compares="grammar.zipf_a",
            unless="grammar.zipf_levels", later_when_larger=False, sweep_preset="e3"),
    Finding("C", "sweep", "C: a top-level tail delays memorisation more than a bottom-level one",
            f"{_RULES}.sweep_rules:top_vs_bottom", compares="grammar.zipf_levels",
            later_when_larger=False, sweep_preset="e4"),
    Finding("D", "run", "D: partial memorisation = slop", f"{_RULES}.run_rules:finding_d",
            power_arm="slop", pooled="pooled_statistic"),
    Finding("E1", "sweep", "E1: larger training sets are memorised later",
            f"{_RULES}.sweep_rules:size_delay", compares="data.train", later_when_larger=True,
            sweep_preset="e1"),
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
    from slopscope.errors import SlopscopeError

    if found.name in BY_NAME or found.scope not in ARMS_BY_SCOPE:
        raise SlopscopeError(f"finding {found.name!r} of scope {found.scope!r}; allowed: a new "
                             f"name and a scope in {', '.join(ARMS_BY_SCOPE)}")
    BY_NAME[found.name] = found
    return found


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
