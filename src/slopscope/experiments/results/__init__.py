"""The results page: its rows as sweeps and calibrations (plan.py, rows.toml) and the job that runs
them and gathers results.json (reproduce.py)."""
