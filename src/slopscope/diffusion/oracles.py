"""Exact denoisers behind the same interface as a network: `oracle(x_t, t) -> log p(x0 | x_t)`.

Both condition on the leaf evidence the family implies, `family.leaf_log_likelihood(x_t, t)`
(masked: a point mass on observed tokens and nothing on masked ones; uniform and Gaussian noise:
the exact likelihood of x_t,i given each clean token).

- GrammarOracle: the Bayes denoiser of the grammar, exact belief propagation on the RHM tree.
- EmpiricalOracle: the Bayes denoiser of the empirical training distribution, a posterior over
  the training strings.
"""

from __future__ import annotations

import numpy as np
import torch

from slopscope.errors import SlopscopeError


class GrammarOracle:
    """p(x0_i | x_t) under the grammar's distribution, by belief propagation."""

    device = torch.device("cpu")

    def __init__(self, family, rhm):
        if (rhm.v, rhm.d) != (family.v, family.d):
            raise SlopscopeError(
                f"grammar has v={rhm.v}, d={rhm.d} but the family has v={family.v}, "
                f"d={family.d}; allowed: equal sizes"
            )
        self.family, self.rhm = family, rhm

    def __call__(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        log_ev = self.family.leaf_log_likelihood(x_t.cpu(), t.cpu()).double().numpy()
        ev = np.exp(log_ev - log_ev.max(axis=-1, keepdims=True))  # per-leaf scale is irrelevant
        post, _ = self.rhm.marginals(ev)
        with np.errstate(divide="ignore", invalid="ignore"):
            return torch.from_numpy(np.log(post)).to(x_t.device)


class EmpiricalOracle:
    """p(x0_i | x_t) when x0 is uniform over the training strings."""

    device = torch.device("cpu")

    def __init__(self, family, train_strings):
        self.family = family
        self.train = family.check_strings(train_strings, "train_strings")
        if self.train.shape[0] == 0:
            raise SlopscopeError("train_strings is empty; allowed: at least one string")

    def posterior_weights(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """(B, N) posterior probability of each training string given x_t."""
        log_ev = self.family.leaf_log_likelihood(x_t.cpu(), t.cpu()).double()
        logw = torch.zeros((x_t.shape[0], self.train.shape[0]), dtype=torch.float64)
        for i in range(self.family.d):
            logw += log_ev[:, i, :][:, self.train[:, i]]
        return torch.softmax(logw, dim=1)

    def __call__(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        w = self.posterior_weights(x_t, t)
        post = torch.zeros((x_t.shape[0], self.family.d, self.family.v), dtype=torch.float64)
        for i in range(self.family.d):
            post[:, i, :].index_add_(1, self.train[:, i], w)
        return torch.log(post).to(x_t.device)
