"""The office's wording of the documents: titles, issuing office, header/footer, logo, fixed paragraphs.

Defaults are built in; an office overrides any of them with a small YAML file (``--template``, documented in
docs/reports.md). Text may name placeholders in braces (``{round}``, ``{office}`` …), filled with
``str.format_map`` — an unknown key, an unknown placeholder or a missing logo is a located Chinese error
before anything is written.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from govassess.errors import Problem, UserError
from govassess.safe_yaml import expect_mapping, read_yaml

# key → (default text, placeholders it may use). Shared placeholders are available everywhere.
SHARED = ("office", "system", "round", "previous_round", "date", "units", "classes")
DEFAULT_TEXTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "bulletin_title": ("关于{system}（{round}）结果的通报", ()),
    "bulletin_recipients": ("各县(市、区)人民政府，市直有关单位：", ()),
    "bulletin_intro": (
        "根据评估工作安排，{office}组织开展了{system}（{round}）工作，共评估{classes}{units}个单位。现将评估结果通报如下。",
        (),
    ),
    "method": (
        "本次评估以第三方视角，采用定量评估为主、定性评估为辅的方法，通过现场走访、网上抓取、系统统计和日常监测等渠道"
        "采集数据，并结合各单位自报材料进行综合评估。各项指标按指标体系规定的规则计分，逐级汇总为一级指标得分，"
        "加上加分、减去减分后得出总分；对单位不适用的指标不予评估，其余指标得分折算为{scale}分制。"
        "本体系各项指标的数据来源包括：{sources}。",
        ("scale", "sources"),
    ),
    "ranking_intro": ("{class_name}（共{count}个单位）得分及排名如下表，得分相同的单位名次并列。", ("class_name", "count")),
    "leading_lagging": (
        "{class_name}中，{leading}得分位居前列；{lagging}得分相对靠后，需加快补齐短板。",
        ("class_name", "leading", "lagging"),
    ),
    "bulletin_closing": (
        "请各单位对照评估结果和成绩单中的失分项，认真分析原因，制定整改措施，切实抓好整改落实。", (),
    ),
    "scorecard_title": ("{unit}{round}评估成绩单", ("unit",)),
    "scorecard_intro": (
        "{unit}在{system}（{round}）中得分{score}分，在{class_name}{count}个单位中{rank_text}{grade_text}。",
        ("unit", "score", "class_name", "count", "rank_text", "grade_text"),
    ),
    "suggestion": ("{name}（{code}）失{lost}分：{reason}。建议对照评估要点{criteria}查找原因、落实整改。",
                   ("name", "code", "lost", "reason", "criteria")),
    "report_title": ("{system}（{round}）评估报告", ()),
    "report_overview": (
        "{round}共评估{classes}{units}个单位。各类别的平均分、最高分和最低分见下表，得分分布与排名见后附图。", (),
    ),
    "indicator_intro": (
        "{name}满分{points}分。适用的{applicable}个单位中有{full}个单位获得满分。", ("name", "points", "applicable", "full"),
    ),
    "header": ("{office}", ()),
    "footer": ("{system} · {round}", ()),
    "internal_header": ("内部资料 注意保密", ()),
    "watermark": ("内部", ()),
}
OTHER_KEYS = {"office": "评估办公室", "logo": None, "document_number": "", "date": ""}


class _Strict(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        raise KeyError(key)


@dataclass
class ReportTemplate:
    office: str = "评估办公室"
    logo: Path | None = None
    document_number: str = ""
    date: str = ""
    texts: dict[str, str] = field(default_factory=lambda: {k: v for k, (v, _) in DEFAULT_TEXTS.items()})
    file: str | None = None

    def text(self, key: str, **values: Any) -> str:
        """The template's text for ``key`` with its placeholders filled (checked when loaded)."""
        return self.texts[key].format_map(_Strict(values))


def load_template(path: str | Path | None) -> ReportTemplate:
    """The built-in wording, overridden by the office's YAML file when given."""
    tpl = ReportTemplate()
    if path is None:
        return tpl
    p = Path(path)
    where = str(path)
    # The project's one YAML reader: encoding hints, located syntax errors, expansion limits (docs/limits.md).
    data = read_yaml(p, file=where)
    if data is None:
        data = {}
    data = expect_mapping(data, file=where, what="模板文件")
    problems: list[Problem] = []
    known = set(DEFAULT_TEXTS) | set(OTHER_KEYS)
    for key, value in data.items():
        if key not in known:
            problems.append(Problem(f"不认识的模板键「{key}」，可用的键见 docs/reports.md", file=where, field=str(key)))
            continue
        if value is None:
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            problems.append(Problem("应为一段文字", file=where, field=str(key)))
            continue
        text = str(value)
        if key == "logo":
            logo = (p.parent / text) if not Path(text).is_absolute() else Path(text)
            if not logo.is_file():
                problems.append(Problem(f"标志图片 {logo} 不存在", file=where, field="logo"))
            elif logo.suffix.lower() not in (".png", ".jpg", ".jpeg", ".gif", ".bmp"):
                problems.append(Problem("标志图片应为 PNG、JPG、GIF 或 BMP 文件", file=where, field="logo"))
            elif not _decodes(logo):
                problems.append(Problem(f"标志图片 {logo} 无法读取：文件内容不是有效的图片", file=where, field="logo"))
            else:
                tpl.logo = logo
            continue
        if key in OTHER_KEYS:
            setattr(tpl, key, text)
            continue
        allowed = set(SHARED) | set(DEFAULT_TEXTS[key][1])
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError:
            problems.append(Problem("花括号不成对：占位符应写成 {名称}，文字中的花括号写成 {{ 或 }}", file=where, field=str(key)))
            continue
        bad = sorted(n for n in names if n.split(".")[0].split("[")[0] not in allowed or n != n.strip() or not n)
        if bad:
            problems.append(Problem(
                f"不认识的占位符 {'、'.join('{' + b + '}' for b in bad)}，此处可用：{'、'.join('{' + a + '}' for a in sorted(allowed))}",
                file=where, field=str(key)))
            continue
        tpl.texts[key] = text
    if problems:
        raise UserError(problems=problems)
    tpl.file = where
    return tpl


def _decodes(path: Path) -> bool:
    """The logo is a picture both writers can place (a renamed or truncated file fails in Word and in the PDF)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        return False
    return True


def template_keys() -> list[tuple[str, str, tuple[str, ...]]]:
    """(key, default, placeholders) for the documentation."""
    return [(k, v, tuple(SHARED) + extra) for k, (v, extra) in DEFAULT_TEXTS.items()]


# What each key is for (the comments of default_template_yaml; the table in docs/reports.md says the same).
KEY_NOTES: dict[str, str] = {
    "office": "发文单位（落款、页眉、封面）",
    "document_number": "通报文号（标题下方；默认不写）",
    "date": "落款日期（默认生成当天）",
    "bulletin_title": "通报标题",
    "bulletin_recipients": "通报主送单位",
    "bulletin_intro": "通报开头段落",
    "method": "评估方法段落（通报与评估报告）",
    "ranking_intro": "每个类别排名表前的一句话",
    "leading_lagging": "领先与靠后单位段落",
    "bulletin_closing": "通报“有关要求”段落",
    "scorecard_title": "成绩单标题",
    "scorecard_intro": "成绩单开头段落",
    "suggestion": "每条整改建议",
    "report_title": "评估报告标题（封面）",
    "report_overview": "评估报告总体情况开头段落",
    "indicator_intro": "分项分析每个一级指标的开头",
    "header": "页眉",
    "footer": "页脚（页码之前）",
    "internal_header": "内部资料版本页眉的标注",
    "watermark": "内部资料版本的水印文字",
}


def template_from_text(text: str, *, name: str, logo: Path | None = None) -> ReportTemplate:
    """A template kept as text (the web platform's 文档模板), checked exactly as load_template checks a file;
    problems name ``name`` instead of a file path. The logo is given apart (an uploaded image), so a ``logo``
    key in the text is refused."""
    import tempfile

    from govassess.safe_yaml import load_yaml

    data = load_yaml(text, file=name)
    if isinstance(data, dict) and "logo" in data:
        raise UserError("标志图片请单独上传，模板文字中不要写 logo", file=name, field="logo")
    with tempfile.TemporaryDirectory(prefix="govassess-template-") as tmp:
        path = Path(tmp) / "template.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            tpl = load_template(path)
        except UserError as err:
            raise UserError(problems=[replace(p, file=name) if p.file == str(path) else p
                                      for p in err.problems]) from None
    tpl.file = name
    tpl.logo = logo
    return tpl


def _yaml_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def default_template_yaml() -> str:
    """The built-in wording as a template file to start from: every key with its default and, in comments,
    what it is for and which placeholders it may use."""
    lines = [
        "# govassess 文档模板（通报、成绩单、评估报告的文字）",
        "# 只需保留要修改的键；删去的键使用内置默认文字。文字中可用花括号引用占位符，",
        "# 文字本身需要花括号时写成 {{ 和 }}。",
        "# 所有文字都可用的占位符：",
        "#   {office} 发文单位、{system} 体系名称、{round} 轮次、{previous_round} 上一轮、",
        "#   {date} 日期（未设置时为生成当天）、{units} 单位数、{classes} 类别",
        "",
    ]
    for key, default in OTHER_KEYS.items():
        if key == "logo":
            continue
        lines += [f"# {KEY_NOTES[key]}", f"{key}: {_yaml_quote(str(default))}", ""]
    for key, (default, extra) in DEFAULT_TEXTS.items():
        note = KEY_NOTES.get(key, key)
        if extra:
            note += "；另可用：" + "、".join("{" + e + "}" for e in extra)
        lines += [f"# {note}", f"{key}: {_yaml_quote(default)}", ""]
    return "\n".join(lines)


__all__ = ["ReportTemplate", "default_template_yaml", "load_template", "template_from_text", "template_keys"]
