"""Each verdict cell says how far it can be trusted, from its calibration (report/trust.py)."""

from __future__ import annotations

import pytest

from slopscope.report.trust import TRUSTED, UNTRUSTED, verdict_cell


def rate(value: float, measurable: int = 40, n: int = 40) -> dict:
    return {"rate": value, "low": 0.0, "high": 1.0, "hits": round(value * n), "n": n,
            "measurable": measurable}


def calibration(null: float, power: float, measurable: int = 40) -> dict:
    """D's calibration rates: its null arm and its planted-slop arm."""
    return {"false_positive_rate": rate(null, measurable), "slop_holds": rate(power, measurable)}


@pytest.mark.parametrize("verdict, null, power, text, css", [
    ("holds", 0.02, 0.9, "holds (trustworthy: false positives 2%, power 90%)", TRUSTED),
    ("holds", 0.12, 0.9, "holds (not trustworthy at this size: false positives 12%)", UNTRUSTED),
    ("not shown", 0.02, 0.08, "not shown (power 8%: says little)", UNTRUSTED),
    ("not shown", 0.02, 0.85, "not shown (power 85%)", "not"),
    ("reversed", 0.02, 0.85, "reversed (false positives 2% for holds, power 85%)", "reversed"),
    ("not measurable", 0.02, 0.85, "not measurable", "not"),
])
def test_a_verdict_cell_states_its_trust(verdict, null, power, text, css):
    assert verdict_cell("D", verdict, calibration(null, power)) == (text, css)


def test_a_holds_is_green_only_when_calibrated_and_its_controls_can_judge_it():
    assert verdict_cell("D", "holds", None) == (
        "holds (not calibrated: run slopscope calibrate)", UNTRUSTED)
    assert verdict_cell("D", "holds", calibration(0.0, 0.0, measurable=0)) == (
        "holds (its controls cannot judge it at this size)", UNTRUSTED)
    # A is trusted by its own null arm (memorise every string), not the shared null
    a_rates = {"uniform_holds": rate(0.2), "power": rate(1.0), "false_positive_rate": rate(0.0)}
    assert verdict_cell("A", "holds", a_rates)[1] == UNTRUSTED


def test_secondary_and_saturated_cells_are_never_read_as_findings():
    assert verdict_cell("A", "reversed", None, secondary=True) == (
        "secondary: reversed (descriptive: not calibrated)", UNTRUSTED)
    text, css = verdict_cell("A", "reversed", None, secondary=True, saturated=True)
    assert text.startswith("secondary: saturated, no order to see") and css == UNTRUSTED
    assert verdict_cell("A", "not measurable", None, saturated=True)[0] == "not measurable"


def test_the_calibration_table_reads_each_verdicts_own_arms_and_warns_of_an_off_centre_null():
    """paper-cpu's shipped calibration: A's false positives are on its own null (memorise every
    string), D's power on planted slop; D's null intervals cover 0 in 0/40, A's planted
    controls are measurable in 15 of 40: the page says both, and names no absolute path."""
    from slopscope.experiments.presets import shipped_calibration
    from slopscope.report.sections import calibration_section

    page = calibration_section(shipped_calibration("paper-cpu"), "paper-cpu")
    assert "(0/40) on planted memorisation of every string" in page
    assert "(0/40) on planted slop" in page
    assert "its planted controls are measurable in 15 of 40" in page
    assert "D: " in page and "cover 0 in only 0% [0%, 9%] of null runs" in page
    assert "the calibration shipped with slopscope, <code>experiments/presets/" in page
