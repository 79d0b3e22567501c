"""Where configurations come from: presets by name, TOML files, and `key.sub=value` overrides
(values are TOML literals). Plain data only; experiments/config.py types and validates it."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

from slopscope.errors import SlopscopeError

PRESET_ALIASES = {
    "demo": "demo",
    "e1": "e1", "e1-scaling": "e1",
    "e2": "e2", "e2-prototypical": "e2",
    "e3": "e3", "e3-fat-tails": "e3",
    "e4": "e4", "e4-tail-level": "e4",
    "e5": "e5", "e5-slop": "e5",
    "words": "words", "english-words": "words",
    "counterfactual": "counterfactual", "counterfactual-e2": "counterfactual",
    **{f"e{i}-gpu": f"e{i}-gpu" for i in range(1, 6)},
}


def preset_names() -> list[str]:
    return sorted(set(PRESET_ALIASES.values()))


def read_toml(source: str) -> dict:
    """Parse a preset name or a TOML file path."""
    if source in PRESET_ALIASES:
        text = resources.files("slopscope.experiments.presets").joinpath(
            f"{PRESET_ALIASES[source]}.toml").read_text()
        origin = f"preset {source}"
    else:
        path = Path(source)
        if not path.is_file():
            raise SlopscopeError(f"{source!r} is neither a preset ({', '.join(preset_names())}) "
                                 "nor a TOML file")
        text, origin = path.read_text(), str(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SlopscopeError(f"{origin} is not valid TOML: {exc}") from None


def parse_override(text: str) -> tuple[list[str], object]:
    """'train.steps=5000' -> (['train', 'steps'], 5000); values are TOML literals, else strings."""
    if "=" not in text:
        raise SlopscopeError(f"override {text!r} must look like key.sub=value")
    key, raw = text.split("=", 1)
    parts = [p.strip() for p in key.split(".")]
    if not all(parts):
        raise SlopscopeError(f"override {text!r} has an empty key part")
    try:
        value = tomllib.loads(f"value = {raw.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return parts, value


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    data = json.loads(json.dumps(data))  # deep copy of plain data
    for text in overrides:
        parts, value = parse_override(text)
        node = data
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise SlopscopeError(f"override {text!r}: {part!r} is not a table")
        node[parts[-1]] = value
    return data
