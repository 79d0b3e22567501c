"""The sampler registry: each diffusion family's samplers, registered by name.

A sampler is a function `fn(family, denoiser, x, generator, stats, **options) -> x` that takes a
batch x (B, d) of partly noised strings to clean ones (it may work in place), drawing all its
randomness from `generator` and adding its costs to the `stats` dict. It is registered under a
family's name, and the family looks it up by name when it samples:

    @register_sampler("masked", "grid")
    def grid(family, denoiser, x, generator, stats, steps, skip): ...

    list_samplers("masked")           # ['grid', 'one-per-step'] (a family object works too)
    get_sampler("masked", "grid")     # the function; an unknown name is a one-line error
"""

from __future__ import annotations

from collections.abc import Callable

from slopscope.errors import SlopscopeError

# family name -> sampler name -> sampler function
SAMPLERS: dict[str, dict[str, Callable]] = {}


def _family_name(family) -> str:
    """A family's registry key: its name, given the name, the class or an instance."""
    return family if isinstance(family, str) else family.name


def register_sampler(family, name: str) -> Callable[[Callable], Callable]:
    """Decorator registering a sampler function as `name` for `family` (name, class or
    instance); registering a name twice for one family is an error."""
    key = _family_name(family)

    def decorate(fn: Callable) -> Callable:
        table = SAMPLERS.setdefault(key, {})
        if name in table:
            raise SlopscopeError(f"sampler {name!r} is already registered for family {key!r}")
        table[name] = fn
        return fn

    return decorate


def list_samplers(family) -> list[str]:
    """The names of the samplers registered for `family` (name, class or instance), sorted."""
    return sorted(SAMPLERS.get(_family_name(family), {}))


def get_sampler(family, name: str) -> Callable:
    """The sampler `name` of `family`, or a one-line error naming the allowed ones."""
    key = _family_name(family)
    table = SAMPLERS.get(key, {})
    if name not in table:
        allowed = ", ".join(list_samplers(key)) or "none"
        raise SlopscopeError(f"sampler={name!r} for family {key!r}; allowed: {allowed}")
    return table[name]
