from django import forms
from django.utils.translation import gettext_lazy as _

from shuiquan.registry.choices import COUNTY_LEVEL
from shuiquan.registry.models import Region

from .choices import ComplaintChannel, ComplaintKind, ComplaintTopic


def assessed_regions():
    return Region.objects.filter(kind__in=["city", *COUNTY_LEVEL]).order_by("sort_order", "code")


class FiguresForm(forms.Form):
    region = forms.ModelChoiceField(label=_("行政区"), queryset=Region.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    gdp_100m_yuan = forms.DecimalField(label=_("地区生产总值（亿元）"), required=False, max_digits=12, decimal_places=2, min_value=0)
    industrial_va_100m_yuan = forms.DecimalField(label=_("工业增加值（亿元）"), required=False, max_digits=12, decimal_places=2, min_value=0)
    irrigation_coefficient = forms.DecimalField(label=_("农田灌溉水有效利用系数"), required=False, max_digits=4, decimal_places=3)
    nonconventional_use_m3 = forms.IntegerField(label=_("非常规水利用量（立方米）"), required=False, min_value=0)
    groundwater_withdrawal_m3 = forms.IntegerField(label=_("地下水开采量（立方米）"), required=False, min_value=0)
    basis = forms.CharField(label=_("数据来源"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = assessed_regions()


class ReportedUseForm(forms.Form):
    region = forms.ModelChoiceField(label=_("行政区"), queryset=Region.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    total_m3 = forms.IntegerField(label=_("总用水量（立方米）"), required=False, min_value=0,
                                  help_text=_("填写全部四个行业时可不填，按行业之和计"))
    domestic_m3 = forms.IntegerField(label=_("生活用水（立方米）"), required=False, min_value=0)
    industrial_m3 = forms.IntegerField(label=_("工业用水（立方米）"), required=False, min_value=0)
    agricultural_m3 = forms.IntegerField(label=_("农业用水（立方米）"), required=False, min_value=0)
    ecological_m3 = forms.IntegerField(label=_("生态环境用水（立方米）"), required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = assessed_regions()


class ComplaintForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=ComplaintKind.choices)
    topic = forms.ChoiceField(label=_("事项"), choices=ComplaintTopic.choices)
    subject = forms.CharField(label=_("标题"), max_length=200)
    content = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}), max_length=4000)
    region = forms.ModelChoiceField(label=_("涉及行政区"), queryset=Region.objects.none(), required=False)
    trade_number = forms.CharField(label=_("涉及交易编号"), max_length=40, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = assessed_regions()


class StaffComplaintForm(ComplaintForm):
    channel = forms.ChoiceField(label=_("渠道"), choices=[c for c in ComplaintChannel.choices if c[0] != ComplaintChannel.PORTAL])
    complainant_name = forms.CharField(label=_("投诉人"), max_length=100, required=False)
    complainant_contact = forms.CharField(label=_("联系方式"), max_length=100, required=False)


class ComplaintActionForm(forms.Form):
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)
    resolution = forms.CharField(label=_("处理结果"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)
    public_reply = forms.CharField(label=_("公开答复（投诉人凭查询码可见，不得包含个人信息）"), widget=forms.Textarea(attrs={"rows": 3}),
                                   required=False, max_length=2000)
