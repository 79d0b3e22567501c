"""One run: a resolved configuration and a seed -> a self-describing run directory. Data sources
(sources.py), derived seeds (seeds.py), the measured model, network or oracle control
(measured_models.py, controls.py), everything measured at a checkpoint (checkpoint_metrics.py),
the tables and summary.json (tables.py, examples.py), the pipeline itself (runner.py) and the
catalogue of run directories (catalog.py)."""
