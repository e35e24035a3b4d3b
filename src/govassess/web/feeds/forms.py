"""Forms of the feed pages (labels in Chinese; a form error becomes a located UserError in the view)."""

from __future__ import annotations

from django import forms

from govassess.web.organisation.models import Unit


class SiteForm(forms.Form):
    unit = forms.ModelChoiceField(label="评估对象", queryset=Unit.objects.all())
    url = forms.CharField(label="网址", max_length=500)
    max_pages = forms.IntegerField(label="最大页面数", min_value=1, max_value=100_000, initial=500)


class RecordsUploadForm(forms.Form):
    name = forms.CharField(label="名称", max_length=200, required=False)
    archive = forms.FileField(label="记录文件夹（ZIP）")


class MetricsRunForm(forms.Form):
    period_from = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    period_to = forms.DateField(label="结束日期", widget=forms.DateInput(attrs={"type": "date"}))
    map_ref = forms.CharField(label="映射", required=False)
    map_file = forms.FileField(label="映射文件（YAML）", required=False)
    info_rules = forms.CharField(label="信息报送考评办法", required=False)
    # Both engines are accepted here; the service refuses Spark with a reason when pyspark is missing.
    engine = forms.ChoiceField(
        label="计算引擎", choices=[("duckdb", "DuckDB（默认）"), ("spark", "Spark")], required=False
    )


class PeriodForm(forms.Form):
    start = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    as_of = forms.DateField(label="基准日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))


def form_problems(form):
    from govassess.errors import Problem

    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for e in errors:
            yield Problem(str(e), field=str(label) if label else None)
