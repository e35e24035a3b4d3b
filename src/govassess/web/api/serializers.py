from __future__ import annotations

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    problems = serializers.ListField(child=serializers.DictField())


class RoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    system = serializers.CharField(source="system.slug")
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    deadline = serializers.DateTimeField(allow_null=True)


class UnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit_class = serializers.CharField()


class FieldSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    indicator_name = serializers.CharField()
    input = serializers.CharField()
    kind = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())
    criteria = serializers.CharField(allow_blank=True)
    owner = serializers.CharField()


class InputRowSerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=40)
    indicator = serializers.CharField(max_length=40)
    input = serializers.CharField(max_length=100)
    value = serializers.CharField(max_length=500, allow_blank=True)
    note = serializers.CharField(max_length=4000, allow_blank=True, required=False, allow_null=True)


class InputValueSerializer(serializers.Serializer):
    unit = serializers.CharField(source="unit.code")
    indicator = serializers.CharField()
    input = serializers.CharField()
    value = serializers.CharField()
    note = serializers.CharField()
    internal_note = serializers.CharField(
        required=False, help_text="评审专家的内部意见；只有评审专家和评估办读取时才有此字段"
    )
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # The key itself stays out for readers who may not see the reviewers' private remarks.
        if not getattr(instance, "internal_visible", False):
            data.pop("internal_note", None)
        return data


class InputBatchSerializer(serializers.Serializer):
    rows = InputRowSerializer(many=True, allow_empty=False, max_length=20000)


class ImportResultSerializer(serializers.Serializer):
    stored = serializers.IntegerField()
