"""docs/architecture.md's claim, tried: a new run finding is its rule plus its registry entry.
Registered here (rule: a function of this module), it is judged in summary.json, shown in the
report and the summary line and given a catalogue column, with no other file touched. (A
finding registered at run time lives in this process only; sweeps and calibrations run their
runs in worker processes, which see the findings written in slopscope/verdicts.py.)"""

from __future__ import annotations

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
