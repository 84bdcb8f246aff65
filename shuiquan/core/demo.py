"""Demo accounts, one (or more) per role, all ``is_demo=True``. Their logins are printed by
``make run`` (``manage.py demo_logins``); production never loads them."""

from __future__ import annotations

from shuiquan.registry import models as reg

from .models import User
from .roles import Role

DEMO_PASSWORD = "shuiquan-demo-2026"


def _enterprise(region):
    """The county's first demo enterprise whose permit has compliant online metering at its intake
    (so that the demo permit holders can trade: M2), else its first enterprise."""
    enterprises = reg.WaterUser.objects.filter(region=region, kind="enterprise").order_by("pk")
    metered = enterprises.filter(intake_points__devices__status="active", intake_points__devices__is_online=True,
                                 intake_points__devices__meets_standard=True, intake_points__permit__isnull=False)
    return metered.first() or enterprises.first()


def accounts() -> list[dict]:
    """The demo accounts: username, role, display name and scope."""
    city = reg.Region.objects.get(code="411300")
    neixiang = reg.Region.objects.get(code="411325")
    tanghe = reg.Region.objects.get(code="411328")
    damogang = reg.IrrigationDistrict.objects.get(name="打磨岗灌区")
    hushan = reg.IrrigationDistrict.objects.get(name="虎山灌区")
    assoc = reg.Association.objects.filter(district=damogang).order_by("pk").first()
    holder = _enterprise(neixiang)
    buyer = _enterprise(tanghe)
    out = [
        dict(username="city_admin", role=Role.CITY_ADMIN, display_name="南阳市水利局（水资源科）", region=city, organization="南阳市水利局"),
        dict(username="neixiang_officer", role=Role.COUNTY_OFFICER, display_name="内乡县水利局", region=neixiang, organization="内乡县水利局"),
        dict(username="tanghe_officer", role=Role.COUNTY_OFFICER, display_name="唐河县水利局", region=tanghe, organization="唐河县水利局"),
        dict(username="damogang_manager", role=Role.DISTRICT_MANAGER, display_name="打磨岗灌区管理局", irrigation_district=damogang,
             region=neixiang, organization="内乡县打磨岗灌区管理局"),
        dict(username="hushan_manager", role=Role.DISTRICT_MANAGER, display_name="虎山灌区管理所", irrigation_district=hushan,
             region=tanghe, organization="唐河县虎山灌区管理所"),
        dict(username="association_rep", role=Role.ASSOCIATION_REP, display_name=str(assoc), association=assoc, region=neixiang,
             organization=str(assoc)),
        dict(username="permit_holder", role=Role.PERMIT_HOLDER, display_name=str(holder), water_user=holder, region=neixiang,
             organization=str(holder)),
        dict(username="buyer_holder", role=Role.PERMIT_HOLDER, display_name=str(buyer), water_user=buyer, region=tanghe,
             organization=str(buyer)),
        dict(username="finance_officer", role=Role.FINANCE_OFFICER, display_name="南阳市财政局", organization="南阳市财政局"),
        dict(username="bank_officer", role=Role.BANK, display_name="南阳某商业银行（演示）", organization="南阳某商业银行（演示）"),
        dict(username="auditor", role=Role.AUDITOR, display_name="水权交易监督（审计）", organization="南阳市水利局监督科"),
        dict(username="snwd_unit", role=Role.SNWD_UNIT, display_name="南水北调中线工程管理单位（演示）",
             organization="南水北调中线工程管理单位"),
    ]
    for region in reg.Region.objects.filter(kind__in=["district", "county", "county_city"]).exclude(code__in=["411325", "411328"]):
        out.append(dict(username=f"officer_{region.code}", role=Role.COUNTY_OFFICER, display_name=f"{region.name}水利局",
                        region=region, organization=f"{region.name}水利局"))
    return out


def load(size: str = "full") -> dict[str, int]:
    n = 0
    for spec in accounts():
        username = spec.pop("username")
        user, created = User.objects.get_or_create(username=username, defaults={**spec, "is_demo": True})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            n += 1
    return {"accounts": n}


#: The logins printed by ``make run``: one per role.
PRINTED = ["city_admin", "neixiang_officer", "damogang_manager", "association_rep", "permit_holder", "buyer_holder",
           "finance_officer", "bank_officer", "auditor", "snwd_unit"]
