"""Where configurations come from: presets by name, TOML files, and `key.sub=value` overrides
(values are TOML literals). Plain data only; experiments/config.py types and validates it."""

from __future__ import annotations

import copy
import re
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
        origin = str(path)
        text = read_text_file(path, "TOML file")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SlopscopeError(f"{origin} is not valid TOML: {exc}") from None


_KEY_PART = re.compile(r"[A-Za-z0-9_-]+")


def read_text_file(path, what: str) -> str:
    """The text of a UTF-8 file, or a one-line error naming the file (unreadable, not UTF-8)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SlopscopeError(f"cannot read {what} {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SlopscopeError(f"{what} {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                             f"offset {exc.start}); allowed: a UTF-8 text file") from None


def parse_override(text: str) -> tuple[list[str], object]:
    """'train.steps=5000' -> (['train', 'steps'], 5000): one dotted key (parts of letters,
    digits, '_' and '-'), '=', and one TOML value (a string when it is not TOML); no newline or
    other control character, so one override sets exactly one key."""
    if not isinstance(text, str):
        raise SlopscopeError(f"override {text!r} must be a string like key.sub=value")
    bad = next((c for c in text if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise SlopscopeError(f"override {text!r} holds the control character {bad!r}; allowed: "
                             "one key.sub=value on one line")
    if "=" not in text:
        raise SlopscopeError(f"override {text!r} must look like key.sub=value")
    key, raw = text.split("=", 1)
    parts = [p.strip() for p in key.split(".")]
    if not all(parts):
        raise SlopscopeError(f"override {text!r} has an empty key part")
    for part in parts:
        if not _KEY_PART.fullmatch(part):
            raise SlopscopeError(f"override {text!r} has the key part {part!r}; allowed: "
                                 "letters, digits, '_' and '-'")
    raw = raw.strip()
    try:
        parsed = tomllib.loads(f"value = {raw}")
    except tomllib.TOMLDecodeError:
        return parts, raw
    if set(parsed) != {"value"}:  # unreachable without a newline; kept as the rule itself
        raise SlopscopeError(f"override {text!r} sets more than one key; allowed: one "
                             "key.sub=value")
    return parts, parsed["value"]


def _set(node: dict, key: str, value) -> None:
    """node[key] = value, where a table value merges into a table there key by key (so that
    `train={steps=30}` sets train.steps and keeps the rest of [train])."""
    if isinstance(value, dict) and isinstance(node.get(key), dict):
        for sub, item in value.items():
            _set(node[key], sub, item)
    else:
        node[key] = value


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    data = copy.deepcopy(data)  # plain data (TOML dates and times included)
    for text in overrides:
        parts, value = parse_override(text)
        node = data
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise SlopscopeError(f"override {text!r}: {part!r} is not a table")
        _set(node, parts[-1], value)
    return data
