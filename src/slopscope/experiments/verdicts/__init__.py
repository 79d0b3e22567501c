"""The rules of the verdicts registered in slopscope.verdicts: one run's (run_rules.py: A, D),
a sweep's (sweep_rules.py, with the E1 exponent in scaling.py), and a run verdict pooled over
seeds (pooled.py)."""
