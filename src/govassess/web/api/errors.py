"""One error body for the whole API: {"message": ..., "problems": [{message, sheet, row, column, ...}]}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from govassess.errors import UserError


def exception_handler(exc, context):
    if isinstance(exc, UserError):
        return Response(exc.to_dict(), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        msg = str(exc) or "您没有权限执行此操作。"
        return Response({"message": msg, "problems": [{"message": msg}]}, status=status.HTTP_403_FORBIDDEN)
    response = drf_handler(exc, context)
    if response is not None:
        data = response.data
        if isinstance(data, dict) and "detail" in data:
            msg = str(data["detail"])
            response.data = {"message": msg, "problems": [{"message": msg}]}
        else:
            problems = []
            if isinstance(data, dict):
                for key, errs in data.items():
                    for e in errs if isinstance(errs, list) else [errs]:
                        problems.append({"message": str(e), "field": key})
            else:
                problems = [{"message": str(data)}]
            response.data = {
                "message": problems[0]["message"] if problems else "请求无效",
                "problems": problems,
            }
    return response
