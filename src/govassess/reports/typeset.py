"""PDF renderings of the report model, typeset directly by Typst (the ``typst`` package) — no Word detour.

:class:`PdfDocument` has the interface of :class:`~govassess.reports.word.WordDocument`, so the same section
functions in word.py write both formats. It records the document as a list of blocks (heading, paragraph,
table, picture …) in JSON; the Typst templates in ``typst/`` set them. Every text goes through JSON as a
string and is set as text, never read as markup, so a unit named ``#set[*$\\@<x>`` prints as written.

A report of thousands of pages is typeset in parts (cut at the page breaks between units), each part in a
worker process that ends after it: Typst keeps the layout of everything it compiled in memory, about
1.5 MB a page, so one compile of a national round would need gigabytes. Two workers use the machine's two
cores. Pages are numbered only once every part's length is known: the header, the footer
(第 N 页，共 M 页) and the 内部 watermark are typeset as separate "chrome" pages and laid under the body
pages when the parts are joined (pikepdf, i.e. qpdf), which also builds the bookmarks from the headings.
The contents (cover and contents are the "front" part) is typeset last, with the page numbers found.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import weakref
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH

from govassess._typeset_worker import typeset
from govassess.errors import UserError
from govassess.reports.model import ReportModel
from govassess.reports.template import ReportTemplate
from govassess.reports.word import _BAD_XML, MARGIN_CM, ReportDocument, column_widths

FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC")
MISSING_FONTS = ("未找到中文字体 Noto Serif CJK SC / Noto Sans CJK SC，无法生成 PDF：请运行 bash scripts/setup.sh --full "
                 "安装（Debian/Ubuntu 软件包 fonts-noto-cjk），或改用 --format docx 生成 Word 文档")
TEMPLATES = Path(__file__).with_name("typst")
# A body part is cut at the first page break after this much JSON (about 60 units' 成绩单, 250 pages): small
# enough for a worker's memory (~500 MB), large enough that starting workers (0.2 s each) costs little.
PART_CHARS = 600_000
CHROME_PAGES = 2000
HEADER_CHAR_CM = 0.34  # a 9 pt character with a little air
FOLD_ROWS = 6  # a two-column table of this many rows or more is set as two pairs of columns  # chrome pages per compile
WORKERS = 2
MARGIN_TOP_CM = MARGIN_BOTTOM_CM = 2.5
_ALIGN = {WD_ALIGN_PARAGRAPH.LEFT: "left", WD_ALIGN_PARAGRAPH.CENTER: "center", WD_ALIGN_PARAGRAPH.RIGHT: "right",
          WD_ALIGN_PARAGRAPH.JUSTIFY: None}


@lru_cache(maxsize=1)
def _font_families() -> frozenset[str]:
    import typst

    return frozenset(typst.Fonts(include_embedded_fonts=False).families())


def require_fonts() -> None:
    """Typst would quietly fall back to a font without Chinese glyphs: refuse before any work instead."""
    try:
        import pikepdf  # noqa: F401
        import typst  # noqa: F401
    except ImportError as e:  # pragma: no cover - both are dependencies of the package
        raise UserError(f"缺少生成 PDF 所需的 Python 软件包 {e.name}：请重新安装 govassess（pip install -e .）") from None
    if not set(FONTS) <= _font_families():
        raise UserError(MISSING_FONTS)


def _clean(value: Any) -> str:
    # Control characters are not text (the Word writer drops the same ones); most values have none, and
    # isprintable() says so faster than the substitution would.
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return text if text.isprintable() else _BAD_XML.sub("", text)


class PdfDocument(ReportDocument):
    """A PDF written through Typst; see the module's docstring for how it is put together."""

    def __init__(self, model: ReportModel, tpl: ReportTemplate, *, internal: bool = False,
                 landscape: bool = False) -> None:
        super().__init__(model, tpl, internal=internal)
        require_fonts()
        self.landscape = landscape
        self.root = Path(tempfile.mkdtemp(prefix="govassess-pdf-"))
        for name in ("body.typ", "chrome.typ", "mark.typ"):
            shutil.copyfile(TEMPLATES / name, self.root / name)
        self._blocks: list[str] = []  # the current part's blocks, each already JSON
        self._headings: list[tuple[int, str]] = []  # the current part's headings (level, text)
        self._size = 0
        self._front: list[str] | None = None  # the blocks of the cover and contents
        self._parts: list[tuple[str, list[tuple[int, str]], Future[Any] | None]] = []
        self._pool: ThreadPoolExecutor | None = None
        self._images = 0
        self._title = ""
        self.pages = 0
        # A document abandoned half-way (an error in a section) leaves neither its files nor its workers.
        self._cleanup = weakref.finalize(self, _discard, self.root, [None])

    # --- blocks --------------------------------------------------------------------------------------

    def _add(self, *block: Any) -> None:
        data = json.dumps(block, ensure_ascii=False)
        self._blocks.append(data)
        self._size += len(data)

    def title(self, text: str) -> None:
        self._title = self._title or _clean(text)
        self._add("title", _clean(text))

    def heading(self, text: str, level: int) -> None:
        self.toc_entries.append((level, text))
        self._headings.append((level, _clean(text)))
        self._add("h", level, _clean(text))

    def para(self, text: str = "", *, indent: bool = True, align: Any = None, bold: bool = False) -> None:
        if not text:
            self._add("v")  # an empty paragraph: a line's space, as in the Word document
            return
        self._add("p", _clean(text), indent, _ALIGN.get(align), bold)

    def table(self, caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
              widths: Sequence[float] | None = None, numeric: Sequence[int] = ()) -> None:
        number = self.next_number("表")
        cm = column_widths(headers, rows, widths, self.text_width)
        cm = _fit(cm, headers, self.text_width)
        head = [_clean(h) for h in headers]
        body = [[_clean(v) for v in row] for row in rows]
        if len(headers) == 2 and len(rows) >= FOLD_ROWS:
            # A two-column list (项目 / 结果) is folded into two pairs of columns side by side: the same cells,
            # read row by row in each half, on half the height.
            half = -(-len(body) // 2)
            left, right = body[:half], body[half:] + [["", ""]] * (2 * half - len(body))
            head, body = head * 2, [a + b for a, b in zip(left, right, strict=True)]
            cm = [w * self.text_width / 2 / sum(cm) for w in cm] * 2
            numeric = [*numeric, *(i + 2 for i in numeric)]
        self._add("t", f"表 {number}  {_clean(caption)}", head, body, [round(w, 3) for w in cm], list(numeric))

    @property
    def text_width(self) -> float:
        """Width between the margins, in cm."""
        return (29.7 if self.landscape else 21.0) - 2 * MARGIN_CM

    def _image(self, data: bytes | Path, suffix: str = ".png") -> str:
        self._images += 1
        name = f"img-{self._images}{suffix}"
        if isinstance(data, Path):
            shutil.copyfile(data, self.root / name)
        else:
            (self.root / name).write_bytes(data)
        return name

    def picture(self, png: bytes | None, caption: str, width_cm: float = 15.5) -> None:
        if png is None:
            return
        number = self.next_number("图")
        self._add("img", self._image(png), min(width_cm, self.text_width), f"图 {number}  {_clean(caption)}")

    def logo(self, height_cm: float) -> None:
        if self.tpl.logo is not None:
            self._add("logo", self._logo_file(), height_cm)

    def _logo_file(self) -> str:
        assert self.tpl.logo is not None
        name = "logo" + self.tpl.logo.suffix.lower()
        if not (self.root / name).exists():
            shutil.copyfile(self.tpl.logo, self.root / name)
        return name

    def page_break(self) -> None:
        # Headings just before the break go with it to the new page (三、各单位成绩单 is followed by a page break
        # and the first unit: Word leaves the heading alone at the foot of the page, the PDF does not).
        moved = 0
        while self._blocks and self._blocks[-1].startswith('["h",'):
            moved += 1
            self._blocks.pop()
        carried = self._headings[len(self._headings) - moved:] if moved else []
        del self._headings[len(self._headings) - moved:]
        # Between units of a long report (after its contents): the place to start a new part, whose first page
        # is a new page anyway.
        if self._size >= PART_CHARS and self._front is not None:
            self._cut()
        else:
            self._add("pb")
        for level, text in carried:
            self._headings.append((level, text))
            self._add("h", level, text)

    def contents(self) -> None:
        """The contents: everything so far (the cover) and the contents are the front part, typeset last, when
        the pages of the headings are known."""
        if self._parts:  # pragma: no cover - the contents follows the cover, never a part of the body
            raise RuntimeError("the contents must come before the body")
        self._add("toc")
        self._front = self._blocks
        self._blocks, self._headings, self._size = [], [], 0

    # --- typesetting ---------------------------------------------------------------------------------

    def _style(self) -> dict[str, Any]:
        return {"title": self._title, "landscape": self.landscape, "margin_x": MARGIN_CM,
                "margin_top": MARGIN_TOP_CM, "margin_bottom": MARGIN_BOTTOM_CM}

    def _write(self, name: str, toc: Sequence[Sequence[Any]] = ()) -> str:
        head = json.dumps({"style": self._style(), "toc": list(toc)}, ensure_ascii=False)
        (self.root / f"{name}.json").write_text(
            head[:-1] + ', "blocks": [' + ",".join(self._blocks) + "]}", encoding="utf-8")
        return name

    def _cut(self) -> None:
        """Write the current part and hand it to a worker (the first cut starts them: the document is long)."""
        name = self._write(f"part-{len(self._parts) + 1:04d}")
        self._parts.append((name, self._headings, self._submit(name)))
        self._blocks, self._headings, self._size = [], [], 0

    def _submit(self, name: str, template: str = "body.typ") -> Future[Any]:
        if self._pool is None:
            # Threads that each wait for one worker process (python -m govassess._typeset_worker).
            self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="govassess-typst")
            self._cleanup.detach()
            self._cleanup = weakref.finalize(self, _discard, self.root, [self._pool])
        return self._pool.submit(_run_worker, str(self.root), template, name)

    def _result(self, name: str, future: Future[Any] | None, template: str = "body.typ") -> int:
        # A single part (a 通报, a 成绩单, a short report) is typeset here: no process to start.
        outcome = future.result() if future is not None else typeset(str(self.root), template, name)
        if isinstance(outcome, str):
            raise UserError(f"排版 PDF 失败：{outcome}")
        return int(outcome)

    def save(self, path: str | Path) -> None:
        try:
            self._save(Path(path))
        finally:
            self._cleanup()

    def _save(self, path: Path) -> None:
        import pikepdf

        if self._blocks or not self._parts:
            name = self._write(f"part-{len(self._parts) + 1:04d}")
            self._parts.append((name, self._headings, self._submit(name) if self._pool is not None else None))
        # Body parts: their page counts and where their headings fell.
        body_pages = 0
        headings: list[tuple[int, str, int]] = []  # level, text, page within the body (1-based)
        for name, heads, future in self._parts:
            pages = self._result(name, future)
            headings += [(level, text, body_pages + page) for (level, text), page in zip(heads, _heading_pages(
                self.root / f"{name}.pdf", len(heads)), strict=True)]
            body_pages += pages
        front_pages = 0
        if self._front is not None:
            self._blocks = self._front
            self._write("front", [(level, text, page) for level, text, page in headings if level <= 2])
            # In a worker when there are workers: what Typst lays out stays in its process's memory.
            front_pages = self._result("front", self._submit("front") if self._pool is not None else None)
        total = front_pages + body_pages
        self.pages = total
        chrome = self._chrome(total)
        with pikepdf.new() as out:
            sources: list[Any] = []
            names = (["front"] if self._front is not None else []) + [name for name, _, _ in self._parts]
            for name in names:
                out.pages.extend(_open(self.root / f"{name}.pdf", sources).pages)
            # Iterated, not indexed: pikepdf finds pages[n] by walking the page tree.
            unders = (under for name in chrome for under in _open(self.root / f"{name}.pdf", sources).pages)
            for page, under in zip(out.pages, unders, strict=True):
                page.add_underlay(under, rect=None)
            _outline(out, [(level, text, front_pages + page - 1) for level, text, page in headings])
            out.docinfo["/Title"] = self._title
            out.docinfo["/Creator"] = "govassess"
            out.Root.Lang = pikepdf.String("zh-CN")
            # The parts' streams are compressed already: copied as they are, not decoded and compressed again.
            out.save(path, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True,
                     stream_decode_level=pikepdf.StreamDecodeLevel.none, recompress_flate=False)
            for src in sources:
                src.close()

    def _chrome(self, total: int) -> list[str]:
        """Typeset the header/footer/watermark pages for a document of ``total`` pages; their files' names."""
        mark = None
        if self.internal:
            import typst

            mark = "mark.svg"
            try:
                svg = typst.compile(str(self.root / "mark.typ"), root=str(self.root), format="svg",
                                    sys_inputs={"mark": self.text("watermark")})
            except typst.TypstError as e:
                raise UserError(f"排版 PDF 失败：{_first_line(e)}") from None
            (self.root / mark).write_bytes(svg if isinstance(svg, bytes) else svg[0])
        common = {"style": self._style(), "total": total, "header": self.text("header"),
                  "footer": self.text("footer"), "logo": self._logo_file() if self.tpl.logo is not None else None,
                  "internal": self.text("internal_header") if self.internal else None, "mark": mark}
        names = []
        for i, start in enumerate(range(1, total + 1, CHROME_PAGES), start=1):
            name = f"chrome-{i:04d}"
            data = {**common, "start": start, "count": min(CHROME_PAGES, total - start + 1)}
            (self.root / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            names.append(name)
        futures = [self._submit(n, "chrome.typ") if self._pool is not None else None for n in names]
        for name, future in zip(names, futures, strict=True):
            self._result(name, future, "chrome.typ")
        return names


def _fit(cm: list[float], headers: Sequence[str], text_width: float) -> list[float]:
    """Column widths that stay within the margins (Word lets a table stick out; a PDF cannot) and give each header
    room for two characters a line (名次 set as 名/次 reads badly), taken from the widest columns."""
    total = min(sum(cm), text_width)
    least = [min(len(str(h)), 2) * HEADER_CHAR_CM + 0.3 for h in headers]
    if sum(least) >= total:
        return [w * total / sum(least) for w in least]
    short = [max(w, m) for w, m in zip(cm, least, strict=True)]
    # What the raised columns took comes off the others, in proportion to what they have above their minimum.
    spare = [s - m for s, m in zip(short, least, strict=True)]
    excess = sum(short) - total
    if excess > 0:
        short = [s - excess * sp / sum(spare) for s, sp in zip(short, spare, strict=True)]
    return short


def _open(path: Path, opened: list[Any]) -> Any:
    import pikepdf

    pdf = pikepdf.open(path)
    opened.append(pdf)
    return pdf


def _outline(pdf: Any, headings: Sequence[tuple[int, str, int]]) -> None:
    """The bookmarks: one per heading (level, text, 0-based page), nested by level, below level 1 closed.

    Written as the outline dictionaries themselves: pikepdf's Outline model looks each page up anew and costs
    about 2 ms a bookmark, a minute for a national round's report."""
    import pikepdf

    if not headings:
        return
    pages = [p.obj for p in pdf.pages]
    root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    stack: list[tuple[int, Any, list[Any]]] = [(0, root, [])]  # (level, item, its children so far)

    def close(level: int) -> None:
        while stack[-1][0] >= level:
            _, item, children = stack.pop()
            _link(item, children, open_=False)

    for level, text, page in headings:
        close(level)
        item = pdf.make_indirect(pikepdf.Dictionary(
            Title=pikepdf.String(text), Parent=stack[-1][1],
            Dest=pikepdf.Array([pages[page], pikepdf.Name.XYZ, None, None, None])))
        stack[-1][2].append(item)
        stack.append((level, item, []))
    close(1)
    _, _, top = stack.pop()
    _link(root, top, open_=True)
    pdf.Root.Outlines = root
    pdf.Root.PageMode = pikepdf.Name.UseOutlines


def _link(parent: Any, children: list[Any], *, open_: bool) -> None:
    if not children:
        return
    for before, after in zip(children, children[1:], strict=False):
        before.Next, after.Prev = after, before
    parent.First, parent.Last = children[0], children[-1]
    # /Count: positive shows the children (the top level), negative keeps them folded.
    parent.Count = len(children) if open_ else -len(children)


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _heading_pages(pdf_path: Path, expected: int) -> list[int]:
    """The page (1-based) of each heading of a part, in order, from the bookmarks Typst made for them."""
    import pikepdf

    pages: list[int] = []
    with pikepdf.open(pdf_path) as pdf:
        index: dict[Any, int] = {p.objgen: i for i, p in enumerate(pdf.pages)}
        with pdf.open_outline() as outline:
            def walk(items: Any) -> None:
                for item in items:
                    dest = item.destination
                    pages.append(index[dest[0].objgen] + 1 if isinstance(dest, pikepdf.Array) and len(dest)
                                 and dest[0].objgen in index else (pages[-1] if pages else 1))
                    walk(item.children)
            walk(outline.root)
    if len(pages) != expected:
        raise UserError(f"排版 PDF 失败：标题数 {len(pages)} 与文档的 {expected} 个不符")
    return pages


def _run_worker(root: str, template: str, name: str) -> int | str:
    proc = subprocess.run([sys.executable, "-m", "govassess._typeset_worker", root, template, name],
                          capture_output=True, text=True, encoding="utf-8", check=False)
    last = (proc.stdout.strip().splitlines() or [""])[-1]
    if proc.returncode == 0 and last.isdigit():
        return int(last)
    if last.startswith("ERROR "):
        return last[len("ERROR "):]
    detail = (proc.stderr.strip().splitlines() or [f"退出码 {proc.returncode}"])[-1]
    return f"排版进程异常结束（{detail}）"


def _discard(root: Path, pools: list[ThreadPoolExecutor | None]) -> None:
    for pool in pools:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    shutil.rmtree(root, ignore_errors=True)


__all__ = ["PdfDocument", "require_fonts"]
