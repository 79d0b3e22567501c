"""The Random Hierarchy Model: one object holding the production tables and probabilities, with
exact, vectorised sampling, parsing, log-probabilities, block ids and belief propagation."""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError, as_seed_generator, as_token_array, check_int
from slopscope.grammar import belief, entropy, kernels, parsing, sampling, serialize
from slopscope.grammar.rules import (
    check_sizes,
    draw_rules,
    normalized,
    parents_at,
    resolve_probs,
    resolve_zipf_levels,
    validate_rules,
)
from slopscope.grammar.trees import ParseResult, Trees

ENUMERATE_LIMIT = 2_000_000


class RHM:
    """A Random Hierarchy Model grammar.

    v: vocabulary per level, n: root classes, m: productions per symbol, s: branching, L: depth.
    Rule levels are numbered 1 (the root's productions) to L (productions emitting tokens).
    `zipf_a` with `zipf_levels` (levels, or "all") puts p_k ~ k**-(1+a) on the k-th production
    (table order) of every parent at those levels; `probs` gives explicit per-level vectors
    (a list of L entries, None = uniform, or a dict level -> vector of length m or (parents, m)).
    """

    def __init__(self, v, n, m, s, L, seed, zipf_a=None, zipf_levels=(), probs=None,
                 root_probs=None):
        v, n, m, s, L = check_sizes(v, n, m, s, L)
        seed = check_int("seed", seed, minimum=0)
        levels = resolve_zipf_levels(L, zipf_a, zipf_levels)
        rules = draw_rules(v, n, m, s, L, np.random.default_rng(seed))
        origin = {"seed": seed, "zipf_a": zipf_a, "zipf_levels": list(levels)}
        self._setup(v, n, rules, zipf_a, levels, probs, root_probs, origin)

    @classmethod
    def from_rules(cls, rules, v, n, probs=None, root_probs=None) -> RHM:
        """A grammar from explicit tables: a list of L integer arrays (parents, m, s), level 1
        first (level 1 has n parents, the others v). Validates ranges, shapes and unambiguity."""
        tables, _, _, _ = validate_rules(rules, v, n)
        self = cls.__new__(cls)
        self._setup(int(v), int(n), tables, None, (), probs, root_probs, {"seed": None})
        return self

    def _setup(self, v, n, rules, zipf_a, zipf_levels, probs, root_probs, origin):
        self.v, self.n = v, n
        self.m, self.s, self.L = rules[0].shape[1], rules[0].shape[2], len(rules)
        self.d = self.s**self.L
        self.num_internal = (self.d - 1) // (self.s - 1)
        self.P_max = self.n * self.m**self.num_internal
        self.origin = origin
        self.rules = tuple(_frozen(t.astype(np.int32)) for t in rules)
        tables = resolve_probs(self.L, v, n, self.m, zipf_a, zipf_levels, probs)
        self.probs = tuple(_frozen(p) for p in tables)
        if root_probs is None:
            root = np.full(n, 1.0 / n)
        else:
            root = np.asarray(root_probs, dtype=np.float64)
            if root.shape != (n,):
                raise SlopscopeError(
                    f"root_probs has shape {np.shape(root_probs)}; allowed: ({n},)"
                )
            root = normalized(root, "root_probs")
        self.root_probs = _frozen(root)
        self.root_uniform = bool(np.all(root == 1.0 / n))
        self.level_uniform = tuple(bool(np.all(p == 1.0 / self.m)) for p in self.probs)
        self.is_uniform = self.root_uniform and all(self.level_uniform)
        self.flat_rules = tuple(_frozen(t.reshape(-1, self.s)) for t in self.rules)
        self.thresholds = tuple(
            _frozen(sampling.cumulative(p[:1] if np.all(p == p[0]) else p)) for p in self.probs
        )
        self.root_thresholds = _frozen(sampling.cumulative(root[None, :]))
        self.kernel_tables = kernels.build_tables(self)
        self.emits = tuple(_emission_matrices(t, v) for t in self.rules)

    # ---- sizes and identity -------------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f"RHM(v={self.v}, n={self.n}, m={self.m}, s={self.s}, L={self.L}, d={self.d}, "
            f"P_max={self.P_max}, uniform={self.is_uniform})"
        )

    def __eq__(self, other) -> bool:
        if not isinstance(other, RHM):
            return NotImplemented
        return (
            (self.v, self.n) == (other.v, other.n)
            and len(self.rules) == len(other.rules)
            and all(np.array_equal(a, b) for a, b in zip(self.rules, other.rules, strict=True))
            and all(np.array_equal(a, b) for a, b in zip(self.probs, other.probs, strict=True))
            and np.array_equal(self.root_probs, other.root_probs)
        )

    __hash__ = None

    def parents(self, level: int) -> int:
        """Number of parent symbols of rule level `level` (n at level 1, v below)."""
        return parents_at(check_int("level", level, minimum=1, maximum=self.L), self.v, self.n)

    # ---- serialisation --------------------------------------------------------------------
    def to_json(self) -> str:
        return serialize.to_json(self)

    @classmethod
    def from_json(cls, text) -> RHM:
        data = serialize.parse_json(text)
        g = cls.from_rules(data["rules"], data["v"], data["n"], probs=data["probs"],
                           root_probs=data["root_probs"])
        g.origin = data.get("origin", {"seed": None})
        return g

    # ---- the index bijection ------------------------------------------------------------------
    def string_at(self, indices) -> np.ndarray:
        """Strings (B, d) for indices in [0, P_max): ints, int arrays or Python ints of any size."""
        return np.ascontiguousarray(sampling.string_trees(self, indices).strings)

    def index_of(self, strings) -> np.ndarray:
        """Index in [0, P_max) of each valid string (int64, or Python ints beyond 2**63)."""
        return parsing.index_of(self, self.parse(strings))

    def enumerate(self, limit: int = ENUMERATE_LIMIT) -> np.ndarray:
        """All P_max strings in index order; refuses when P_max > limit."""
        if self.P_max > limit:
            raise SlopscopeError(
                f"P_max={self.P_max} strings are too many to enumerate; allowed: P_max <= "
                f"{limit} (raise `limit` or use sample())"
            )
        return self.string_at(np.arange(self.P_max, dtype=np.int64))

    # ---- sampling -----------------------------------------------------------------------------
    def sample(self, count, seed, unique=False, return_trees=False):
        """`count` strings (count, d) drawn i.i.d. from the grammar; with unique=True, exactly
        `count` distinct strings (uniform: indices without replacement; otherwise duplicates of
        i.i.d. draws are rejected). return_trees=True also returns their derivations (Trees)."""
        count = check_int("count", count, minimum=0)
        rng = as_seed_generator(seed)
        if unique:
            trees, _ = sampling.unique(self, count, rng)
        elif not return_trees:
            return sampling.ancestral(self, count, rng, leaves_only=True)
        else:
            trees = sampling.ancestral(self, count, rng)
        strings = np.ascontiguousarray(trees.strings)
        return (strings, trees) if return_trees else strings

    # ---- parsing and probabilities ------------------------------------------------------------
    def check_strings(self, strings, name: str = "strings") -> np.ndarray:
        """Validated (B, d) int32 copy of `strings`, or a one-line error."""
        return as_token_array(strings, self.d, self.v, name)

    def parse(self, strings) -> ParseResult:
        """Bottom-up parse: symbols and rule indices per level (-1 where invalid), valid_up_to."""
        return parsing.parse(self, self.check_strings(strings))

    def is_valid(self, strings) -> np.ndarray:
        return self.parse(strings).valid

    def log_prob(self, strings) -> np.ndarray:
        """Exact log p(x) (nats), including Zipf levels and the root prior; -inf if invalid."""
        return parsing.log_prob(self, self.parse(strings))

    def blocks(self, strings, k) -> np.ndarray:
        """Ids of the aligned blocks of size k (length s**k, the yield of a symbol k levels above
        the leaves), shape (B, s**(L-k)); -1 where the block is not a valid yield. Equal ids at
        the same position mean equal blocks. k = L gives the string index."""
        return parsing.block_ids(self, self.parse(strings), k)

    def block_count(self, k) -> int:
        """Number of distinct valid blocks of size k at one position (the id range)."""
        k = check_int("block size k", k, minimum=1, maximum=self.L)
        lead = self.n if k == self.L else self.v
        return lead * self.m ** ((self.s**k - 1) // (self.s - 1))

    # ---- belief propagation -------------------------------------------------------------------
    def marginals(self, evidence) -> tuple[np.ndarray, np.ndarray]:
        """Exact posterior leaf marginals p(x_i | evidence) (B, d, v) and log p(evidence) (B,).

        evidence: (B, d, v) non-negative leaf likelihoods (one-hot = observed, uniform = masked).
        """
        return belief.marginals(self, evidence)

    def sample_posterior(self, evidence, seed, return_trees=False):
        """Exact draws x ~ p(x | evidence), one string per evidence row."""
        trees = belief.sample_posterior(self, evidence, as_seed_generator(seed))
        strings = np.ascontiguousarray(trees.strings)
        return (strings, trees) if return_trees else strings

    # ---- summaries ----------------------------------------------------------------------------
    def entropy(self) -> float:
        """Entropy of the string distribution, in nats (log P_max for uniform rules)."""
        return entropy.string_entropy(self)

    def rule_entropy(self) -> np.ndarray:
        """Expected entropy (nats) of the production chosen at a node, per rule level 1..L."""
        return entropy.rule_entropy(self)

    def summary(self) -> dict:
        return {
            "v": self.v, "n": self.n, "m": self.m, "s": self.s, "L": self.L, "d": self.d,
            "P_max": self.P_max,
            "uniform": self.is_uniform,
            "origin": self.origin,
            "entropy_nats": self.entropy(),
            "rule_entropy_nats": [float(x) for x in self.rule_entropy()],
        }


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr)
    arr.setflags(write=False)
    return arr


def _emission_matrices(table: np.ndarray, v: int) -> tuple:
    """One-hot (parents * m, v) matrices: row (a, k) of slot j marks the symbol rule (a, k) puts
    in child slot j. Gathering and scattering messages through them is a matmul."""
    flat = table.reshape(-1, table.shape[-1])
    mats = []
    for j in range(flat.shape[1]):
        mat = np.zeros((flat.shape[0], v))
        mat[np.arange(flat.shape[0]), flat[:, j]] = 1.0
        mats.append(_frozen(mat))
    return tuple(mats)


__all__ = ["RHM", "ParseResult", "Trees"]
