"""Exact belief propagation on the RHM tree: posterior leaf marginals, evidence likelihood and an
exact posterior sampler, for arbitrary non-negative leaf likelihoods (B, d, v).

Because each level's productions are unambiguous, the upward message of a node is
beta(a) = sum_k pi(a, k) prod_j lambda_j(rule[a, k, j]); messages are rescaled per node and the
scales accumulated in log space, so deep trees do not underflow.
"""

from __future__ import annotations

import numpy as np

from slopscope.errors import SlopscopeError
from slopscope.grammar.sampling import categorical, derive
from slopscope.grammar.trees import Trees

CHUNK_ELEMENTS = 2**22


def check_evidence(g, evidence) -> np.ndarray:
    ev = np.asarray(evidence)
    if ev.ndim == 2:
        ev = ev[None]
    if ev.ndim != 3 or ev.shape[1:] != (g.d, g.v):
        raise SlopscopeError(
            f"evidence has shape {np.shape(evidence)}; allowed: (count, {g.d}, {g.v}) "
            "non-negative leaf likelihoods"
        )
    if not np.issubdtype(ev.dtype, np.number) or ev.dtype == bool:
        raise SlopscopeError(f"evidence has dtype {ev.dtype}; allowed: non-negative numbers")
    ev = ev.astype(np.float64)
    if not np.all(np.isfinite(ev)) or (ev < 0).any():
        raise SlopscopeError("evidence contains a negative or non-finite value; allowed: >= 0")
    return ev


def _chunks(g, count: int):
    widest = max(t.shape[0] * t.shape[1] for t in g.rules)
    step = max(1, CHUNK_ELEMENTS // max(1, g.d * widest))
    return [slice(i, min(i + step, count)) for i in range(0, count, step)]


def _gather(g, depth: int, child: np.ndarray) -> list:
    """lambda_j(rule[a, k, j]) for each child slot j: list of (B, nodes, parents * m)."""
    flat = g.rules[depth].reshape(-1, g.s)
    return [child[:, :, j, :][..., flat[:, j]] for j in range(g.s)]


def _upward(g, ev: np.ndarray):
    """Scaled upward messages per depth and the log-likelihood of the evidence."""
    B = ev.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = ev.max(axis=-1, keepdims=True)
        log_lik = np.log(scale[..., 0]).sum(axis=1)
        msgs: list = [None] * (g.L + 1)
        msgs[g.L] = ev / np.where(scale > 0, scale, 1.0)
        for depth in range(g.L - 1, -1, -1):
            nodes = g.s**depth
            parents, m = g.probs[depth].shape
            child = msgs[depth + 1].reshape(B, nodes, g.s, g.v)
            prod = np.prod(_gather(g, depth, child), axis=0).reshape(B, nodes, parents, m)
            beta = np.einsum("bnpk,pk->bnp", prod, g.probs[depth])
            scale = beta.max(axis=-1, keepdims=True)
            log_lik += np.log(scale[..., 0]).sum(axis=1)
            msgs[depth] = beta / np.where(scale > 0, scale, 1.0)
        log_lik += np.log(msgs[0][:, 0, :] @ g.root_probs)
    return msgs, log_lik


def marginals(g, evidence) -> tuple[np.ndarray, np.ndarray]:
    """Posterior marginals p(x_i = c | evidence) (B, d, v) and log p(evidence) (B,).

    Rows whose evidence has probability zero under the grammar get NaN marginals and -inf.
    """
    ev = check_evidence(g, evidence)
    post = np.empty_like(ev)
    log_lik = np.empty(ev.shape[0])
    for part in _chunks(g, ev.shape[0]):
        post[part], log_lik[part] = _marginals_chunk(g, ev[part])
    return post, log_lik


def _marginals_chunk(g, ev: np.ndarray):
    B = ev.shape[0]
    msgs, log_lik = _upward(g, ev)
    outside = np.broadcast_to(g.root_probs, (B, 1, g.n))
    for depth in range(g.L):
        nodes = g.s**depth
        child = msgs[depth + 1].reshape(B, nodes, g.s, g.v)
        gathered = _gather(g, depth, child)
        joint = (outside[..., None] * g.probs[depth]).reshape(B, nodes, -1)
        slots = []
        for j in range(g.s):
            others = np.prod([gathered[i] for i in range(g.s) if i != j], axis=0)
            slots.append((joint * others) @ g.emits[depth][j])
        outside = np.stack(slots, axis=2).reshape(B, nodes * g.s, g.v)
        total = outside.sum(axis=-1, keepdims=True)
        outside = outside / np.where(total > 0, total, 1.0)
    with np.errstate(invalid="ignore"):
        post = outside * msgs[g.L]
        post = post / post.sum(axis=-1, keepdims=True)
    post[~np.isfinite(log_lik)] = np.nan
    return post, log_lik


def sample_posterior(g, evidence, rng: np.random.Generator):
    """Exact draws x ~ p(x | evidence), one per evidence row; returns Trees."""
    ev = check_evidence(g, evidence)
    parts = [_sample_chunk(g, ev[part], rng, part.start) for part in _chunks(g, ev.shape[0])]
    if not parts:
        return _sample_chunk(g, ev, rng, 0)
    return Trees.concat(parts)


def _sample_chunk(g, ev: np.ndarray, rng: np.random.Generator, offset: int):
    B = ev.shape[0]
    msgs, log_lik = _upward(g, ev)
    if not np.all(np.isfinite(log_lik)):
        row = offset + int(np.argmin(np.isfinite(log_lik)))
        raise SlopscopeError(
            f"evidence row {row} has probability zero under the grammar; nothing to sample"
        )
    root = categorical(rng, g.root_probs * msgs[0][:, 0, :])

    def choose(level, parents):  # p(rule | parent, evidence below) at every node of the level
        child = msgs[level].reshape(B, parents.shape[1], g.s, g.v)
        tuples = g.rules[level - 1][parents]  # (B, nodes, m, s)
        weight = g.probs[level - 1][parents].copy()
        for j in range(g.s):
            weight *= np.take_along_axis(child[:, :, j, :], tuples[..., j], axis=2)
        return categorical(rng, weight)

    return derive(g, root, choose)
