"""Threads: one per process by default, set where a process starts work, recorded by each run."""

from __future__ import annotations

import json

import numba
import pytest
import torch

from slopscope import SlopscopeError
from slopscope.cli import build_parser, main
from slopscope.threads import DEFAULT_THREADS, use_threads
from tests.experiments.test_runner import TINY

QUICK = [*TINY, "train.steps=20", "train.first_checkpoint=10", "train.checkpoints=2",
         "measure.generations=50"]


@pytest.fixture
def restore_threads():
    yield
    use_threads(DEFAULT_THREADS)  # the test process's own count (tests/conftest.py)


def test_use_threads_sets_torch_and_numba(restore_threads):
    assert use_threads(2) == 2 == torch.get_num_threads()
    assert numba.get_num_threads() == min(2, numba.config.NUMBA_NUM_THREADS)
    assert use_threads(1) == 1 == torch.get_num_threads() == numba.get_num_threads()
    assert use_threads(0) == 1  # 0 leaves the count as it is (at start: the libraries' own)
    with pytest.raises(SlopscopeError, match=r"^threads=-1 is too small; allowed: threads >= 0$"):
        use_threads(-1)


def test_every_command_takes_threads_and_defaults_to_one():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, command in commands.items():
        flags = {flag for action in command._actions for flag in action.option_strings}
        assert "--threads" in flags, name
    assert parser.parse_args(["runs"]).threads == DEFAULT_THREADS == 1


def test_a_run_records_the_threads_of_each_process_that_worked_on_it(tmp_path, capsys,
                                                                     restore_threads):
    assert main(["run", "e2", *QUICK, "--runs-dir", str(tmp_path), "--quiet",
                 "--threads", "2"]) == 0
    assert torch.get_num_threads() == 2  # the command set it, once, before any work
    (run_dir,) = [p.parent for p in tmp_path.glob("*/config.json")]
    assert json.loads((run_dir / "config.json").read_text())["threads"] == [2]
    assert main(["measure", str(run_dir), "--quiet", "--force"]) == 0  # the default: one thread
    assert torch.get_num_threads() == 1
    assert json.loads((run_dir / "config.json").read_text())["threads"] == [2, 1]
    assert main(["measure", str(run_dir), "--quiet", "--threads", "2"]) == 0
    assert json.loads((run_dir / "config.json").read_text())["threads"] == [2, 1]


def test_an_older_run_without_a_record_is_left_unrecorded():
    from slopscope.saved_config import SavedConfig

    older = SavedConfig({"name": "x"}, 0, "h", None)
    assert older.with_threads(1) is older and "threads" not in older.to_dict()
    new = SavedConfig({"name": "x"}, 0, "h", None, [1])
    assert new.with_threads(1) is new and new.with_threads(2).threads == [1, 2]
