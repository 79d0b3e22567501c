"""docs/architecture.md's claim, tried: a new finding is its rule plus its registry entry.
Registered here (rule: a function of this module), a run finding is judged in summary.json,
shown in the report and the summary line and given a catalogue column; a sweep finding with a
settings key of its own and a figure is judged in the sweep's findings.json with its setting,
drawn in the sweep report and on the results page, and given a column in the catalogue of
sweeps; no other file touched. (A
finding registered at run time lives in this process only; sweeps and calibrations run their
runs in worker processes, which see the findings written in slopscope/verdicts.py.)"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from slopscope import app, verdicts
from slopscope.experiments.run.catalog import catalog, columns
from slopscope.summary import read_summary

TINY = """name = "new-finding"
[grammar]
v = 8
n = 8
m = 2
[data]
train = 32
test = 32
[train]
steps = 200
checkpoints = 3
first_checkpoint = 20
[measure]
generations = 200
"""


def copies_grow(run) -> verdicts.Verdict:
    """A toy rule: the excess copy fraction of the last checkpoint minus the first one's."""
    first, last = (r["scalars"]["excess_copy_fraction"] for r in (run.records[0],
                                                                  run.records[-1]))
    return verdicts.Verdict.of(last - first, last - first - 0.01, last - first + 0.01,
                               measured=f"grew by {last - first:+.3f}", rule="toy")


@pytest.fixture
def registered():
    found = verdicts.register(verdicts.Finding("Z", "run", "Z: copies grow",
                                               f"{__name__}:copies_grow"))
    yield found
    verdicts.unregister(found.name)


def test_a_new_run_finding_reaches_every_consumer(registered, tmp_path):
    config = tmp_path / "new.toml"
    config.write_text(TINY)
    planted = ["model.backbone='oracle'", "model.options.memorize=0.5", "model.options.onset=20"]
    done = list(app.run(str(config), planted, app.Execution(tmp_path / "runs"),
                        progress=False))[0]
    summary = read_summary(done.run_dir)
    assert summary.findings["Z"].verdict == "holds"  # the planted share ramps up: copies grow
    assert "Z holds" in done.line
    assert "Z: copies grow" in done.page.read_text()
    assert "verdict_z" in columns()
    assert catalog(tmp_path / "runs")[0]["verdict_z"] == "holds"
    with pytest.raises(Exception, match="finding 'Z'"):
        verdicts.register(registered)


# ---- a new sweep finding with a settings key and a figure: its rule and registry entry only --


@dataclass(frozen=True)
class YSettings:
    y_min_runs: int = 2  # the toy rule's own setting: runs needed for a verdict


def onset_delay(runs, settings) -> verdicts.Verdict:
    """A toy sweep rule: the exponent of tau_mem against the planted onset, with its figure."""
    from slopscope.experiments.verdicts.scaling import memorisation_scaling

    times = memorisation_scaling(runs, "model.options.onset", "onset")
    if len(runs) < settings.y_min_runs:
        return verdicts.Verdict.make("not measurable", measured=f"{len(runs)} runs, fewer "
                                     f"than {settings.y_min_runs}", times=times)
    return verdicts.Verdict.of(times["exponent"], times["low"], times["high"],
                               measured=f"{times['measured']}; at least "
                               f"{settings.y_min_runs} runs", rule="toy", times=times)


@pytest.fixture
def sweep_finding():
    found = verdicts.register(verdicts.Finding(
        "Y", "sweep", "Y: later onsets are memorised later", f"{__name__}:onset_delay",
        compares="model.options.onset", later_when_larger=True, settings=YSettings,
        figure=verdicts.TimesFigure("times", "Memorisation time against the planted onset",
                                    "onset", "planted onset step")))
    yield found
    verdicts.unregister(found.name)


def test_a_new_sweep_finding_with_a_setting_and_a_figure_reaches_every_consumer(sweep_finding,
                                                                                tmp_path):
    from slopscope.experiments import load_config
    from slopscope.experiments.results.plan import Row
    from slopscope.experiments.results.reproduce import _row_result
    from slopscope.report.results import build_results
    from slopscope.store import read_json, write_json

    base = tmp_path / "base.toml"
    base.write_text(TINY + '[model]\nbackbone = "oracle"\n[model.options]\nmemorize = 0.5\n')
    # its setting is a findings.* key, validated like the shipped ones
    assert load_config(str(base), ["findings.y_min_runs=3"]).findings.y_min_runs == 3
    with pytest.raises(Exception, match="findings.y_min_runs"):
        load_config(str(base), ["findings.y_min_runs='three'"])
    sweep = {"base": str(base), "overrides": [], "seeds": [0, 1], "name": "onsets",
             "grid": {"model.options.onset": [20, 60]}}
    sweep_file = tmp_path / "onsets.toml"
    sweep_file.write_text(f'base = "{base}"\nseeds = [0, 1]\nname = "onsets"\n[grid]\n'
                          '"model.options.onset" = [20, 60]\n')
    done = app.sweep(str(sweep_file), app.Execution(tmp_path / "runs", workers=2))
    found = read_json(done.sweep_dir / "findings.json")["Y"]  # the sweep's summary
    assert "at least 2 runs" in found["measured"]  # the rule read its setting
    assert [w["onset"] for w in found["times"]["window"]] == [20, 60]
    assert found["times"]["exponent"] > 0  # a later planted onset: copying begins later
    report = done.page.read_text()  # the sweep report: its row and its figure
    assert "Y: later onsets are memorised later" in report and "tau_mem ~ onset^" in report
    assert (done.sweep_dir / "y_times.png").exists()
    from slopscope.experiments.run.catalog import sweep_catalog, sweep_columns

    assert "verdict_y" in sweep_columns()  # the catalogue of sweeps: a column of its own
    (row,) = sweep_catalog(tmp_path / "runs")
    assert row["verdict_y"] == found["verdict"] and row["runs"] == 4
    assert "verdict_y" in app.catalog(tmp_path / "runs")
    toy = Row("Y-toy", "Y: later onsets are memorised later", "Y", sweep, "none", 0, False)
    out = tmp_path / "results"
    write_json(out / "results.json", {"quick": False, "pending": [],
                                      "rows": [_row_result(toy, done.sweep_dir, None)]})
    page = build_results(out).read_text()  # the results page: its section and figure
    assert "## Memorisation time against the planted onset (Y)" in page
    assert "| onset | seeds | tau_rule | tau_mem |" in page and (out / "y_times.png").exists()
