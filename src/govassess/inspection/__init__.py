"""Government website inspection (网上抓取 / 政府网站检查).

Public API (the CLI and the web platform's scheduled job call these)::

    from govassess.inspection import CrawlConfig, inspect_site, probe_site, load_map, report_to_rows
    report = inspect_site(CrawlConfig("https://www.example.gov.cn/"), as_of=date, state_dir="state/")
    probe_site("https://www.example.gov.cn/", state_dir="state/")          # availability visit
    rows = report_to_rows(report, load_map(), unit="440100")               # unit, indicator, input, value, note
    # rows -> govassess.data.inputs_from_rows(system, units, rows, source="网上抓取")

The domain core: no web imports here.
"""

from govassess.inspection.crawler import CrawlConfig, crawl_site
from govassess.inspection.inputs import load_map, report_to_rows, write_inputs_csv
from govassess.inspection.report import inspect_site, probe_site, read_report, write_report
from govassess.inspection.rules import load_rules

__all__ = [
    "CrawlConfig",
    "crawl_site",
    "inspect_site",
    "load_map",
    "load_rules",
    "probe_site",
    "read_report",
    "report_to_rows",
    "write_inputs_csv",
    "write_report",
]
