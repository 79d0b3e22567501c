"""Writing TOML (Python reads it with tomllib but cannot write it): values for overrides and
sweep files, and whole configurations for people to read and reuse."""

from __future__ import annotations

import datetime
import json
import math


def toml_value(value) -> str:
    """One TOML literal: strings, numbers, booleans, lists and inline tables."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()
                               if v is not None) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (datetime.date, datetime.time)):  # TOML dates and times
        return value.isoformat()
    return json.dumps(value)


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else _string(key)


def to_toml(data: dict, prefix: str = "") -> str:
    """A nested dict as a TOML document: scalars first, then one [table] per sub-dict. TOML has
    no null: a None value is written as a comment (`# key = (not set)`), so that reading the
    text back with tomllib gives the same dict without those keys."""
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict) and value:
            tables.append((key, value))
        elif value is None:
            lines.append(f"# {_key(key)} = (not set)")
        else:
            lines.append(f"{_key(key)} = {toml_value(value)}")
    for key, value in tables:
        name = f"{prefix}{_key(key)}"
        lines += ["", f"[{name}]", to_toml(value, f"{name}.")]
    return "\n".join(lines).strip("\n")
