"""Files on disk: atomic writes (temp file + rename) and safe loads (no pickle)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from slopscope.errors import SlopscopeError

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once at import: the process's umask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` so that readers see either the old file or the whole new one."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        folder = next(p for p in (path.parent, *path.parent.parents) if p.exists())
        raise SlopscopeError(f"{folder} is a file where a folder is needed (to write "
                             f"{path.name}); allowed: remove or rename it, then run the command "
                             "again") from None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def _finite(obj):
    """NaN and infinities become null (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, (float, np.floating)) and not np.isfinite(obj):
        return None
    return obj


def write_json(path, obj) -> Path:
    text = json.dumps(_finite(obj), indent=2, sort_keys=True, default=_jsonable)
    return atomic_write_text(path, text + "\n")


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def array_bytes(array: np.ndarray) -> bytes:
    """The .npy file of an array, as bytes (no pickle)."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def save_array(path, array: np.ndarray) -> Path:
    return atomic_write_bytes(path, array_bytes(array))


def load_array(path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise SlopscopeError(f"cannot read array file {path}: {exc}") from None


def save_dataset(directory, grammar, split, summary: dict) -> Path:
    """A self-describing data directory: grammar.json, train.npy, test.npy, summary.json."""
    directory = Path(directory)
    atomic_write_text(directory / "grammar.json", grammar.to_json())
    save_array(directory / "train.npy", split.train)
    save_array(directory / "test.npy", split.test)
    write_json(directory / "summary.json", summary)
    return directory


# ---- run directories and tables -------------------------------------------------------------


def write_table(path, columns: dict) -> Path:
    """Write a Parquet table (dict of equal-length columns) atomically. A float column without a
    single number (all NaN: not available, e.g. grammar-only figures of token data) is written
    as nulls, never as numbers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def column(values):
        if isinstance(values, list):
            return values
        values = np.asarray(values)
        missing = (np.isnan(values).all() if values.dtype.kind == "f" else
                   values.dtype == object and all(v is None for v in values))
        if values.size and missing:
            return pa.nulls(values.size, pa.float64())
        return values

    table = pa.table({k: column(v) for k, v in columns.items()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return atomic_write_bytes(path, sink.getvalue().to_pybytes())


# the columns that readers of slopscope's own tables rely on, by file name (their writers:
# experiments/run/tables.py for a run's tables/, experiments/sweeps/sweep.py for a sweep's index)
REQUIRED_COLUMNS = {  # "<folder>/<file>" of a run's tables; a sweep's index by its file name
    "tables/checkpoints.parquet": ("step",),
    "tables/blocks.parquet": ("step", "unit", "size"),
    "tables/strings.parquet": ("step", "split", "index", "count"),
    "tables/typicality.parquet": ("split", "index", "t1"),
    "tables/times.parquet": ("split", "index", "generation_time"),
    "tables/quintiles.parquet": ("split", "quintile", "size", "step", "fraction", "low", "high"),
    "tables/neighbours.parquet": ("step", "distance", "fraction"),
    "index.parquet": ("run_dir",),
}


def run_tables(run_dir) -> Path:
    """A run's tables/ folder; one line when a file stands where it should be."""
    tables = Path(run_dir) / "tables"
    if tables.exists() and not tables.is_dir():
        raise SlopscopeError(f"{tables} is a file where a folder is needed; allowed: remove it, "
                             f"then rebuild the tables: slopscope measure {run_dir}")
    return tables


def _rebuild(path: Path) -> str:
    """How to remake one of slopscope's tables."""
    if path.name == "index.parquet":
        return "run the same sweep command again (finished runs are kept)"
    if path.parent.name == "tables":
        return f"rebuild the run's tables: slopscope measure {path.parent.parent}"
    return "make it again with the command that wrote it"


def read_table(path):
    """A Parquet table as a pyarrow Table (pandas/polars/DuckDB read the same files); one of
    slopscope's own tables must have the columns its readers rely on (REQUIRED_COLUMNS)."""
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise SlopscopeError(f"cannot read table {path}: {exc}; allowed: {_rebuild(path)}"
                             ) from None
    required = REQUIRED_COLUMNS.get(f"{path.parent.name}/{path.name}",
                                    REQUIRED_COLUMNS.get(path.name, ()))
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise SlopscopeError(f"{path} lacks the column{'s' * (len(missing) > 1)} "
                             f"{', '.join(missing)} (damaged, or written by another program); "
                             f"allowed: {_rebuild(path)}")
    return table


def read_columns(path) -> dict:
    """A Parquet table as {column: NumPy array}."""
    data = read_table(path)
    return {name: data.column(name).to_numpy(zero_copy_only=False)
            for name in data.column_names}


def file_digest(path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def calibration_path(runs_dir, name: str) -> Path:
    """Where `slopscope calibrate` saves the calibration of a configuration or sweep `name`."""
    return Path(runs_dir) / "calibration" / f"{name}.json"


def sweep_name(sweep_dir) -> str:
    """The name of a sweep directory runs/sweeps/<name>-<hash>."""
    return Path(sweep_dir).name.rsplit("-", 1)[0]


def read_json(path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise SlopscopeError(f"cannot read {path}: {exc}") from None
