"""From ragged sequences to a fixed-length token data set: one length (kept or padded), a
vocabulary, duplicates counted (and removed by default), and a seeded train/held-out split."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from slopscope.errors import SlopscopeError, check_int, human_bytes
from slopscope.rows import row_keys
from slopscope.tokendata.files import IDS, Ragged, available_memory, check_token_ids
from slopscope.tokendata.vocab import Vocabulary


@dataclass(frozen=True)
class TokenDataset:
    """Fixed-length sequences (N, d) of token ids in the file's order, after the length rule and
    deduplication; `summary` counts what was read, dropped, padded and deduplicated."""

    sequences: np.ndarray
    vocab: Vocabulary
    summary: dict


def _histogram(lengths: np.ndarray, shown: int = 8) -> str:
    common = Counter(lengths.tolist()).most_common()
    text = ", ".join(f"{n} tokens: {c}" for n, c in sorted(common[:shown]))
    return text + (f", ... ({len(common)} lengths)" if len(common) > shown else "")


# bytes per token while fixing the length and building ids: int64 rows, their mask, the int64
# gather index and the int64 ids
TOKEN_BYTES = 32


def fixed_length(ragged: Ragged, length: int | None, pad: bool) -> tuple[np.ndarray, np.ndarray,
                                                                         int, dict]:
    """(rows (N, d) of raw values with -1 at padding, kept mask over the input sequences, d, info).
    length=None and pad=False demands one shared length; `length` keeps only sequences of that
    length (with pad=True: pads shorter ones to it); pad=True alone pads to the longest."""
    lengths = ragged.lengths
    if length is not None:
        length = check_int("data.length", length, minimum=1)
    if length is None and not pad:
        if np.unique(lengths).shape[0] > 1:
            raise SlopscopeError(
                f"the sequences have {np.unique(lengths).shape[0]} lengths "
                f"({_histogram(lengths)}); allowed: one length - set data.length=K to keep only "
                "length K, or data.pad=true to pad to the longest")
        length = int(lengths[0])
    target = int(lengths.max()) if length is None else length
    keep = lengths <= target if pad else lengths == target
    if not keep.any():
        raise SlopscopeError(f"no sequence has length {target} ({_histogram(lengths)}); allowed: "
                             "data.length set to one of the lengths found")
    need, have = int(keep.sum()) * target * TOKEN_BYTES, available_memory()
    if need > have:
        raise SlopscopeError(
            f"{int(keep.sum())} sequences of length {target} need ~{human_bytes(need)} of memory "
            f"to prepare but ~{human_bytes(have)} is available; allowed: a smaller data.length "
            "(or fewer or shorter sequences)")
    rows = np.full((int(keep.sum()), target), -1, dtype=np.int64)
    starts, kept_lengths = ragged.offsets[:-1][keep], lengths[keep]
    cols = np.arange(target)
    inside = cols[None, :] < kept_lengths[:, None]
    rows[inside] = ragged.values[(starts[:, None] + cols[None, :])[inside]]
    info = {"length": target, "dropped_other_lengths": int((~keep).sum()),
            "padded": int((kept_lengths < target).sum())}
    return rows, keep, target, info


def build_vocabulary(ragged: Ragged, rows: np.ndarray, kind: str, max_vocab: int):
    """(ids (N, d), Vocabulary): ids of sorted distinct tokens, the pad token last if any row is
    padded. `rows` holds the raw values, -1 at padding (so integer data must be ids >= 0)."""
    padded = rows == -1
    present = np.unique(rows[~padded])
    if present.shape[0] == 0:
        raise SlopscopeError(f"the sequences have no tokens (all {rows.shape[0]} are empty); "
                             f"allowed: sequences of at least one token ({IDS} or text)")
    if present.shape[0] > max_vocab:
        raise SlopscopeError(f"the data has {present.shape[0]} distinct tokens; allowed: at most "
                             f"data.max_vocab={max_vocab} (raise it for a bigger model, or use "
                             "character tokens)")
    if ragged.symbols is not None:
        names = [ragged.symbols[i] for i in present]
        order = np.argsort(names, kind="stable")
        tokens = tuple(names[i] for i in order)
        rank = np.empty_like(order)
        rank[order] = np.arange(order.shape[0])
        ids = rank[np.searchsorted(present, np.where(padded, present[0], rows))]
    else:
        tokens = tuple(int(t) for t in present)
        ids = np.searchsorted(present, np.where(padded, present[0], rows))
    pad = len(tokens) if padded.any() else None
    ids = np.where(padded, -1 if pad is None else pad, ids).astype(np.int64)
    return ids, Vocabulary(tokens, kind, pad)


def prepare(ragged: Ragged, kind: str, length: int | None = None, pad: bool = False,
            dedup: bool = True, max_vocab: int = 4096) -> TokenDataset:
    """The token data set of `ragged` (see `fixed_length`); duplicates counted, and removed
    (first occurrence kept) when `dedup`."""
    max_vocab = check_int("data.max_vocab", max_vocab, minimum=2)
    if ragged.symbols is None:  # integer data: read_sequences checks them; a hand-made Ragged too
        check_token_ids(ragged.values, ragged.offsets, "the integer data")
    rows, _, _, info = fixed_length(ragged, length, pad)
    ids, vocab = build_vocabulary(ragged, rows, kind, max_vocab)
    _, first, counts = np.unique(row_keys(ids), return_index=True, return_counts=True)
    summary = {**ragged.info, **info, "sequences": int(rows.shape[0]),
               "distinct": int(first.shape[0]),
               "duplicates": int(rows.shape[0] - first.shape[0]),
               "most_copies": int(counts.max()),
               "duplicates_removed": 0, "vocab_size": vocab.size, "pad": vocab.pad}
    if dedup:
        ids = ids[np.sort(first)]
        summary["duplicates_removed"] = summary["duplicates"]
    return TokenDataset(ids, vocab, summary)


def split(data: TokenDataset, n_train: int, n_test: int, seed: int) -> tuple:
    """(train, test, summary): disjoint rows drawn by a seeded permutation."""
    n_train = check_int("data.train", n_train, minimum=1)
    n_test = check_int("data.test", n_test, minimum=1)
    total = data.sequences.shape[0]
    if n_train + n_test > total:
        raise SlopscopeError(
            f"data.train + data.test = {n_train + n_test} but the data has {total} sequences "
            f"(after the length rule and {data.summary['duplicates_removed']} duplicates "
            f"removed); allowed: data.train + data.test <= {total}")
    order = np.random.default_rng(check_int("data.seed", seed, minimum=0)).permutation(total)
    train, test = data.sequences[order[:n_train]], data.sequences[order[n_train:n_train + n_test]]
    summary = {**data.summary, "train": n_train, "test": n_test, "seed": seed,
               "unused": total - n_train - n_test}
    return train, test, summary
