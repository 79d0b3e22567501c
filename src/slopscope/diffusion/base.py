"""The interface every noise family implements, and what they share.

A *denoiser* is any callable `denoiser(x_t, t) -> (B, d, v)` scores over the clean token x0 at
each position (logits or log-probabilities): a network from `slopscope.models` or an exact oracle
from `slopscope.diffusion.oracles`. `x_t` is what the family's forward process produces (token ids
for the discrete families, vectors for the Gaussian one) and `t` is (B,) in (0, 1].
"""

from __future__ import annotations

import abc

import numpy as np
import torch

from slopscope.errors import SlopscopeError, as_token_array, check_int


def make_generator(seed, device) -> torch.Generator:
    """An explicit torch generator on `device` (pass a Generator through)."""
    if isinstance(seed, torch.Generator):
        return seed
    seed = check_int("seed", seed, minimum=0)
    return torch.Generator(device=device).manual_seed(seed)


def categorical(probs: torch.Tensor, generator: torch.Generator | None = None,
                u: torch.Tensor | None = None) -> torch.Tensor:
    """One inverse-CDF draw per row of unnormalised probabilities probs (..., v), in float64,
    with the uniforms u (...) given or drawn from `generator`. A row of zeros draws v - 1."""
    cum = probs.double().cumsum(-1)
    if u is None:
        u = torch.rand(cum.shape[:-1], generator=generator, device=cum.device,
                       dtype=torch.float64)
    idx = torch.searchsorted(cum, (u.double() * cum[..., -1]).unsqueeze(-1), right=True)
    return idx.squeeze(-1).clamp_max(probs.shape[-1] - 1)


def device_of(denoiser) -> torch.device:
    """The device a denoiser computes on (CPU for oracles and parameter-free callables)."""
    if isinstance(denoiser, torch.nn.Module):
        for param in denoiser.parameters():
            return param.device
    return torch.device(getattr(denoiser, "device", "cpu"))


class DiffusionFamily(abc.ABC):
    """One noise process over strings of d tokens from a vocabulary of v."""

    name: str = ""
    needs_time: bool = True  # whether the denoiser must be told t
    can_complete: bool = False  # whether complete(strings, known) fills in the unknown tokens

    @classmethod
    def network_calls(cls, options: dict, d: int) -> int:
        """Network calls to generate one string (and to estimate one NELBO) at the measurement
        defaults: for the run-time estimate. Masked diffusion unmasks one token per call."""
        return d

    def __init__(self, v: int, d: int):
        self.v = check_int("v", v, minimum=2)
        self.d = check_int("d", d, minimum=1)

    # what a network backbone must accept -------------------------------------------------
    @property
    @abc.abstractmethod
    def input_vocab(self) -> int | None:
        """Token ids in x_t range over [0, input_vocab); None when x_t is a (B, d, v) vector."""

    # the four operations -------------------------------------------------------------------
    @abc.abstractmethod
    def corrupt(self, x0: torch.Tensor, t: torch.Tensor, generator: torch.Generator):
        """Draw x_t ~ q(x_t | x0) for times t (B,)."""

    @abc.abstractmethod
    def loss(self, denoiser, x0: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Scalar training loss (nats per token) of a batch x0 (B, d)."""

    @abc.abstractmethod
    def sample(self, denoiser, count: int, seed, **options) -> np.ndarray:
        """`count` generated strings, an int64 array (count, d). Its keyword options (other than
        batch_size and return_stats) are measurement settings, `measure.sampler` in a run."""

    @classmethod
    def check_sampler(cls, options: dict) -> None:
        """One-line error for an invalid value of a `sample` option (checked before training);
        the base class's samplers have no options to check."""
        return None

    @abc.abstractmethod
    def nll_bound(self, denoiser, strings, seed, **options) -> np.ndarray:
        """Upper bound on -log p(x) in nats, one float per string."""

    @abc.abstractmethod
    def leaf_log_likelihood(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """log q(x_t,i | x0_i = c) up to a constant per leaf, (B, d, v): the evidence that the
        exact oracles condition on."""

    # oracles behind the denoiser interface ---------------------------------------------------
    def grammar_oracle(self, rhm):
        from slopscope.diffusion.oracles import GrammarOracle

        return GrammarOracle(self, rhm)

    def empirical_oracle(self, train_strings):
        from slopscope.diffusion.oracles import EmpiricalOracle

        return EmpiricalOracle(self, train_strings)

    # helpers -------------------------------------------------------------------------------
    def per_string(self, denoiser, strings, seed, batch_size: int, fn) -> np.ndarray:
        """Apply fn(batch (B, d) on the denoiser's device, generator) -> (B,) to `strings` in
        batches, without gradients; float64 numpy result."""
        x = self.check_strings(strings)
        device = device_of(denoiser)
        generator = make_generator(seed, device)
        with torch.no_grad():
            out = [fn(batch, generator) for batch in torch.split(x.to(device), batch_size)]
        return torch.cat(out).double().cpu().numpy() if out else np.zeros(0)

    def generate(self, denoiser, count, seed, batch_size: int, fn) -> np.ndarray:
        """Concatenate fn(size, generator) -> (size, d) token tensors over batches of `count`."""
        count = check_int("count", count, minimum=0)
        batch_size = check_int("batch_size", batch_size, minimum=1)
        generator = make_generator(seed, device_of(denoiser))
        with torch.no_grad():
            parts = [fn(min(batch_size, count - start), generator)
                     for start in range(0, count, batch_size)]
        return torch.cat(parts).cpu().numpy() if parts else np.zeros((0, self.d), dtype=np.int64)

    def check_strings(self, strings, name: str = "strings") -> torch.Tensor:
        """(B, d) int64 tensor of tokens in [0, v), or a one-line error."""
        if isinstance(strings, torch.Tensor):
            strings = strings.detach().cpu().numpy()
        arr = as_token_array(strings, self.d, self.v, name)
        return torch.from_numpy(arr.astype(np.int64))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(v={self.v}, d={self.d})"


def log_scores(denoiser, x_t: torch.Tensor, t: torch.Tensor, v: int) -> torch.Tensor:
    """Normalised log p(x0 | x_t) (B, d, v) from a denoiser's scores."""
    scores = denoiser(x_t, t)
    if scores.shape[-1] != v or scores.shape[:2] != x_t.shape[:2]:
        raise SlopscopeError(
            f"denoiser returned shape {tuple(scores.shape)}; allowed: (B, d, {v}) scores over x0"
        )
    logp = torch.log_softmax(scores.float(), dim=-1)
    # a row with no possible token (an oracle given impossible evidence) has probability 0
    return torch.where(torch.isnan(logp), torch.full_like(logp, -float("inf")), logp)
