"""The options of the oracle control (`model.backbone = "oracle"`): what it memorises, from when,
and how its generaliser learns. A registered measured model (slopscope.models.MODELS) like the
networks; what it does with them is slopscope.experiments.run.controls."""

from __future__ import annotations

from dataclasses import dataclass

from slopscope.errors import SlopscopeError, check_int

ORACLE = "oracle"  # its name in slopscope.models.MODELS (`model.backbone`)
MEMORIZE_SETS = ("all", "typical", "atypical")
MEMORIZE_BY = ("t1", "t3")  # the typicality that ranks the training strings for those fifths


@dataclass(frozen=True)
class OracleConfig:
    memorize: float = 0.0  # share of generations copied from the memorised set (at full ramp)
    memorize_set: str = "all"  # all | typical | atypical (fifths of the training set by
    # memorize_by, below)
    onset: int = 0  # step at which the share starts to ramp up (0: constant share)
    sharpen: float = 0.0  # > 0: rules drawn with p ~ training frequency ** sharpen (slop)
    level_onset: int = 0  # > 0: block size 1 learned from this step (a hierarchical learner)
    level_ratio: float = 2.0  # ... and each larger block size from this many times later
    memorize_by: str = "t1"  # T1, or T3 (exact log p): the typicality finding A ranks by

    def __post_init__(self):
        if not (isinstance(self.memorize, (int, float)) and 0.0 <= self.memorize <= 1.0):
            raise SlopscopeError(f"'memorize' = {self.memorize!r}; allowed: a "
                                 "share in [0, 1]")
        if self.memorize_set not in MEMORIZE_SETS:
            raise SlopscopeError(f"'memorize_set' = {self.memorize_set!r}; "
                                 f"allowed: {', '.join(MEMORIZE_SETS)}")
        if self.memorize_by not in MEMORIZE_BY:
            raise SlopscopeError(f"'memorize_by' = {self.memorize_by!r}; "
                                 f"allowed: {', '.join(MEMORIZE_BY)}")
        check_int("onset", self.onset, minimum=0)
        if not (isinstance(self.sharpen, (int, float)) and 0.0 <= self.sharpen <= 20.0):
            raise SlopscopeError(f"'sharpen' = {self.sharpen!r}; allowed: a "
                                 "number in [0, 20] (0: the grammar itself)")
        check_int("level_onset", self.level_onset, minimum=0)
        if not (isinstance(self.level_ratio, (int, float)) and 1.0 < self.level_ratio <= 1e6):
            raise SlopscopeError(f"'level_ratio' = {self.level_ratio!r}; allowed: a number in "
                                 "(1, 1e6]")
