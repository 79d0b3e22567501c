"""slopscope: measure which training samples a diffusion model memorizes, when, and why."""

from slopscope.errors import SlopscopeError

__all__ = ["RHM", "SlopscopeError"]
__version__ = "0.1.0"


def __getattr__(name: str):
    """`slopscope.RHM` is imported on first use (so that reading a run directory, e.g. building
    its report, does not load the grammar machinery)."""
    if name == "RHM":
        from slopscope.grammar import RHM

        return RHM
    raise AttributeError(f"module 'slopscope' has no attribute {name!r}")
