from django import forms
from django.utils.translation import gettext_lazy as _

from shuiquan.registry.models import Association, Household
from shuiquan.supervision.choices import ComplaintKind, ComplaintTopic
from shuiquan.supervision.forms import assessed_regions

from .choices import DocumentStatus, NoticeKind


class PublicComplaintForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=ComplaintKind.choices)
    topic = forms.ChoiceField(label=_("事项"), choices=ComplaintTopic.choices)
    subject = forms.CharField(label=_("标题"), max_length=200)
    content = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}), max_length=4000)
    region = forms.ModelChoiceField(label=_("涉及行政区"), queryset=None, required=False)
    trade_number = forms.CharField(label=_("涉及交易编号"), max_length=40, required=False)
    complainant_name = forms.CharField(label=_("姓名（选填，不公开）"), max_length=100, required=False)
    complainant_contact = forms.CharField(label=_("联系方式（选填，不公开）"), max_length=100, required=False)
    website = forms.CharField(required=False, widget=forms.HiddenInput)  # honeypot: people leave it empty

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = assessed_regions()


class ComplaintStatusForm(forms.Form):
    number = forms.CharField(label=_("投诉编号"), max_length=40)
    code = forms.CharField(label=_("查询码"), max_length=16)


class NoticeForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=NoticeKind.choices)
    association = forms.ModelChoiceField(label=_("协会"), queryset=Association.objects.none())
    household = forms.ModelChoiceField(label=_("用水户（选填，公开时只显示编码）"), queryset=Household.objects.none(), required=False)
    year = forms.IntegerField(label=_("水量年度"), min_value=2000, max_value=2100)
    volume_m3 = forms.IntegerField(label=_("水量（立方米）"), min_value=1)
    price_yuan_per_m3 = forms.DecimalField(label=_("意向单价（元/立方米，空为面议）"), required=False, max_digits=8, decimal_places=4, min_value=0)
    valid_until = forms.DateField(label=_("有效期至"), widget=forms.DateInput(attrs={"type": "date"}))
    contact_via = forms.CharField(label=_("联系途径（不得填写个人电话）"), max_length=120)
    description = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=1000)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["association"].queryset = Association.objects.restrict(user).select_related("district")
        self.fields["household"].queryset = Household.objects.restrict(user).select_related("association")


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("审核意见"), max_length=300, required=False)


class DocumentForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=DocumentStatus.choices)
    doc_number = forms.CharField(label=_("文号"), max_length=60, required=False)
    issued_text = forms.CharField(label=_("印发时间"), max_length=40, required=False)
    url = forms.URLField(label=_("原文链接"), required=False, assume_scheme="https")
    summary = forms.CharField(label=_("内容摘要"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
