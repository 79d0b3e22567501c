"""Studies beyond one run's report: counterfactual memorisation over half-pool models
(counterfactual.py, counterfactual_calibration.py) and extraction probes (probe.py)."""
