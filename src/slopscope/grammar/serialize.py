"""JSON form of a grammar (exact round trip, versioned)."""

from __future__ import annotations

import json

import numpy as np

from slopscope.errors import SlopscopeError

FORMAT = "slopscope.rhm"
VERSION = 1
_KEYS = ("format", "version", "v", "n", "rules", "probs", "root_probs")


def to_dict(g) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "v": g.v,
        "n": g.n,
        "m": g.m,
        "s": g.s,
        "L": g.L,
        "P_max": str(g.P_max) if g.P_max.bit_length() < 10_000 else hex(g.P_max),  # informative
        "origin": g.origin,
        "rules": [t.tolist() for t in g.rules],
        "probs": [p.tolist() for p in g.probs],
        "root_probs": g.root_probs.tolist(),
    }


def to_json(g) -> str:
    return json.dumps(to_dict(g), separators=(",", ":"))


def parse_json(text) -> dict:
    """Decode and check the envelope; returns the dict for RHM.from_rules."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise SlopscopeError(
            f"grammar JSON is malformed ({exc}); allowed: RHM.to_json() output"
        ) from None
    if not isinstance(data, dict):
        raise SlopscopeError(f"grammar JSON is a {type(data).__name__}; allowed: an object")
    missing = [key for key in _KEYS if key not in data]
    if missing:
        raise SlopscopeError(f"grammar JSON lacks key(s) {missing}; allowed: RHM.to_json() output")
    if data["format"] != FORMAT or data["version"] != VERSION:
        raise SlopscopeError(
            f"grammar JSON format {data['format']!r} version {data['version']!r}; "
            f"allowed: {FORMAT!r} version {VERSION}"
        )
    for key in ("rules", "probs"):
        if not isinstance(data[key], list):
            raise SlopscopeError(f"grammar JSON key {key!r} is not a list")
    try:
        data["rules"] = [np.array(t) for t in data["rules"]]
    except (TypeError, ValueError, OverflowError):
        raise SlopscopeError("grammar JSON 'rules' are not rectangular integer tables") from None
    return data
