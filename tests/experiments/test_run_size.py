"""The memory estimate of a run: the presets fit in a few gigabytes, huge grammars are refused
from exact integer arithmetic without allocating anything."""

from __future__ import annotations

from slopscope.errors import human_bytes
from slopscope.experiments.config.run_size import check_run_size, estimate_run_size
from slopscope.experiments.config.schema import ExperimentConfig, build, preset_names, read_toml


def test_the_presets_fit_in_a_few_gigabytes_and_the_estimate_is_cheap():
    for name in preset_names():
        config = build(ExperimentConfig, read_toml(name))
        # the authors' own experiment (a 5.4e8-parameter U-Net): about 9 GB, for a GPU machine
        check_run_size(config, available=(16 if name == "paper" else 2) * 2**30)
        limit = (10 if name == "paper" else 1 if name.endswith("-gpu") else 0.1) * 2**30
        assert name != "paper" or sum(estimate_run_size(config).values()) > 8 * 2**30
        assert sum(estimate_run_size(config).values()) < limit, name
    huge = build(ExperimentConfig, {"grammar": {"L": 19}, "model": {"backbone": "unet"}})
    assert sum(estimate_run_size(huge).values()) > 10**12  # exact ints, no allocation
    assert [human_bytes(x) for x in (5, 8.8e12, 1.5e25, 10**400)] == \
        ["5 B", "8.8 TB", "15 YB", "more than 1e300 B"]
