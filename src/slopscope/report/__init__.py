"""Plots and the HTML report."""

from slopscope.report.build import build_report, findings

__all__ = ["build_report", "findings"]
