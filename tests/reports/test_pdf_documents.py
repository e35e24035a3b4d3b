"""PDF typeset directly (reports/typeset.py, Typst): the demo's documents read back with poppler's tools.

Expected numbers come from the results JSON files (formatted to the two decimals the documents show), the
page numbers from the PDF itself (pdftotext page by page), never from the program's own bookkeeping.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from rich.console import Console

from govassess.cli import main
from govassess.demo import run_demo

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not all(shutil.which(t) for t in ("pdftotext", "pdffonts", "pdfinfo", "pdftoppm")),
                       reason="poppler-utils are installed by scripts/setup.sh --full"),
]
SYSTEMS = ["yangjiang-2021-dept", "yangjiang-2021-county"]


def run(*args: object) -> int:
    return main([str(a) for a in args])


def text(pdf: Path, *, page: int | None = None, layout: bool = True) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []),
            *(["-f", str(page), "-l", str(page)] if page else []), str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def fonts(pdf: Path) -> list[str]:
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]


def assert_fonts_embedded(pdf: Path) -> None:
    rows = fonts(pdf)
    assert rows and all(line.split()[-5] == "yes" for line in rows), rows  # the "emb" column
    assert any("NotoSerifCJKsc" in line for line in rows) and any("NotoSansCJKsc" in line for line in rows)


def assert_page_footers(pdf: Path) -> int:
    """Every page says 第 N 页，共 M 页 with its own number, counted on through the contents."""
    total = pages(pdf)
    for n in range(1, total + 1):
        assert f"第 {n} 页，共 {total} 页" in text(pdf, page=n), n
    return total


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo"
    run_demo(out, console=Console(quiet=True))
    return out


def ranked(results: dict) -> list[dict]:
    return sorted(results["units"], key=lambda u: (u["rank"], results["units"].index(u)))


@pytest.mark.parametrize("system", SYSTEMS)
def test_bulletin_pdf_ranking_rows_carry_the_results_numbers(demo, tmp_path, system):
    h1, h2 = demo / f"{system}-h1.json", demo / f"{system}-h2.json"
    results = json.loads(h2.read_text(encoding="utf-8"))
    previous = {u["unit"]: u for u in json.loads(h1.read_text(encoding="utf-8"))["units"]}
    out = tmp_path / "通报.pdf"
    assert run("report", "bulletin", h2, "--system", system, "--previous", h1, "--out", out) == 0
    body = text(out)
    lines = [line.split() for line in body.splitlines()]
    units = ranked(results)
    tied = {u["rank"] for u in units if sum(1 for v in units if v["rank"] == u["rank"]) > 1}
    for u in units:
        rank = f"{u['rank']}（并列）" if u["rank"] in tied else str(u["rank"])
        change = round(u["score"] - previous[u["unit"]]["score"], 2)
        expected = [rank, u["name"], f"{u['score']:.2f}", *(f"{u['indicators'][c]['score']:.2f}" for c in "ABCD")]
        row = next((t for t in lines if t[:2] == [rank, u["name"]]), None)
        assert row is not None, (u["name"], body[:2000])
        assert row[:7] == expected
        assert row[-2:] == ["0.00" if change == 0 else f"{change:+.2f}", str(previous[u["unit"]]["rank"])]
    assert_fonts_embedded(out)
    assert_page_footers(out)


def test_scorecards_pdf_each_names_only_its_unit_on_few_pages(demo, tmp_path):
    system = "yangjiang-2021-county"
    h2 = demo / f"{system}-h2.json"
    results = json.loads(h2.read_text(encoding="utf-8"))
    cards = tmp_path / "cards"
    assert run("report", "scorecard", h2, "--system", system, "--previous", demo / f"{system}-h1.json",
               "--format", "pdf", "--out", cards) == 0
    files = sorted(cards.iterdir())
    assert len(files) == len(results["units"])
    for u in results["units"]:
        (pdf,) = [f for f in files if f.name.startswith(u["unit"] + "-")]
        body = text(pdf, layout=False).replace("\n", "")
        assert f"{u['name']}2021年下半年评估成绩单" in body
        assert f"得分{u['score']:.2f}分" in body
        assert not any(v["name"] in body for v in results["units"] if v["unit"] != u["unit"])
        # Dense but readable: the pages grow with the lost points (each is a table row and a 整改建议
        # paragraph), about ten to a page after the first; a unit with few of them stays within three pages.
        lost = len(u["lost"])
        assert 1 <= pages(pdf) <= 1 + math.ceil(lost / 10), (pdf.name, lost, pages(pdf))
        if lost <= 16:
            assert pages(pdf) <= 3
    assert_fonts_embedded(files[0])


def _contents(pdf: Path) -> list[tuple[str, int]]:
    """(title, page) of the contents' lines: text, dot leaders, the page number."""
    found = []
    for n in range(1, 6):
        for line in text(pdf, page=n).splitlines():
            m = re.match(r"^\s*(\S.*?)\s*(?:\. ?){3,}\s*(\d+)\s*$", line)
            if m:
                found.append((m.group(1).replace(" ", ""), int(m.group(2))))
    return found


def _check_full_report(pdf: Path, results: dict) -> None:
    total = assert_page_footers(pdf)
    contents = _contents(pdf)
    titles = [t for t, _ in contents]
    for name in ("一、总体情况", "二、分项分析", "三、各单位成绩单", "附录指标体系与评分规则"):
        assert name in titles, titles
    names = [u["name"] for u in ranked(results)]
    # Each contents entry's page carries that heading (the numbers run on across the parts and the contents).
    for title, page in contents:
        assert 1 < page <= total
        assert title in text(pdf, page=page, layout=False).replace(" ", "").replace("\n", ""), (title, page)
    unit_entries = [t for t in titles if t.endswith("（县(市、区)）")]
    assert unit_entries == [f"{n}（县(市、区)）" for n in names]
    # Bookmarks: the same headings, pointing at the same pages, per-unit sections below their unit.
    import pikepdf

    with pikepdf.open(pdf) as doc, doc.open_outline() as outline:
        index = {p.objgen: i + 1 for i, p in enumerate(doc.pages)}
        top = [(item.title, index[item.destination[0].objgen]) for item in outline.root]
        assert [t for t, _ in top] == ["一、总体情况", "二、分项分析", "三、各单位成绩单", "附录  指标体系与评分规则"]
        units = list(outline.root[2].children)
        assert [u.title for u in units] == [f"{n}（县(市、区)）" for n in names]
        assert [c.title for c in units[0].children][:4] == ["总体情况", "各项指标得分", "失分项", "整改建议"]
    assert dict(contents)["三、各单位成绩单"] == dict(top)["三、各单位成绩单"]


def test_full_report_pdf_contents_bookmarks_and_page_numbers(demo, tmp_path):
    system = "yangjiang-2021-county"
    h1, h2 = demo / f"{system}-h1.json", demo / f"{system}-h2.json"
    out = tmp_path / "报告.pdf"
    assert run("report", "full", h2, "--system", system, "--previous", h1, "--out", out) == 0
    _check_full_report(out, json.loads(h2.read_text(encoding="utf-8")))
    assert_fonts_embedded(out)
    # The appendix's long 评估要点 wrap inside their cells: nothing is cut off at the right margin.
    appendix = pages(out)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", str(appendix), "-l", str(appendix), out, tmp_path / "a"],
                   check=True)
    (png,) = tmp_path.glob("a-*.png")
    from PIL import Image

    image = Image.open(png).convert("L")
    width, height = image.size
    margin = int(width * 1.9 / 21)  # the right margin is 2.4 cm: ink there would be overflow
    assert all(image.getpixel((x, y)) > 200 for x in range(width - margin, width) for y in range(0, height, 2))


def test_full_report_typeset_in_parts_numbers_pages_on(demo, tmp_path, monkeypatch):
    # One part per unit, each compiled by a worker process: the page numbers, the contents and the
    # bookmarks must come out as when the report is one part.
    from govassess.reports import typeset

    monkeypatch.setattr(typeset, "PART_CHARS", 1)
    monkeypatch.setattr(typeset, "CHROME_PAGES", 5)
    system = "yangjiang-2021-county"
    h1, h2 = demo / f"{system}-h1.json", demo / f"{system}-h2.json"
    out = tmp_path / "报告.pdf"
    assert run("report", "full", h2, "--system", system, "--previous", h1, "--internal", "--out", out) == 0
    _check_full_report(out, json.loads(h2.read_text(encoding="utf-8")))


def test_internal_pdf_has_the_header_mark_and_a_watermark_outside_the_text_layer(demo, tmp_path):
    system = "yangjiang-2021-dept"
    h2 = demo / f"{system}-h2.json"
    plain, internal = tmp_path / "plain.pdf", tmp_path / "internal.pdf"
    assert run("report", "bulletin", h2, "--system", system, "--out", plain) == 0
    assert run("report", "bulletin", h2, "--system", system, "--internal", "--out", internal) == 0
    body = text(internal, layout=False)
    assert body.count("内部资料 注意保密") == pages(internal)  # the header of every page
    # The watermark's characters are a picture: the text layer has 内部 only in the header.
    assert "内部" not in body.replace("内部资料 注意保密", "")
    assert "内部" not in text(plain, layout=False)
    # ... but the picture is there: the page's middle is greyer than without it.
    from PIL import Image, ImageChops

    for pdf in (plain, internal):
        subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", pdf, tmp_path / pdf.stem], check=True)
    a, b = (Image.open(next(tmp_path.glob(f"{n}-*.png"))).convert("L") for n in ("plain", "internal"))
    diff = ImageChops.difference(a, b)
    w, h = diff.size
    changed = sum(1 for x in range(w // 4, 3 * w // 4) for y in range(h // 4, 3 * h // 4) if diff.getpixel((x, y)) > 10)
    assert changed > w * h / 50


def test_markup_characters_in_names_and_wording_are_printed_as_written(files, tmp_path):
    odd = "#set[*$\\@<x>_`~{}"
    results = json.loads(files["h2"].read_text(encoding="utf-8"))
    for u in results["units"]:
        if u["unit"] == "U1":
            u["name"] = odd
    edited = tmp_path / "odd.json"
    edited.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    tpl = tmp_path / "t.yaml"
    tpl.write_text('office: "#办公室 *粗* $x$ <lbl> @ref"\nfooter: "= 页脚 // 注释 /* 块 */"\n', encoding="utf-8")
    out = tmp_path / "b.pdf"
    assert run("report", "bulletin", edited, "--system", files["system"], "--template", tpl, "--out", out) == 0
    body = text(out, layout=False)
    assert odd in body
    assert "#办公室 *粗* $x$ <lbl> @ref" in body
    assert "= 页脚 // 注释 /* 块 */" in body


def test_anonymised_pdf_names_only_the_readers_unit(files, tmp_path):
    out = tmp_path / "b.pdf"
    assert run("report", "bulletin", files["h2"], "--system", files["system"], "--anonymise", "--unit", "U2",
               "--out", out) == 0
    body = text(out)
    assert "单位乙" in body
    assert not any(name in body for name in ("单位甲", "单位丙", "单位丁"))
    rows = [line.split()[:2] for line in body.splitlines() if line.split()[:1] in (["1"], ["2（并列）"], ["4"])]
    assert [r[1] for r in rows] == ["U1", "单位乙", "U3", "U4"]


def _leftovers() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("govassess-pdf-*")}


def test_unwritable_output_is_refused_with_nothing_written(files, tmp_path, capsys):
    before = sorted(p.name for p in tmp_path.iterdir())
    assert run("report", "bulletin", files["h2"], "--system", files["system"],
               "--out", tmp_path / "no-such-folder" / "b.pdf") == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "no-such-folder" in err and "--out" in err, err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_typesetting_failure_leaves_no_file_and_no_work_folder(files, tmp_path, capsys, monkeypatch):
    # Typst failing half-way (here: the body part compiled, then an error for the header/footer pages).
    from govassess.reports import typeset

    real = typeset.typeset
    monkeypatch.setattr(typeset, "typeset", lambda root, template, name: "模拟的排版错误" if template == "chrome.typ"
                        else real(root, template, name))
    out = tmp_path / "报告.pdf"
    out.write_bytes(b"old")
    before = sorted(p.name for p in tmp_path.iterdir())
    leftovers = _leftovers()
    assert run("report", "full", files["h2"], "--system", files["system"], "--out", out) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "排版 PDF 失败：模拟的排版错误" in err, err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before and out.read_bytes() == b"old"
    assert _leftovers() == leftovers


@pytest.mark.parametrize("suffix", ["docx", "pdf"])
def test_a_logo_that_is_no_picture_is_refused_with_the_template_named(files, tmp_path, capsys, suffix):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"not a png")
    tpl = tmp_path / "t.yaml"
    tpl.write_text("logo: logo.png\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert run("report", "full", files["h2"], "--system", files["system"], "--template", tpl,
               "--out", tmp_path / f"报告.{suffix}") == 2
    err = capsys.readouterr().err
    assert "t.yaml" in err and "logo" in err and "不是有效的图片" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_template_wording_header_footer_and_logo_are_honoured(files, tmp_path):
    from PIL import Image

    Image.new("RGB", (120, 60), (180, 20, 20)).save(tmp_path / "logo.png")
    tpl = tmp_path / "t.yaml"
    tpl.write_text("office: 阳江市政务服务数据管理局\nlogo: logo.png\nheader: 阳江市数字政府评估（页眉）\n"
                   "footer: 阳江页脚文字\nreport_title: 阳江专用评估报告标题\ninternal_header: 仅限内部传阅\n"
                   "watermark: 绝密水印\n", encoding="utf-8")
    out = tmp_path / "报告.pdf"
    assert run("report", "full", files["h2"], "--system", files["system"], "--template", tpl, "--internal",
               "--out", out) == 0
    body = text(out, layout=False)
    total = pages(out)
    assert body.count("阳江市数字政府评估（页眉）") == total
    assert body.count("仅限内部传阅") == total + 1  # every page's header, and the cover under the date
    assert "阳江页脚文字" in text(out, page=total) and "阳江专用评估报告标题" in text(out, page=1)
    assert "阳江市政务服务数据管理局" in text(out, page=1)
    assert "绝密水印" not in body and "水印" not in body
    images = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
    logos = [line for line in images.splitlines()[2:] if line.split()[3:5] == ["120", "60"]]
    assert len(logos) >= total + 1  # in every page's header and on the cover


def test_pdf_without_chinese_fonts_is_refused_before_any_work(files, tmp_path, capsys, monkeypatch):
    from govassess.reports import typeset

    monkeypatch.setattr(typeset, "_font_families", lambda: frozenset({"DejaVu Sans"}))
    before = sorted(p.name for p in tmp_path.iterdir())
    assert run("report", "bulletin", files["h2"], "--system", files["system"], "--out", tmp_path / "b.pdf") == 2
    err = capsys.readouterr().err
    assert "未找到中文字体" in err and "fonts-noto-cjk" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_scorecards_typeset_in_two_threads_at_once(rounds, tmp_path):
    # The web server typesets 成绩单 in request threads: two at the same time must both come out whole.
    from concurrent.futures import ThreadPoolExecutor

    from reporttools import system

    from govassess.reports.model import build_model
    from govassess.reports.template import load_template
    from govassess.reports.typeset import PdfDocument
    from govassess.reports.word import write_scorecard

    current, previous = rounds
    model = build_model(current, system(), previous=previous)
    names = {"U1": "单位甲", "U2": "单位乙", "U3": "单位丙", "U4": "单位丁"}
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda code: write_scorecard(model, load_template(None), code, tmp_path / f"{code}.pdf",
                                                   document=PdfDocument), names))
    for code, name in names.items():
        body = text(tmp_path / f"{code}.pdf", layout=False)
        assert f"{name}2021年下半年评估成绩单" in body.replace("\n", "")
