"""Atomic writes: whole files, usual permissions, nothing left behind on failure."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from slopscope.store import atomic_write_bytes, read_table, write_table


def test_atomic_writes_replace_whole_files_with_the_usual_permissions(tmp_path):
    path = atomic_write_bytes(tmp_path / "a" / "f.bin", b"one")
    atomic_write_bytes(path, b"two")
    assert path.read_bytes() == b"two" and os.listdir(path.parent) == ["f.bin"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    path = atomic_write_bytes(tmp_path / "f.bin", b"old")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["f.bin"]


def test_columns_without_a_number_are_written_as_nulls(tmp_path):
    write_table(tmp_path / "t.parquet", {"x": np.full(2, np.nan), "y": np.array([1.0, np.nan]),
                                         "z": np.array([None, None])})
    table = read_table(tmp_path / "t.parquet")
    assert table.column("x").null_count == 2 and table.column("z").null_count == 2
    assert table.column("y").null_count == 0  # a NaN among numbers stays a NaN
