"""Remake the figures in docs/ from the commands in docs/figures.toml and stamp each PNG with
those commands and the commit that made it.

    python docs/figures.py                 # every figure (about 30 min on 2 cores)
    python docs/figures.py probe_extraction membership_inference
    SLOPSCOPE_DOCS_RUNS=DIR python docs/figures.py   # keep the runs in DIR (else a temporary
                                                     # folder, removed at the end)

A command runs once even when several figures need it (a run is found again by its hash)."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

DOCS = Path(__file__).resolve().parent
COMMAND_KEY, COMMIT_KEY = "slopscope-commands", "slopscope-commit"


def manifest() -> dict:
    with open(DOCS / "figures.toml", "rb") as f:
        return tomllib.load(f)


def commit() -> str:
    """HEAD, with "+dirty" when the working tree differs from it."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=DOCS, capture_output=True,
                          text=True, check=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=DOCS,
                           capture_output=True, text=True, check=True).stdout.strip()
    return head + ("+dirty" if dirty else "")


def stamp(source: Path, target: Path, commands: list[str], made_at: str) -> None:
    info = PngInfo()
    info.add_text(COMMAND_KEY, " && ".join(commands))
    info.add_text(COMMIT_KEY, made_at)
    with Image.open(source) as image:
        image.save(target, pnginfo=info)


def main(names: list[str]) -> None:
    figures = manifest()
    unknown = [name for name in names if name not in figures]
    if unknown:
        sys.exit(f"unknown figure {', '.join(unknown)}; allowed: {', '.join(figures)}")
    made_at = commit()
    keep = os.environ.get("SLOPSCOPE_DOCS_RUNS")
    runs = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="slopscope-docs-"))
    env = dict(os.environ, OMP_NUM_THREADS="1",  # this Python's slopscope first
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    done: set[str] = set()
    for name in names or list(figures):
        entry = figures[name]
        for command in entry["commands"]:
            line = command.format(runs=runs)
            if line not in done:
                print(f"{name}: {line}", flush=True)
                subprocess.run(line, shell=True, check=True, env=env)
                done.add(line)
        found = sorted(glob.glob(str(runs / entry["figure"]), recursive=True))
        if len(found) != 1:
            sys.exit(f"{name}: expected one figure at {entry['figure']}, found {len(found)}")
        stamp(Path(found[0]), DOCS / f"{name}.png", entry["commands"], made_at)
        print(f"{name}: docs/{name}.png", flush=True)
    if not keep:
        shutil.rmtree(runs)


if __name__ == "__main__":
    main(sys.argv[1:])
