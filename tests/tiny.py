"""Tiny grammars on which every quantity can be checked by enumeration."""

from __future__ import annotations

from slopscope import RHM


def tiny_grammars() -> dict:
    """Uniform and non-uniform grammars small enough to enumerate (P_max <= ~7000)."""
    return {
        "uniform_s2": RHM(v=3, n=2, m=2, s=2, L=2, seed=0),
        "uniform_s3": RHM(v=3, n=3, m=3, s=3, L=2, seed=1),
        "uniform_L3": RHM(v=4, n=3, m=2, s=2, L=3, seed=2),
        "zipf_top_rootprior": RHM(
            v=4, n=3, m=3, s=2, L=3, seed=3, zipf_a=0.3, zipf_levels=(1,),
            root_probs=[0.5, 0.3, 0.2],
        ),
        "zipf_bottom": RHM(v=4, n=3, m=3, s=2, L=3, seed=4, zipf_a=1.0, zipf_levels=(3,)),
        "zipf_all": RHM(v=4, n=2, m=2, s=2, L=3, seed=5, zipf_a=0.0, zipf_levels="all"),
        "explicit_probs_with_zero": RHM(
            v=4, n=2, m=3, s=2, L=2, seed=6, probs={2: [0.6, 0.4, 0.0]},
            root_probs=[0.25, 0.75],
        ),
    }


GRAMMARS = tiny_grammars()
