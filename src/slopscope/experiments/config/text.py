"""Where configurations come from: presets by name, TOML files, and `key.sub=value` overrides
(values are TOML literals). Plain data only; experiments/config.py types and validates it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from slopscope.errors import SlopscopeError
from slopscope.experiments.presets import preset_names, preset_text


def read_toml(source: str) -> dict:
    """Parse a preset name or a TOML file path."""
    text = preset_text(source)
    if text is not None:
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
