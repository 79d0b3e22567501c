"""Experiments: typed configuration, presets E1-E5, and (to come) the runner and sweeps."""

from slopscope.experiments.config import (
    ExperimentConfig,
    config_from_dict,
    load_config,
    preset_names,
)

__all__ = ["ExperimentConfig", "config_from_dict", "load_config", "preset_names"]
