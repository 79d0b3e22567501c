"""Experiments: typed configuration and presets, data sources, the runner (a configuration and
a seed -> a run directory with tables and summary.json), sweeps, verdicts and their calibration
on oracle controls. See docs/architecture.md for the map."""

from slopscope.experiments.config.schema import (
    ExperimentConfig,
    config_from_dict,
    load_config,
    preset_names,
)

__all__ = ["ExperimentConfig", "config_from_dict", "load_config", "preset_names"]
