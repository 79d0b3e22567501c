"""Typed configuration sections from plain data (TOML tables): `build` makes a dataclass from a
dict, with one-line errors naming the key's dotted path for unknown keys, wrong types and invalid
values."""

from __future__ import annotations

import dataclasses
import types
import typing

from slopscope.errors import SlopscopeError


def _type_ok(value, annotation) -> bool:
    origin = typing.get_origin(annotation)
    if annotation is typing.Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if origin is list:
        (item,) = typing.get_args(annotation)
        return isinstance(value, list) and all(_type_ok(x, item) for x in value)
    if origin is dict or annotation is dict:
        return isinstance(value, dict)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, annotation)


def _describe(annotation) -> str:
    text = str(annotation).replace("typing.", "")
    return text.replace("<class '", "").replace("'>", "")


def build(cls, data, path: str = ""):
    """An instance of dataclass `cls` from a dict, with one-line errors for unknown keys, wrong
    types and invalid values (the key's dotted path is named)."""
    if not isinstance(data, dict):
        raise SlopscopeError(
            f"'{path or 'config'}' = {data!r} has the wrong type; allowed: a table"
        )
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key not in names:
            raise SlopscopeError(f"unknown key '{where}'; allowed: {', '.join(names)}")
        annotation = hints[key]
        if hasattr(annotation, "from_table"):  # a section of its own making (findings)
            kwargs[key] = annotation.from_table(value, where)
            continue
        if dataclasses.is_dataclass(annotation):
            kwargs[key] = build(annotation, value, where)
            continue
        if not _type_ok(value, annotation):
            raise SlopscopeError(f"'{where}' = {value!r} has the wrong type; allowed: "
                                 f"{_describe(annotation)}")
        kwargs[key] = float(value) if annotation is float else value
    try:
        return cls(**kwargs)
    except SlopscopeError as exc:
        raise SlopscopeError(f"{path or 'config'}: {exc}") from None
