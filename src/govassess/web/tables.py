"""Server-side sorting, search and paging of the long tables (completeness, review queue, ranking): plain
links and a GET form, so they work without JavaScript. ui.js adds instant search and 20-row pages on top
when the whole table fits in one server page (it leaves a table of several server pages to these links).

A view builds a TablePage from its rows and renders `_table_head.html` per column header and
`_table_tools.html` above / `_table_pager.html` below the table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

PER_PAGE = 100  # rows per server page; settings.TABLE_PAGE_SIZE overrides (tests use a few)


@dataclass
class Column:
    key: str
    label: str
    sort: Callable[[Any], Any] | None = None  # None: not sortable
    url: str = ""  # the header link (sort by this column; again: the other direction)
    arrow: str = ""  # ▲ / ▼ on the current sort column
    aria: str = ""  # aria-sort of the header


@dataclass
class TablePage:
    rows: list
    columns: list[Column]
    total: int
    matched: int
    page: int
    pages: int
    q: str
    prefix: str
    per_page: int = PER_PAGE
    prev_url: str = ""
    next_url: str = ""
    params: dict[str, str] = field(default_factory=dict)  # hidden inputs of the search form

    @property
    def col(self) -> dict[str, Column]:
        return {c.key: c for c in self.columns}

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.matched else 0

    @property
    def last(self) -> int:
        return min(self.page * self.per_page, self.matched)


def _sort_key(func):
    # None sorts last in either direction's base order; mixed types never compare.
    def key(row):
        v = func(row)
        return (v is None, v if v is not None else 0)

    return key


def table_page(
    request,
    rows: Sequence,
    *,
    columns: list[tuple[str, str, Callable[[Any], Any] | None]],
    text: Callable[[Any], str],
    prefix: str = "",
    default: str = "",
    per_page: int | None = None,
) -> TablePage:
    """Sort (?<prefix>sort=key&<prefix>dir=asc|desc), search (?<prefix>q=, every word must occur in `text`
    of the row) and cut one page (?<prefix>page=N) of `rows`. Unknown or malformed parameters fall back to
    the defaults: a link typed by hand never errors."""
    from django.conf import settings

    per_page = per_page or getattr(settings, "TABLE_PAGE_SIZE", PER_PAGE)
    get = request.GET
    sort_by, direction = get.get(f"{prefix}sort", default), get.get(f"{prefix}dir", "asc")
    direction = "desc" if direction == "desc" else "asc"
    q = (get.get(f"{prefix}q") or "").strip()[:100]
    cols = [Column(k, label, func) for k, label, func in columns]
    by_key = {c.key: c for c in cols}
    out = list(rows)
    words = [w.lower() for w in q.split()]
    if words:
        out = [r for r in out if all(w in text(r).lower() for w in words)]
    if sort_by in by_key and by_key[sort_by].sort is not None:
        out.sort(key=_sort_key(by_key[sort_by].sort), reverse=direction == "desc")
    else:
        sort_by = ""
    pages = max(1, -(-len(out) // per_page))
    try:
        page = min(max(1, int(get.get(f"{prefix}page", "1"))), pages)
    except ValueError:
        page = 1

    def url(**changes) -> str:
        params = {k: v for k, v in get.items()}
        for k, v in changes.items():
            if v in (None, ""):
                params.pop(f"{prefix}{k}", None)
            else:
                params[f"{prefix}{k}"] = str(v)
        return "?" + urlencode(params) if params else "?"

    for c in cols:
        if c.sort is None:
            continue
        if c.key == sort_by:
            c.arrow = " ▲" if direction == "asc" else " ▼"
            c.aria = "ascending" if direction == "asc" else "descending"
            c.url = url(sort=c.key, dir="desc" if direction == "asc" else "asc", page=None)
        else:
            c.url = url(sort=c.key, dir="asc", page=None)
    keep = {k: v for k, v in get.items() if k not in (f"{prefix}q", f"{prefix}page")}
    return TablePage(
        rows=out[(page - 1) * per_page : page * per_page],
        columns=cols,
        total=len(rows),
        matched=len(out),
        page=page,
        pages=pages,
        q=q,
        prefix=prefix,
        per_page=per_page,
        prev_url=url(page=page - 1) if page > 1 else "",
        next_url=url(page=page + 1) if page < pages else "",
        params=keep,
    )
