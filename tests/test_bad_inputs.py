"""Every bad input we know of, through the command line: exit code 2 and one line on stderr,
`slopscope: error: ...`, naming the bad value, before anything is trained, and nothing written
outside the runs directory.

The cases are data: tests/bad_inputs.toml (one [[case]] per input: argv, the error fragment and
the small files it needs). Files that take code to make are made below (MADE).
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from safetensors.torch import load_file, save_file

from slopscope.checkpoints import SIDECAR_HASH, sidecar_digest
from slopscope.cli import main
from slopscope.experiments.config.schema import load_config
from slopscope.experiments.run import runner
from slopscope.experiments.run.runner import run_experiment
from slopscope.experiments.sweeps import executors
from slopscope.store import file_digest
from slopscope.tokendata import files

TABLE = Path(__file__).with_name("bad_inputs.toml")
RUN = ["run", "--runs-dir", "{tmp}/runs", "e2"]  # "{run}": the run command on the E2 preset
# a finished run in seconds: 4 training steps, one checkpoint, a few generations
TINY_RUN = ["train.steps=4", "train.checkpoints=1", "train.first_checkpoint=4",
            "train.batch_size=8", "train.device=cpu", "model.options.width=16",
            "model.options.heads=2", "model.options.layers=1", "measure.generations=20",
            "measure.likelihood=false"]


def load_cases() -> tuple[list[dict], dict[str, bytes]]:
    """(the cases, {file name: bytes} of every file they define); a name defined twice must
    have the same contents."""
    cases = tomllib.loads(TABLE.read_text(encoding="utf-8"))["case"]
    defined: dict[str, bytes] = {}
    for case in cases:
        assert set(case) <= {"argv", "error", "files", "hex"}, case
        assert isinstance(case["argv"], list) and case["argv"] and case["error"], case
        given = {**{k: v.encode() for k, v in case.get("files", {}).items()},
                 **{k: bytes.fromhex(v) for k, v in case.get("hex", {}).items()}}
        for name, data in given.items():
            assert defined.setdefault(name, data) == data, f"{name} is defined twice, differently"
    return cases, defined


CASES, DEFINED = load_cases()


def _argv(case: dict, tmp: Path) -> list[str]:
    argv = case["argv"]
    if argv[0] == "{run}":
        argv = RUN + argv[1:]
    return [a.replace("{tmp}", str(tmp)) for a in argv]


def _data_files(tmp: Path) -> None:
    (tmp / "ragged.txt").write_text("ab\nabc\nabd\nabcd\n" * 20)
    (tmp / "words.txt").write_text("".join(f"{a}{b}{c}\n" for a in "abcdefgh" for b in "abcdefgh"
                                           for c in "abcdefgh"))
    (tmp / "long16.txt").write_text("".join(f"{i:02d}" + "ab" * 49_999 + "\n" for i in range(16))
                                    )  # 16 distinct sequences of 100 000 characters
    (tmp / "folder").mkdir()
    np.save(tmp / "neg.npy", np.array([[1, 2, -3], [4, 5, 6]] * 600))
    np.save(tmp / "minus1.npy", np.full((5, 3), -1))
    np.save(tmp / "big.npy", np.array([[1, 2, 2**40], [4, 5, 6]] * 600))
    np.save(tmp / "u64.npy", np.array([[1, 2**64 - 1]], dtype=np.uint64))
    np.save(tmp / "float.npy", np.array([[1, 2, 3.5], [4, 5, 6]] * 600))
    np.save(tmp / "nan.npy", np.array([[1.0, np.nan]]))
    np.save(tmp / "vector.npy", np.arange(10))
    np.save(tmp / "wide0.npy", np.zeros((4, 0), dtype=np.int64))
    np.save(tmp / "obj.npy", np.array([[1], ["a"]], dtype=object), allow_pickle=True)
    (tmp / "junk.npy").write_bytes(b"not numpy at all")
    (tmp / "junk.parquet").write_bytes(b"PAR1 nope")
    pq.write_table(pa.table({"ids": pa.array([[1, 2], [3, -4]])}), tmp / "neg.parquet")
    pq.write_table(pa.table({"ids": pa.array([[1, 2**40]])}), tmp / "big.parquet")
    pq.write_table(pa.table({"ids": pa.array([[], []], pa.list_(pa.int32()))}),
                   tmp / "empty_lists.parquet")
    pq.write_table(pa.table({"a": pa.array([[1, 2]]), "b": pa.array([[3, 4]])}),
                   tmp / "two.parquet")
    pq.write_table(pa.table({"a": pa.array([[1, 2], None])}), tmp / "null.parquet")
    pq.write_table(pa.table({"f": pa.array([[1.5, 2.0]])}), tmp / "floats.parquet")


def _run_directories(tmp: Path) -> None:
    (tmp / "not_a_run").mkdir()
    run = tmp / "fake_run"  # a run directory: its saved configuration is enough here
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"config": load_config("demo").to_dict(),
                                                 "seed": 0}))
    old = tmp / "old_run"  # measured by an older slopscope: a summary but not today's tables
    shutil.copytree(run, old)
    split = {"reproduced_fraction": 0.0, "median_generation_time": None, "generation_time": {}}
    (old / "summary.json").write_text(json.dumps({"name": "demo", "seed": 0, "steps": [1],
                                                  "final": {"copy_fraction": 0.0},
                                                  "splits": {"train": split, "test": split}}))


def _finished_runs(tmp: Path) -> None:
    """real_run: a finished tiny run; wrong_key_run and wrong_shape_run: copies whose checkpoint
    holds other tensors (a renamed one; one of another shape) with a matching SHA-256."""
    made = run_experiment(load_config("demo", TINY_RUN), 0, tmp / "made", progress=False)
    shutil.copytree(made, tmp / "real_run")
    for name, change in (("wrong_key_run", "key"), ("wrong_shape_run", "shape")):
        shutil.copytree(made, tmp / name)
        blob = tmp / name / "checkpoints" / "ckpt-00000004.safetensors"
        tensors = load_file(blob)
        first = sorted(k for k in tensors if k.startswith("model/"))[0]
        if change == "key":
            tensors["model/renamed"] = tensors.pop(first)
        else:
            tensors[first] = tensors[first].new_zeros((tensors[first].shape[0] + 1,
                                                       *tensors[first].shape[1:]))
        save_file(tensors, blob)
        sidecar = blob.with_suffix(".json")
        meta = json.loads(sidecar.read_text())
        meta["sha256"] = file_digest(blob)  # the hash matches: only the tensors are wrong
        meta[SIDECAR_HASH] = sidecar_digest(meta)  # a consistent sidecar
        sidecar.write_text(json.dumps(meta))


def _damaged_runs(tmp: Path) -> None:
    """Copies of real_run with a damaged table: other columns in checkpoints.parquet or
    quintiles.parquet; tables/ replaced by a file; a sweep index with other columns."""
    for name, table in (("other_checkpoints_run", "checkpoints"),
                        ("other_quintiles_run", "quintiles")):
        shutil.copytree(tmp / "real_run", tmp / name)
        pq.write_table(pa.table({"foo": [1], "bar": [2]}), tmp / name / "tables" /
                       f"{table}.parquet")
    sweep = tmp / "damaged_sweeps" / "sweeps" / "tiny-0123abcd"  # a sweep index, other columns
    sweep.mkdir(parents=True)
    pq.write_table(pa.table({"foo": [1], "bar": [2]}), sweep / "index.parquet")
    shutil.copytree(tmp / "real_run", tmp / "tables_file_run")
    shutil.rmtree(tmp / "tables_file_run" / "tables")
    (tmp / "tables_file_run" / "tables").write_text("not a folder")


MADE = (_data_files, _run_directories, _finished_runs, _damaged_runs)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    for name, data in DEFINED.items():
        (tmp / name).write_bytes(data)
    for make in MADE:
        make(tmp)
    return tmp


@pytest.fixture(autouse=True)
def nothing_runs(monkeypatch):
    """A case that reached training, or launched runs, fails the test instead of running; the
    machine has 16 GiB free (so that the memory cases are the same everywhere)."""
    def refuse(*args, **kwargs):
        raise AssertionError("a bad input reached training")

    monkeypatch.setattr(runner, "train", refuse)
    for name in list(executors.EXECUTORS):
        monkeypatch.setitem(executors.EXECUTORS, name, refuse)
    monkeypatch.setattr(files, "available_memory", lambda: 16 * 2**30)


def _tree(root: Path) -> dict:
    """{path: (size, mtime)} of everything under root except root/runs."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.relative_to(root).parts[0] != "runs"}


def test_the_table_holds_the_known_cases():
    assert len(CASES) >= 151 + 23
    argvs = [tuple(case["argv"]) for case in CASES]
    assert len(set(argvs)) == len(argvs), "a case is listed twice"


@pytest.mark.parametrize("case", CASES, ids=[" ".join(c["argv"][-2:]) for c in CASES])
def test_a_bad_input_is_one_line_naming_it(folder, capsys, case):
    before = _tree(folder)
    assert main(_argv(case, folder)) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("slopscope: error: "), captured.err
    assert case["error"].replace("{tmp}", str(folder)) in lines[0]
    assert _tree(folder) == before, "a bad input wrote outside the runs directory"
