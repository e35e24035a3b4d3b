from __future__ import annotations

from django import forms

from govassess.web.organisation.models import Unit
from govassess.web.rounds.models import Round
from govassess.web.systems.models import System

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RoundForm(forms.ModelForm):
    class Meta:
        model = Round
        fields = ["name", "system", "deadline", "appeal_deadline"]
        widgets = {"deadline": DT, "appeal_deadline": DT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = System.objects.all()
        if self.instance.pk and self.instance.inputs.exists():
            # The inputs belong to this system's indicators: the field shows the system but is not sent.
            self.fields["system"].disabled = True
            self.fields["system"].help_text = "本轮已有填报数据，不能更换指标体系。"
        for name in ("deadline", "appeal_deadline"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


class ExtensionForm(forms.Form):
    unit = forms.ModelChoiceField(Unit.objects.filter(active=True), label="评估对象")
    deadline = forms.DateTimeField(
        label="延期至", widget=DT, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    reason = forms.CharField(label="原因", max_length=200, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label="文件")


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "通过"), ("return", "退回")], label="审核结论")
    reason = forms.CharField(
        label="意见 / 退回原因", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    internal_note = forms.CharField(
        label="内部意见（仅评审专家和评估办可见，不向单位公开）",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=4000,
    )


class AppealForm(forms.Form):
    indicator = forms.CharField(label="指标编码", max_length=40)
    reason = forms.CharField(label="申诉理由", widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("upheld", "申诉成立"), ("rejected", "申诉不成立")], label="处理结果"
    )
    decision = forms.CharField(label="处理意见", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class AnnualForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    first = forms.ModelChoiceField(Round.objects.all(), label="上半年轮次")
    first_weight = forms.IntegerField(label="上半年权重（%）", initial=40, min_value=0, max_value=100)
    second = forms.ModelChoiceField(Round.objects.all(), label="下半年轮次")
    second_weight = forms.IntegerField(label="下半年权重（%）", initial=60, min_value=0, max_value=100)
