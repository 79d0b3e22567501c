"""Checked command-line options (part of the command-line face): every integer option of every
command goes through `integer` (an argparse `type=` with a range, shown in --help by
`add_integer`), and every output directory through `output_dir`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

# bounds on counts of work, checked before any work (10**9 replicates or completions sat silent,
# then ran out of memory)
MAX_REPLICATES = 10_000  # calibration replicates per arm, counterfactual models
MAX_COMPLETIONS = 1000  # extraction-probe completions per string


def _range_text(name: str, minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{minimum}..{maximum}"
    if minimum is not None:
        return f">= {minimum}"
    return f"<= {maximum}" if maximum is not None else "any integer"


def integer(name: str, minimum: int | None = None, maximum: int | None = None):
    """An argparse `type=`: the text as an int within [minimum, maximum], else a one-line error
    naming it and the range ("workers=0 is too small; allowed: workers >= 1")."""
    def parse(text: str) -> int:
        value = int(text)  # a ValueError: argparse says "invalid int value: 'x'"
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(
                f"{name}={value} is too small; allowed: {name} >= {minimum}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(
                f"{name}={value} is too large; allowed: {name} <= {maximum}")
        return value

    parse.__name__ = "int"
    parse.range = _range_text(name, minimum, maximum)
    return parse


def integers(name: str, minimum: int | None = None, maximum: int | None = None):
    """An argparse `type=` for a comma-separated list of ints, each checked by `integer`."""
    one = integer(name, minimum, maximum)

    def parse(text: str) -> tuple[int, ...]:
        try:
            values = tuple(one(part) for part in text.split(",") if part.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: allowed a comma-separated list of "
                                             "int values, like 1,2") from None
        if not values:
            raise argparse.ArgumentTypeError(f"{text!r}: allowed a comma-separated list of "
                                             "int values, like 1,2")
        return values

    parse.__name__ = "int list"
    parse.range = one.range
    return parse


def add_integer(parser, flag: str, *, default, help: str, minimum: int | None = None,
                maximum: int | None = None, **kwargs) -> None:
    """`parser.add_argument(flag, type=integer(...))` with the default and the allowed range at
    the end of its help: "parallel runs (default 2; allowed >= 1)"."""
    name = kwargs.pop("dest", None) or flag.lstrip("-").replace("-", "_")
    kind = integer(name, minimum, maximum)
    shown = "" if default is None else f"default {default}; "
    parser.add_argument(flag, type=kind, default=default, dest=name,
                        help=f"{help} ({shown}allowed {kind.range})", **kwargs)


def output_dir(text: str) -> Path:
    """`_output_dir`, with a path the file system refuses (a component over 255 bytes) as a
    one-line error too."""
    try:
        return _output_dir(text)
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"{_cut(text)}: {exc.strerror}; allowed: a directory "
                                         "path whose every component is at most 255 bytes"
                                         ) from None


NAME_MAX, PATH_MAX = 255, 4096  # bytes in one path component, in a whole path (Linux)
PATH_ROOM = 600  # what a run directory's name and the files in it add to the path


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _output_dir(text: str) -> Path:
    """An argparse `type=` for a directory the command writes into (created when missing): a
    one-line error when it exists as a file, when it lies under a file, or when the nearest
    existing folder above it is not writable."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is empty (it would mean the current "
                                         "directory); allowed: a directory path, like runs")
    path = Path(text)
    longest = max(path.parts, key=lambda part: len(part.encode()), default="")
    if len(longest.encode()) > NAME_MAX:
        raise argparse.ArgumentTypeError(f"{_cut(text)}: the name {_cut(longest, 20)} is "
                                         f"{len(longest.encode())} bytes; allowed: a directory "
                                         f"path whose every component is at most {NAME_MAX} "
                                         "bytes")
    length = len(str(path.absolute()).encode())
    if length > PATH_MAX - PATH_ROOM:
        raise argparse.ArgumentTypeError(f"{_cut(text)}: {length} bytes as an absolute path; "
                                         f"allowed: at most {PATH_MAX - PATH_ROOM} bytes (the "
                                         "run directories and files inside need the rest of "
                                         f"the file system's {PATH_MAX})")
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} exists and is not a directory; allowed: a "
                                         "directory (created when missing)")
    existing = path.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"cannot create {text}: {existing} is not a directory;"
                                         " allowed: a directory (created when missing)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot write into {text}: {existing} is not "
                                         "writable; allowed: a writable directory")
    return path


def name_list(what: str, example: str):
    """An argparse `type=` for a comma-separated list of names (`what`, e.g. results-page row
    keys; checked against what is allowed by the command)."""
    def parse(text: str) -> tuple[str, ...]:
        keys = tuple(part.strip() for part in text.split(",") if part.strip())
        if not keys:
            raise argparse.ArgumentTypeError(f"{text!r}: allowed a comma-separated list of "
                                             f"{what}, like {example}")
        return keys
    return parse


row_list = name_list("row keys", "D-window,E1-window")
arm_list = name_list("calibration arms", "planted,atypical")
