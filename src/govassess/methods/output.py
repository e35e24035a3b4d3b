"""Writing method results: JSON (the contract other tools read) or an XLSX table, through govassess.outputs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from govassess.errors import UserError
from govassess.outputs import OutputSet, save_workbook


def _clean(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def check_target(path: Path, option: str = "--out", suffixes: tuple[str, ...] = (".json", ".xlsx")) -> None:
    """Refuse a bad target before any work: wrong type, an existing folder, a missing folder (the writer's
    own checks, run on a probe that is discarded at once)."""
    if path.suffix.lower() not in suffixes:
        raise UserError(f"输出文件（{option}）应为 {' 或 '.join(suffixes)}", file=str(path))
    probe = OutputSet()
    try:
        probe.file(path, option=option)
    finally:
        probe.discard()


def write_result(path: Path, data: dict[str, Any], table: tuple[list[str], list[list[Any]]] | None,
                 *, sheet: str = "结果", option: str = "--out",
                 more: list[tuple[str, list[str], list[list[Any]]]] = ()) -> None:  # type: ignore[assignment]
    """JSON gets ``data`` as is; XLSX gets ``table`` (header, rows), any ``more`` sheets (name, header,
    rows) and a sheet of scalar facts."""
    check_target(path, option)
    with OutputSet() as out:
        tmp = out.file(path, option=option)
        if path.suffix.lower() == ".json":
            tmp.write_text(json.dumps(_clean(data), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            return
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = sheet
        if table is not None:
            header, rows = table
            ws.append(header)
            for r in rows:
                ws.append([_clean(v) for v in r])
        for name, header, rows in more:
            extra = wb.create_sheet(name)
            extra.append(header)
            for r in rows:
                extra.append([_clean(VALUE_LABELS.get(v, v) if isinstance(v, bool) else v) for v in r])
        # only labelled facts: a workbook shows no English key or identifier
        facts = [(k, v) for k, v in data.items() if k in FACT_LABELS and (isinstance(v, str | int | float | bool) or v is None)]
        if facts:
            info = wb.create_sheet("说明")
            info.append(["项目", "值"])
            for k, v in facts:
                shown = VALUE_LABELS.get(v, v) if isinstance(v, str | bool) else v
                info.append([FACT_LABELS[k], "—" if v is None else _clean(shown)])
        save_workbook(wb, tmp)


FACT_LABELS = {
    "method": "方法", "lambda_max": "最大特征根 λmax", "ci": "一致性指标 CI", "cr": "一致性比率 CR",
    "consistent": "通过一致性检验", "weighting": "权重计算方法", "ri_table": "RI 表", "ri": "随机一致性指标 RI",
    "aggregation": "专家意见汇总方式", "normalise": "标准化方式", "kendall_w": "肯德尔协调系数 W",
    "chi2": "卡方值", "df": "自由度", "p_value": "P 值", "stop": "满足停止条件", "round": "轮次",
    "closeness": "贴近度", "rho": "分辨系数 ρ", "samples": "抽样次数", "perturb": "扰动幅度", "seed": "随机种子",
    "alpha": "线性组合系数 α", "how": "组合方式", "mode": "扰动方式", "level": "扰动层级", "concentration": "狄利克雷集中度 κ",
    "stop_round": "首次满足停止条件的轮次", "cap": "达成率上限", "scale": "满分",
    "spearman_mean": "与原排名的 Spearman ρ（平均）", "spearman_min": "与原排名的 Spearman ρ（最小）",
}
VALUE_LABELS: dict[object, str] = {
    True: "是", False: "否",
    "ahp": "层次分析法", "entropy": "熵权法", "critic": "CRITIC 法", "cv": "变异系数法", "delphi": "德尔菲法",
    "combine": "主客观组合赋权", "topsis": "TOPSIS 法", "gra": "灰色关联分析", "wsum": "加权求和", "compare": "多方法比较",
    "composite": "综合指数", "sensitivity": "名次敏感性",
    "eigenvector": "特征向量法", "geometric": "几何平均法", "saaty": "Saaty (1980)", "alonso-lamata": "Alonso & Lamata (2006)",
    "aij": "判断矩阵几何平均（AIJ）", "aip": "权重平均（AIP）", "none": "不标准化", "minmax": "极差标准化",
    "vector": "向量标准化", "multiplicative": "乘法合成", "linear": "线性加权", "uniform": "均匀扰动",
    "dirichlet": "狄利克雷抽样", "leaf": "叶子指标", "1": "一级指标",
}
