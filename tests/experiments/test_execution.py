"""How runs execute: one Execution (runs directory, workers, executor and its options), built
once from the command line and passed down whole; `slopscope run` through an executor gives the
same runs as in-process."""

from __future__ import annotations

import pytest

from slopscope import app
from slopscope.cli import build_parser
from slopscope.cli_tools import execution
from slopscope.errors import SlopscopeError
from slopscope.experiments.sweeps.executors import Execution
from slopscope.store import read_json

ORACLE = ["grammar.v=8", "grammar.n=8", "grammar.m=2", "data.train=32", "data.test=32",
          'model.backbone="oracle"', "train.steps=100", "train.checkpoints=2",
          "measure.generations=200", "seeds=[0, 1]"]


@pytest.mark.parametrize("command", [
    ["run", "demo"], ["sweep", "e1"], ["calibrate", "demo"], ["reproduce"], ["regime"],
    ["counterfactual"],
])
def test_every_long_command_builds_one_execution_with_the_chosen_executors_options(command):
    args = build_parser().parse_args([*command, "--runs-dir", "elsewhere", "--workers", "3",
                                      "--executor", "slurm", "--partition", "gpu",
                                      "--address", "ray://x"])
    built = execution(args)
    assert built == Execution("elsewhere", 3, "slurm", {"partition": "gpu"})


def test_an_execution_refuses_an_unknown_executor_or_another_executors_option():
    with pytest.raises(SlopscopeError, match="executor='k8s'; allowed: local, ray, slurm"):
        Execution(executor="k8s")
    with pytest.raises(SlopscopeError, match="option 'partition' for executor 'local'"):
        Execution(options={"partition": "gpu"})
    with pytest.raises(SlopscopeError, match="workers=0"):
        Execution(workers=0)
    assert Execution.given("r", None, "ray", address=None).options == {}


def test_run_through_local_workers_gives_the_runs_it_gives_in_process(tmp_path):
    here = list(app.run("demo", ORACLE, Execution(tmp_path / "here"), progress=False))
    there = list(app.run("demo", ORACLE, Execution(tmp_path / "there", workers=1),
                         progress=False))
    assert [d.run_dir.name for d in here] == [d.run_dir.name for d in there]
    assert len(here) == 2
    for a, b in zip(here, there, strict=True):
        assert read_json(a.run_dir / "summary.json") == read_json(b.run_dir / "summary.json")
        assert a.page.exists() and b.page.exists()
