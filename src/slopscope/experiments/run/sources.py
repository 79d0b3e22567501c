"""Where a run's strings come from: a grammar (RHM) or the user's token data. Each source builds
its data from the configuration, saves it into the run directory, loads it back and describes
it (its identity, its strings as text); grammar-only quantities (validity, exact log p, rule
typicality) are None for token data and end up "not available" in tables and report.

A run directory holds `train.npy`, `data.json` (what was read, dropped and split; its "source"
names the kind) and `test.npy` (written last: it marks the data complete), plus the source's own
file: `grammar.json`, or `vocab.json` for token data.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from slopscope import measure
from slopscope.data import pool_half, unique_split
from slopscope.data_info import DataInfo, data_info_path, read_data_info, write_data_info
from slopscope.errors import SlopscopeError
from slopscope.experiments.config.run_size import check_model_size
from slopscope.grammar import RHM
from slopscope.store import (
    array_bytes,
    atomic_write_bytes,
    atomic_write_text,
    file_digest,
    load_array,
)
from slopscope.tokendata import Vocabulary, load_token_data
from slopscope.tokendata import split as split_tokens
from slopscope.tokendata.files import ALLOWED, check_fits

SPLITS = ("train", "test")


def _save_split(run_dir: Path, train, test, info: dict) -> None:
    """train.npy, data.json (with the SHA-256 of both split files, checked by `load_data`),
    then test.npy, written last: it marks the data complete."""
    blobs = {"train": array_bytes(train), "test": array_bytes(test)}
    info = {**info, "split_sha256": {split: hashlib.sha256(blob).hexdigest()
                                     for split, blob in blobs.items()}}
    atomic_write_bytes(run_dir / "train.npy", blobs["train"])
    write_data_info(run_dir, info)
    atomic_write_bytes(run_dir / "test.npy", blobs["test"])


class GrammarSource:
    kind = "grammar"
    file = "grammar.json"
    pad = None
    size_prefix = "k"  # per-size columns t1_k1, t1_k2, ...: block level k (s**k tokens)

    def __init__(self, grammar: RHM):
        self.grammar = grammar
        self.v, self.d, self.levels = grammar.v, grammar.d, grammar.L

    # ---- building, saving, loading ---------------------------------------------------------
    @staticmethod
    def identity(config) -> str:
        return config.hash()

    @classmethod
    def build(cls, config, seeds: dict):
        """(source, train, test, info): the grammar and a unique exchangeable split."""
        gc, dc = config.grammar, config.data
        grammar = RHM(gc.v, gc.n, gc.m, gc.s, gc.L, seed=seeds["grammar"], zipf_a=gc.zipf_a,
                      zipf_levels=gc.zipf_levels)
        split = unique_split(grammar, dc.train, dc.test, seed=seeds["data"])
        return cls(grammar), split.train, split.test, split.summary()

    def save(self, run_dir: Path, train, test, info: dict) -> None:
        atomic_write_text(run_dir / self.file, self.grammar.to_json())
        _save_split(run_dir, train, test, {**info, "source": self.kind})

    @classmethod
    def load(cls, run_dir: Path, info: DataInfo) -> GrammarSource:
        return cls(RHM.from_json((run_dir / cls.file).read_text()))

    def render(self, ids) -> list[str]:
        """Strings as space-separated token ids."""
        return [" ".join(map(str, row)) for row in np.asarray(ids).tolist()]

    # ---- what the measurements need --------------------------------------------------------
    def block_ids(self, strings) -> dict:
        """{block size k (levels 1..L-1): ids}; block k spans s**k tokens."""
        return measure.grammar_block_ids(self.grammar, strings)

    def block_width(self, size: int) -> int:
        return self.grammar.s ** size

    def kgram_sizes(self) -> list[int]:
        return [self.block_width(k) for k in range(1, self.levels)] or [1]

    def reference(self, count: int, seed: int, test) -> np.ndarray:
        """Fresh strings from the data distribution (the excess-copying baseline)."""
        return self.grammar.sample(count, seed=seed)

    def validity(self, generations):
        return measure.validity_by_level(self.grammar, generations)

    def level_chance(self) -> np.ndarray:
        """Chance validity per block size k = 1..L (measure.level_chance)."""
        return measure.level_chance(self.grammar)

    def log_prob(self, strings):
        return self.grammar.log_prob(strings)

    def entropy(self) -> float:
        """H(X) of the grammar's string distribution, in nats."""
        return float(self.grammar.entropy())

    def rule_typicality(self, train, splits: dict) -> dict:
        """{split: T2} from the training rule frequencies (counted once)."""
        freq = measure.rule_frequencies(self.grammar, train)
        return {name: measure.rule_typicality(self.grammar, strings, freq)
                for name, strings in splits.items()}

    def rule_ids(self, strings, level: int):
        return measure.rule_ids(self.grammar, strings, level)


class TokenSource:
    kind = "tokens"
    file = "vocab.json"
    levels = 0
    size_prefix = "w"  # per-size columns t1_w2, t1_w4, ...: block width in tokens

    def __init__(self, vocab: Vocabulary, d: int):
        self.vocab, self.v, self.d, self.pad = vocab, vocab.size, d, vocab.pad
        self.widths = measure.block_widths(d)

    # ---- building, saving, loading ---------------------------------------------------------
    @staticmethod
    def identity(config) -> str:
        """The config hash combined with the data file's SHA-256 (a changed file is a different
        run)."""
        path = config.data.path
        if not Path(path).is_file():
            hint = (" (the system word list: apt-get install wamerican)"
                    if path.startswith("/usr/share/dict/") else "")
            raise SlopscopeError(f"data.path={path!r} is not a file{hint}; allowed: {ALLOWED}")
        check_fits(path, config.data.format)  # a file too big to read is refused unhashed
        return hashlib.sha256(f"{config.hash()}:{file_digest(path)}".encode()).hexdigest()[:10]

    @classmethod
    def build(cls, config, seeds: dict):
        """(source, train, test, info): the file read with the data options, split at random."""
        dc = config.data
        data = load_token_data(dc)
        widths, size = measure.block_widths(data.sequences.shape[1]), config.findings.d_block_size
        if size is not None and size not in widths:  # D's block size, now that d is known
            raise SlopscopeError(f"findings.d_block_size={size} is not a measured block width "
                                 f"of sequences of {data.sequences.shape[1]} tokens; allowed: "
                                 f"{', '.join(map(str, widths))}")
        check_model_size(config, data.vocab.size, data.sequences.shape[1])  # d and v known now
        train, test, info = split_tokens(data, dc.train, dc.test, seeds["data"])
        info.update(path=str(dc.path), sha256=file_digest(dc.path))
        return cls(data.vocab, data.sequences.shape[1]), train, test, info

    def save(self, run_dir: Path, train, test, info: dict) -> None:
        atomic_write_text(run_dir / self.file, self.vocab.to_json())
        _save_split(run_dir, train, test, {**info, "source": self.kind})

    @classmethod
    def load(cls, run_dir: Path, info: DataInfo) -> TokenSource:
        vocab = Vocabulary.from_json((run_dir / cls.file).read_text())
        return cls(vocab, int(info.get("length")))

    def render(self, ids) -> list[str]:
        """Sequences in the user's own tokens."""
        return self.vocab.render(ids)

    # ---- what the measurements need --------------------------------------------------------
    def block_ids(self, strings) -> dict:
        """{block width in tokens (2, 4, ... dividing d): content keys}."""
        return measure.token_block_ids(strings, self.widths, self.v, self.pad)

    def block_width(self, size: int) -> int:
        return size

    def kgram_sizes(self) -> list[int]:
        return self.widths

    def reference(self, count: int, seed: int, test) -> np.ndarray:
        """Without a grammar, the held-out split is the fresh reference."""
        return test

    def validity(self, generations):
        return None

    def log_prob(self, strings):
        return None

    def entropy(self):
        return None

    def rule_typicality(self, train, splits: dict):
        return None

    def rule_ids(self, strings, level: int):
        raise SlopscopeError("token data has no grammar rules")


SOURCES = {source.kind: source for source in (GrammarSource, TokenSource)}


def source_class(config):
    """The source a configuration asks for: the user's token file (data.path), else a grammar."""
    return TokenSource if config.data.path else GrammarSource


def has_data(run_dir) -> bool:
    return (Path(run_dir) / "test.npy").exists()


def build_data(run_dir, config, seeds: dict):
    """(source, train, test) of a run: loaded when its data are complete, else built and saved."""
    run_dir = Path(run_dir)
    if has_data(run_dir):
        return load_data(run_dir)
    source, train, test, info = source_class(config).build(config, seeds)
    if config.data.half is not None:  # a counterfactual model: one half of the pool
        train, test = pool_half(train, test, seeds["data"], config.data.half)
        info = {**info, "half": config.data.half, "pool": train.shape[0] + test.shape[0]}
    source.save(run_dir, train, test, info)
    return source, train, test


def load_data(run_dir):
    """(source, train, test) saved in a run directory."""
    run_dir = Path(run_dir)
    info = read_data_info(run_dir)
    kind = info.source or ("tokens" if (run_dir / TokenSource.file).exists()
                           else "grammar")  # runs saved before data.json named it
    source = SOURCES[kind].load(run_dir, info)
    recorded = info.get("split_sha256") or {}  # runs saved before the digests: not checked
    for split in SPLITS:
        path = run_dir / f"{split}.npy"
        if split in recorded and path.exists() and file_digest(path) != recorded[split]:
            raise SlopscopeError(f"{path} is not the split this run recorded (its SHA-256 "
                                 f"differs from {data_info_path(run_dir).name}); allowed: the "
                                 "run's own file (restore it, or run the configuration again in "
                                 "a new runs directory)")
    return source, load_array(run_dir / "train.npy"), load_array(run_dir / "test.npy")
