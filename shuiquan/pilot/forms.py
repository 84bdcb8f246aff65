from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BudgetItem, TaskStatus


class TaskUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=TaskStatus.choices)
    progress = forms.IntegerField(label=_("进度（%）"), min_value=0, max_value=100, required=False)
    note = forms.CharField(label=_("进展说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class SpendingForm(forms.Form):
    item = forms.ModelChoiceField(label=_("经费项目"), queryset=BudgetItem.objects.all())
    date = forms.DateField(label=_("支出日期"), widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=14, decimal_places=2)
    description = forms.CharField(label=_("用途说明"), max_length=300)
    voucher = forms.CharField(label=_("凭证号"), max_length=60, required=False)
