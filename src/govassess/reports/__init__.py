"""Reports: the results workbook (and, later, HTML/PDF outputs and charts)."""

from govassess.reports.workbook import write_results_workbook

__all__ = ["write_results_workbook"]
