"""Registry forms. They only parse input: foreign-key choices are limited to what the user may see
(``ScopedModelForm``), a county officer's region choice to their own county; model rules, scope
and audit are applied by the services, whose errors come back onto the form's fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shuiquan.core.generic import ScopedModelForm
from shuiquan.core.roles import Role

from . import models as m
from .choices import RegionKind, WaterUse, WithdrawalMethod


class RegistryForm(ScopedModelForm):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if user is not None and getattr(user, "role", None) == Role.COUNTY_OFFICER and "region" in self.fields:
            field = self.fields["region"]
            field.queryset = m.Region.objects.filter(pk=user.region_id)
            if not self.instance.pk:
                field.initial = user.region_id
        for field in self.fields.values():
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3


class RegionForm(RegistryForm):
    """Regions outside the city (trade counterparties such as 郑州市) and receiving/functional areas;
    the city's own regions come from the seed."""

    class Meta:
        model = m.Region
        fields = ["name", "name_en", "code", "kind", "parent", "members", "sort_order", "comments"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = (RegionKind.OUTSIDE, RegionKind.RECEIVING_AREA, RegionKind.FUNCTIONAL_ZONE)
        self.fields["kind"].choices = [(v, label) for v, label in RegionKind.choices if v in allowed]
        self.fields["kind"].initial = RegionKind.OUTSIDE


class BasinForm(RegistryForm):
    class Meta:
        model = m.Basin
        fields = ["name", "parent", "area_km2", "facts", "comments"]


class RiverForm(RegistryForm):
    class Meta:
        model = m.River
        fields = ["name", "basin", "length_km", "area_km2", "regions", "facts", "comments"]


class ReservoirForm(RegistryForm):
    class Meta:
        model = m.Reservoir
        fields = ["name", "region", "river", "catchment_km2", "total_capacity_m3", "beneficial_capacity_m3",
                  "dead_capacity_m3", "purposes", "facts", "comments"]


class WaterSourceForm(RegistryForm):
    class Meta:
        model = m.WaterSource
        fields = ["name", "kind", "river", "reservoir", "region", "zone", "is_overdraft_area", "is_overloaded", "comments"]


class WaterUserForm(RegistryForm):
    class Meta:
        model = m.WaterUser
        fields = ["name", "kind", "credit_code", "sector", "region", "address", "is_public_supply", "legal_representative",
                  "contact_name", "contact_phone", "contact_email", "comments"]


PERMIT_FIELDS = ["holder", "region", "approving_authority", "supervising_authority", "source", "withdrawal_method", "use",
                 "sector", "annual_volume_m3", "max_daily_volume_m3", "return_water_location", "return_water_volume_m3",
                 "issued_on", "valid_from", "valid_to", "irrigation_district", "comments"]


class PermitCreateForm(RegistryForm):
    class Meta:
        model = m.WithdrawalPermit
        fields = ["number", *PERMIT_FIELDS]
        help_texts = {
            "number": _("留空则由系统按“行政区划代码-年份-流水号”自动编号"),
            "valid_from": _("留空则同发证日期"),
            "valid_to": _("留空则按有效期5年计算"),
            "issued_on": _("留空则为今天"),
            "supervising_authority": _("留空则同审批机关"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("number", "issued_on", "valid_from", "valid_to", "supervising_authority"):
            self.fields[name].required = False


class PermitEditForm(RegistryForm):
    class Meta:
        model = m.WithdrawalPermit
        fields = PERMIT_FIELDS


class PermitStatusForm(forms.Form):
    """A status change of a permit (变更 / 延续 / 注销 / 吊销) with its reason."""

    ACTIONS = [
        ("change", _("变更")),
        ("renew", _("延续")),
        ("expire", _("注销（到期或停止取水）")),
        ("revoke", _("吊销")),
    ]
    action = forms.ChoiceField(label=_("办理事项"), choices=ACTIONS)
    reason = forms.CharField(label=_("原因及依据"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)
    valid_to = forms.DateField(label=_("延续后有效期止"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text=_("仅延续：留空则自原有效期止次日起按有效期5年计算"))
    annual_volume_m3 = forms.IntegerField(label=_("新的年许可水量（立方米）"), required=False, min_value=1,
                                          max_value=9_223_372_036_854_775_807, help_text=_("变更或延续时填写；留空则不变"))
    max_daily_volume_m3 = forms.IntegerField(label=_("新的最大日取水量（立方米）"), required=False, min_value=0,
                                             max_value=9_223_372_036_854_775_807, help_text=_("仅变更；留空则不变"))
    use = forms.ChoiceField(label=_("新的取水用途"), required=False, choices=[("", "—"), *WaterUse.choices])
    withdrawal_method = forms.ChoiceField(label=_("新的取水方式"), required=False, choices=[("", "—"), *WithdrawalMethod.choices])
    source = forms.ModelChoiceField(label=_("新的水源"), required=False, queryset=m.WaterSource.objects.all())
    holder = forms.ModelChoiceField(label=_("新的取水权人"), required=False, queryset=m.WaterUser.objects.all())

    def __init__(self, *args, user=None, permit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.permit = permit
        if user is not None:
            self.fields["source"].queryset = m.WaterSource.objects.restrict(user)
            self.fields["holder"].queryset = m.WaterUser.objects.restrict(user)

    def changes(self) -> dict:
        data = self.cleaned_data
        out = {}
        for name in ("annual_volume_m3", "max_daily_volume_m3", "use", "withdrawal_method", "source", "holder"):
            value = data.get(name)
            if value not in (None, ""):
                out[name] = value
        return out


class IntakePointForm(RegistryForm):
    class Meta:
        model = m.IntakePoint
        fields = ["code", "name", "kind", "region", "water_user", "permit", "association", "source", "longitude", "latitude", "comments"]


class MeteringDeviceForm(RegistryForm):
    class Meta:
        model = m.MeteringDevice
        fields = ["serial", "model", "manufacturer", "protocol", "station_address", "intake_point", "is_online", "meets_standard",
                  "is_irrigation", "installed_on", "calibrated_on", "calibration_due", "register_max_m3", "status", "comments"]


class IrrigationDistrictForm(RegistryForm):
    class Meta:
        model = m.IrrigationDistrict
        fields = ["name", "region", "kind", "scale", "water_source", "reservoir", "design_area_mu", "effective_area_mu",
                  "farmland_mu", "gravity_area_mu", "lift_area_mu", "metering_sets", "metering_sets_to_upgrade", "facts_text", "comments"]


class AssociationForm(RegistryForm):
    class Meta:
        model = m.Association
        fields = ["name", "kind", "district", "region", "town", "villages", "effective_area_mu", "legal_representative",
                  "registered_on", "comments"]


class VillagerGroupForm(RegistryForm):
    class Meta:
        model = m.VillagerGroup
        fields = ["association", "village", "name", "comments"]


class HouseholdForm(RegistryForm):
    class Meta:
        model = m.Household
        fields = ["association", "group", "code", "name", "id_number", "phone", "planted_area_mu", "comments"]


class AnnualWithdrawalPlanForm(RegistryForm):
    class Meta:
        model = m.AnnualWithdrawalPlan
        fields = ["permit", "year", "volume_m3", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from shuiquan.core.scoping import CHANGE

        if self.user is not None:
            self.fields["permit"].queryset = m.WithdrawalPermit.objects.restrict(self.user, CHANGE)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))

