from django import forms
from django.utils.translation import gettext_lazy as _

from shuiquan.ledger.choices import RightStatus
from shuiquan.ledger.models import WaterRight
from shuiquan.registry.models import Reservoir, WaterUser

from .models import Bank, PledgeKind
from .services import PLEDGEABLE_KINDS


class PledgeApplyForm(forms.Form):
    right = forms.ModelChoiceField(label=_("用水权"), queryset=WaterRight.objects.none())
    bank = forms.ModelChoiceField(label=_("质权人（金融机构）"), queryset=Bank.objects.all())
    kind = forms.ChoiceField(label=_("类型"), choices=PledgeKind.choices)
    first_year = forms.IntegerField(label=_("起始年度"), min_value=2000, max_value=2100)
    last_year = forms.IntegerField(label=_("终止年度"), min_value=2000, max_value=2100)
    volume_m3 = forms.IntegerField(label=_("每年质押水量（立方米；收益权质押填0）"), min_value=0)
    secured_amount = forms.DecimalField(label=_("担保债权金额（元）"), max_digits=16, decimal_places=2, min_value=0)
    loan_contract_no = forms.CharField(label=_("借款合同编号"), max_length=60)
    purpose = forms.CharField(label=_("融资用途"), max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["right"].queryset = (WaterRight.objects.restrict(user).filter(kind__in=PLEDGEABLE_KINDS, status=RightStatus.ACTIVE)
                                         .order_by("number"))


class ReferenceForm(forms.Form):
    bank_reference = forms.CharField(label=_("金融机构登记编号"), max_length=60)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明/理由"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EnforcementRequestForm(forms.Form):
    buyer = forms.CharField(label=_("处置受让方（拟）"), max_length=200)
    reason = forms.CharField(label=_("处置理由（如借款逾期）"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class EnforcementApproveForm(forms.Form):
    buyer = forms.CharField(label=_("受让方（permit:ID / region:ID / reserve:ID / association:ID）"), max_length=40)
    unit_price = forms.DecimalField(label=_("成交单价（元/立方米）"), max_digits=10, decimal_places=4)
    savings = forms.IntegerField(label=_("节水量核定记录编号（取水权处置须有，T4）"), required=False)
    works_manager_opinion = forms.CharField(label=_("水利工程管理单位意见（T5）"), max_length=300, required=False)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class FeeRightForm(forms.Form):
    grantor = forms.ModelChoiceField(label=_("转让方（供水工程管理单位）"), queryset=WaterUser.objects.none())
    project = forms.CharField(label=_("供水工程"), max_length=120)
    reservoir = forms.ModelChoiceField(label=_("水库"), queryset=Reservoir.objects.all(), required=False)
    transferee = forms.CharField(label=_("受让方/融资方"), max_length=120)
    bank = forms.ModelChoiceField(label=_("金融机构"), queryset=Bank.objects.all(), required=False)
    amount = forms.DecimalField(label=_("融资金额（元）"), max_digits=16, decimal_places=2)
    start_date = forms.DateField(label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("终止日期"), widget=forms.DateInput(attrs={"type": "date"}))
    purpose = forms.CharField(label=_("融资用途"), max_length=200)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grantor"].queryset = WaterUser.objects.restrict(user).order_by("region__sort_order", "name")


class OrderbookPaymentForm(forms.Form):
    reference = forms.CharField(label=_("付款凭证号"), max_length=80)


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("冲正理由"), max_length=200)
