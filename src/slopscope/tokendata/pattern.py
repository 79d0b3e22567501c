"""`data.pattern`: the regular expression every kept line must match in full. Python's `re`
backtracks, so a repeat nested inside an unbounded repeat (`(a+)+b`, `(a|aa)*c`, `(\\w*)*`) can take
exponential time on one long line and hang the run with no message; such patterns are refused
before any line is read (every pattern without one is matched in time linear in the line, up to
the alternation's width)."""

from __future__ import annotations

import re
from re import _parser as parser  # the standard library's own parse of a pattern

from slopscope.errors import SlopscopeError

_REPEATS = (parser.MAX_REPEAT, parser.MIN_REPEAT, parser.POSSESSIVE_REPEAT)


def _nested_repeat(items, inside_unbounded: bool) -> bool:
    """Whether the parsed pattern has a repeat of more than one inside a repeat without bound."""
    for op, arg in items:
        if op in _REPEATS:
            low, high, sub = arg
            if inside_unbounded and high != low:
                return True
            if _nested_repeat(sub, inside_unbounded or high == parser.MAXREPEAT):
                return True
        elif op in (parser.SUBPATTERN, parser.ATOMIC_GROUP):
            if _nested_repeat(arg[-1], inside_unbounded):
                return True
        elif op == parser.BRANCH:
            branches = arg[1]
            if inside_unbounded and len(branches) > 1:
                return True  # (a|aa)*: the same text splits many ways
            if any(_nested_repeat(b, inside_unbounded) for b in branches):
                return True
        elif op in (parser.ASSERT, parser.ASSERT_NOT):
            if _nested_repeat(arg[1], inside_unbounded):
                return True
    return False


def compile_pattern(pattern: str) -> re.Pattern | None:
    """The compiled `data.pattern` (None when empty), or a one-line error: not a regular
    expression, or one whose matching time can explode."""
    if not pattern:
        return None
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise SlopscopeError(f"data.pattern={pattern!r} is not a regular expression: {exc}") \
            from None
    if _nested_repeat(parser.parse(pattern), False):
        raise SlopscopeError(
            f"data.pattern={pattern!r} puts a repeat or an alternation inside an unbounded "
            "repeat (as in (a+)+ or (a|aa)*), whose matching time can grow exponentially with "
            "the line; allowed: patterns without one, e.g. [a-z]+ or (ab)+ or (a|b)+ written "
            "as [ab]+")
    return compiled
