"""Token-authenticated REST API, mainly for provider departments whose systems push inputs."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.api import serializers as s
from govassess.web.organisation.models import Unit
from govassess.web.organisation.selectors import units_frame
from govassess.web.rounds import policy, selectors, services
from govassess.web.rounds.models import Round
from govassess.web.systems.selectors import system_core, system_fields

ERRORS = {400: s.ErrorSerializer, 403: s.ErrorSerializer, 404: s.ErrorSerializer}


def _round(user, pk) -> Round:
    rnd = get_object_or_404(Round.objects.select_related("system"), pk=pk)
    if not policy.can_view_round(user, rnd):
        raise PermissionDenied("您无权查看该评估轮次。")
    return rnd


class RoundList(APIView):
    @extend_schema(summary="可见的评估轮次", responses={200: s.RoundSerializer(many=True), **ERRORS})
    def get(self, request):
        return Response(s.RoundSerializer(selectors.round_list(user=request.user), many=True).data)


class UnitList(APIView):
    @extend_schema(
        summary="评估对象（单位账号只见本单位）", responses={200: s.UnitSerializer(many=True), **ERRORS}
    )
    def get(self, request):
        units = Unit.objects.filter(active=True)
        if user_role(user=request.user) == Role.FILLER:
            units = units.filter(pk=user_unit_id(user=request.user))  # a unit's token learns no other unit
        return Response(s.UnitSerializer(units, many=True).data)


class FieldList(APIView):
    @extend_schema(summary="当前账号可报送的输入项", responses={200: s.FieldSerializer(many=True), **ERRORS})
    def get(self, request, pk: int):
        rnd = _round(request.user, pk)
        fields = policy.visible_fields(request.user, rnd, system_fields(rnd.system))
        role = user_role(user=request.user)
        if role == Role.FILLER:
            fields = [f for f in fields if f.owner == "unit"]
        return Response(s.FieldSerializer(fields, many=True).data)


class InputList(APIView):
    @extend_schema(
        summary="读取输入值（只含当前账号可见的单位和指标）",
        parameters=[OpenApiParameter("unit", str, description="评估对象编码")],
        responses={200: s.InputValueSerializer(many=True), **ERRORS},
    )
    def get(self, request, pk: int):
        rnd = _round(request.user, pk)
        role = user_role(user=request.user)
        if role not in (Role.OFFICE, Role.REVIEWER, Role.PROVIDER, Role.FILLER):
            raise PermissionDenied("您无权读取输入数据。")
        units = Unit.objects.all()
        if role == Role.FILLER:
            units = units.filter(pk=user_unit_id(user=request.user))
        unit = request.query_params.get("unit")
        if unit:
            units = units.filter(code=unit)
        # Which units, fields and notes: policy.readable_fields, the same decision as pages and templates.
        rows = selectors.readable_values(user=request.user, round=rnd, units=list(units), limit=20000)
        return Response(s.InputValueSerializer(rows, many=True).data)

    @extend_schema(
        summary="批量报送输入值（全部成功或全部不生效）",
        request=s.InputBatchSerializer,
        responses={200: s.ImportResultSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        from govassess.data import inputs_from_rows

        rnd = _round(request.user, pk)
        policy.require_unlocked(rnd)
        ser = s.InputBatchSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        rows = [dict(r) for r in ser.validated_data["rows"]]
        for r in rows:
            r["note"] = r.get("note") or None
        # Rights first, on the rows as sent: the core's checks below (unknown unit, bad value) and the
        # comparison with stored values must not answer for rows the user may not write.
        services.input_rows_check(user=request.user, round=rnd, rows=rows, unchanged=lambda row: True)
        units = list(selectors.round_units(rnd))
        frame = inputs_from_rows(system_core(rnd.system), units_frame(units), rows, source="接口推送")
        stored = services.input_values_import(user=request.user, round=rnd, frame=frame, source="接口推送")
        return Response({"stored": stored})
