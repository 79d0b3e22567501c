"""The regime study: its rules on constructed runs with known answers, and the whole command on
oracle controls whose learning times and memorisation onsets are planted (no training)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from slopscope import app
from slopscope.experiments.studies.regime import regime
from slopscope.store import read_json


def _runs(mem=lambda p: 10.0 * p, level=lambda k, p: 20.0 * 4**k, seeds=3):
    out = []
    for p in (64, 128, 256, 512, 1024):
        for seed in range(seeds):
            noise = math.exp(0.05 * (seed - 1))  # the same spread of seeds at every P
            steps = list(np.geomspace(10, 20000, 12))
            out.append({"P": p, "seed": seed, "tau": {k: level(k, p) * noise for k in (1, 2, 3)},
                        "tau_mem": mem(p) * noise, "steps": steps,
                        "novel_valid": [0.9] * 12, "excess_copies": [0.01] * 12})
    return out


def test_the_rules_recover_planted_exponents_thresholds_and_windows():
    found = regime(_runs(), 3)
    assert found["fits"]["mem"]["exponent"] == pytest.approx(1.0, abs=0.05)
    assert abs(found["fits"]["1"]["exponent"]) < 0.05  # level times do not depend on P here
    # tau_3 = 1280 < tau_mem = 10 P from P = 256 on; tau_1 = 80 < 640 at every P
    assert found["thresholds"] == {"1": 64, "2": 64, "3": 256}
    windows = [p["window"] for p in found["per_p"]]
    assert [w["opens"] for w in windows] == [False, False, True, True, True]
    assert windows[3]["ratio"] == pytest.approx(5120 / 1280, rel=0.1)
    anchors = found["anchors"]
    assert [a["verdict"] for a in anchors.values()] == ["holds"] * 3
    assert anchors["window"]["threshold"] == 256


def test_censoring_and_anchors_that_fail():
    never = regime(_runs(mem=lambda p: math.inf), 3)
    assert never["fits"]["mem"]["exponent"] is None
    assert never["anchors"]["tau_mem_linear"]["verdict"] == "not measurable"
    assert all(p["times"]["mem"]["centre"] == math.inf for p in never["per_p"])
    assert all(p["window"]["ratio_is_bound"] for p in never["per_p"])  # a lower bound only
    upside_down = regime(_runs(level=lambda k, p: 20.0 * 4 ** (4 - k)), 3)
    assert upside_down["anchors"]["hierarchical_order"]["verdict"] == "does not hold"
    squared = regime(_runs(mem=lambda p: p * p / 10), 3)
    assert squared["fits"]["mem"]["exponent"] == pytest.approx(2.0, abs=0.05)
    assert squared["anchors"]["tau_mem_linear"]["verdict"] == "does not hold"


def test_the_command_on_planted_oracles(tmp_path):
    base = tmp_path / "base.toml"
    # P_max = 262144 (chance copies negligible); a learner of block sizes 1, 2, 3 at steps 5, 10,
    # 20; copies of every training string from step 5 P, their share ramping up to 1 at the last
    # step linearly in log step, so that tau_mem = (5 P)**0.95 * 3000**0.05: exponent 0.95
    base.write_text('name = "planted-regime"\n[grammar]\nv = 16\nn = 16\nm = 4\n[data]\n'
                    'train = 32\ntest = 32\n[train]\nsteps = 3000\ncheckpoints = 16\n'
                    'first_checkpoint = 5\n[measure]\ngenerations = 400\nlikelihood = false\n'
                    '[model]\nbackbone = "oracle"\n[model.options]\nmemorize = 1.0\n'
                    'level_onset = 5\nlevel_ratio = 2.0\n')
    sweep = tmp_path / "regime.toml"
    points = ", ".join(f'{{"data.train" = {p}, "model.options.onset" = {5 * p}}}'
                       for p in (16, 32, 64, 128))
    sweep.write_text(f'base = "{base}"\nseeds = [0]\npoints = [{points}]\n')
    page = app.regime(str(sweep), tmp_path / "page", app.Execution(tmp_path / "runs", workers=2))
    found = read_json(tmp_path / "page" / "regime.json")
    taus = [[r["tau"][str(k)] for k in (1, 2, 3)] for r in found["runs"]]
    assert all(a <= b <= c <= 40 for a, b, c in taus)  # planted: 5, 10, 20
    assert 0.8 < found["fits"]["mem"]["exponent"] < 1.1
    assert [a["verdict"] for a in found["anchors"].values()] == ["holds"] * 3
    assert all(p["window"]["opens"] for p in found["per_p"])
    # above chance (v = 16, m = 4: chance is a quarter at the top, so both readings agree)
    above = found["above_chance"]
    learned = [[r["tau_learned"][str(k)] for k in (1, 2, 3)] for r in found["runs"]]
    assert all(a <= b <= c <= 40 for a, b, c in learned)
    assert [a["verdict"] for a in above["anchors"].values()] == ["holds"] * 3
    assert found["run_seconds"] == pytest.approx(sum(r["seconds"] for r in found["runs"]))
    assert found["run_seconds"] > 0
    text = page.read_text()
    for figure in ("phase_diagram.png", "phase_diagram_above_chance.png"):
        assert f"]({figure})" in text and (tmp_path / "page" / figure).exists()
    assert text.count("tau_mem grows like P") == 2 and "## Above chance (tau*_k)" in text
    assert "denoiser `oracle`" in text and "masked diffusion" in text  # the model it measured
    assert f"`slopscope regime {sweep} --out {tmp_path / 'page'}`" in text


def test_the_regenerate_command_leaves_out_defaults():
    from slopscope.experiments.studies.regime import regime_command

    assert regime_command("regime", "results/regime", False) == "slopscope regime"
    assert regime_command("regime", "results/regime-quick", True) == "slopscope regime --quick"
    assert regime_command("regime-unet", "results/regime-unet", False) == \
        "slopscope regime regime-unet --out results/regime-unet"


def test_the_command_refuses_a_sweep_without_training_set_sizes(tmp_path, capsys):
    from slopscope.cli import main

    sweep = tmp_path / "flat.toml"
    sweep.write_text('base = "demo"\n[grid]\n"train.lr" = [0.001, 0.002]\n')
    assert main(["regime", str(sweep), "--out", str(tmp_path / "page"), "--runs-dir",
                 str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not set data.train at every grid point" in err[0]
    assert not (tmp_path / "runs").exists()  # refused before anything ran


def test_the_readme_quotes_the_committed_regime_pages_and_their_figures():
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    section = readme[readme.index("## The regime"):readme.index("## Beyond the paper")]
    pages = {}
    for name in ("regime", "regime-unet"):  # the transformer's page and the U-Net's
        page = root / "results" / name
        data = json.loads((page / "regime.json").read_text())
        assert not data["quick"] and len(data["sizes"]) >= 6
        assert all(len([r for r in data["runs"] if r["P"] == p]) >= 3 for p in data["sizes"])
        assert data["run_seconds"] > 0
        pages[name] = (page / "regime.md").read_text().splitlines()
        assert f"](results/{name}/phase_diagram_above_chance.png)" in section
        assert (page / "phase_diagram_above_chance.png").stat().st_size > 10_000
    quoted = [line for line in section.splitlines() if line.startswith(("|", "- **"))]
    assert len(quoted) >= 24
    assert all(any(line in page for page in pages.values()) for line in quoted)
