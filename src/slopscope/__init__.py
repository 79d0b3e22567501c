"""slopscope: measure which training samples a diffusion model memorizes, when, and why."""

from slopscope.errors import SlopscopeError
from slopscope.grammar import RHM

__all__ = ["RHM", "SlopscopeError"]
__version__ = "0.1.0"
