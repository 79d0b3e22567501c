"""Compiled (numba) per-string loops over the tree in breadth-first order.

Nodes of the complete s-ary tree are numbered breadth-first: node 0 is the root, the children of
node i are i*s + 1 .. i*s + s, the num_internal = (d - 1)/(s - 1) internal nodes come first and
the d leaves (tokens) last. One row of `nodes` (B, num_internal + d) holds a whole derivation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from slopscope.grammar.rules import tuple_codes

DENSE_LOOKUP_LIMIT = 2**20  # tuple-code tables up to this size per level are direct-indexed


@dataclass(frozen=True)
class KernelTables:
    """The grammar's tables flattened for the kernels."""

    depth_of: np.ndarray  # (num_internal,) depth of each internal node
    row_offset: np.ndarray  # (L,) first row of each level in rules_all / log_probs_all
    rules_all: np.ndarray  # (sum_l parents_l * m, s) children of production (parent, k)
    log_probs_all: np.ndarray  # (sum_l parents_l * m,) log-probability of each production
    dense: bool
    maps: np.ndarray  # dense: (L, v**s) tuple code -> parent * m + k, or -1
    keys: np.ndarray  # sparse: sorted tuple codes of all levels, concatenated
    values: np.ndarray  # sparse: parent * m + k for each key
    key_start: np.ndarray  # sparse: (L + 1,) level boundaries in keys


def build_tables(g) -> KernelTables:
    L, s, v = g.L, g.s, g.v
    depth_of = np.concatenate([np.full(s**q, q) for q in range(L)]).astype(np.int64)
    sizes = [t.shape[0] * t.shape[1] for t in g.rules]
    row_offset = np.cumsum([0] + sizes)[:-1].astype(np.int64)
    rules_all = np.concatenate([t.reshape(-1, s) for t in g.rules]).astype(np.int32)
    with np.errstate(divide="ignore"):
        log_probs_all = np.concatenate([np.log(p).reshape(-1) for p in g.probs])
    codes = [tuple_codes(t.reshape(-1, s), v) for t in g.rules]
    dense = v**s <= DENSE_LOOKUP_LIMIT
    if dense:
        maps = np.full((L, v**s), -1, dtype=np.int32)
        for level, c in enumerate(codes):
            maps[level, c] = np.arange(c.shape[0])
        keys = values = np.zeros(0, dtype=np.int64)
        key_start = np.zeros(L + 1, dtype=np.int64)
    else:
        maps = np.zeros((L, 0), dtype=np.int32)
        orders = [np.argsort(c) for c in codes]
        keys = np.concatenate([c[o] for c, o in zip(codes, orders, strict=True)])
        values = np.concatenate(orders).astype(np.int64)
        key_start = np.cumsum([0] + [c.shape[0] for c in codes]).astype(np.int64)
    return KernelTables(depth_of, row_offset, rules_all, log_probs_all, dense, maps, keys,
                        values, key_start)


@numba.njit(cache=True, nogil=True)
def _expand(root, choices, rules_all, row_offset, depth_of, m, s, nodes):
    B, ni = choices.shape
    for b in range(B):
        nodes[b, 0] = root[b]
        for i in range(ni):
            row = row_offset[depth_of[i]] + nodes[b, i] * m + choices[b, i]
            first = i * s + 1
            for j in range(s):
                nodes[b, first + j] = rules_all[row, j]


@numba.njit(cache=True, nogil=True)
def _expand_leaves(root, choices, rules_all, row_offset, depth_of, m, s, strings):
    B, ni = choices.shape
    d = strings.shape[1]
    row_nodes = np.empty(ni + d, dtype=np.int32)
    for b in range(B):
        row_nodes[0] = root[b]
        for i in range(ni):
            row = row_offset[depth_of[i]] + row_nodes[i] * m + choices[b, i]
            first = i * s + 1
            for j in range(s):
                row_nodes[first + j] = rules_all[row, j]
        for t in range(d):
            strings[b, t] = row_nodes[ni + t]


def expand(t: KernelTables, root, choices, m: int, s: int, d: int, leaves_only: bool = False):
    """Derivations from root classes (B,) and choices (B, num_internal): all nodes
    (B, num_internal + d), or with leaves_only just the strings (B, d)."""
    root = np.ascontiguousarray(root, dtype=np.int32)
    if choices.dtype not in (np.uint8, np.int32):
        choices = choices.astype(np.int32)
    choices = np.ascontiguousarray(choices)
    B, ni = choices.shape
    if leaves_only:
        strings = np.empty((B, d), dtype=np.int32)
        _expand_leaves(root, choices, t.rules_all, t.row_offset, t.depth_of, m, s, strings)
        return strings
    nodes = np.empty((B, ni + d), dtype=np.int32)
    _expand(root, choices, t.rules_all, t.row_offset, t.depth_of, m, s, nodes)
    return nodes


@numba.njit(cache=True, nogil=True)
def _lookup_sparse(keys, values, lo, hi, key):
    end = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    if lo < end and keys[lo] == key:
        return values[lo]
    return -1


@numba.njit(cache=True, nogil=True)
def _parse(strings, dense, maps, keys, values, key_start, depth_of, v, m, s, nodes, choices,
           valid_up_to):
    B, d = strings.shape
    ni = choices.shape[1]
    for b in range(B):
        for t in range(d):
            nodes[b, ni + t] = strings[b, t]
        worst = 0  # deepest rule level with a failed production
        for i in range(ni - 1, -1, -1):
            first = i * s + 1
            key = 0
            undefined = False
            for j in range(s):
                c = nodes[b, first + j]
                if c < 0:
                    undefined = True
                key = key * v + c
            code = -1
            if not undefined:
                q = depth_of[i]
                if dense:
                    code = maps[q, key]
                else:
                    code = _lookup_sparse(keys, values, key_start[q], key_start[q + 1], key)
            if code < 0:
                nodes[b, i] = -1
                choices[b, i] = -1
                if depth_of[i] + 1 > worst:
                    worst = depth_of[i] + 1
            else:
                parent = code // m
                nodes[b, i] = parent
                choices[b, i] = code - parent * m
        valid_up_to[b] = worst + 1 if worst > 0 else 1


def parse(t: KernelTables, strings: np.ndarray, m: int, s: int, v: int, num_internal: int):
    """Bottom-up parse: (nodes, choices, valid_up_to); -1 marks nodes whose subtree is invalid."""
    strings = np.ascontiguousarray(strings, dtype=np.int32)
    B, d = strings.shape
    nodes = np.empty((B, num_internal + d), dtype=np.int32)
    choices = np.empty((B, num_internal), dtype=np.int32)
    valid_up_to = np.empty(B, dtype=np.int64)
    _parse(strings, t.dense, t.maps, t.keys, t.values, t.key_start, t.depth_of, v, m, s, nodes,
           choices, valid_up_to)
    return nodes, choices, valid_up_to
