from __future__ import annotations

from django import forms

from govassess.web.organisation.models import Unit

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


class CampaignForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100, initial="政务信息系统普查")
    cutoff = forms.DateField(label="调查截止日期", widget=forms.DateInput(attrs={"type": "date"}))
    deadline = forms.DateTimeField(label="填报截止时间", widget=DT, input_formats=DT_FORMATS)


class ExtensionForm(forms.Form):
    unit = forms.ModelChoiceField(Unit.objects.filter(active=True), label="单位")
    deadline = forms.DateTimeField(label="延期至", widget=DT, input_formats=DT_FORMATS)
    reason = forms.CharField(label="原因", max_length=200, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label="调查表（.xlsx）")


class ProfileForm(forms.Form):
    """一表通 master data; the values are checked by `unit_profile_update` (the survey's validators)."""

    name = forms.CharField(label="单位名称", max_length=200, required=False)
    department = forms.CharField(
        label="所属部门", max_length=200, required=False, help_text="下属单位填写所属部门全称，部门本级留空"
    )
    address = forms.CharField(label="地址", max_length=300, required=False, help_text="精确到门牌号")
    credit_code = forms.CharField(
        label="统一社会信用代码", max_length=20, required=False, help_text="没有的填写组织机构代码"
    )
    nature = forms.CharField(label="性质", max_length=60, required=False, help_text="如：机关、事业单位")
    contact = forms.CharField(label="联系人", max_length=60, required=False)
    phone = forms.CharField(
        label="联系方式", max_length=40, required=False, help_text="手机或 区号-总机号码-分机号码"
    )
