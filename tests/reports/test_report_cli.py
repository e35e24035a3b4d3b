"""`govassess report …`: files written through the one writer, bad input refused with nothing written."""

from __future__ import annotations

import json
import shutil
import subprocess

import docx
import pytest

from govassess.cli import main


def run(*args: object) -> int:
    return main([str(a) for a in args])


def test_bulletin_docx(files, tmp_path, capsys):
    out = tmp_path / "通报.docx"
    units = tmp_path / "units.csv"
    units.write_text("unit,name,class\n" + "".join(f"U{i},单位{i},市级部门\n" for i in range(1, 6)), encoding="utf-8")
    assert run("report", "bulletin", files["h2"], "--system", files["system"], "--previous", files["h1"],
               "--units", units, "--out", out) == 0
    d = docx.Document(str(out))
    assert [c.text for c in d.tables[0].rows[2].cells][:3] == ["2（并列）", "单位乙", "87.00"]
    assert "已写出通报" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["通报.docx", "system.yaml", "h1.json", "h2.json",
                                                                 "units.csv"])


def test_scorecards_one_file_per_unit_into_a_new_folder(files, tmp_path):
    out = tmp_path / "成绩单"
    assert run("report", "scorecard", files["h2"], "--system", files["system"], "--out", out) == 0
    assert sorted(p.name for p in out.iterdir()) == ["U1-单位甲.docx", "U2-单位乙.docx", "U3-单位丙.docx",
                                                     "U4-单位丁.docx"]
    d = docx.Document(str(out / "U3-单位丙.docx"))
    assert d.paragraphs[0].text.startswith("单位丙")
    assert "并列第2" in "\n".join(p.text for p in d.paragraphs)


def test_anonymised_scorecards_name_only_their_own_unit(files, tmp_path):
    out = tmp_path / "cards"
    assert run("report", "scorecard", files["h2"], "--system", files["system"], "--anonymise", "--out", out) == 0
    for code, name in (("U1", "单位甲"), ("U2", "单位乙"), ("U3", "单位丙"), ("U4", "单位丁")):
        d = docx.Document(str(out / f"{code}-{name}.docx"))
        text = "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])
        assert name in text
        assert not any(other in text for other in ("单位甲", "单位乙", "单位丙", "单位丁") if other != name)


def test_one_scorecard_with_unit(files, tmp_path):
    out = tmp_path / "u2.docx"
    assert run("report", "scorecard", files["h2"], "--system", files["system"], "--unit", "U2", "--out", out) == 0
    assert docx.Document(str(out)).paragraphs[0].text.startswith("单位乙")


def _nothing_written(tmp_path, before):
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("case", ["other-system", "unknown-unit", "missing-folder", "combined", "bad-format",
                                  "not-json", "bad-template", "unit-not-in-units-file",
                                  "score-as-text", "indicator-score-as-text", "previous-rank-as-text"])
def test_bad_input_exit_2_located_chinese_nothing_written(files, tmp_path, capsys, case):
    results, system, out = files["h2"], str(files["system"]), tmp_path / "b.docx"
    extra: list[object] = []
    expect = ""
    if case == "other-system":
        system, expect = "yangjiang-2021-dept", "与 --system 指定的「yangjiang-2021-dept」不一致"
    elif case == "unknown-unit":
        extra, expect = ["--unit", "U9"], "结果中没有单位 U9"
    elif case == "missing-folder":
        out, expect = tmp_path / "no" / "b.docx", "不存在，请先创建该目录"
    elif case == "combined":
        data = json.loads(files["h2"].read_text(encoding="utf-8"))
        data["rounds"] = ["2021年上半年", "2021年下半年"]
        results = tmp_path / "annual.json"
        results.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        expect = "多轮合并结果"
    elif case == "bad-format":
        extra, expect = ["--format", "pdf"], "扩展名 .docx 与 --format pdf 不一致"
    elif case == "not-json":
        results = tmp_path / "bad.json"
        results.write_text("{", encoding="utf-8")
        expect = "不是有效的结果 JSON"
    elif case in ("score-as-text", "indicator-score-as-text", "previous-rank-as-text"):
        # Hand-edited results files: the place is named as a user counts (units[2] is the second unit).
        data = json.loads(files["h2" if case != "previous-rank-as-text" else "h1"].read_text(encoding="utf-8"))
        if case == "score-as-text":
            data["units"][1]["score"], expect = "八十", "units[2].score：应为数字，实际是文字「八十」"
        elif case == "indicator-score-as-text":
            data["units"][0]["indicators"]["3"]["score"] = "36分"
            expect = "units[1].indicators.3.score：应为数字，实际是文字「36分」"
        else:
            data["units"][2]["rank"], expect = "第三", "units[3].rank：应为整数，实际是文字「第三」"
        edited = tmp_path / "edited.json"
        edited.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        if case == "previous-rank-as-text":
            extra = ["--previous", edited]
        else:
            results = edited
    elif case == "bad-template":
        tpl = tmp_path / "t.yaml"
        tpl.write_text("office: x\nfooter: 第{page}页\n", encoding="utf-8")
        extra, expect = ["--template", tpl], "不认识的占位符 {page}"
    elif case == "unit-not-in-units-file":
        units = tmp_path / "units.csv"
        units.write_text("unit,name,class\nU1,单位甲,市级部门\nU2,单位乙,市级部门\nU3,单位丙,市级部门\n",
                         encoding="utf-8")
        extra, expect = ["--units", units], "单位 U4不在单位文件中"
    before = sorted(p.name for p in tmp_path.iterdir())
    assert run("report", "bulletin", results, "--system", system, *extra, "--out", out) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：") and expect in err, err
    assert "Traceback" not in err and "内部错误" not in err
    _nothing_written(tmp_path, before)


def test_pdf_through_libreoffice_without_it_is_refused_before_any_work(files, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GOVASSESS_SOFFICE", str(tmp_path / "no-soffice"))
    before = sorted(p.name for p in tmp_path.iterdir())
    assert run("report", "bulletin", files["h2"], "--system", files["system"], "--pdf-engine", "libreoffice",
               "--out", tmp_path / "b.pdf") == 2
    err = capsys.readouterr().err
    assert "未找到 LibreOffice" in err and "libreoffice-writer-nogui" in err
    _nothing_written(tmp_path, before)


def test_existing_output_is_kept_when_the_run_fails(files, tmp_path):
    out = tmp_path / "b.docx"
    out.write_bytes(b"old")
    assert run("report", "bulletin", files["h2"], "--system", "yangjiang-2021-dept", "--out", out) == 2
    assert out.read_bytes() == b"old"


needs_libreoffice = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext") and shutil.which("pdffonts")),
    reason="LibreOffice Writer and poppler-utils are installed by scripts/setup.sh --full")
needs_pdf_tools = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
                                     reason="poppler-utils are installed by scripts/setup.sh --full")


@pytest.mark.slow
@needs_libreoffice
def test_bulletin_pdf_through_libreoffice_has_chinese_text_and_embedded_fonts(files, tmp_path):
    out = tmp_path / "b.pdf"
    assert run("report", "bulletin", files["h2"], "--system", files["system"], "--previous", files["h1"],
               "--internal", "--pdf-engine", "libreoffice", "--out", out) == 0
    text = subprocess.run(["pdftotext", "-layout", out, "-"], capture_output=True, text=True, check=True).stdout
    for name in ("单位甲", "单位乙", "单位丙", "单位丁", "评估方法", "内部资料"):
        assert name in text
    assert "87.00" in text and "2（并列）" in text
    fonts = subprocess.run(["pdffonts", out], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column
    assert any("CJK" in line for line in fonts)
    pages = subprocess.run(["pdfinfo", out], capture_output=True, text=True, check=True).stdout
    assert "Pages:" in pages


@pytest.mark.slow
@needs_pdf_tools
def test_scorecards_pdf_one_per_unit_and_rendered_pages(files, tmp_path):
    out = tmp_path / "cards"
    assert run("report", "scorecard", files["h2"], "--system", files["system"], "--format", "pdf",
               "--out", out) == 0
    pdfs = sorted(p.name for p in out.iterdir())
    assert pdfs == ["U1-单位甲.pdf", "U2-单位乙.pdf", "U3-单位丙.pdf", "U4-单位丁.pdf"]
    text = subprocess.run(["pdftotext", out / "U4-单位丁.pdf", "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "单位丁" in text and "数据资源科" in text and "单位甲" not in text
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", out / "U4-单位丁.pdf", tmp_path / "page"],
                   check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 1000


def test_a_conversion_timeout_ends_libreoffice_and_writes_nothing(tmp_path, monkeypatch):
    # A stand-in soffice that starts a child and hangs: the timeout must end both.
    from govassess.errors import UserError
    from govassess.reports import pdf

    fake = tmp_path / "soffice"
    pidfile = tmp_path / "child.pid"
    fake.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pidfile}\nwait\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("GOVASSESS_SOFFICE", str(fake))
    doc = tmp_path / "a.docx"
    doc.write_bytes(b"x")
    out = tmp_path / "pdf"
    out.mkdir()
    with pytest.raises(UserError, match="超时"):
        pdf.convert_to_pdf([doc], out, timeout=1)
    import os
    import time

    child = int(pidfile.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the child of soffice is still running")
    assert list(out.iterdir()) == []
