"""Word (.docx) renderings of the report model: 通报, 成绩单 and 评估报告, with python-docx.

The documents stay editable in Word and WPS: real Heading styles (so the navigation pane and the contents
field work), real tables with a repeated header row, captions with SEQ fields, page numbers as fields.
Chinese text is set in the East Asian font slot (宋体 body, 黑体 headings); a machine without those fonts
(Linux, LibreOffice) substitutes them — the PDF conversion maps them to Noto CJK (see pdf.py).
Everything printed comes from :class:`govassess.reports.model.ReportModel`; nothing is recomputed here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import etree

from govassess.reports import charts
from govassess.reports.model import ClassSection, ReportModel, UnitReport
from govassess.reports.template import ReportTemplate

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
CN_NUMBERS = "一二三四五六七八九十"
MARGIN_CM = 2.4
RADAR_LIMIT = 200
CHART_UNITS = 50


def cn_number(n: int) -> str:
    """1 → 一, 11 → 十一, 21 → 二十一 (section numbers)."""
    if n <= 10:
        return CN_NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    return (CN_NUMBERS[tens - 1] if tens > 1 else "") + "十" + (CN_NUMBERS[ones - 1] if ones else "")


def _fonts(rpr_owner: Any, east_asian: str, size: float | None = None, bold: bool | None = None,
           black: bool = False) -> None:
    font = rpr_owner.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if black:
        font.color.rgb = RGBColor(0, 0, 0)
    rpr = rpr_owner.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), east_asian)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


class ReportDocument:
    """What the section functions below write to: the Word document here, the PDF in typeset.py.

    One set of section functions writes both formats, so the two say the same thing in the same words;
    a format implements the content helpers (heading, para, table, picture …) its own way."""

    def __init__(self, model: ReportModel, tpl: ReportTemplate, *, internal: bool = False) -> None:
        self.model = model
        self.tpl = tpl
        self.internal = internal
        self.tables = 0
        self.figures = 0
        self.toc_entries: list[tuple[int, str]] = []
        self.charts_skipped = False

    @functools.cached_property
    def shared(self) -> dict[str, Any]:
        m = self.model
        return {
            "office": self.tpl.office, "system": m.system_name, "round": m.round,
            "previous_round": m.previous_round or "", "date": self.date,
            "units": len(m.units), "classes": "、".join(c.name for c in m.classes),
        }

    @property
    def date(self) -> str:
        if self.tpl.date:
            return self.tpl.date
        today = dt.date.today()
        return f"{today.year}年{today.month}月{today.day}日"

    def text(self, key: str, **values: Any) -> str:
        return self.tpl.text(key, **{**self.shared, **values})

    def chart(self, make: Any, *args: Any) -> bytes | None:
        if charts.cjk_font() is None:
            self.charts_skipped = True
            return None
        png: bytes = make(*args)
        return png

    def next_number(self, kind: str) -> int:
        """The next 表 / 图 number (captions count tables and figures separately)."""
        if kind == "表":
            self.tables += 1
            return self.tables
        self.figures += 1
        return self.figures

    def locked_line(self) -> None:
        """Under the title: the lock time of the results the document is based on (when known)."""
        if self.model.locked_text:
            self.para(self.model.locked_text, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)

    # --- what each format writes its own way ---------------------------------------------------------

    def title(self, text: str) -> Any:
        raise NotImplementedError

    def heading(self, text: str, level: int) -> Any:
        raise NotImplementedError

    def para(self, text: str = "", *, indent: bool = True, align: Any = None, bold: bool = False) -> Any:
        raise NotImplementedError

    def table(self, caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
              widths: Sequence[float] | None = None, numeric: Sequence[int] = ()) -> Any:
        raise NotImplementedError

    def picture(self, png: bytes | None, caption: str, width_cm: float = 15.5) -> None:
        raise NotImplementedError

    def logo(self, height_cm: float) -> None:
        """The template's logo, centred on a line of its own (the cover)."""
        raise NotImplementedError

    def page_break(self) -> None:
        raise NotImplementedError

    def contents(self) -> None:
        raise NotImplementedError

    def save(self, path: str | Path) -> None:
        raise NotImplementedError


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float] | None,
                  text_width: float) -> list[float]:
    """Column widths in cm: the given ones cover the fixed columns; optional trailing ones (较上轮 …) take what
    their headers need, and the whole is scaled to the text width."""
    cm = list(widths or [])[: len(headers)]
    if len(cm) < len(headers):
        rest = _auto_widths(headers, rows, text_width)
        if cm:
            cm += rest[len(cm):]
            cm = [w * text_width / sum(cm) for w in cm]
        else:
            cm = rest
    return cm


class WordDocument(ReportDocument):
    """A python-docx document with the project's styles and the few helpers every document needs."""

    def __init__(self, model: ReportModel, tpl: ReportTemplate, *, internal: bool = False,
                 landscape: bool = False) -> None:
        super().__init__(model, tpl, internal=internal)
        self.doc = Document()
        self._sect = self.doc.element.body.sectPr
        # The body is streamed: finished paragraphs and tables are serialised to this file as they are
        # written (flush), so a report of thousands of pages never holds more than a page as a tree.
        self._stream = tempfile.TemporaryFile()
        root_ns = self.doc.element.nsmap
        self._declared = re.compile(
            "|".join(re.escape(f' xmlns:{k}="{v}"') for k, v in root_ns.items() if k).encode())
        self._toc: Paragraph | None = None
        self._toc_at = 0  # where in the stream the contents paragraph goes
        self._shape_id = 1000  # above the few ids the template and the header's logo use
        self._styles()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = section.page_height, section.page_width
        self.landscape = landscape
        section.top_margin = section.bottom_margin = Cm(2.5)
        section.left_margin = section.right_margin = Cm(MARGIN_CM)
        self._header_footer(internal)
        # Word refreshes the contents and SEQ fields when the file is opened (it asks first).
        settings = self.doc.settings.element
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        settings.append(update)

    def _styles(self) -> None:
        styles = self.doc.styles
        normal = styles["Normal"]
        _fonts(normal, BODY_FONT, 12)
        normal.paragraph_format.line_spacing = 1.3
        normal.paragraph_format.space_after = Pt(4)
        for level, size in ((1, 16), (2, 14), (3, 12)):
            st = styles[f"Heading {level}"]
            _fonts(st, HEADING_FONT, size, bold=True, black=True)
            st.paragraph_format.space_before = Pt(12 if level == 1 else 8)
            st.paragraph_format.space_after = Pt(6)
        title = styles["Title"]
        _fonts(title, HEADING_FONT, 22, bold=True, black=True)
        title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        # The default Title style draws a blue rule under the text: not in a government document.
        ppr = title.element.get_or_add_pPr()
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)
        caption = styles["Caption"]
        _fonts(caption, HEADING_FONT, 10.5, bold=False, black=True)
        caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for name in ("Header", "Footer"):
            _fonts(styles[name], BODY_FONT, 9)
        _fonts(styles["TOC Heading"], HEADING_FONT, 16, bold=True, black=True)

    def _header_footer(self, internal: bool) -> None:
        section = self.doc.sections[0]
        head = section.header.paragraphs[0]
        head.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if self.tpl.logo is not None:
            head.add_run().add_picture(str(self.tpl.logo), height=Cm(0.8))
            head.add_run("  ")
        head.add_run(self.text("header"))
        if internal:
            mark = head.add_run("    " + self.text("internal_header"))
            mark.font.bold = True
            mark.font.color.rgb = RGBColor(0xC0, 0, 0)
            self._watermark(head, self.text("watermark"))
        foot = section.footer.paragraphs[0]
        foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
        foot.add_run(self.text("footer") + "    第 ")
        self.field(foot, "PAGE", "1")
        foot.add_run(" 页，共 ")
        self.field(foot, "NUMPAGES", "1")
        foot.add_run(" 页")

    @staticmethod
    def _watermark(paragraph: Any, text: str) -> None:
        # Word's own watermark: a WordArt shape in the header, behind the text on every page.
        safe = text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        xml = (
            '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
            'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">'
            '<w:pict><v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
            'path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>'
            '<v:textpath on="t" fitshape="t"/></v:shapetype>'
            '<v:shape id="govassessWatermark" o:spid="_x0000_s1025" type="#_x0000_t136" '
            'style="position:absolute;margin-left:0;margin-top:0;width:420pt;height:140pt;rotation:315;'
            'z-index:-251657216;mso-position-horizontal:center;mso-position-horizontal-relative:margin;'
            'mso-position-vertical:center;mso-position-vertical-relative:margin" o:allowincell="f" '
            'fillcolor="#d8d8d8" stroked="f"><v:fill opacity=".5"/>'
            f'<v:textpath style="font-family:&quot;{HEADING_FONT}&quot;;font-size:1pt" string="{safe}"/>'
            '</v:shape></w:pict></w:r>'
        )
        paragraph._p.append(parse_xml(xml))

    # --- content helpers -----------------------------------------------------------------------------

    @staticmethod
    def field(paragraph: Any, instruction: str, shown: str) -> None:
        """A complex field (PAGE, SEQ 表, TOC …) with ``shown`` as its current result."""
        def char(kind: str) -> None:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            paragraph.add_run()._r.append(el)

        char("begin")
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = f" {instruction} "
        paragraph.add_run()._r.append(instr)
        char("separate")
        paragraph.add_run(shown)
        char("end")

    def new_paragraph(self, style_id: str | None = None) -> Paragraph:
        """A paragraph at the end of the body. python-docx's add_paragraph looks for the section properties
        among all the body's children on every call (quadratic for a report of thousands of pages)."""
        p = OxmlElement("w:p")
        if style_id:
            p.get_or_add_pPr().style = style_id
        self._sect.addprevious(p)
        return Paragraph(p, self.doc._body)

    def add_picture(self, paragraph: Paragraph, image: Any, **size: Any) -> None:
        """An inline picture; its drawing id is counted here (python-docx rescans the whole document for
        the next free id on every picture)."""
        part = self.doc.part
        rid, img = part.get_or_add_image(image)
        cx, cy = img.scaled_dimensions(size.get("width"), size.get("height"))
        self._shape_id += 1
        inline = CT_Inline.new_pic_inline(self._shape_id, rid, img.filename, cx, cy)
        paragraph.add_run()._r.add_drawing(inline)

    def _block(self, inner: str, style_id: str | None = None, *, indent: bool = False, align: Any = None) -> Paragraph:
        """A paragraph written as WordprocessingML and parsed once (python-docx builds a run element by element
        and its text a character at a time: most of a large report's time). The markup is what python-docx
        writes for the same calls; the returned Paragraph can be changed further as usual."""
        ppr = ""
        if style_id or indent or align is not None:
            ppr = ("<w:pPr>" + (f'<w:pStyle w:val="{style_id}"/>' if style_id else "")
                   + ('<w:ind w:firstLine="480"/>' if indent else "")
                   + (f'<w:jc w:val="{_JC[align]}"/>' if align is not None else "") + "</w:pPr>")
        p = parse_xml(f"<w:p {_W}>{ppr}{inner}</w:p>")
        self._sect.addprevious(p)
        return Paragraph(p, self.doc._body)

    def heading(self, text: str, level: int) -> Any:
        self.toc_entries.append((level, text))
        return self._block(_run_xml(text), f"Heading{level}")

    def title(self, text: str) -> Any:
        return self._block(_run_xml(text), "Title")

    def para(self, text: str = "", *, indent: bool = True, align: Any = None, bold: bool = False) -> Any:
        # indent: two characters (24 pt first line), as Chinese documents indent.
        return self._block(_run_xml(text, bold=bold) if text else "", indent=indent, align=align)

    def caption(self, kind: str, text: str) -> None:
        number = self.next_number(kind)
        self._block(_run_xml(f"{kind} ") + _field_xml(f"SEQ {kind} \\* ARABIC", str(number)) + _run_xml(f"  {text}"),
                    "Caption")

    def table(self, caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
              widths: Sequence[float] | None = None, numeric: Sequence[int] = ()) -> Any:
        """A captioned table (caption above, as Chinese documents place it); header row repeats on each page.

        The table is written as one piece of WordprocessingML and parsed once: python-docx's per-cell
        objects cost about a millisecond a cell, and a full report of a large round has hundreds of
        thousands of cells. The markup is what python-docx itself writes (Table Grid style, fixed layout,
        grid and cell widths — LibreOffice reads the grid, Word the cells)."""
        self.caption("表", caption)
        cm = column_widths(headers, rows, widths, self.text_width)
        twips = [int(w * 567) for w in cm]
        right = set(numeric)
        parts = [f'<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="{sum(twips)}" w:type="dxa"/>'
                 '<w:jc w:val="center"/><w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" '
                 'w:lastRow="0" w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>']
        parts += [f'<w:gridCol w:w="{t}"/>' for t in twips]
        parts.append("</w:tblGrid>")
        parts.append('<w:tr><w:trPr><w:tblHeader/></w:trPr>')
        parts += [_cell_xml(h, t, "center", bold=True) for h, t in zip(headers, twips, strict=True)]
        parts.append("</w:tr>")
        for values in rows:
            parts.append("<w:tr>")
            parts += [_cell_xml(v, t, "right" if i in right else None)
                      for i, (v, t) in enumerate(zip(values, twips, strict=True))]
            parts.append("</w:tr>")
        parts.append("</w:tbl>")
        # Straight into the body stream (its namespace is the document root's): never parsed into a tree.
        self.flush()
        self._stream.write("".join(parts).encode())
        self.new_paragraph()

    @property
    def text_width(self) -> float:
        """Width between the margins, in cm."""
        return (29.7 if self.landscape else 21.0) - 2 * MARGIN_CM

    def picture(self, png: bytes | None, caption: str, width_cm: float = 15.5) -> None:
        if png is None:
            return
        p = self.new_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.add_picture(p, io.BytesIO(png), width=Cm(width_cm))
        self.caption("图", caption)

    def logo(self, height_cm: float) -> None:
        if self.tpl.logo is not None:
            p = self.para(indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
            self.add_picture(p, str(self.tpl.logo), height=Cm(height_cm))

    def page_break(self) -> None:
        self._block('<w:r><w:br w:type="page"/></w:r>')

    def flush(self) -> None:
        """Serialise the body's finished blocks to the stream and drop them from the tree. The contents
        paragraph is filled last (it lists every heading): a mark stands in for it until then."""
        body = self.doc.element.body
        for child in list(body):
            if child is self._sect:
                continue
            body.remove(child)
            if self._toc is not None and child is self._toc._p:
                self._toc_at = self._stream.tell()
                continue
            self._stream.write(self._declared.sub(b"", etree.tostring(child, encoding="utf-8"), count=0))

    def contents(self) -> None:
        """A contents field; its shown text lists the headings so far unknown, so it is filled at the end."""
        heading = self.new_paragraph("TOCHeading")
        heading.add_run("目  录")
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self._toc = self.new_paragraph()
        self.page_break()

    def _fill_contents(self) -> None:
        toc = self._toc
        if toc is None:
            return
        # The field's current result lists the headings (without page numbers); Word and WPS recompute it
        # with page numbers when the fields are updated (Word asks on opening: updateFields in settings).
        entries = [(lvl, t) for lvl, t in self.toc_entries if lvl <= 2]
        self.field(toc, 'TOC \\o "1-2" \\h \\z \\u', "")
        shown = toc.runs[-2]  # the (empty) result run between "separate" and "end"
        # One run of text and breaks, written as markup (python-docx adds text a character at a time).
        texts = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(_BAD_XML.sub("", ("    " if lvl == 2 else "") + t))}</w:t>'
                               for lvl, t in entries)
        shown._r.getparent().replace(shown._r, parse_xml(f"<w:r {_W}>{texts}</w:r>"))

    def save(self, path: str | Path) -> None:
        """The package as python-docx writes it, with the streamed body put into word/document.xml."""
        self._fill_contents()
        self.flush()
        toc = b""
        if self._toc is not None:
            toc = self._declared.sub(b"", etree.tostring(self._toc._p, encoding="utf-8"))
        with tempfile.TemporaryDirectory(prefix="govassess-docx-") as tmp:
            shell = Path(tmp) / "shell.docx"
            self.doc.save(str(shell))
            built = Path(tmp) / "out.docx"
            with zipfile.ZipFile(shell) as src, zipfile.ZipFile(built, "w", zipfile.ZIP_DEFLATED) as dst:
                for info in src.infolist():
                    data = src.read(info)
                    if info.filename != "word/document.xml":
                        dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
                        continue
                    cut = data.index(b"<w:body>") + len(b"<w:body>")
                    with dst.open(info.filename, "w", force_zip64=True) as out:
                        out.write(data[:cut])
                        end = self._stream.tell()
                        self._stream.seek(0)
                        _copy(self._stream, out, self._toc_at)
                        out.write(toc)
                        _copy(self._stream, out, end - self._toc_at)
                        out.write(data[cut:])
            shutil.copyfile(built, path)
        self._stream.close()


def _copy(src: Any, dst: Any, size: int, block: int = 1 << 20) -> None:
    while size > 0:
        chunk = src.read(min(block, size))
        if not chunk:
            break
        dst.write(chunk)
        size -= len(chunk)


# --- shared sections -----------------------------------------------------------------------------------

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
# Characters XML 1.0 forbids (a stray control character in a unit's note would make the file unreadable).
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


_JC = {WD_ALIGN_PARAGRAPH.LEFT: "left", WD_ALIGN_PARAGRAPH.CENTER: "center", WD_ALIGN_PARAGRAPH.RIGHT: "right",
       WD_ALIGN_PARAGRAPH.JUSTIFY: "both"}


def _text_xml(text: str) -> str:
    """Text as python-docx's add_text writes it: a line break for \\n, a tab for \\t."""
    out = []
    for i, line in enumerate(_BAD_XML.sub("", text).split("\n")):
        if i:
            out.append("<w:br/>")
        for j, piece in enumerate(line.split("\t")):
            if j:
                out.append("<w:tab/>")
            if piece:
                out.append(f'<w:t xml:space="preserve">{escape(piece)}</w:t>')
    return "".join(out)


def _run_xml(text: str, *, bold: bool = False) -> str:
    return f"<w:r>{'<w:rPr><w:b/></w:rPr>' if bold else ''}{_text_xml(text)}</w:r>"


def _field_xml(instruction: str, shown: str) -> str:
    return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> '
            f'{escape(instruction)} </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f'{_run_xml(shown)}<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def _cell_xml(value: Any, width: int, align: str | None, *, bold: bool = False) -> str:
    text = "" if value is None else _BAD_XML.sub("", str(value))
    jc = f'<w:jc w:val="{align}"/>' if align else ""
    b = "<w:b/><w:bCs/>" if bold else ""
    runs = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in text.split("\n"))
    return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p><w:pPr>'
            f'<w:spacing w:after="0" w:line="240" w:lineRule="auto"/><w:ind w:firstLine="0"/>{jc}</w:pPr>'
            f'<w:r><w:rPr>{b}<w:sz w:val="21"/><w:szCs w:val="21"/></w:rPr>{runs}</w:r></w:p></w:tc>')


def _auto_widths(headers: Sequence[str], rows: Sequence[Sequence[Any]], total: float) -> list[float]:
    """Column widths in cm from the longest text of each column (header counted at half: it may wrap)."""
    weights = []
    for i, h in enumerate(headers):
        longest = max([len(str(r[i])) for r in rows if r[i] is not None] + [len(h) / 2, 2])
        weights.append(min(longest, 26.0))
    scale = total / sum(weights)
    return [w * scale for w in weights]


def _ends_for_chart(units: Sequence[UnitReport], top: str = "前", bottom: str = "后"
                    ) -> tuple[list[UnitReport], str]:
    """A chart of one bar or row per unit is unreadable past CHART_UNITS: show the two ends of the order."""
    if len(units) <= CHART_UNITS:
        return list(units), ""
    half = CHART_UNITS // 2
    if top == "前":
        return [*units[:half], *units[-half:]], f"（{top}{half}名与{bottom}{half}名）"
    return [*units[:half], *units[-half:]], f"（{top}最大与{bottom}最大的各{half}个单位）"


def _ranking_table(w: ReportDocument, section: ClassSection) -> None:
    m = w.model
    headers = ["名次", "单位", "总分"] + [name if points is None else f"{name}（{points:g}分）"
                                         for _, name, points, _ in m.first_levels]
    has_grade = bool(m.grades) or any(u.grade for u in section.units)
    if has_grade:
        headers.append("等次")
    has_prev = m.previous_round is not None
    if has_prev:
        headers += ["较上轮", "上轮名次"]
    rows = []
    for u in section.units:
        row: list[Any] = [_rank_cell(u), u.label, m.fmt(u.score)]
        by_code = {i.code: i for i in u.first_level}
        for code, _, _, _ in m.first_levels:
            item = by_code.get(code)
            row.append("不适用" if item is None or not item.applicable else m.fmt(item.score))
        if has_grade:
            row.append(u.grade or "")
        if has_prev:
            row += [m.fmt_change(u.change), "—" if u.previous_rank is None else str(u.previous_rank)]
        rows.append(row)
    numeric = list(range(2, 3 + len(m.first_levels)))
    w.table(f"{m.round}{section.name}得分及排名", headers, rows, numeric=numeric)


def _rank_cell(u: UnitReport) -> str:
    if u.rank is None:
        return "—"
    return f"{u.rank}（并列）" if u.tied else str(u.rank)


def _names(units: Sequence[UnitReport]) -> str:
    return "、".join(u.label for u in units) or "无"


def _leading_lagging(w: ReportDocument, section: ClassSection) -> None:
    if not section.leading:
        return
    if not section.lagging:
        w.para(f"{section.name}中，{_names(section.leading)}得分位居前列。")
        return
    w.para(w.text("leading_lagging", class_name=section.name,
                  leading=_names(section.leading), lagging=_names(section.lagging)))


def _method(w: ReportDocument) -> None:
    m = w.model
    w.para(w.text("method", scale=f"{_scale(m)}", sources="、".join(m.sources) or "各单位自报材料"))


def _scale(m: ReportModel) -> str:
    rows = [r for r in m.system_rows if r.level == 1 and r.points is not None and r.kind == "常规"]
    total = sum(r.points or 0 for r in rows)
    return f"{total:g}" if total else "100"


# --- 通报 ---------------------------------------------------------------------------------------------

def write_bulletin(model: ReportModel, tpl: ReportTemplate, path: str | Path, *, internal: bool = False,
                   document: type[ReportDocument] = WordDocument) -> ReportDocument:
    w = document(model, tpl, internal=internal)
    w.title(w.text("bulletin_title"))
    w.locked_line()
    if tpl.document_number:
        w.para(tpl.document_number, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    w.para(w.text("bulletin_recipients"), indent=False)
    w.para(w.text("bulletin_intro"))
    w.heading("一、评估方法", 1)
    _method(w)
    w.heading("二、评估结果", 1)
    for i, section in enumerate(model.classes, start=1):
        w.heading(f"（{cn_number(i)}）{section.name}", 2)
        w.para(w.text("ranking_intro", class_name=section.name, count=len(section.units)))
        _ranking_table(w, section)
        _leading_lagging(w, section)
    w.heading("三、有关要求", 1)
    w.para(w.text("bulletin_closing"))
    w.para()
    w.para(tpl.office, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    w.para(w.date, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    w.save(path)
    return w


# --- 成绩单 -------------------------------------------------------------------------------------------

def _scorecard_body(w: ReportDocument, u: UnitReport, level: int, *, radar: bool = True) -> None:
    m = w.model
    grade_text = f"，等次为{u.grade}" if u.grade else ""
    w.para(w.text("scorecard_intro", unit=u.label, score=m.fmt(u.score), class_name=u.cls, count=u.class_size,
                  rank_text=f"排名{u.rank_text}" if u.rank is not None else "未排名", grade_text=grade_text))
    if u.vetoed:
        w.para("该单位触发否决条件，总分按 0 分计。")

    w.heading("总体情况", level)
    rows = [["总分", m.fmt(u.score)], ["加权得分", m.fmt(u.weighted)], ["加分", m.fmt(u.bonus)],
            ["减分", m.fmt(u.penalty)],
            ["名次", f"{u.rank_text}（{u.cls}共{u.class_size}个单位）" if u.rank is not None else "—"],
            ["等次", u.grade or "—"]]
    if m.previous_round is not None:
        rows += [[f"{m.previous_round}得分", m.fmt(u.previous_score)], ["总分变化", m.fmt_change(u.change)],
                 [f"{m.previous_round}名次", "—" if u.previous_rank is None else f"第{u.previous_rank}"],
                 ["名次变化", _rank_change(u.rank_change)]]
    w.table(f"{u.label}总体得分", ["项目", "结果"], rows, widths=[5.0, 8.0])

    w.heading("各项指标得分", level)
    headers = ["指标", "满分", "得分", "同类平均", "同类最高"]
    has_prev = m.previous_round is not None
    if has_prev:
        headers.append("较上轮")
    rows = []
    for item in u.first_level:
        for depth, it in [(0, item)] + [(1, c) for c in item.children]:
            name = ("    " if depth else "") + f"{it.code} {it.name}"
            if not it.applicable:
                r = [name, "—", "不适用", "—", "—"]
            else:
                r = [name, _num(it.points), m.fmt(it.score), m.fmt(it.class_average), m.fmt(it.class_best)]
            if has_prev:
                r.append(m.fmt_change(it.change) if it.applicable else "—")
            rows.append(r)
    w.table(f"{u.label}各项指标得分与同类比较", headers, rows, widths=[6.5, 1.8, 1.8, 2.2, 2.2, 1.8],
            numeric=list(range(1, len(headers))))
    scored = [i for i in u.first_level if i.applicable and i.points and i.kind == "normal"]
    if radar and len(scored) >= 3:
        png = w.chart(charts.radar, [i.name for i in scored],
                      [100 * (i.score or 0) / (i.points or 1) for i in scored],
                      [100 * (i.class_average or 0) / (i.points or 1) for i in scored], u.label)
        w.picture(png, f"{u.label}一级指标得分率与同类平均比较", width_cm=11)

    w.heading("失分项", level)
    if u.lost:
        total = sum(lp.lost for lp in u.lost)
        w.para(f"本轮共有{len(u.lost)}项指标失分，合计失分{m.fmt(total)}分，明细如下。")
        w.table(f"{u.label}失分项", ["编码", "指标", "失分", "原因"],
                [[lp.code, lp.name, m.fmt(lp.lost), lp.reason] for lp in u.lost],
                widths=[1.6, 4.0, 1.6, 9.0], numeric=[2])
    else:
        w.para("本轮没有失分项。")
    if u.missing:
        w.para("以下输入缺少数据，已按 0 分计：" + "；".join(f"指标 {x.get('indicator')} 的「{x.get('label') or x.get('input')}」"
                                                       for x in u.missing) + "。")

    w.heading("整改建议", level)
    if not u.suggestions:
        w.para("各项指标均已得满分，请保持。")
    for group in u.suggestions:
        w.heading(group.heading, level + 1) if level < 3 else w.para(group.heading, indent=False, bold=True)
        for n, lp in enumerate(group.items, start=1):
            w.para(f"{n}. " + w.text("suggestion", name=lp.name, code=lp.code, lost=m.fmt(lp.lost),
                                     reason=lp.reason.rstrip("。"),
                                     criteria=f"“{lp.criteria}”" if lp.criteria else ""))
    _rectification_section(w, u, level)


def _rectification_section(w: ReportDocument, u: UnitReport, level: int) -> None:
    """上轮整改情况: the previous round's 整改任务 of the unit, their status and whether the indicator improved
    (only when the model was given the tasks, build_model's ``rectification``)."""
    m = w.model
    if not m.has_rectification:
        return
    w.heading("上轮整改情况", level)
    if not u.rectification:
        w.para("上一轮没有向本单位下达整改任务。")
        return
    passed = sum(1 for t in u.rectification if t.status == "已通过")
    better = sum(1 for t in u.rectification if t.improved_text == "已提升")
    w.para(f"上一轮共向本单位下达整改任务{len(u.rectification)}项，其中整改已通过{passed}项；"
           f"本轮得分较上轮提升的指标{better}项。")
    previous = m.previous_round or "上轮"
    w.table(f"{u.label}上轮整改情况", ["编码", "指标", "整改要求", "整改状态", f"{previous}得分", "本轮得分", "是否提升"],
            [[t.indicator, t.name, t.requirement or "—", t.status, m.fmt(t.previous), m.fmt(t.current), t.improved_text]
             for t in u.rectification],
            widths=[1.2, 2.8, 4.0, 2.6, 1.8, 1.8, 2.0], numeric=[4, 5])


def _rank_change(change: int | None) -> str:
    if change is None:
        return "—"
    if change > 0:
        return f"上升{change}位"
    if change < 0:
        return f"下降{-change}位"
    return "持平"


def _num(points: float | None) -> str:
    return "—" if points is None else f"{points:g}"


def write_scorecard(model: ReportModel, tpl: ReportTemplate, unit: str, path: str | Path, *,
                    internal: bool = False, document: type[ReportDocument] = WordDocument) -> ReportDocument:
    # A 成绩单 is its unit's own document: it names that unit even when the round's documents are anonymised
    # (it names no other unit: class average and best are figures, not names).
    u = dataclasses.replace(model.unit(unit), label=model.unit(unit).name)
    w = document(model, tpl, internal=internal)
    w.title(w.text("scorecard_title", unit=u.label))
    w.locked_line()
    w.para(f"{tpl.office}    {w.date}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _scorecard_body(w, u, 1)
    w.save(path)
    return w


# --- 评估报告 -----------------------------------------------------------------------------------------

def write_full_report(model: ReportModel, tpl: ReportTemplate, path: str | Path, *, internal: bool = False,
                      document: type[ReportDocument] = WordDocument,
                      own_pages: Collection[str] | None = None) -> ReportDocument:
    """The 评估报告. ``own_pages``: unit codes whose per-unit pages (成绩单) are printed; None (default) prints
    every unit's. A unit's published version passes its own code: the overview, rankings and sections already
    show every unit (others as codes when anonymised), so the other units' pages would only make the file
    ~N times larger without telling the reader anything it may read."""
    m = model
    w = document(m, tpl, internal=internal)
    # Cover.
    for _ in range(6):
        w.para(indent=False)
    w.logo(2.5)
    w.title(w.text("report_title"))
    w.locked_line()
    for _ in range(8):
        w.para(indent=False)
    w.para(tpl.office, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    w.para(w.date, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    if internal:
        w.para(w.text("internal_header"), indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    w.page_break()
    w.contents()

    w.heading("一、总体情况", 1)
    w.para(w.text("report_overview"))
    w.heading("（一）评估方法", 2)
    _method(w)
    w.heading("（二）得分概况", 2)
    w.table(f"{m.round}各类别得分概况", ["类别", "单位数", "平均分", "最高分", "最低分"],
            [[c.name, len(c.units), m.fmt(c.average), m.fmt(c.best), m.fmt(c.lowest)] for c in m.classes],
            numeric=[1, 2, 3, 4])
    scale = float(_scale(m))
    for c in m.classes:
        scores = [u.score for u in c.units if u.score is not None]
        if scores:
            w.picture(w.chart(charts.distribution, scores, f"{c.name}得分分布", scale), f"{c.name}得分分布")
    w.heading("（三）排名", 2)
    for c in m.classes:
        _ranking_table(w, c)
        ranked, note = _ends_for_chart([u for u in c.units if u.score is not None])
        if ranked:
            w.picture(w.chart(charts.ranking_bar, [u.label for u in ranked], [u.score for u in ranked],
                              f"{c.name}总分排名{note}", c.average), f"{c.name}总分排名{note}")
        _leading_lagging(w, c)
    normal_levels = [(code, name, points) for code, name, points, kind in m.first_levels if kind == "normal" and points]
    if normal_levels:
        w.heading("（四）一级指标得分率", 2)
        for c in m.classes:
            rows, note = _ends_for_chart(c.units)
            rates = []
            for u in rows:
                by_code = {i.code: i for i in u.first_level}
                rates.append([(by_code[code].score or 0) / (by_code[code].points or points)
                              if code in by_code and by_code[code].applicable and (by_code[code].points or points)
                              else None for code, _, points in normal_levels])
            w.picture(w.chart(charts.heat_map, [u.label for u in rows], [n for _, n, _ in normal_levels], rates,
                              f"{c.name}一级指标得分率{note}"), f"{c.name}一级指标得分率{note}")
    if m.previous_round is not None:
        w.heading(f"（五）与{m.previous_round}相比", 2)
        for c in m.classes:
            changed = [u for u in c.units if u.change is not None]
            up = sum(1 for u in changed if (u.change or 0) > 0)
            down = sum(1 for u in changed if (u.change or 0) < 0)
            w.para(f"{c.name}中，与{m.previous_round}相比总分上升的有{up}个单位，下降的有{down}个单位。")
            shown, note = _ends_for_chart(sorted(changed, key=lambda u: -(u.change or 0)), "升幅", "降幅")
            if shown:
                w.picture(w.chart(charts.change_bar, [u.label for u in shown], [u.change for u in shown],
                                  f"{c.name}总分变化{note}"), f"{c.name}与{m.previous_round}相比的总分变化{note}")

    w.heading("二、分项分析", 1)
    for i, s in enumerate(m.indicator_sections, start=1):
        w.heading(f"（{cn_number(i)}）{s.name}", 2)
        if s.kind == "normal" and s.points:
            w.para(w.text("indicator_intro", name=s.name, points=f"{s.points:g}", applicable=s.applicable,
                          full=s.full_marks))
        w.table(f"{s.name}各类别得分", ["类别", "平均分", "最高分", "得分最高的单位"],
                [[cls, m.fmt(avg), m.fmt(best), _names(top)] for cls, avg, best, top in s.per_class], numeric=[1, 2])
        if s.weaknesses:
            w.para(f"{s.name}下失分较为普遍的指标如下（按失分单位数排列）。")
            w.table(f"{s.name}共性失分指标", ["编码", "指标", "失分单位数", "适用单位数", "平均失分"],
                    [[x.code, x.name, x.units, x.applicable, m.fmt(x.average_lost)] for x in s.weaknesses[:10]],
                    numeric=[2, 3, 4])
        else:
            w.para(f"{s.name}下没有单位失分。")

    w.heading("三、各单位成绩单", 1)
    pages = [u for u in m.units_in_ranking_order() if own_pages is None or u.code in own_pages]
    if own_pages is not None:
        w.para("本版本只收录本单位的成绩单；其他单位的得分和排名见上文，其成绩单不在本版本中。")
    # A radar image costs ~0.1 s to draw: past RADAR_LIMIT units the report's per-unit pages leave it out
    # (each unit's own 成绩单 file keeps it), so a national round stays within minutes.
    radar = len(pages) <= RADAR_LIMIT
    if not radar:
        w.para(f"本轮评估单位较多（{len(m.units)}个），各单位雷达图见单独印发的成绩单。")
    for u in pages:
        w.page_break()
        w.heading(f"{u.label}（{u.cls}）", 2)
        _scorecard_body(w, u, 3, radar=radar)

    w.page_break()
    w.heading("附录  指标体系与评分规则", 1)
    w.table(f"{m.system_name}", ["编码", "指标", "层级", "分值", "类型", "计分方式", "评估要点", "数据来源", "牵头科室"],
            [[r.code, r.name, r.level, _num(r.points), r.kind, r.rule, r.criteria, r.source, r.lead]
             for r in m.system_rows],
            widths=[1.2, 2.8, 1.0, 1.1, 1.3, 1.7, 4.5, 1.6, 1.8], numeric=[3])
    w.save(path)
    return w
