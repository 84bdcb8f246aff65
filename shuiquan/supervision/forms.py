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


class EnforcementForm(forms.Form):
    from shuiquan.trading.choices import RestrictionGround, RestrictionKind

    party_kind = forms.ChoiceField(label=_("对象类型"), choices=[("region", _("行政区")), ("water_user", _("取用水户")), ("association", _("农民用水者协会"))])
    region = forms.ModelChoiceField(label=_("行政区"), queryset=Region.objects.none(), required=False)
    water_user = forms.ModelChoiceField(label=_("取用水户"), queryset=None, required=False)
    association = forms.ModelChoiceField(label=_("农民用水者协会"), queryset=None, required=False)
    ground = forms.ChoiceField(label=_("原因类别"), choices=RestrictionGround.choices)
    kind = forms.ChoiceField(label=_("措施"), choices=RestrictionKind.choices)
    cut_pct = forms.DecimalField(label=_("核减比例（%）"), required=False, max_digits=5, decimal_places=2)
    assessment_year = forms.IntegerField(label=_("考核年度"), required=False, min_value=2000, max_value=2100)
    reason = forms.CharField(label=_("事由（交易方可见）"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
    finding = forms.CharField(label=_("考核结论"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)

    def __init__(self, *args, **kwargs):
        from shuiquan.registry.models import Association, WaterUser

        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = assessed_regions().exclude(kind="city")
        self.fields["water_user"].queryset = WaterUser.objects.order_by("region__sort_order", "name")
        self.fields["association"].queryset = Association.objects.order_by("district__name", "name")

    def clean(self):
        data = super().clean()
        kind = data.get("party_kind")
        if kind and not data.get(kind):
            self.add_error(kind, _("请选择对象"))
        return data


class LiftForm(forms.Form):
    reason = forms.CharField(label=_("解除理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
    evidence = forms.CharField(label=_("整改达标情况"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)


class InspectionForm(forms.Form):
    from .choices import InspectionConclusion

    inspected_on = forms.DateField(label=_("检查日期"), widget=forms.DateInput(attrs={"type": "date"}))
    inspectors = forms.CharField(label=_("检查人员"), max_length=200)
    location = forms.CharField(label=_("检查地点"), max_length=200)
    saving_measures_ok = forms.NullBooleanField(label=_("节水措施真实有效"), widget=forms.Select(choices=[("unknown", "—"), ("true", _("是")), ("false", _("否"))]))
    saving_measures_note = forms.CharField(label=_("节水措施检查情况"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    metering_ok = forms.NullBooleanField(label=_("计量设施安装并有效"), widget=forms.Select(choices=[("unknown", "—"), ("true", _("是")), ("false", _("否"))]))
    metering_note = forms.CharField(label=_("计量设施检查情况"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    third_party_note = forms.CharField(label=_("对公共利益和利害关系人的影响及补偿"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    conclusion = forms.ChoiceField(label=_("检查结论"), choices=InspectionConclusion.choices)
    file = forms.FileField(label=_("现场照片或文件（PDF、PNG、JPEG）"), required=False)


class EvaluationForm(forms.Form):
    from .choices import Rating

    evaluated_on = forms.DateField(label=_("评估日期"), widget=forms.DateInput(attrs={"type": "date"}))
    evaluators = forms.CharField(label=_("评估人员/机构"), max_length=200)
    volume_truthful = forms.BooleanField(label=_("交易水量真实"), required=False)
    procedure_compliant = forms.BooleanField(label=_("交易程序规范"), required=False)
    price_reasonable = forms.BooleanField(label=_("交易价格合理"), required=False)
    funds_safe = forms.BooleanField(label=_("交易资金安全"), required=False)
    third_party_impact = forms.CharField(label=_("对第三方和公共利益的影响"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    water_use_effect = forms.CharField(label=_("用水效率与节水效果"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    rating = forms.ChoiceField(label=_("总体评价"), choices=Rating.choices)
    recommendations = forms.CharField(label=_("意见和建议"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    finalize = forms.BooleanField(label=_("直接定稿"), required=False)


class AttachForm(forms.Form):
    file = forms.FileField(label=_("附件（PDF、PNG、JPEG）"))
