"""Interchangeable sweep executors: each runs `run_job(base, job, runs_dir)` for every job and
returns one status row per job ({"job", "run_dir", "error"}). Ray and SLURM (through submitit)
are optional extras: `pip install 'slopscope[cluster]'`."""

from __future__ import annotations

import dataclasses
import inspect
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from slopscope.errors import SlopscopeError, check_int
from slopscope.threads import use_threads


def single_thread() -> None:
    """One torch and one numba thread per worker process (one process per core)."""
    use_threads(1)


def local_worker(parent: int) -> None:
    """Initializer of a local worker: exit when the process `parent` that started it is gone
    (a killed `slopscope sweep` or `reproduce` must not leave its workers running), and one
    thread."""
    def watch():
        while os.getppid() == parent:
            time.sleep(2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    single_thread()


def run_job(base: str, job, runs_dir: str) -> str:
    """Run one sweep job wherever the executor put it; returns the run directory."""
    from slopscope.experiments.config.schema import load_config
    from slopscope.experiments.run.runner import run_experiment

    config = load_config(base, list(job.overrides))
    return str(run_experiment(config, job.seed, runs_dir, progress=False))


def run_job_single_thread(base: str, job, runs_dir: str) -> str:
    single_thread()
    return run_job(base, job, runs_dir)


def _row(job, run_dir, error, report) -> dict:
    label = ", ".join(f"{k}={v}" for k, v in job.point) or "base"
    report(f"{'FAILED' if error else 'done  '} {label} seed={job.seed}: {error or run_dir}")
    return {"job": job, "run_dir": run_dir, "error": error}


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc) else ''}"


def run_local(base, jobs, runs_dir, workers: int, report=print, **_) -> list[dict]:
    """Local processes (spawned), `workers` at a time."""
    check_int("workers", workers, minimum=1)
    rows = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=local_worker, initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(run_job, base, job, str(runs_dir)): job for job in jobs}
        for future in as_completed(futures):
            try:
                run_dir, error = future.result(), None
            except Exception as exc:  # noqa: BLE001 - a failed run is reported, not fatal
                run_dir, error = None, _describe(exc)
            rows.append(_row(futures[future], run_dir, error, report))
    return rows


def run_ray(base, jobs, runs_dir, workers: int, report=print, address: str | None = None,
            **_) -> list[dict]:
    """A Ray cluster (`address`), or a local one with `workers` CPUs; one CPU per run."""
    check_int("workers", workers, minimum=1)
    try:
        import ray
    except ImportError:
        raise SlopscopeError("executor 'ray' needs Ray: pip install 'slopscope[cluster]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else workers,
                 include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_job_single_thread)
        refs = {remote.remote(base, job, str(Path(runs_dir).resolve())): job for job in jobs}
        rows = []
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                run_dir, error = ray.get(done[0]), None
            except Exception as exc:  # noqa: BLE001
                run_dir, error = None, _describe(getattr(exc, "cause", None) or exc)
            rows.append(_row(refs[done[0]], run_dir, error, report))
        return rows
    finally:
        if started:
            ray.shutdown()


def run_slurm(base, jobs, runs_dir, workers: int, report=print, cluster: str | None = None,
              partition: str | None = None, timeout_min: int = 60, **_) -> list[dict]:
    """A SLURM job array through submitit (cluster="local" runs it as local subprocesses, which
    is how the tests exercise it)."""
    check_int("workers", workers, minimum=1)
    try:
        import submitit
    except ImportError:
        raise SlopscopeError(
            "executor 'slurm' needs submitit: pip install 'slopscope[cluster]'") from None
    folder = Path(runs_dir).resolve() / "submitit" / "%j"
    executor = submitit.AutoExecutor(folder=folder, cluster=cluster)
    if cluster is None and executor.cluster != "slurm":  # submitit would run them here instead
        raise SlopscopeError("executor 'slurm' found no SLURM on this machine (no sbatch on "
                             "PATH); allowed: run it on a SLURM login node, or use --executor "
                             "local or ray")
    params = {"timeout_min": timeout_min, "cpus_per_task": 1, "slurm_array_parallelism": workers}
    if partition:
        params["slurm_partition"] = partition
    executor.update_parameters(**params)
    absolute = str(Path(runs_dir).resolve())
    submitted = executor.map_array(run_job_single_thread, [base] * len(jobs), jobs,
                                   [absolute] * len(jobs))
    rows = []
    for job, handle in zip(jobs, submitted, strict=True):
        try:
            run_dir, error = handle.result(), None
        except Exception as exc:  # noqa: BLE001
            run_dir, error = None, _describe(exc)
        rows.append(_row(job, run_dir, error, report))
    return rows


EXECUTORS = {"local": run_local, "ray": run_ray, "slurm": run_slurm}
_NOT_OPTIONS = ("base", "jobs", "runs_dir", "workers", "report")


@dataclass(frozen=True)
class ExecutorOption:
    """An executor's option as the command line offers it (`--<name with dashes>`)."""

    name: str  # a keyword parameter of the executor's function
    executor: str
    help: str
    type: type = str


# what the command line offers; an executor may take more (run_slurm's `cluster`, for tests)
EXECUTOR_OPTIONS = (
    ExecutorOption("address", "ray", "Ray cluster address (executor ray)"),
    ExecutorOption("partition", "slurm", "SLURM partition (executor slurm)"),
    ExecutorOption("timeout_min", "slurm", "SLURM time limit per run, in minutes (default 60)",
                   int),
)


def executor_parameters(name: str) -> list[str]:
    """The keyword options the executor `name` takes (from its function's signature)."""
    params = inspect.signature(EXECUTORS[name]).parameters.values()
    return [p.name for p in params
            if p.name not in _NOT_OPTIONS and p.kind is not inspect.Parameter.VAR_KEYWORD]


@dataclass(frozen=True)
class Execution:
    """How a command's runs execute, built once (the CLI builds it) and passed down whole: the
    runs directory, how many runs at once, the executor (EXECUTORS) and its options."""

    runs_dir: Path = Path("runs")
    workers: int | None = None  # None: the command's default (a sweep file's workers, else 2)
    executor: str = "local"
    options: dict = field(default_factory=dict)  # the executor's keyword options

    def __post_init__(self):
        if self.executor not in EXECUTORS:
            raise SlopscopeError(f"executor={self.executor!r}; allowed: {', '.join(EXECUTORS)}")
        if self.workers is not None:
            check_int("workers", self.workers, minimum=1)
        allowed = executor_parameters(self.executor)
        for key in self.options:
            if key not in allowed:
                raise SlopscopeError(f"executor option {key!r} for executor {self.executor!r}; "
                                     f"allowed: {', '.join(allowed) or 'none'}")
        object.__setattr__(self, "runs_dir", Path(self.runs_dir))

    @classmethod
    def given(cls, runs_dir="runs", workers: int | None = None, executor: str = "local",
              **options) -> Execution:
        """From command-line values: the chosen executor's options that are set (not None)
        are kept, the others' dropped."""
        keep = executor_parameters(executor) if executor in EXECUTORS else []
        return cls(Path(runs_dir), workers, executor,
                   {k: v for k, v in options.items() if k in keep and v is not None})

    def under(self, runs_dir) -> Execution:
        """The same execution, its runs saved under `runs_dir`."""
        return dataclasses.replace(self, runs_dir=Path(runs_dir))

    def workers_or(self, default: int) -> int:
        return self.workers or default

    def run(self, base: str, jobs, report=print, default_workers: int = 2) -> list[dict]:
        """Run the jobs; one status row per job (see the executors)."""
        return EXECUTORS[self.executor](base, jobs, self.runs_dir,
                                        self.workers_or(default_workers), report=report,
                                        **self.options)
