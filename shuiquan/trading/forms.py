"""Forms of the trading pages. They only parse input; the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shuiquan.core.roles import Role
from shuiquan.ledger.models import Reserve, WaterRight
from shuiquan.registry import models as reg
from shuiquan.registry.choices import RegionKind, SourceKind, WaterUse

from . import clock
from .choices import Basis, RestrictionGround, RestrictionKind, SavingSource, SavingStatus, Side, TradeMode, TradeType
from .models import SavingsVerification
from .parties import my_parties


def _right_label(r: WaterRight) -> str:
    return f"{r.number} {r.name}（{r.get_kind_display()}）"


def buyer_choices(trade_type: str, user=None) -> list[tuple[str, str]]:
    """Parties that may be named as buyers for a type of trade (grouped)."""
    out: list[tuple[str, list]] = []
    permits = [(f"permit:{p.pk}", f"{p.holder} · 许可证 {p.number}")
               for p in reg.WithdrawalPermit.objects.select_related("holder").filter(rights__kind="withdrawal").distinct().order_by("region__sort_order", "number")]
    if trade_type == TradeType.PERMIT:
        out.append((str(_("取用水户")), permits))
    elif trade_type == TradeType.REGIONAL:
        regions = reg.Region.objects.filter(kind__in=[RegionKind.DISTRICT, RegionKind.COUNTY, RegionKind.COUNTY_CITY, RegionKind.FUNCTIONAL_ZONE,
                                                      RegionKind.RECEIVING_AREA]).order_by("sort_order")
        out.append((str(_("市内行政区")), [(f"region:{r.pk}", f"{r.name}人民政府") for r in regions]))
        out.append((str(_("市外行政区")), [(f"region:{r.pk}", r.name) for r in reg.Region.objects.filter(kind=RegionKind.OUTSIDE)]))
        out.append((str(_("收储机构")), [(f"reserve:{r.pk}", r.name) for r in Reserve.objects.all()]))
    else:
        assoc_qs = reg.Association.objects.select_related("district").order_by("district__name", "name")
        out.append((str(_("农民用水者协会")), [(f"association:{a.pk}", f"{a.name}（{a.district}）") for a in assoc_qs]))
        if user is not None and user.association_id:
            out.append((str(_("本协会用水户")), [(f"household:{h.pk}", f"{h.code} {h.name}")
                                                  for h in reg.Household.objects.filter(association_id=user.association_id).order_by("code")]))
        out.append((str(_("县级收储机构")), [(f"reserve:{r.pk}", r.name) for r in Reserve.objects.exclude(region__kind=RegionKind.CITY)]))
        out.append((str(_("工业企业、乡镇供水（县级收储出让，T10）")), permits))
    return [("", "—")] + out


def party_choices(user, kinds=None) -> list[tuple[str, str]]:
    return [(p.ref, f"{p.name}（{p.label}）") for p in my_parties(user) if kinds is None or p.kind in kinds]


class ApplyForm(forms.Form):
    seller_right = forms.TypedChoiceField(label=_("转让方用水权"), coerce=int)
    buyer = forms.ChoiceField(label=_("受让方（协议转让必填，挂牌可空）"), required=False)
    mode = forms.ChoiceField(label=_("交易方式"), choices=[(TradeMode.NEGOTIATED, TradeMode.NEGOTIATED.label), (TradeMode.LISTING, TradeMode.LISTING.label)])
    volume_m3 = forms.IntegerField(label=_("年交易水量（立方米）"), min_value=1)
    start_year = forms.IntegerField(label=_("起始年度"))
    end_year = forms.IntegerField(label=_("终止年度"))
    savings = forms.TypedChoiceField(label=_("节水量核定（取水权交易）"), coerce=int, required=False, empty_value=None)
    basis = forms.ChoiceField(label=_("转让水量来源"), choices=[("", "—")] + list(Basis.choices), required=False)
    unit_price = forms.DecimalField(label=_("意向单价（元/立方米）"), required=False, min_value=0, decimal_places=4, max_digits=12)
    use = forms.ChoiceField(label=_("受让方取水用途"), choices=[("", "—")] + list(WaterUse.choices), required=False)
    intake_location = forms.CharField(label=_("取水地点"), required=False, max_length=200)
    project_sector = forms.ModelChoiceField(label=_("受让项目行业"), queryset=reg.Sector.objects.all(), required=False)
    project_product = forms.CharField(label=_("受让项目产品"), required=False, max_length=100)
    project_water_per_unit = forms.DecimalField(label=_("单位产品取水量（立方米）"), required=False, min_value=0, decimal_places=4, max_digits=12)
    note = forms.CharField(label=_("申请说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, trade_type, rights, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seller_right"].choices = [(r.pk, _right_label(r)) for r in rights]
        self.fields["buyer"].choices = buyer_choices(trade_type, user)
        year = clock.this_year()
        self.fields["start_year"].initial = year
        self.fields["end_year"].initial = year
        savings = SavingsVerification.objects.restrict(user).exclude(status=SavingStatus.REJECTED)
        self.fields["savings"].choices = [("", "—")] + [
            (s.pk, f"{s.number} {s.get_source_kind_display()} {s.verified_m3 or s.claimed_m3:,} 立方米/年 {s.first_year}–{s.last_year}（{s.get_status_display()}）")
            for s in savings
        ]
        if trade_type != TradeType.PERMIT:
            del self.fields["savings"]


class ImpactForm(forms.Form):
    trade_type = forms.ChoiceField(label=_("交易类型"), choices=TradeType.choices)
    seller_right = forms.ModelChoiceField(label=_("转让方用水权"), queryset=WaterRight.objects.none())
    buyer = forms.CharField(label=_("受让方标识"), required=False, help_text=_("如 permit:12、region:5、reserve:1、association:3、household:40"))
    volume_m3 = forms.IntegerField(label=_("年交易水量（立方米）"), min_value=1)
    start_year = forms.IntegerField(label=_("起始年度"))
    end_year = forms.IntegerField(label=_("终止年度"))
    savings = forms.ModelChoiceField(label=_("节水量核定"), queryset=SavingsVerification.objects.all(), required=False)
    use = forms.ChoiceField(label=_("受让方取水用途"), choices=[("", "—")] + list(WaterUse.choices), required=False)
    filed = forms.BooleanField(label=_("已备案（灌溉交易超过一年）"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seller_right"].queryset = WaterRight.objects.restrict(user).filter(is_tradable=True).exclude(kind="issuance").order_by("kind", "number")
        self.fields["savings"].queryset = SavingsVerification.objects.restrict(user)
        self.fields["start_year"].initial = self.fields["end_year"].initial = clock.this_year()


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ConsultForm(forms.Form):
    opinion = forms.CharField(label=_("南水北调工程管理单位意见"), widget=forms.Textarea(attrs={"rows": 3}))


class VerifyForm(forms.Form):
    verified_m3 = forms.IntegerField(label=_("核定年节约水量（立方米）"), required=False, min_value=1,
                                     help_text=_("节水量尚未核定时填写；空为按申报水量核定"))
    works_manager_opinion = forms.CharField(label=_("水利工程管理单位意见（T5）"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    use_change_approved = forms.BooleanField(label=_("准予改变取水用途"), required=False)
    third_party_harm = forms.BooleanField(label=_("经核查：用途变更可能对第三方或社会公共利益产生重大损害"), required=False)
    needs_new_groundwater = forms.BooleanField(label=_("经核查：转让地表水后需要新增地下水取水"), required=False)
    note = forms.CharField(label=_("核定意见"), widget=forms.Textarea(attrs={"rows": 3}))


class FileRecordForm(forms.Form):
    filed_with = forms.CharField(label=_("备案机关"), max_length=120)
    filing_number = forms.CharField(label=_("备案编号"), max_length=40)
    note = forms.CharField(label=_("说明"), required=False)


class PublishForm(forms.Form):
    listed_price = forms.DecimalField(label=_("挂牌单价（元/立方米）"), min_value=0, decimal_places=4, max_digits=12)
    notice_days = forms.IntegerField(label=_("公告期（日）"), required=False, min_value=1, max_value=60)
    conditions = forms.CharField(label=_("受让条件"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AgreeForm(forms.Form):
    buyer = forms.ChoiceField(label=_("受让方"), required=False)
    unit_price = forms.DecimalField(label=_("成交单价（元/立方米）"), min_value=0, decimal_places=4, max_digits=12)
    use = forms.ChoiceField(label=_("取水用途"), choices=[("", "—")] + list(WaterUse.choices), required=False)
    intake_location = forms.CharField(label=_("取水地点"), required=False, max_length=200)
    default_liability = forms.CharField(label=_("违约责任"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    dispute_resolution = forms.CharField(label=_("争议解决办法"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, trade=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buyer"].choices = buyer_choices(trade.trade_type, user)
        if trade is not None:
            self.fields["buyer"].initial = trade.buyer_ref
            self.fields["use"].initial = trade.use
            self.fields["intake_location"].initial = trade.intake_location
            self.fields["unit_price"].initial = trade.unit_price


class SignForm(forms.Form):
    side = forms.ChoiceField(label=_("签约方"), choices=[("", _("本方")), ("seller", _("转让方")), ("buyer", _("受让方"))], required=False)
    confirm = forms.BooleanField(label=_("已阅读协议全文（交易水量、期限、取水地点、用途、价格、违约责任、争议解决），同意签署"))


class FileProvinceForm(forms.Form):
    filing_number = forms.CharField(label=_("报省备案编号"), max_length=40)
    note = forms.CharField(label=_("说明"), required=False)


class PayForm(forms.Form):
    reference = forms.CharField(label=_("付款凭证号"), max_length=80)
    amount = forms.DecimalField(label=_("付款金额（元）"), required=False, decimal_places=2, max_digits=16)


class RegisterForm(forms.Form):
    approval_number = forms.CharField(label=_("取水许可变更批准文号（期限超过一年的取水权交易）"), required=False, max_length=60)
    note = forms.CharField(label=_("说明"), required=False)


class RenewForm(forms.Form):
    unit_price = forms.DecimalField(label=_("延续单价（元/立方米）"), required=False, min_value=0, decimal_places=4, max_digits=12)
    end_year = forms.IntegerField(label=_("延续至年度"), required=False)
    savings = forms.ModelChoiceField(label=_("节水量核定"), queryset=SavingsVerification.objects.none(), required=False)
    note = forms.CharField(label=_("说明"), required=False)

    def __init__(self, *args, user=None, trade=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["savings"].queryset = SavingsVerification.objects.restrict(user).filter(status=SavingStatus.VERIFIED)


class IntentForm(forms.Form):
    buyer = forms.ChoiceField(label=_("意向受让方"))
    deposit_reference = forms.CharField(label=_("保证金缴款凭证号"), max_length=80)
    use = forms.ChoiceField(label=_("取水用途"), choices=[("", "—")] + list(WaterUse.choices), required=False)
    intake_location = forms.CharField(label=_("取水地点"), required=False, max_length=200)
    project_sector = forms.ModelChoiceField(label=_("受让项目行业"), queryset=reg.Sector.objects.all(), required=False)
    project_product = forms.CharField(label=_("受让项目产品"), required=False, max_length=100)
    project_water_per_unit = forms.DecimalField(label=_("单位产品取水量（立方米）"), required=False, min_value=0, decimal_places=4, max_digits=12)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buyer"].choices = party_choices(user)


class BidForm(forms.Form):
    buyer = forms.ChoiceField(label=_("竞买人"))
    unit_price = forms.DecimalField(label=_("报价（元/立方米）"), min_value=0, decimal_places=4, max_digits=12)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buyer"].choices = choices


class SavingsForm(forms.Form):
    permit = forms.ModelChoiceField(label=_("取水许可证"), queryset=reg.WithdrawalPermit.objects.none())
    source_kind = forms.ChoiceField(label=_("节水来源"), choices=SavingSource.choices)
    description = forms.CharField(label=_("节水措施说明"), widget=forms.Textarea(attrs={"rows": 3}))
    claimed_m3 = forms.IntegerField(label=_("申报年节约水量（立方米）"), min_value=1)
    first_year = forms.IntegerField(label=_("起始年度"))
    last_year = forms.IntegerField(label=_("终止年度"))
    evidence = forms.CharField(label=_("证明材料"), widget=forms.Textarea(attrs={"rows": 2}))
    evidence_file = forms.FileField(label=_("证明材料文件（PDF、PNG、JPEG）"), required=False)
    contractor_name = forms.CharField(label=_("节水服务企业（合同节水）"), required=False)
    host_unit = forms.CharField(label=_("用水单位（合同节水）"), required=False)
    contractor_share_pct = forms.DecimalField(label=_("节水服务企业收益分成（%）"), required=False, max_digits=5, decimal_places=2)
    host_share_pct = forms.DecimalField(label=_("用水单位收益分成（%）"), required=False, max_digits=5, decimal_places=2)
    reclaimed_source = forms.ModelChoiceField(label=_("替代再生水水源（再生水替代）"), required=False,
                                              queryset=reg.WaterSource.objects.filter(kind=SourceKind.NONCONVENTIONAL))
    reclaimed_m3 = forms.IntegerField(label=_("年再生水替代量（立方米）"), required=False, min_value=1)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        qs = reg.WithdrawalPermit.objects.restrict(user).select_related("holder")
        if user.role == Role.PERMIT_HOLDER:
            qs = qs.filter(holder_id=user.water_user_id)
        self.fields["permit"].queryset = qs
        self.fields["permit"].label_from_instance = lambda p: f"{p.number} {p.holder}（{p.annual_volume_m3:,} 立方米/年）"
        self.fields["first_year"].initial = clock.this_year()
        self.fields["last_year"].initial = clock.this_year()


class SavingsVerifyForm(forms.Form):
    decision = forms.ChoiceField(label=_("核定结论"), choices=[("approve", _("核定通过")), ("reject", _("不予核定"))])
    verified_m3 = forms.IntegerField(label=_("核定年节约水量（立方米）"), required=False, min_value=1)
    works_manager_opinion = forms.CharField(label=_("水利工程管理单位意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label=_("核定意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SessionForm(forms.Form):
    opening_minutes = forms.IntegerField(label=_("集合委托时段（分钟）"), required=False, min_value=0)
    hours = forms.IntegerField(label=_("交易时段长度（小时）"), required=False, min_value=1, max_value=24)


class OrderForm(forms.Form):
    side = forms.ChoiceField(label=_("方向"), choices=Side.choices)
    party = forms.ChoiceField(label=_("委托方"))
    lots = forms.IntegerField(label=_("手数"), min_value=1)
    limit_price = forms.DecimalField(label=_("限价（元/立方米）"), min_value=0, decimal_places=4, max_digits=12)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = party_choices(user, kinds=("association", "household"))


class RestrictionForm(forms.Form):
    kind = forms.ChoiceField(label=_("措施"), choices=RestrictionKind.choices)
    ground = forms.ChoiceField(label=_("原因类别"), choices=RestrictionGround.choices)
    region = forms.ModelChoiceField(label=_("行政区"), required=False, queryset=reg.Region.objects.filter(
        kind__in=[RegionKind.DISTRICT, RegionKind.COUNTY, RegionKind.COUNTY_CITY, RegionKind.FUNCTIONAL_ZONE]))
    water_user = forms.ModelChoiceField(label=_("取用水户"), required=False, queryset=reg.WaterUser.objects.all())
    association = forms.ModelChoiceField(label=_("协会"), required=False, queryset=reg.Association.objects.all())
    cut_pct = forms.DecimalField(label=_("核减比例（%）"), required=False, max_digits=5, decimal_places=2)
    reason = forms.CharField(label=_("事由"), widget=forms.Textarea(attrs={"rows": 2}))


class ReserveForm(forms.Form):
    region = forms.ModelChoiceField(label=_("行政区"), queryset=reg.Region.objects.filter(
        kind__in=[RegionKind.CITY, RegionKind.DISTRICT, RegionKind.COUNTY, RegionKind.COUNTY_CITY]))
    name = forms.CharField(label=_("收储机构"), max_length=80)
    operator = forms.CharField(label=_("经办单位"), max_length=80)
    funder = forms.CharField(label=_("出资方（F3）"), max_length=120)


class OutsideRegionForm(forms.Form):
    name = forms.CharField(label=_("市外行政区名称"), max_length=50, help_text=_("如 郑州市、新郑市、登封市"))
    name_en = forms.CharField(label=_("英文名"), max_length=80, required=False)


class PoolingForm(forms.Form):
    """归集: the association's households pool volume into its right (pro rata to their rights, or
    only among the households that consented)."""

    association = forms.TypedChoiceField(label=_("农民用水者协会"), coerce=int)
    volume_m3 = forms.IntegerField(label=_("年归集水量（立方米）"), min_value=1)
    first_year = forms.IntegerField(label=_("起始年度"))
    last_year = forms.IntegerField(label=_("终止年度"), required=False, help_text=_("空为仅起始年度"))
    consent_only = forms.BooleanField(label=_("仅在下列同意归集的用水户之间按比例归集"), required=False)
    households = forms.TypedMultipleChoiceField(label=_("同意归集的用水户"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=_("归集事由"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, associations, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["association"].choices = [(a.pk, f"{a.name}（{a.district}）") for a in associations]
        self.fields["households"].choices = [(h.pk, f"{h.code} {h.name}") for h in households]
        self.fields["first_year"].initial = clock.this_year()

    def clean(self):
        data = super().clean()
        if data.get("consent_only") and not data.get("households"):
            self.add_error("households", _("请选择同意归集的用水户"))
        return data


class PoolingReturnForm(forms.Form):
    volume_m3 = forms.IntegerField(label=_("年退回水量（立方米）"), min_value=1, required=False, help_text=_("空为全部未退回水量"))
    reason = forms.CharField(label=_("退回事由"), widget=forms.Textarea(attrs={"rows": 2}))
