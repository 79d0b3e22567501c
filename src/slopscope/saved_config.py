"""The one owner of a run's `config.json`: the resolved configuration (plain data, the layout of
`ExperimentConfig.to_dict`), the run seed, the derived seeds and the run's identity hash.

    {"config": {...}, "seed": 0, "hash": "4127faf98f", "seeds": {"run", "grammar", "data",
     "model"}, "threads": [1]}

Everything else reads it through `read_saved_config` and the attributes below, never by spelling
keys; the typed configuration is `slopscope.experiments.config.schema.config_from_dict(
saved.config)` (kept out of here so that reports can read a run without the experiments).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from slopscope.errors import SlopscopeError
from slopscope.store import atomic_write_text, read_json

FILE = "config.json"


@dataclass(frozen=True)
class SavedConfig:
    config: dict  # the resolved configuration, plain data
    seed: int | None
    hash: str | None  # the run's identity (the configuration's hash and the data file's digest)
    seeds: dict | None = None  # {"run", "grammar", "data", "model"} (None: an older run)
    # the CPU thread counts of the processes that trained or measured the run, in order of first
    # use (weights depend on it in their last bits: slopscope.threads); None: an older run
    threads: list[int] | None = None

    @property
    def name(self) -> str:
        return self.config["name"]

    @property
    def description(self) -> str:
        return self.config.get("description", "")

    @property
    def family(self) -> str:
        return self.config["diffusion"]["family"]

    @property
    def backbone(self) -> str:
        return self.config["model"]["backbone"]

    @property
    def train_size(self) -> int:
        return self.config["data"]["train"]

    @property
    def steps(self) -> int:
        return self.config["train"]["steps"]

    @property
    def generations(self) -> int:
        return self.config["measure"]["generations"]

    @property
    def token_data(self) -> bool:
        """Whether the strings come from a file of the user's (no grammar)."""
        return bool(self.config["data"].get("path"))

    @property
    def p_max(self) -> int | None:
        """The grammar's number of distinct strings (None: token data)."""
        if self.token_data:
            return None
        g = self.config["grammar"]
        return g["n"] * g["m"] ** ((g["s"] ** g["L"] - 1) // (g["s"] - 1))

    def with_threads(self, threads: int) -> SavedConfig:
        """This record with `threads` added to the thread counts used (unchanged when there,
        and for an older run, whose training thread count is unknown)."""
        if self.threads is None or threads in self.threads:
            return self
        return replace(self, threads=[*self.threads, threads])

    def to_dict(self) -> dict:
        out = {"config": self.config, "seed": self.seed, "hash": self.hash, "seeds": self.seeds}
        if self.threads is not None:
            out["threads"] = self.threads
        return out


def config_path(run_dir) -> Path:
    return Path(run_dir) / FILE


def is_run_dir(run_dir) -> bool:
    return config_path(run_dir).exists()


def run_dirs(runs_dir) -> list[Path]:
    """The run directories directly under `runs_dir`, by name."""
    return sorted(p.parent for p in Path(runs_dir).glob(f"*/{FILE}"))


def read_saved_config(run_dir) -> SavedConfig:
    path = config_path(run_dir)
    if not path.exists():
        raise SlopscopeError(f"{run_dir} is not a run directory (no {FILE})")
    data = read_json(path)
    try:
        return SavedConfig(data["config"], data.get("seed"), data.get("hash"), data.get("seeds"),
                           data.get("threads"))
    except (KeyError, TypeError) as exc:
        raise SlopscopeError(f"{path} is not a run configuration: {exc}") from None


def write_saved_config(run_dir, saved: SavedConfig) -> Path:
    text = json.dumps(saved.to_dict(), indent=2, sort_keys=True)
    return atomic_write_text(config_path(run_dir), text + "\n")
