"""Parties of a trade and the rights their volume moves between.

A party is referred to by a short string, the same in forms, the API and stored trades::

    permit:<WithdrawalPermit id>   a permit holder, through its permit's withdrawal right
    region:<Region id>             a county-level region (regional right) or an outside city
    reserve:<Reserve id>           a city or county reserve (收储)
    association:<Association id>   a farmer water-user association (irrigation right)
    household:<Household id>       an irrigation household (household right)

``party_of_right`` goes the other way. ``buyer_right`` finds the buyer's right, opening a reserve
or outside account (docs/ledger-tree.md) when the first volume arrives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from shuiquan.core import config
from shuiquan.core.errors import ValidationFailed
from shuiquan.core.roles import Role
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import HolderKind, RightKind, RightStatus
from shuiquan.ledger.models import Reserve, WaterRight
from shuiquan.registry import models as reg
from shuiquan.registry.choices import RegionKind

KINDS = ("permit", "region", "reserve", "association", "household")
KIND_LABELS = {"water_user": "取用水户", "region": "行政区", "outside": "市外行政区", "reserve": "收储机构",
               "association": "农民用水者协会", "household": "灌溉用水户"}


@dataclass
class Party:
    kind: str  # water_user | region | outside | reserve | association | household
    obj: Any
    permit: reg.WithdrawalPermit | None = None

    @property
    def ref(self) -> str:
        if self.kind == "water_user":
            return f"permit:{self.permit.pk}"
        if self.kind == "outside":
            return f"region:{self.obj.pk}"
        return f"{self.kind}:{self.obj.pk}"

    @property
    def name(self) -> str:
        if self.kind in ("region", "outside"):
            return ledger.holder_label(self.obj)
        if self.kind == "household":
            return f"{self.obj.code} {self.obj.name}"
        return str(self.obj)

    @property
    def public_name(self) -> str:
        """The name shown on public pages: a household only by its masked code (never its name or ID)."""
        if self.kind == "household":
            return f"灌溉用水户 {mask_household_code(self.obj.code)}"
        return self.name

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def region(self) -> reg.Region:
        if self.kind in ("region", "outside"):
            return self.obj
        if self.kind == "household":
            return self.obj.association.region
        if self.kind == "water_user":
            return self.permit.region if self.permit else self.obj.region
        return self.obj.region

    @property
    def water_user(self):
        return self.obj if self.kind == "water_user" else None

    @property
    def association(self):
        if self.kind == "association":
            return self.obj
        if self.kind == "household":
            return self.obj.association
        return None

    @property
    def household(self):
        return self.obj if self.kind == "household" else None

    @property
    def reserve(self):
        return self.obj if self.kind == "reserve" else None

    @property
    def is_outside(self) -> bool:
        return self.kind == "outside"


def mask_household_code(code: str) -> str:
    """De-identify a household code for public pages: keep the association part, mask the rest."""
    if "-" in code:
        head, tail = code.rsplit("-", 1)
        return f"{head}-{'*' * len(tail)}"
    return code[: max(0, len(code) - 4)] + "****"


def parse_ref(ref: str) -> Party:
    try:
        kind, raw = (ref or "").split(":", 1)
        pk = int(raw)
    except (ValueError, AttributeError):
        raise ValidationFailed("bad_party", f"无法识别的交易方：{ref!r}", f"Unrecognised party: {ref!r}") from None
    if kind not in KINDS:
        raise ValidationFailed("bad_party", f"无法识别的交易方类型：{kind}", f"Unrecognised party kind: {kind}")
    model = {"permit": reg.WithdrawalPermit, "region": reg.Region, "reserve": Reserve, "association": reg.Association,
             "household": reg.Household}[kind]
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise ValidationFailed("unknown_party", f"交易方不存在：{ref}", f"No such party: {ref}")
    if kind == "permit":
        return Party("water_user", obj.holder, permit=obj)
    if kind == "region":
        if obj.kind == RegionKind.OUTSIDE:
            return Party("outside", obj)
        if obj.kind not in (RegionKind.DISTRICT, RegionKind.COUNTY, RegionKind.COUNTY_CITY, RegionKind.CITY, RegionKind.RECEIVING_AREA,
                            RegionKind.FUNCTIONAL_ZONE):
            raise ValidationFailed("bad_party", f"{obj} 不能作为交易方", f"{obj} cannot be a trading party")
        return Party("region", obj)
    return Party(kind, obj)


def party_of_right(right: WaterRight) -> Party:
    hk = right.holder_kind
    if hk == HolderKind.WATER_USER:
        return Party("water_user", right.water_user, permit=right.permit)
    if hk == HolderKind.REGION:
        return Party("outside" if right.holder_region.kind == RegionKind.OUTSIDE else "region", right.holder_region)
    if hk == HolderKind.ASSOCIATION:
        return Party("association", right.association)
    if hk == HolderKind.HOUSEHOLD:
        return Party("household", right.household)
    if hk == HolderKind.RESERVE:
        return Party("reserve", right.reserve)
    raise ValidationFailed("not_tradable_holder", f"{right} 的权利人不能作为交易方", f"The holder of {right} cannot trade")


def _covering(qs, years: list[int]):
    for right in qs.filter(status=RightStatus.ACTIVE).order_by("pk"):
        if all(right.covers_year(y) for y in years):
            return right
    return None


def account_years(years: list[int]) -> tuple[dt.date, dt.date]:
    this_year = timezone.localdate().year
    horizon = int(config.get("trading.reserve_right_years"))
    return dt.date(min(years[0], this_year), 1, 1), dt.date(max(years[-1], this_year + horizon - 1), 12, 31)


def buyer_right(party: Party, *, years: list[int], seller_right: WaterRight, actor, create: bool = True) -> WaterRight | None:
    """The right that receives the volume. Reserve and outside accounts are opened on first use
    (kind ``reserve`` / ``outside``, no parent, per source type); other parties must already hold
    a right (opened by allocation)."""
    if party.kind == "water_user":
        right = ledger.right_for_permit(party.permit)
        if right is None:
            raise ValidationFailed("buyer_has_no_right", f"受让方许可证 {party.permit} 尚未登记取水权",
                                   f"The buyer's permit {party.permit} has no registered withdrawal right")
        return right
    if party.kind == "region":
        kind = RightKind.SNWD if seller_right.source_type == "snwd" else RightKind.REGIONAL
        right = ledger.right_for_region(party.obj, kind)
        if right is None:
            raise ValidationFailed("buyer_has_no_right", f"{party.name} 尚无{RightKind(kind).label}账户",
                                   f"{party.name} has no {kind} right")
        return right
    if party.kind == "association":
        right = WaterRight.objects.filter(association=party.obj, kind=RightKind.IRRIGATION, status=RightStatus.ACTIVE).order_by("pk").first()
        if right is None:
            raise ValidationFailed("buyer_has_no_right", f"{party.name} 尚未确权", f"{party.name} has no irrigation right")
        return right
    if party.kind == "household":
        right = WaterRight.objects.filter(household=party.obj, kind=RightKind.HOUSEHOLD, status=RightStatus.ACTIVE).order_by("pk").first()
        if right is None:
            raise ValidationFailed("buyer_has_no_right", f"用水户 {party.obj.code} 尚未确权", f"Household {party.obj.code} has no right")
        return right
    if party.kind == "reserve":
        qs = WaterRight.objects.filter(reserve=party.obj, kind=RightKind.RESERVE, source_type=seller_right.source_type)
        right = _covering(qs, years)
        if right is None and create:
            start, end = account_years(years)
            right = ledger.open_right(
                actor=actor, kind=RightKind.RESERVE, name=f"{party.obj.name}收储水权（{seller_right.get_source_type_display()}）",
                holder=party.obj, valid_from=start, valid_to=end, source_type=seller_right.source_type, use=seller_right.use,
                legal_basis="收储（T2/T10）", region=party.obj.region, message="收储账户：首次收储时开立",
            )
        return right
    if party.kind == "outside":
        qs = WaterRight.objects.filter(holder_region=party.obj, kind=RightKind.OUTSIDE, source_type=seller_right.source_type)
        right = _covering(qs, years)
        if right is None and create:
            start, end = account_years(years)
            right = ledger.open_right(
                actor=actor, kind=RightKind.OUTSIDE, name=f"{party.obj.name}受让南阳市水权（{seller_right.get_source_type_display()}）",
                holder=party.obj, holder_name=party.obj.name, valid_from=start, valid_to=end, source_type=seller_right.source_type,
                use=seller_right.use, legal_basis="跨区域水权交易（T2）", region=party.obj, message="市外受让方账户：首次受让时开立",
            )
        return right
    raise ValidationFailed("bad_party", "无法确定受让方用水权", "Cannot determine the buyer's right")


def acts_for(user, party: Party | None) -> bool:
    """Whether ``user`` may act (apply, sign, pay, bid) for ``party``."""
    if party is None or user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return True
    if user.role == Role.PERMIT_HOLDER:
        return party.kind == "water_user" and party.obj.pk == user.water_user_id
    if user.role == Role.COUNTY_OFFICER:
        if party.kind == "region":
            return party.obj.pk == user.region_id
        if party.kind == "reserve":
            return party.obj.region_id == user.region_id
        return False
    if user.role == Role.ASSOCIATION_REP:
        return party.association is not None and party.association.pk == user.association_id
    return False


def my_parties(user) -> list[Party]:
    """The parties ``user`` can act for, for the forms (a city admin: the city and its reserves)."""
    out: list[Party] = []
    if user is None or not user.is_authenticated:
        return out
    if user.role == Role.PERMIT_HOLDER and user.water_user_id:
        for permit in reg.WithdrawalPermit.objects.filter(holder_id=user.water_user_id).order_by("number"):
            out.append(Party("water_user", permit.holder, permit=permit))
    elif user.role == Role.COUNTY_OFFICER and user.region_id:
        out.append(Party("region", user.region))
        out += [Party("reserve", r) for r in Reserve.objects.filter(region_id=user.region_id)]
    elif user.role == Role.ASSOCIATION_REP and user.association_id:
        out.append(Party("association", user.association))
        out += [Party("household", h) for h in reg.Household.objects.filter(association_id=user.association_id).order_by("code")]
    elif user.is_superuser or user.role == Role.CITY_ADMIN:
        out += [Party("reserve", r) for r in Reserve.objects.all()]
        city = reg.Region.objects.filter(kind=RegionKind.CITY).first()
        if city:
            out.append(Party("region", city))
    return out


def rights_of(party: Party) -> list[WaterRight]:
    """The tradable rights a party holds (what it could sell from)."""
    qs = WaterRight.objects.filter(status=RightStatus.ACTIVE, is_tradable=True)
    if party.kind == "water_user":
        qs = qs.filter(permit=party.permit, kind=RightKind.WITHDRAWAL)
    elif party.kind in ("region", "outside"):
        qs = qs.filter(holder_region=party.obj)
    elif party.kind == "association":
        qs = qs.filter(association=party.obj)
    elif party.kind == "household":
        qs = qs.filter(household=party.obj)
    elif party.kind == "reserve":
        qs = qs.filter(reserve=party.obj)
    return list(qs.order_by("pk"))
