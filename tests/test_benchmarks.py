"""The benchmark scripts that must run where no GPU is: the GPU script in its CI-sized mode on
CPU, and the load benchmark on a tiny run (its figures are the script's, not timed here)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

from slopscope.threads import DEFAULT_THREADS, use_threads

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def benchmark(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    yield lambda name: importlib.import_module(name)
    use_threads(DEFAULT_THREADS)


def test_the_gpu_script_runs_on_cpu_and_two_thread_counts_give_the_same_verdicts(benchmark):
    figures = benchmark("gpu").main(["--device", "cpu", "--tiny"])
    assert figures["steps_per_s"] > 0 and figures["strings_per_s"] > 0
    assert 0 < figures["mfu"] < 1.5  # FLOPs counted and timed on the same steps
    assert figures["parameters"] > 0
    assert set(figures["agreement"]) == {"A", "D"} and all(figures["agreement"].values())


def test_agreement_needs_the_same_words_and_statistics_within_an_interval(benchmark):
    agree = benchmark("gpu").agree
    assert agree(("holds", 0.10, 0.05, 0.15), ("holds", 0.13, 0.06, 0.20))
    assert not agree(("holds", 0.10, 0.05, 0.15), ("not shown", 0.10, -0.05, 0.25))
    assert not agree(("holds", 0.10, 0.08, 0.12), ("holds", 0.20, 0.18, 0.22))
    assert agree(("not measurable", None, None, None), ("not measurable", None, None, None))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/status").exists() and "zombie" not in Path(
        f"/proc/{pid}/status").read_text()


def test_the_busy_process_of_the_load_benchmark_stops_with_it(benchmark, monkeypatch):
    load = benchmark("load")
    started = []
    popen = load.subprocess.Popen

    def recording(*args, **kwargs):
        process = popen(*args, **kwargs)
        started.append(process.pid)
        return process

    monkeypatch.setattr(load.subprocess, "Popen", recording)
    with pytest.raises(KeyboardInterrupt), load.busy_process():
        assert _running(started[0])
        raise KeyboardInterrupt  # an interrupted benchmark leaves no spinning process behind
    assert not _running(started[0])


@pytest.mark.slow  # five `slopscope run` processes: 36 s
def test_the_load_benchmark_prints_both_times_and_their_ratio(benchmark, capsys):
    tiny = ["train.steps=4", "train.checkpoints=1", "train.first_checkpoint=4",
            "measure.generations=20", "measure.likelihood=false"]
    figures = benchmark("load").main(["--threads", "1", "--overrides", *tiny])
    alone, beside, ratio = figures[1]
    assert alone > 0 and beside > 0 and ratio == pytest.approx(beside / alone)
    assert f"{ratio:6.2f}" in capsys.readouterr().out
