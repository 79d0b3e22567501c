"""Token data, names and descriptions full of HTML are escaped in every page: the run report,
the sweep report, the results page (Markdown), the counterfactual page and the probe page. Tiny
settings: a 4-step network on token data (run and probe), oracle controls (sweep and
counterfactual)."""

from __future__ import annotations

import html
import itertools
import json
import re

import pytest

from slopscope import app
from slopscope.report.results import build_results

PAYLOADS = ["<script>alert(1)</script>", "<svg/onload=alert(2)>", "<img/src=x/onerror=alert(3)>"]
NAME = "<svg onload=alert(4)>"  # a safe path component (no '/'), and HTML
DESCRIPTION = "<img src=x onerror=alert(5)> and <script>alert(6)</script>"
HOSTILE = [*PAYLOADS, NAME, "<img src=x onerror=alert(5)>", "<script>alert(6)</script>"]
TINY_NET = ["train.steps=4", "train.checkpoints=2", "train.first_checkpoint=2",
            "train.batch_size=8", "train.device=cpu", "model.options.width=16",
            "model.options.heads=2", "model.options.layers=1", "measure.generations=40",
            "data.train=16", "data.test=16", "data.tokens=whitespace"]
ORACLE = ["grammar.v=8", "grammar.n=8", "grammar.m=2", "data.train=32", "data.test=32",
          "train.steps=100", "train.checkpoints=2", "train.first_checkpoint=10",
          "measure.generations=200", "model.backbone=oracle", "measure.likelihood=false"]


def _toml(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string here (ASCII, escaped)


def _assert_escaped(text: str, where: str, shown=()) -> None:
    for raw in HOSTILE:
        assert raw not in text, f"{where} holds raw {raw!r}"
    assert not re.search(r"<(script|svg|img)[^>]*(onload|onerror|alert)", text, re.I), where
    for raw in shown:  # what the page shows, escaped
        assert html.escape(raw) in text or html.escape(raw, quote=False) in text, (where, raw)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("html")
    words = ["plain", "word", *PAYLOADS]
    lines = [" ".join(tokens) for tokens in itertools.product(words, repeat=4)][::10]
    data = tmp / "hostile.txt"
    data.write_text("\n".join(lines) + "\n")
    config = tmp / "hostile.toml"
    config.write_text(f"name = {_toml(NAME)}\ndescription = {_toml(DESCRIPTION)}\n"
                      f"[data]\npath = {_toml(str(data))}\n")
    runs = tmp / "runs"
    (done,) = app.run(str(config), TINY_NET, app.Execution(runs), progress=False)
    probe = app.probe(done.run_dir, masks=("prefix",), reveal=(0.5,), completions=1)
    sweep_file = tmp / "sweep.toml"
    sweep_file.write_text(f'base = "e2"\nname = {_toml(NAME)}\n'
                          f"overrides = {json.dumps(ORACLE)}\nseeds = [0]\n"
                          f"[grid]\nname = [{_toml(NAME)}]\n"
                          f"description = [{_toml(DESCRIPTION)}]\n")
    sweep = app.sweep(str(sweep_file), app.Execution(runs, workers=1))
    _, counterfactual = app.counterfactual("e2", [*ORACLE, f"name={_toml(NAME)}"], models=2,
                                           execution=app.Execution(runs, workers=1))
    return {"run": done.page, "probe": probe, "sweep": sweep.page,
            "counterfactual": counterfactual, "tmp": tmp}


def test_the_run_report_escapes_token_data_name_and_description(pages):
    text = pages["run"].read_text()
    _assert_escaped(text, "run report", shown=[*PAYLOADS, NAME, DESCRIPTION])


def test_the_probe_page_escapes(pages):
    _assert_escaped(pages["probe"].read_text(), "probe page", shown=[NAME.replace(" ", "_")])


def test_the_sweep_report_escapes_its_name_and_grid_labels(pages):
    _assert_escaped(pages["sweep"].read_text(), "sweep report", shown=[NAME])


def test_the_counterfactual_page_escapes(pages):
    _assert_escaped(pages["counterfactual"].read_text(), "counterfactual page", shown=[NAME])


def test_the_results_page_holds_no_raw_html(tmp_path):
    """results.md is Markdown (which renders inline HTML): a row's text never opens a tag, and a
    '|' in it does not break the table."""
    rate = {"rate": 0.02, "low": 0.0, "high": 0.1, "hits": 1, "n": 50}
    row = {"key": NAME, "title": PAYLOADS[0], "finding": "A", "seeds": 6, "points": 1,
           "failed": 0, "verdict": "not shown", "statistic": 0.2, "low": -0.1, "high": 0.3,
           "measured": f"{PAYLOADS[1]} | {PAYLOADS[2]}", "rule": DESCRIPTION,
           "note": PAYLOADS[0], "calibration": {"false_positive_rate": rate, "power": rate}}
    (tmp_path / "results.json").write_text(json.dumps({"quick": True, "rows": [row]}))
    text = build_results(tmp_path).read_text()
    _assert_escaped(text, "results page")
    table = [line for line in text.splitlines() if line.startswith(f"| {NAME[0]}") or
             line.startswith("| &lt;svg")]
    assert len(table) == 1 and table[0].count(" | ") == 12, table  # 13 cells, none broken
    assert "&lt;script>alert(1)&lt;/script>" in text
