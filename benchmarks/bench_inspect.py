"""Crawl and check a 5,000-page loopback fixture site; prints one JSON line last.

The fixture server runs in a separate process so it does not share the crawler's interpreter lock.
Target: >= 100 pages/s with bounded memory (peak RSS reported).

    .venv/bin/python benchmarks/bench_inspect.py [--pages 5000] [--workers 8] [--list-page-size 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import resource
import time


def _serve(n_pages: int, page_size: int | None, queue: mp.Queue, stop: mp.Event) -> None:
    from govassess.inspection.testsite import build_big_site, serve

    with serve(build_big_site(n_pages, page_size=page_size)) as (base, _hits):
        queue.put(base)
        stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument(
        "--list-page-size", type=int, default=None, help="split each column list into pages (paging)"
    )
    args = parser.parse_args()

    from govassess.inspection.crawler import CrawlConfig
    from govassess.inspection.report import inspect_site

    queue: mp.Queue = mp.Queue()
    stop = mp.Event()
    server = mp.Process(target=_serve, args=(args.pages, args.list_page_size, queue, stop), daemon=True)
    server.start()
    base = queue.get(timeout=120)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        config = CrawlConfig(
            base + "/",
            max_pages=args.pages + 10,
            delay=0,
            workers=args.workers,
            per_host=args.workers,
            timeout=10,
            external="loopback",
        )
        t0 = time.perf_counter()
        report = inspect_site(config, as_of=dt.date(2024, 6, 30))
        elapsed = time.perf_counter() - t0
    finally:
        stop.set()
        server.join(timeout=10)
    pages = report["pages_crawled"]
    print(
        f"crawled {pages} pages, {len(report['columns'])} columns, {len(report['articles'])} articles, "
        f"{len(report['pages_without_source'])} without 来源, {len(report['broken_links'])} broken links"
    )
    print(
        json.dumps(
            {
                "benchmark": "inspect",
                "pages": pages,
                "seconds": round(elapsed, 2),
                "pages_per_second": round(pages / elapsed, 1),
                "target_pages_per_second": 100,
                "workers": args.workers,
                "list_page_size": args.list_page_size,
                "column_pages": sum(c["pages"] for c in report["columns"]),
                "column_items": sum(c["items"] for c in report["columns"]),
                "columns": len(report["columns"]),
                "articles": len(report["articles"]),
                "crawl_errors": len(report["crawl_errors"]),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "rss_before_crawl_mb": round(rss_before / 1024, 1),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
