"""The Random Hierarchy Model (Cagnetta et al., PRX 2024), exact and vectorised."""

from slopscope.grammar.rhm import RHM
from slopscope.grammar.trees import ParseResult, Trees

__all__ = ["RHM", "ParseResult", "Trees"]
