"""Command-line options: every integer option of every command is checked by one helper
(slopscope.cli_options.integer) and shows its range in --help; output directories that cannot be
written, or exist as files, are one-line errors."""

from __future__ import annotations

import argparse
import errno
import os

import pytest

from slopscope import cli_grammar, cli_options, cli_tools
from slopscope.cli import build_parser, main


def _commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def _integer_actions():
    for name, command in _commands().items():
        for action in command._actions:
            if action.type is int or getattr(action.type, "range", None) is not None:
                yield name, command, action


def test_no_command_takes_an_unchecked_int():
    found = list(_integer_actions())
    assert {(name, a.dest) for name, _, a in found} >= {
        ("sweep", "workers"), ("sweep", "timeout_min"), ("calibrate", "runs"),
        ("calibrate", "workers"), ("reproduce", "workers"), ("counterfactual", "models"),
        ("counterfactual", "seed"), ("counterfactual", "calibrate"), ("probe", "completions"),
        ("probe", "sampler_steps"), ("grammar", "v"), ("grammar", "L"), ("grammar", "train")}
    for name, _, action in found:
        assert action.type is not int, f"slopscope {name} {action.option_strings}: plain int"
        assert f"allowed {action.type.range}" in action.help, (name, action.dest)


@pytest.mark.parametrize("command", ["sweep", "calibrate", "reproduce", "counterfactual",
                                     "probe", "grammar"])
def test_help_shows_the_ranges(command, capsys):
    assert main([command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    ranges = [a.type.range for name, _, a in _integer_actions() if name == command]
    assert ranges and all(f"allowed {r}" in text for r in ranges)


def test_the_integer_type_checks_both_ends():
    parse = cli_options.integer("n", minimum=1, maximum=3)
    assert parse("2") == 2 and parse.range == "1..3"
    for text, message in (("0", "n=0 is too small; allowed: n >= 1"),
                          ("4", "n=4 is too large; allowed: n <= 3")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            parse(text)
    with pytest.raises(ValueError):
        parse("two")
    assert cli_options.integers("k", minimum=0)("1, 2,3") == (1, 2, 3)
    with pytest.raises(argparse.ArgumentTypeError, match="k=-1 is too small"):
        cli_options.integers("k", minimum=0)("1,-1")


def _one_line(capsys) -> str:
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("slopscope: error: "), lines
    return lines[0]


def test_an_unwritable_output_directory_is_one_line(tmp_path, monkeypatch, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access
    monkeypatch.setattr(cli_options.os, "access",
                        lambda path, mode: False if str(path) == str(locked) else real(path, mode))
    for argv in (["grammar", "--out", str(locked / "g")],
                 ["export", str(tmp_path), "--to", "tensorboard", "--out", str(locked / "tb")],
                 ["run", "--runs-dir", str(locked / "runs"), "demo"]):
        assert main(argv) == 2
        assert f"cannot write into {locked}" in _one_line(capsys)
    assert list(locked.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_one_line(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert main(["grammar", "--out", str(locked / "g")]) == 2
        assert "is not writable" in _one_line(capsys)
    finally:
        locked.chmod(0o755)


def test_a_write_that_fails_anyway_is_one_line(tmp_path, monkeypatch, capsys):
    """The checks above look before writing; a write that still fails (a full disk, a folder
    locked in between) is one line too."""
    def fail(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(cli_grammar, "save_dataset", fail)
    assert main(["grammar", "--out", str(tmp_path / "g")]) == 2
    assert _one_line(capsys).endswith(f"cannot write into {tmp_path / 'g'}: Permission denied")
    monkeypatch.setattr(cli_tools, "export_run", fail)
    assert main(["export", str(tmp_path), "--to", "tensorboard", "--out", str(tmp_path)]) == 2
    assert "Permission denied" in _one_line(capsys)
