"""The one owner of a run's `data.json`: what went into the run's split, written by its data
source. Its "source" names the kind ("grammar" or "tokens"); the other figures are the source's
(grammar: train, test, iid_draws, duplicates_rejected, seed, mean_log_p, split; token data:
path, format, lines, sequences, duplicates, duplicates_removed, vocab_size, ...).

Everything else reads it through `read_data_info` and the attributes below, never by spelling
the file's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from slopscope.store import read_json, write_json

FILE = "data.json"


@dataclass(frozen=True)
class DataInfo:
    source: str | None  # "grammar" | "tokens" (None: a run saved before data.json named it)
    figures: dict  # everything else the source recorded

    def get(self, key: str, default=None):
        return self.figures.get(key, default)

    @property
    def sequences(self) -> int | None:
        return self.figures.get("sequences")

    @property
    def duplicates(self) -> int | None:
        return self.figures.get("duplicates")

    @property
    def duplicates_removed(self) -> int | None:
        return self.figures.get("duplicates_removed")


def data_info_path(run_dir) -> Path:
    return Path(run_dir) / FILE


def read_data_info(run_dir) -> DataInfo:
    data = read_json(data_info_path(run_dir))
    return DataInfo(data.get("source"), {k: v for k, v in data.items() if k != "source"})


def write_data_info(run_dir, info: dict) -> Path:
    return write_json(data_info_path(run_dir), info)
