"""Outputs: the census report (HTML, Markdown with PNG charts, JSON) built from the metrics stage."""

from modelcensus.outputs.report import REPORT_FORMATS, Report, build_report, build_report_model, write_report

__all__ = ["REPORT_FORMATS", "Report", "build_report", "build_report_model", "write_report"]
