"""The `[findings]` section: the verdict settings, each key owned by one registered finding
(`Finding.settings` in slopscope.verdicts), composed into one section with flat keys."""

from __future__ import annotations

import dataclasses

from slopscope.errors import SlopscopeError
from slopscope.experiments.config.typed import build
from slopscope.verdicts import findings, settings_keys


class FindingsConfig:
    """The verdict settings, fixed in advance; like the measure settings they are not part of a
    run's identity. Flat `findings.*` keys, each owned by one registered finding (its
    `Finding.settings` dataclass in slopscope.verdicts): read as `config.findings.a_time`."""

    def __init__(self, **values):
        owner = {key: found for found in findings() for key in settings_keys(found)}
        for key in values:
            if key not in owner:
                raise SlopscopeError(f"unknown key 'findings.{key}'; allowed: "
                                     f"{', '.join(owner)}")
        self._parts = {}
        for found in findings():
            if found.settings is not None:
                mine = {k: v for k, v in values.items() if owner[k] is found}
                self._parts[found.name] = found.settings(**mine)

    @classmethod
    def from_table(cls, data, path: str = "findings") -> FindingsConfig:
        """From a TOML table, with the one-line errors of `build` (types, unknown keys)."""
        if not isinstance(data, dict):
            raise SlopscopeError(f"'{path}' = {data!r} has the wrong type; allowed: a table")
        owner = {key: found for found in findings() for key in settings_keys(found)}
        for key in data:
            if key not in owner:
                raise SlopscopeError(f"unknown key '{path}.{key}'; allowed: {', '.join(owner)}")
        parts = {found.name: build(found.settings, {k: v for k, v in data.items()
                                                    if owner[k] is found}, path)
                 for found in findings() if found.settings is not None}
        out = cls.__new__(cls)
        out._parts = parts
        return out

    def __getattr__(self, key):
        for part in self.__dict__.get("_parts", {}).values():
            if key in {f.name for f in dataclasses.fields(part)}:
                return getattr(part, key)
        raise AttributeError(key)

    def parts(self) -> list:
        """Each finding's settings object."""
        return list(self._parts.values())

    def to_dict(self) -> dict:
        out = {}
        for part in self._parts.values():
            values = dataclasses.asdict(part)
            for key in getattr(part, "OMITTED_WHEN_DEFAULT", ()):
                if values[key] == getattr(type(part), key):
                    del values[key]
            out.update(values)
        return out

    def __eq__(self, other):
        return isinstance(other, FindingsConfig) and self._parts == other._parts

    def __hash__(self):
        return hash(tuple(self._parts.items()))

    def __repr__(self):
        return f"FindingsConfig({', '.join(f'{k}={v!r}' for k, v in self.to_dict().items())})"
