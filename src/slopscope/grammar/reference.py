"""Straightforward per-string Python implementations of the grammar operations.

Slow on purpose: they are the independent oracle of the tests and the baseline of the benchmarks,
written from the definitions with no vectorisation and no shared code with the fast paths.
"""

from __future__ import annotations

import math
import random


def _tables(g):
    rules = [t.tolist() for t in g.rules]
    probs = [p.tolist() for p in g.probs]
    inverse = []
    for table in rules:
        level = {}
        for a, productions in enumerate(table):
            for k, children in enumerate(productions):
                level[tuple(children)] = (a, k)
        inverse.append(level)
    return rules, probs, inverse


class Reference:
    """Per-string oracle for one grammar."""

    def __init__(self, g):
        self.g = g
        self.rules, self.probs, self.inverse = _tables(g)
        self.root_probs = g.root_probs.tolist()

    def sample(self, count: int, seed: int) -> list:
        rnd = random.Random(seed)
        out = []
        for _ in range(count):
            symbols = [_pick(rnd, self.root_probs)]
            for level in range(self.g.L):
                nxt = []
                for a in symbols:
                    k = _pick(rnd, self.probs[level][a])
                    nxt.extend(self.rules[level][a][k])
                symbols = nxt
            out.append(symbols)
        return out

    def parse(self, string) -> tuple[int, list]:
        """(valid_up_to, symbols per depth, None where undefined)."""
        g = self.g
        depth_symbols = [None] * (g.L + 1)
        current = [int(x) for x in string]
        depth_symbols[g.L] = current
        valid_up_to = g.L + 1
        ok = True
        for level in range(g.L, 0, -1):
            parents = []
            for i in range(0, len(current), g.s):
                tup = tuple(current[i : i + g.s])
                hit = None if None in tup else self.inverse[level - 1].get(tup)
                parents.append(None if hit is None else hit[0])
                ok = ok and hit is not None
            if ok:
                valid_up_to = level
            depth_symbols[level - 1] = parents
            current = parents
        return valid_up_to, depth_symbols

    def log_prob(self, string) -> float:
        g = self.g
        current = [int(x) for x in string]
        total = 0.0
        for level in range(g.L, 0, -1):
            parents = []
            for i in range(0, len(current), g.s):
                hit = self.inverse[level - 1].get(tuple(current[i : i + g.s]))
                if hit is None:
                    return -math.inf
                a, k = hit
                total += _log(self.probs[level - 1][a][k])
                parents.append(a)
            current = parents
        return total + _log(self.root_probs[current[0]])

    def marginals(self, evidence) -> tuple[list, float]:
        """Posterior leaf marginals (d lists of v floats) and log p(evidence), by recursion."""
        g = self.g
        ev = [list(map(float, row)) for row in evidence]
        up = {}  # (depth, position) -> list over symbols

        def upward(depth, pos):
            if depth == g.L:
                return ev[pos]
            kids = [upward(depth + 1, pos * g.s + j) for j in range(g.s)]
            table, probs = self.rules[depth], self.probs[depth]
            beta = []
            for a in range(len(table)):
                total = 0.0
                for k, children in enumerate(table[a]):
                    prod = probs[a][k]
                    for j, c in enumerate(children):
                        prod *= kids[j][c]
                    total += prod
                beta.append(total)
            up[(depth, pos)] = beta
            return beta

        root = upward(0, 0)
        z = sum(p * b for p, b in zip(self.root_probs, root, strict=True))
        leaves = [None] * g.d

        def downward(depth, pos, outside):
            if depth == g.L:
                leaves[pos] = outside
                return
            kids = [
                up[(depth + 1, pos * g.s + j)] if depth + 1 < g.L else ev[pos * g.s + j]
                for j in range(g.s)
            ]
            table, probs = self.rules[depth], self.probs[depth]
            child_out = [[0.0] * g.v for _ in range(g.s)]
            for a in range(len(table)):
                for k, children in enumerate(table[a]):
                    for j, c in enumerate(children):
                        w = outside[a] * probs[a][k]
                        for i, other in enumerate(children):
                            if i != j:
                                w *= kids[i][other]
                        child_out[j][c] += w
            for j in range(g.s):
                downward(depth + 1, pos * g.s + j, child_out[j])

        downward(0, 0, list(self.root_probs))
        post = []
        for i in range(g.d):
            w = [leaves[i][c] * ev[i][c] for c in range(g.v)]
            total = sum(w)
            post.append([x / total for x in w] if total > 0 else [math.nan] * g.v)
        return post, (math.log(z) if z > 0 else -math.inf)


def _pick(rnd: random.Random, probs) -> int:
    u = rnd.random()
    acc = 0.0
    for k, p in enumerate(probs):
        acc += p
        if u < acc:
            return k
    return max(k for k, p in enumerate(probs) if p > 0)


def _log(p: float) -> float:
    return math.log(p) if p > 0 else -math.inf
