"""The lock time of the results printed under every document's title; `--locked-at` validated."""

from __future__ import annotations

import docx
import pytest

from govassess.cli import main

LINE = "本文件依据 2026-12-03 17:00 定稿的评估结果"


def run(*args: object) -> int:
    return main([str(a) for a in args])


def texts(path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


@pytest.mark.parametrize("kind", ["bulletin", "full"])
def test_round_documents_print_the_lock_time_under_the_title(files, tmp_path, kind):
    out = tmp_path / f"{kind}.docx"
    assert run("report", kind, files["h2"], "--system", files["system"], "--locked-at", "2026-12-03T17:00",
               "--out", out) == 0
    paras = [t for t in texts(out) if t.strip()]
    assert paras[1] == LINE  # straight after the title (the cover's title for the 评估报告)


def test_scorecard_and_an_offset_time_converted_to_beijing_time(files, tmp_path):
    out = tmp_path / "u2.docx"
    # 09:00 UTC is 17:00 in Beijing (UTC+8).
    assert run("report", "scorecard", files["h2"], "--system", files["system"], "--unit", "U2",
               "--locked-at", "2026-12-03T09:00:00+00:00", "--out", out) == 0
    paras = texts(out)
    assert paras[0].startswith("单位乙") and paras[1] == LINE


def test_without_the_option_no_line(files, tmp_path):
    out = tmp_path / "b.docx"
    assert run("report", "bulletin", files["h2"], "--system", files["system"], "--out", out) == 0
    assert not any("定稿的评估结果" in t for t in texts(out))


@pytest.mark.parametrize("bad", ["2026-13-03T17:00", "昨天", "17:00"])
def test_bad_lock_time_exit_2_chinese_nothing_written(files, tmp_path, capsys, bad):
    out = tmp_path / "b.docx"
    assert run("report", "bulletin", files["h2"], "--system", files["system"], "--locked-at", bad, "--out", out) == 2
    err = capsys.readouterr()
    message = err.out + err.err
    assert "--locked-at" in message and "不是有效的日期时间" in message and "Traceback" not in message
    assert not out.exists()
