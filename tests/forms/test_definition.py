"""The built-in form transcribes seed 000's 填表说明: column counts, drop-down options, units, precision."""

from __future__ import annotations

import datetime as dt

import pytest

from govassess.errors import UserError
from govassess.forms.model import form_from_dict, list_forms, load_form


def test_builtin_listed(form):
    assert ("info-system-survey", "政务信息系统调查表") in list_forms()
    assert form.cutoff == dt.date(2017, 12, 31)  # “截至2017年12月31日各单位已建或在建的……”


def test_sheet_sizes(form):
    # 基本情况表“共39列”, 网络设施建设情况表“共15列”, 软硬件基本信息表“共7列”.
    assert len(form.sheet("systems").fields) == 39
    assert len(form.sheet("networks").fields) == 15
    assert len(form.sheet("assets").fields) == 7
    systems = [f.name for f in form.sheet("systems").fields]
    assert systems[0] == "部门全称" and systems[-2] == "信息系统拟清理、整合情况" and systems[-1] == "备注"


def test_unit_sheet_has_the_six_items_the_seed_lists(form):
    names = [f.name for f in form.sheet("units").fields]
    for item in ("单位名称", "地址", "统一社会信用代码", "性质", "联系人", "联系方式"):
        assert item in names


@pytest.mark.parametrize(
    ("sheet", "field", "options"),
    [
        ("systems", "系统类型", ["办公系统", "门户网站", "业务系统"]),
        ("systems", "项目资金来源", ["财政拨款", "自筹", "其他"]),
        ("systems", "承载网络", ["电子政务内网", "电子政务外网", "电子政务专网", "其他自建网络", "单机运行"]),
        ("systems", "系统运维模式", ["现场", "远程", "现场+远程"]),
        ("systems", "数据来源", ["本部门产生", "本级各部门报送", "地方各级逐级报送", "企业报送", "其它"]),
        ("systems", "数据更新频率", ["实时", "按天", "按月", "按季", "每半年", "每年", "其他"]),
        ("systems", "数据存放地点", ["自有机房", "外部托管机房", "公共云服务"]),
        ("systems", "系统用户范围", ["科室或单位内部", "本部门本级", "系统内各级", "社会公众", "其他"]),
        (
            "systems",
            "系统数据共享范围",
            ["不共享", "科室或单位内部", "本部门本级", "系统内各级", "跨部门共享", "面向社会公开"],
        ),
        (
            "systems",
            "信息系统安全等级定级情况",
            ["一级", "二级", "三级", "四级", "五级", "未定级", "等待审核"],
        ),
        ("systems", "信息系统分级保护定级情况", ["秘密", "机密", "绝密", "未定密", "等待审批"]),
        ("systems", "信息系统拟清理、整合情况", ["拟清理", "拟共享整合", "拟独立运行"]),
        ("systems", "系统开发单位性质", ["机关", "事业单位", "国有企业", "民营企业", "外资企业", "其他"]),
        ("networks", "网络类型", ["电子政务内网", "电子政务外网", "电子政务专网", "其他自建网络"]),
        (
            "assets",
            "设备类型",
            [
                "服务器",
                "小型机或超算机",
                "网络设备",
                "安全设备",
                "存储设备",
                "其他硬件",
                "数据库",
                "操作系统",
                "其他软件",
            ],
        ),
        ("controls", "管理类型", ["综合类", "硬件类", "软件类", "安全类", "其他类"]),
    ],
)
def test_drop_down_options_as_in_seed(form, sheet, field, options):
    f = form.sheet(sheet).field(field)
    assert f.type == "choice"
    assert list(f.options) == options


def test_units_and_precision(form):
    systems = form.sheet("systems")
    for name in ("项目预算批复总金额", "信息系统实际已投入总金额", "硬件投入", "软件投入", "运行维护费投入"):
        f = systems.field(name)
        assert (f.unit, f.decimals, f.min) == ("万元", 2, 0)
    assert systems.field("数据存储量大小").unit == "GB"
    assert form.sheet("networks").field("主干网络带宽").unit == "MB"
    assert form.sheet("networks").field("网络固定年度租金支出金额").decimals == 2
    assert form.sheet("assets").field("存储容量").unit == "GB"
    assert systems.field("项目立项审批日期").type == "date"


def test_bad_definition_is_a_located_user_error():
    bad = {
        "id": "x",
        "name": "x",
        "cutoff": "2017-12-31",
        "sheets": [
            {
                "id": "a",
                "name": "甲",
                "fields": [{"name": "金额", "type": "money"}],
                "rules": [{"type": "sum_equals", "total": "合计", "parts": ["金额"]}],
            }
        ],
    }
    with pytest.raises(UserError) as err:
        form_from_dict(bad, file="x.yaml")
    messages = [p.message for p in err.value.problems]
    assert any("money" in m for m in messages)
    assert any("合计" in m for m in messages)


def test_unknown_builtin():
    with pytest.raises(UserError):
        load_form("no-such-form")
