"""Sweeps: a grid of overrides x seeds (sweep.py), the executors that run its jobs (executors.py:
local processes, Ray, SLURM) and its table over seeds (aggregate.py)."""
