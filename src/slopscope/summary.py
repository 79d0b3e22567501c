"""The one owner of a run's `summary.json`: its layout, typed access, reading and writing.

    {"name", "seed", "source": "grammar" | "tokens", "d", "levels", "steps": [...],
     "final": {checkpoint scalars of the last step},
     "splits": {"train" | "test": {"reproduced_fraction", "median_generation_time" (null: never),
                                   "generation_time": {typicality: {"rho", "low", "high"} | null},
                                   "likelihood_flagged_fraction", "likelihood_time"}},
     "delay": {"area", "onset"}, "entropy" (nats; null for token data),
     "onsets": {"memorisation": tau_mem, "rule": tau_rule, "levels": {"k": tau_k},
                "learned": {"k": tau*_k}} (steps; null: not within the run; tau_k: most novel
                generations valid at block size k; tau*_k: block size k learned half the way
                from chance),
     "findings": {run finding name: a Verdict as a dict (slopscope.verdicts)},
     "revisions": {run finding name: the revision of its rule the verdict was judged under}}

Everything else (the runner, the sweep, the catalogue, the CLI and the report) reads a summary
through `read_summary` and the attributes below, never by spelling keys.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

from slopscope.errors import SlopscopeError
from slopscope.store import read_json, write_json
from slopscope.verdicts import BY_NAME, Verdict

FILE = "summary.json"
SPLITS = ("train", "test")


@dataclass(frozen=True)
class SplitSummary:
    """Memorisation of one split's strings over training."""

    reproduced_fraction: float  # share of the split's strings generated at least once
    median_generation_time: float  # median first-reproduction step (inf: not reached)
    generation_time: dict  # {typicality: {"rho", "low", "high"} or None (not available)}
    likelihood_flagged_fraction: float | None = None
    likelihood_time: dict | None = None

    def rho(self, typicality: str = "t1") -> float | None:
        """Spearman of the typicality with the generation time (None: not available)."""
        found = self.generation_time.get(typicality)
        return None if found is None else found["rho"]


@dataclass(frozen=True)
class RunSummary:
    name: str
    seed: int
    steps: list
    final: dict  # the checkpoint scalars of the last checkpoint
    splits: dict  # {"train" | "test": SplitSummary}
    source: str = "grammar"  # "grammar" or "tokens" (summaries before token data: grammar)
    d: int | None = None  # string length (None: an old summary without it)
    levels: int | None = None  # grammar depth L (0 for token data)
    delay: dict | None = None  # {"area", "onset"} (None: measured before delays existed)
    onsets: dict | None = None  # {"memorisation": tau_mem, "rule": tau_rule} (null: never)
    entropy: float | None = None  # H(X) in nats (None: token data)
    findings: dict = field(default_factory=dict)  # {run finding name: Verdict}
    revisions: dict | None = None  # {run finding name: rule revision} (None: before revisions)

    def stale_findings(self) -> list[str]:
        """The run findings whose verdicts were judged under an older revision of their rule
        (a summary without revisions was judged under revision 1)."""
        judged = self.revisions or {}
        return [name for name in self.findings
                if name in BY_NAME and judged.get(name, 1) < BY_NAME[name].revision]

    @property
    def train(self) -> SplitSummary:
        return self.splits["train"]

    @property
    def test(self) -> SplitSummary:
        return self.splits["test"]

    @property
    def copy_fraction(self) -> float:
        return self.final["copy_fraction"]

    @property
    def delay_area(self) -> float | None:
        return None if self.delay is None else self.delay["area"]

    @property
    def tau_mem(self) -> float | None:
        """Step at which copying begins (excess copies reach D's gate); inf: not within the
        run; None: measured before onsets existed."""
        if self.onsets is None:
            return None
        value = self.onsets.get("memorisation")
        return math.inf if value is None else value

    @property
    def tau_rule(self) -> float | None:
        """Step at which most generations are valid at every rule level; inf: not within the
        run; None: not available (token data) or measured before onsets existed."""
        if self.onsets is None or self.source == "tokens":
            return None
        value = self.onsets.get("rule")
        return math.inf if value is None else value

    @property
    def tau_levels(self) -> dict[int, float] | None:
        """{block size k: step at which most novel generations are valid at block size k} for
        k = 1..L (inf: not within the run); None: token data or measured before these times."""
        return self._level_times("levels")

    @property
    def tau_learned(self) -> dict[int, float] | None:
        """{block size k: step at which block size k is learned half the way from chance to
        every block valid} for k = 1..L (inf: not within the run); None: token data or tables
        built before these times."""
        return self._level_times("learned")

    def _level_times(self, key: str) -> dict[int, float] | None:
        found = (self.onsets or {}).get(key)
        if found is None or self.source == "tokens":
            return None
        return {int(k): math.inf if v is None else v for k, v in found.items()}

    def verdict(self, name: str) -> str | None:
        """The verdict of run finding `name`, or None when the run has none."""
        found = self.findings.get(name)
        return None if found is None else found.verdict

    def to_dict(self) -> dict:
        out = dataclasses.asdict(dataclasses.replace(self, findings={}))
        return {**out, "findings": {k: v.to_dict() for k, v in self.findings.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> RunSummary:
        splits = {}
        for name in SPLITS:
            entry = dict(data["splits"][name])
            if entry.get("median_generation_time") is None:  # JSON null: never reached
                entry["median_generation_time"] = math.inf
            splits[name] = SplitSummary(**entry)
        if not isinstance(data.get("final"), dict) or "copy_fraction" not in data["final"]:
            raise KeyError("final.copy_fraction")  # read eagerly: a damaged summary fails here
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{**{k: v for k, v in data.items() if k in known},
                      "splits": splits,
                      "findings": {k: Verdict.from_dict(v)
                                   for k, v in (data.get("findings") or {}).items()}})


def summary_path(run_dir) -> Path:
    return Path(run_dir) / FILE


def has_summary(run_dir) -> bool:
    return summary_path(run_dir).exists()


def read_summary(run_dir) -> RunSummary:
    path = summary_path(run_dir)
    if not path.exists():
        raise SlopscopeError(f"{run_dir} has no measurements yet (run slopscope measure)")
    try:
        return RunSummary.from_dict(read_json(path))
    except (KeyError, TypeError) as exc:
        raise SlopscopeError(f"{path} is not a run summary (it lacks {exc}); allowed: the "
                             f"summary slopscope wrote (rebuild it: slopscope measure {run_dir})"
                             ) from None


def write_summary(run_dir, summary: RunSummary) -> Path:
    return write_json(summary_path(run_dir), summary.to_dict())
