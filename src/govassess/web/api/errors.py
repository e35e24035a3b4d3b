"""One error body for the whole API: {"message": ..., "problems": [{message, sheet, row, column, field, ...}]}.

Every message is Chinese and readable: DRF's nested validation errors are flattened into one problem per
field (「第 2 行 value：该字段是必填项。」), never a Python repr; messages DRF or Django only have in English
(a JSON parse error, "No Round matches the given query.") are replaced by a Chinese one for the status.
"""

from __future__ import annotations

import math
import re

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from govassess.errors import UserError

_CJK = re.compile(r"[\u4e00-\u9fff]")

DEFAULT_MESSAGES = {
    400: "请求无效。",
    401: "未登录或令牌无效：请在请求头中提供 Authorization: Token <令牌>。",
    403: "您没有权限执行此操作。",
    404: "没有找到该对象，或您无权查看。",
    405: "该地址不支持此请求方法。",
    406: "无法提供所要求的响应格式，本接口只返回 JSON。",
    415: "不支持的请求内容类型，请以 JSON（Content-Type: application/json）提交。",
    429: "请求过于频繁，请稍后再试。",
}


def _chinese(message: str, status_code: int) -> str:
    message = str(message).strip()
    if _CJK.search(message):
        return message
    return DEFAULT_MESSAGES.get(status_code, "请求未能完成。")


def _flatten(detail, path: list) -> list[dict]:
    """DRF's error detail (dicts of lists of dicts …) as one problem per message, with where it applies."""
    if isinstance(detail, dict):
        out = []
        for key, sub in detail.items():
            out += _flatten(sub, path if key in ("non_field_errors", "detail") else [*path, key])
        return out
    if isinstance(detail, list):
        if all(not isinstance(d, (dict, list)) for d in detail):
            return [p for d in detail for p in _flatten(d, path)]
        out = []
        for i, sub in enumerate(detail):
            out += _flatten(sub, [*path, i])
        return out
    text = _chinese(str(detail), 400)
    problem: dict = {}
    names = [str(p) for p in path if not isinstance(p, int)]
    rows = [p for p in path if isinstance(p, int)]
    where = ""
    if rows:
        problem["row"] = rows[0] + 1  # the API's rows counted from 1, as everywhere else
        where = f"第 {rows[0] + 1} 行"
    if names:
        problem["field"] = ".".join(names)
        where = f"{where} {names[-1]}".strip()
    problem["message"] = f"{where}：{text}" if where else text
    return [problem]


def _body(problems: list[dict]) -> dict:
    return {"message": problems[0]["message"] if problems else "请求无效。", "problems": problems}


def exception_handler(exc, context):
    if isinstance(exc, UserError):
        return Response(exc.to_dict(), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    if isinstance(exc, exceptions.ParseError):
        exc = exceptions.ParseError("请求内容无法解析：应为有效的 JSON。")
    elif isinstance(exc, exceptions.Throttled):
        seconds = math.ceil(exc.wait) if exc.wait else None
        exc = exceptions.Throttled(
            detail="请求过于频繁，" + (f"请 {seconds} 秒后再试。" if seconds else "请稍后再试。")
        )
        exc.wait = seconds  # the Retry-After header (not passed above: DRF would append English)
    response = drf_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        msg = _chinese(data["detail"], response.status_code)
        response.data = _body([{"message": msg}])
    else:
        response.data = _body(_flatten(data, []))
    return response
