"""A run on a small text file instead of a grammar: data, tables, report and re-measurement."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from slopscope import SlopscopeError
from slopscope.cli import main
from slopscope.experiments import load_config
from slopscope.experiments.run.runner import measure_run, run_experiment, run_name
from slopscope.report import build_report
from tests.browser import render

TINY = ["data.train=40", "data.test=40", "train.steps=300", "train.batch_size=40",
        "train.lr=3e-3", "train.warmup=20", "train.checkpoints=3", "train.first_checkpoint=50",
        "model.options.width=32", "model.options.heads=2", "measure.generations=300"]


def _words(path, count=100, seed=0):
    """4-letter strings with shared parts (a prefix from 4, a suffix from 6) plus duplicates."""
    rng = np.random.default_rng(seed)
    prefixes, suffixes = ["ba", "ca", "da", "fo"], ["rt", "ne", "ll", "st", "mp", "nk"]
    words = {p + s for p in prefixes for s in suffixes}
    words |= {"".join(rng.choice(list("abcdefghijklmnop"), 4)) for _ in range(count)}
    lines = sorted(words) + ["bart", "cane", "bart"]  # 3 duplicate lines
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def token_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("tokens")
    path = _words(root / "words.txt")
    config = load_config("e2", [f"data.path={path}", *TINY])
    run_dir = run_experiment(config, 0, root / "runs", progress=False)
    build_report(run_dir)
    return config, run_dir


def test_a_text_file_runs_end_to_end_without_a_grammar(token_run):
    _, run_dir = token_run
    assert not (run_dir / "grammar.json").exists() and (run_dir / "vocab.json").exists()
    data = json.loads((run_dir / "data.json").read_text())
    assert data["duplicates"] == data["duplicates_removed"] == 3 and data["length"] == 4
    assert data["train"] == 40 and len(data["sha256"]) == 64
    vocab = json.loads((run_dir / "vocab.json").read_text())
    assert vocab["kind"] == "chars" and vocab["tokens"] == sorted(vocab["tokens"])
    checkpoints = pq.read_table(run_dir / "tables" / "checkpoints.parquet").to_pylist()
    assert [row["valid"] for row in checkpoints] == [None] * 3  # not available, never zero
    assert all(0 <= row["copy_fraction"] <= 1 for row in checkpoints)
    typicality = pq.read_table(run_dir / "tables" / "typicality.parquet")
    assert typicality.column("t3").null_count == typicality.num_rows == 80
    assert typicality.column("t1_kgram").null_count == 0
    assert set(typicality.column_names) >= {"t1", "t1_w2", "t1_kgram", "t2"}
    blocks = pq.read_table(run_dir / "tables" / "blocks.parquet").to_pylist()
    assert {(b["unit"], b["size"], b["width"]) for b in blocks} == {("block", 2, 2)}
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["source"] == "tokens" and summary["splits"]["train"]["likelihood_time"] is None
    assert summary["splits"]["train"]["generation_time"]["t3"] is None
    strings = pq.read_table(run_dir / "tables" / "strings.parquet")
    assert np.isfinite(strings.column("nelbo_per_token").to_numpy()).all()  # NELBO still works


def test_the_report_decodes_tokens_and_marks_grammar_figures_not_available(token_run):
    _, run_dir = token_run
    page = (run_dir / "report" / "report.html").read_text()
    assert "Not available without a grammar" in page and "duplicates removed" in page
    vocab = json.loads((run_dir / "vocab.json").read_text())["tokens"]
    train = np.load(run_dir / "train.npy")
    typical = "".join(vocab[i] for i in train[0])
    assert typical in page or any("".join(vocab[i] for i in row) in page for row in train)
    shown = render(run_dir / "report" / "report.html")
    assert len(shown.images) == 6 and all(done and width > 0 and caption
                                            for done, width, caption in shown.images)
    assert shown.problems == []


def test_measure_again_with_more_generations(token_run):
    _, run_dir = token_run
    summary = measure_run(run_dir, ["measure.generations=500"], progress=False)
    assert np.load(run_dir / "generations" / "step-00000300.npy").shape == (500, 4)
    assert summary.source == "tokens"


def test_a_changed_data_file_is_a_different_run(tmp_path):
    path = _words(tmp_path / "w.txt")
    config = load_config("e2", [f"data.path={path}", *TINY])
    before = run_name(config, 0)
    _words(path, seed=1)
    assert run_name(config, 0) != before


def test_bad_data_settings_fail_with_one_line_errors(tmp_path, capsys):
    path = tmp_path / "mixed.txt"
    path.write_text("abc\nabcd\n")
    assert main(["run", "e2", f"data.path={path}", "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "2 lengths" in err and "data.pad=true" in err and len(err.strip().splitlines()) == 1
    path.write_text("abcd\nabce\n")
    with pytest.raises(SlopscopeError, match="data.train \\+ data.test = 1024 but the data has "
                       "2 sequences"):
        run_experiment(load_config("e2", [f"data.path={path}"]), 0, tmp_path, progress=False)
    with pytest.raises(SlopscopeError, match="is not a file"):
        run_experiment(load_config("e2", [f"data.path={tmp_path / 'no.txt'}"]), 0, tmp_path)


def test_the_words_preset_reads_the_system_word_list():
    from slopscope.tokendata import load_token_data, split

    data_config = load_config("words").data
    if not __import__("os").path.exists(data_config.path):
        pytest.skip("Debian's wamerican word list is missing (.ci/run installs it)")
    data = load_token_data(data_config)
    assert data.vocab.tokens == tuple("abcdefghijklmnopqrstuvwxyz") and data.vocab.pad is None
    assert data.summary["duplicates_removed"] > 0  # lower-casing merges e.g. names and words
    assert data.sequences.shape == (data.summary["distinct"], 8)
    train, test, _ = split(data, data_config.train, data_config.test, 0)
    assert all(w.isalpha() and w.islower() for w in data.vocab.render(train[:50]))
