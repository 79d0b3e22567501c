"""The shipped presets, found from the files here: each `<stem>.toml` is a run preset, named by
its stem and by the `name` it sets (e.g. `e2` and `e2-prototypical`); `sweeps/<stem>.toml` are
the sweep presets; `calibrations/<name>.json` the calibrations shipped for a preset."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from pathlib import Path


def _folder(package: str = __name__):
    return resources.files(package)


@functools.cache
def _run_presets() -> dict[str, str]:
    """{name or alias: stem} of every run preset."""
    out = {}
    for entry in sorted(_folder().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            stem = entry.name[: -len(".toml")]
            out[stem] = stem
            name = tomllib.loads(entry.read_text()).get("name")
            if isinstance(name, str):
                out.setdefault(name, stem)
    return out


def preset_names() -> list[str]:
    """The run presets by stem."""
    return sorted(set(_run_presets().values()))


def preset_text(name: str) -> str | None:
    """The TOML text of the run preset called `name` (its stem or its `name`), or None."""
    stem = _run_presets().get(name)
    return None if stem is None else _folder().joinpath(f"{stem}.toml").read_text()


@functools.cache
def sweep_preset_names() -> tuple[str, ...]:
    return tuple(sorted(e.name[: -len(".toml")] for e in _folder(f"{__name__}.sweeps").iterdir()
                        if e.name.endswith(".toml")))


def sweep_preset_text(name: str) -> str | None:
    if name not in sweep_preset_names():
        return None
    return _folder(f"{__name__}.sweeps").joinpath(f"{name}.toml").read_text()


def shipped_calibration(name: str) -> Path | None:
    """The calibration shipped for the configuration called `name`, if any."""
    path = Path(str(_folder())) / "calibrations" / f"{name}.json"
    return path if path.exists() else None
