"""The rules of the verdicts registered in slopscope.verdicts: one run's (run_rules.py: A, D),
a sweep's (sweep_rules.py, with the E1 exponent in scaling.py), and a run verdict pooled over
seeds (pooled.py). A rule is named by its registry entry (`Finding.rule`) and found here."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from slopscope.verdicts import RUN, Finding, Verdict, of_scope


@dataclass(frozen=True)
class RunEvidence:
    """What a run rule may read: memorisation times per split, the static (per-string) figures,
    the checkpoint steps, the per-checkpoint records, the verdict settings, the run seed and the
    run's onsets (summary.json "onsets": tau_mem as "memorisation", tau_k under "levels")."""

    taus: dict
    static: dict
    steps: list
    records: list
    config: object  # FindingsConfig
    seed: int
    onsets: dict = field(default_factory=dict)


def rule_of(found: Finding):
    """The rule function of a registered finding."""
    module, name = found.rule.split(":")
    return getattr(importlib.import_module(module), name)


def run_verdicts(run: RunEvidence) -> dict[str, Verdict]:
    """{name: Verdict} of every run finding on one run."""
    return {f.name: rule_of(f)(run) for f in of_scope(RUN)}
