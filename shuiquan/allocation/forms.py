"""Forms: they only parse input into a run's ``parameters`` (the services validate and decide)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from shuiquan.core.generic import ScopedModelForm
from shuiquan.core.scoping import VIEW
from shuiquan.ledger.choices import RightKind, RightStatus
from shuiquan.ledger.models import WaterRight
from shuiquan.registry import models as reg

from . import params
from .choices import Engine, PlanStatus
from .models import CropQuota, GroundwaterIndicator, IrrigationProfile, PlantingShare, RiverPlan, WaterQuota

YEAR = {"min_value": 2000, "max_value": 2100}


class YearsForm(forms.Form):
    first_year = forms.IntegerField(label=_("起始年度"), initial=params.REGIONAL_FIRST_YEAR, **YEAR)
    last_year = forms.IntegerField(label=_("终止年度"), **YEAR)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["last_year"].initial = params.REGIONAL_LAST_YEAR.value

    def parameters(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class GroundwaterRunForm(YearsForm):
    indicator_year = forms.IntegerField(label=_("指标年"), initial=2030, **YEAR)


class RiverRunForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("河流水量分配方案"), queryset=RiverPlan.objects.filter(status=PlanStatus.APPROVED))
    year = forms.IntegerField(label=_("年度"), **YEAR)
    frequency = forms.DecimalField(label=_("当年来水频率（%）"), max_digits=5, decimal_places=2, min_value=Decimal("0.01"),
                                   max_value=Decimal("99.99"), help_text=_("由水文部门根据当年来水确定，如 75"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)

    def parameters(self) -> dict:
        return {"plan": self.cleaned_data["plan"].pk, "year": self.cleaned_data["year"], "frequency": str(self.cleaned_data["frequency"])}


class PermitRunForm(forms.Form):
    permit = forms.ModelChoiceField(label=_("取水许可证"), queryset=reg.WithdrawalPermit.objects.none())
    quota_1 = forms.ModelChoiceField(label=_("用水定额（一）"), queryset=WaterQuota.objects.filter(is_active=True).select_related("sector"))
    scale_1 = forms.DecimalField(label=_("规模（一）"), max_digits=16, decimal_places=4, min_value=Decimal("0.0001"),
                                 help_text=_("按定额的计量单位填写，如年产量（吨）、人数、亩"))
    quota_2 = forms.ModelChoiceField(label=_("用水定额（二）"), required=False, queryset=WaterQuota.objects.filter(is_active=True).select_related("sector"))
    scale_2 = forms.DecimalField(label=_("规模（二）"), required=False, max_digits=16, decimal_places=4, min_value=Decimal("0.0001"))
    saving_rate = forms.DecimalField(label=_("节水潜力核减比例"), max_digits=5, decimal_places=4, min_value=Decimal("0"), max_value=Decimal("0.9999"),
                                     help_text=_("0–1，如 0.05 表示核减5%"))
    groundwater_rate = forms.DecimalField(label=_("地下水管控核减比例"), required=False, max_digits=5, decimal_places=4, min_value=Decimal("0"),
                                          max_value=Decimal("0.9999"), help_text=_("仅地下水水源；超采区默认按参数核减，留空取默认"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        registered = WaterRight.objects.filter(kind=RightKind.WITHDRAWAL, permit__isnull=False).exclude(status=RightStatus.CANCELLED)
        self.fields["permit"].queryset = (reg.WithdrawalPermit.objects.restrict(user, VIEW).filter(status__in=["new", "changed", "renewed"])
                                          .exclude(pk__in=registered.values("permit_id")).select_related("holder"))
        self.fields["permit"].label_from_instance = lambda p: f"{p.number} {p.holder.name}（{p.annual_volume_m3:,} 立方米/年）"
        self.fields["saving_rate"].initial = params.DEFAULT_SAVING_RATE.value

    def clean(self):
        data = super().clean()
        if bool(data.get("quota_2")) != bool(data.get("scale_2")):
            raise forms.ValidationError(_("第二项定额与规模须同时填写"))
        return data

    def parameters(self) -> dict:
        d = self.cleaned_data
        items = [{"quota": d["quota_1"].pk, "scale": str(d["scale_1"])}]
        if d.get("quota_2"):
            items.append({"quota": d["quota_2"].pk, "scale": str(d["scale_2"])})
        out = {"permit": d["permit"].pk, "items": items, "saving_rate": str(d["saving_rate"])}
        if d.get("groundwater_rate") is not None:
            out["groundwater_rate"] = str(d["groundwater_rate"])
        return out


class IrrigationRunForm(forms.Form):
    district = forms.ModelChoiceField(label=_("灌区"), queryset=reg.IrrigationDistrict.objects.none(), widget=forms.HiddenInput)
    associations = forms.ModelMultipleChoiceField(label=_("农民用水者协会"), queryset=reg.Association.objects.none(),
                                                  widget=forms.CheckboxSelectMultiple)
    frequency = forms.DecimalField(label=_("设计保证率（%）"), max_digits=5, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("99.99"))
    first_year = forms.IntegerField(label=_("起始年度"), required=False, **YEAR)
    last_year = forms.IntegerField(label=_("终止年度"), required=False, help_text=_("留空：至灌区取水权有效期末"), **YEAR)

    def __init__(self, *args, user=None, district=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = reg.IrrigationDistrict.objects.restrict(user, VIEW)
        if district is not None:
            self.fields["district"].initial = district.pk
            taken = WaterRight.objects.filter(kind=RightKind.IRRIGATION).exclude(status=RightStatus.CANCELLED).values("association_id")
            self.fields["associations"].queryset = district.associations.exclude(pk__in=taken).order_by("name")
            self.fields["associations"].label_from_instance = lambda a: f"{a.name}（有效灌溉面积 {a.effective_area_mu:,} 亩，{a.households.count()} 户）"
            profile = IrrigationProfile.objects.filter(district=district).first()
            self.fields["frequency"].initial = profile.design_frequency if profile else 75

    def parameters(self) -> dict:
        d = self.cleaned_data
        out = {"district": d["district"].pk, "associations": [a.pk for a in d["associations"]], "frequency": str(d["frequency"])}
        for key in ("first_year", "last_year"):
            if d.get(key):
                out[key] = d[key]
        return out


ENGINE_FORMS = {
    Engine.REGIONAL: YearsForm, Engine.SNWD: YearsForm, Engine.GROUNDWATER: GroundwaterRunForm, Engine.RIVER: RiverRunForm,
    Engine.PERMIT: PermitRunForm, Engine.IRRIGATION: IrrigationRunForm,
}


def initial_from(run) -> dict:
    """A run's parameters as form initial values (editing a draft)."""
    p = dict(run.parameters)
    if run.engine == Engine.PERMIT:
        for i, item in enumerate(p.pop("items", [])[:2], start=1):
            p[f"quota_{i}"], p[f"scale_{i}"] = item.get("quota"), item.get("scale")
    return p


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("意见/理由"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


# --- reference tables (generic pages, writes through core.crud) ---------------------------------


class WaterQuotaForm(ScopedModelForm):
    class Meta:
        model = WaterQuota
        fields = ["standard", "edition", "sector", "product", "unit", "quota_m3", "level", "is_active", "comments"]


class CropQuotaForm(ScopedModelForm):
    class Meta:
        model = CropQuota
        fields = ["crop", "zone", "frequency", "net_quota_m3_per_mu", "standard_ref", "comments"]


class IrrigationProfileForm(ScopedModelForm):
    class Meta:
        model = IrrigationProfile
        fields = ["district", "zone", "design_frequency", "coefficient", "basis", "comments"]


class PlantingShareForm(ScopedModelForm):
    class Meta:
        model = PlantingShare
        fields = ["district", "crop", "share", "comments"]


class GroundwaterIndicatorForm(ScopedModelForm):
    class Meta:
        model = GroundwaterIndicator
        fields = ["region", "year", "volume_m3", "basis", "comments"]


class RiverPlanHeaderForm(forms.Form):
    river = forms.ModelChoiceField(label=_("河流"), queryset=reg.River.objects.all())
    name = forms.CharField(label=_("方案名称"), max_length=120)
    legal_basis = forms.CharField(label=_("批复文件"), max_length=200, required=False)
    comments = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    regions = forms.ModelMultipleChoiceField(label=_("分水行政区"), queryset=reg.Region.objects.filter(kind__in=["district", "county", "county_city"]),
                                             widget=forms.CheckboxSelectMultiple)
