"""A text file of one-token sequences (a character per line) runs to its report: no block has two
tokens, so the block figure says "not available" instead of failing to log-scale an empty axis."""

from __future__ import annotations

import string

from slopscope import app
from slopscope.store import read_columns
from slopscope.summary import read_summary

TINY = ["train.steps=4", "train.checkpoints=2", "train.first_checkpoint=2", "train.batch_size=8",
        "train.device=cpu", "model.options.width=16", "model.options.heads=2",
        "model.options.layers=1", "measure.generations=40", "data.train=16", "data.test=16"]


def test_a_run_on_one_token_sequences_gets_its_report(tmp_path):
    data = tmp_path / "letters.txt"
    data.write_text("\n".join(string.ascii_letters + string.digits) + "\n")
    (done,) = app.run("e2", [f"data.path={data}", *TINY], app.Execution(tmp_path / "runs"),
                          progress=False)
    blocks = read_columns(done.run_dir / "tables" / "blocks.parquet")
    assert set(blocks["size"]) == {1}
    assert all(slope is None for slope in blocks["slope"])  # nothing to fit: one block a string
    page = done.page.read_text()
    assert "blocks_over_training" in page and "Examples" in page
    assert read_summary(done.run_dir).d == 1
