"""The `slopscope grammar` command and the README's set-up commands."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from slopscope import RHM
from slopscope.cli import main
from slopscope.rows import row_keys

ROOT = Path(__file__).resolve().parents[1]


def test_grammar_command_writes_a_self_describing_data_directory(tmp_path, capsys):
    out = tmp_path / "data"
    code = main(["grammar", "--v", "8", "--n", "8", "--m", "2", "--L", "3", "--train", "100",
                 "--test", "50", "--zipf-a", "0.5", "--zipf-levels", "1", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    g = RHM.from_json((out / "grammar.json").read_text())
    assert f"P_max={g.P_max}" in printed and "rule entropy per level" in printed
    train = np.load(out / "train.npy", allow_pickle=False)
    test = np.load(out / "test.npy", allow_pickle=False)
    assert train.shape == (100, 8) and test.shape == (50, 8)
    assert g.parse(np.concatenate([train, test])).valid.all()
    assert np.unique(row_keys(np.concatenate([train, test]))).size == 150
    summary = json.loads((out / "summary.json").read_text())
    assert summary["grammar"]["P_max"] == g.P_max
    assert summary["data"]["iid_draws"] >= 150
    assert summary["grammar"]["origin"]["zipf_levels"] == [1]
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*"))


def test_grammar_command_reuses_a_grammar_file_and_reproduces(tmp_path, capsys):
    g = RHM(v=6, n=4, m=2, s=2, L=2, seed=9)
    path = tmp_path / "g.json"
    path.write_text(g.to_json())
    for name in ("a", "b"):
        assert main(["grammar", "--grammar", str(path), "--train", "10", "--test", "5",
                     "--out", str(tmp_path / name)]) == 0
    for file in ("grammar.json", "train.npy", "test.npy"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()
    assert RHM.from_json((tmp_path / "a" / "grammar.json").read_text()) == g


def test_bad_input_prints_one_line_and_exits_2(tmp_path, capsys):
    assert main(["grammar", "--m", "20", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "m=20 exceeds v**(s-1)=16" in err
    assert main(["grammar", "--train", "300000", "--out", str(tmp_path)]) == 2
    assert "allowed: count <= P_max" in capsys.readouterr().err
    assert main(["grammar", "--grammar", str(tmp_path / "missing.json")]) == 2
    assert "cannot read grammar file" in capsys.readouterr().err


def test_console_script_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "slopscope.cli", "grammar", "--help"],
                            capture_output=True, text=True, check=True)
    assert "--zipf-levels" in result.stdout


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    test_commands = [c for c in commands if "pytest" in c]
    assert len(test_commands) == 1
    assert test_commands[0].strip() in (ROOT / ".ci" / "run").read_text()


def test_readme_python_examples_run(tmp_path, monkeypatch):
    """The README's Python blocks, run in order in a scratch directory."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)\n```", readme, flags=re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["strings"].shape == (1000, namespace["g"].d)
    assert (tmp_path / "runs" / "demo" / "checkpoints").is_dir()


def test_the_demo_ships_its_calibration_for_its_report():
    from slopscope.experiments.presets import shipped_calibration as _shipped_calibration

    path = _shipped_calibration("demo")
    table = json.loads(path.read_text())
    assert table["source"] == "demo" and table["replicates"] >= 50
    from slopscope.experiments import load_config

    assert table["config_hash"] == load_config("demo").hash()  # of the demo as shipped
    assert {"A", "D"} <= set(table["verdicts"]) and _shipped_calibration("nope") is None


def test_ctrl_c_is_one_line_saying_how_to_resume(monkeypatch, capsys):
    from slopscope import app

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(app, "run", interrupted)
    assert main(["run", "demo", "--quiet"]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "interrupted; run the same command again to resume" in err


def test_overrides_may_follow_the_options(tmp_path):
    from slopscope.cli import _parse, build_parser

    parser = build_parser()
    args = _parse(parser, ["run", "demo", "train.steps=5", "--runs-dir", str(tmp_path),
                           "measure.generations=10", "--quiet"])
    assert args.overrides == ["train.steps=5", "measure.generations=10"] and args.quiet
    assert main(["run", "demo", "--quiet", "--bogus"]) == 2  # still a usage error
    assert main(["runs", "train.steps=5"]) == 2  # a command without overrides takes none


def test_version_is_one_line(capsys):
    from slopscope import __version__
    from slopscope.cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"slopscope {__version__}"
