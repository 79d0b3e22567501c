"""A SIGKILL of `slopscope run` during training, or during measurement, followed by the same
command again, gives a run directory bit-identical to an uninterrupted run: checkpoints,
generations, measurements, tables, config.json and summary.json (the report differs only in its
SVG ids, and done.json in its wall time). Slow (three runs in subprocesses): `pytest -m slow`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ["train.steps=600", "train.checkpoints=6", "train.first_checkpoint=20",
          "train.batch_size=32", "train.device=cpu", "model.options.width=32",
          "model.options.heads=2", "model.options.layers=2", "measure.generations=2000",
          "data.train=64", "data.test=64"]
SKIPPED = {"done.json"}  # wall time


def _command(runs: Path) -> list[str]:
    return [sys.executable, "-m", "slopscope.cli", "run", "--quiet", "--runs-dir", str(runs),
            "demo", *CONFIG]


def _env() -> dict:
    return dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))


def _run(runs: Path) -> Path:
    subprocess.run(_command(runs), env=_env(), cwd=ROOT, check=True, timeout=900,
                   stdout=subprocess.DEVNULL)
    (run_dir,) = runs.iterdir()
    return run_dir


def _kill_when(runs: Path, ready, what: str) -> None:
    proc = subprocess.Popen(_command(runs), env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.time() + 600
    while proc.poll() is None and time.time() < deadline:
        found = list(runs.glob("*"))
        if found and ready(found[0]):
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"the run finished before it could be killed {what}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def _files(run_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in sorted(run_dir.rglob("*"))
            if p.is_file() and not p.name.startswith(".") and p.name not in SKIPPED
            and p.relative_to(run_dir).parts[0] != "report"}


def _count(path: Path, pattern: str) -> int:
    return len(list(path.glob(pattern))) if path.exists() else 0


@pytest.mark.slow
def test_a_sigkill_in_training_or_in_measurement_then_a_rerun_is_bit_identical(tmp_path):
    reference = _files(_run(tmp_path / "reference"))
    assert sum(k.startswith("checkpoints/") and k.endswith(".safetensors") for k in reference) >= 5
    assert {"summary.json", "config.json", "tables/checkpoints.parquet"} <= set(reference)

    def in_training(run_dir):  # some checkpoints written, training not finished
        return _count(run_dir / "checkpoints", "ckpt-*.json") >= 2

    def in_measurement(run_dir):  # some checkpoints measured, not all
        return _count(run_dir / "measurements", "step-*.json") >= 1

    for what, ready in (("in training", in_training), ("in measurement", in_measurement)):
        runs = tmp_path / what.replace(" ", "-")
        _kill_when(runs, ready, what)
        (run_dir,) = runs.iterdir()
        assert not (run_dir / "done.json").exists() and not (run_dir / "summary.json").exists()
        if what == "in training":
            assert _count(run_dir / "measurements", "step-*.json") == 0
            assert _count(run_dir / "checkpoints", "ckpt-*.json") < 6
        else:  # killed between the first and the last checkpoint's measurements
            assert 1 <= _count(run_dir / "measurements", "step-*.json") < 6
            assert _count(run_dir / "checkpoints", "ckpt-*.json") == 6
        assert _run(runs) == run_dir
        again = _files(run_dir)
        assert sorted(again) == sorted(reference), what
        different = [name for name in reference if again[name] != reference[name]]
        assert different == [], f"killed {what}: {different}"
