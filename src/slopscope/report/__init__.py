"""Plots and the HTML reports, built from a run or sweep directory alone (they only read)."""

from slopscope.report.build import build_report, findings
from slopscope.report.sweep import build_sweep_report

__all__ = ["build_report", "build_sweep_report", "findings"]
