"""Registry menu entries, by role (only what each role can see)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shuiquan.core.nav import NavItem
from shuiquan.core.roles import Role

REGISTRY = _("台账")
WATER = _("水资源")

#: role → the registry lists it uses (url name, label)
_LISTS = {
    "wateruser_list": _("取用水户"),
    "withdrawalpermit_list": _("取水许可证"),
    "annualwithdrawalplan_list": _("年度取水计划"),
    "intakepoint_list": _("取水口"),
    "meteringdevice_list": _("计量设施"),
    "irrigationdistrict_list": _("灌区"),
    "association_list": _("用水者协会"),
    "villagergroup_list": _("村民小组"),
    "household_list": _("灌溉用水户"),
}
_BY_ROLE = {
    Role.CITY_ADMIN: list(_LISTS),
    Role.COUNTY_OFFICER: list(_LISTS),
    Role.AUDITOR: list(_LISTS),
    Role.FINANCE_OFFICER: list(_LISTS),
    Role.PERMIT_HOLDER: ["wateruser_list", "withdrawalpermit_list", "annualwithdrawalplan_list", "intakepoint_list", "meteringdevice_list"],
    Role.DISTRICT_MANAGER: ["withdrawalpermit_list", "annualwithdrawalplan_list", "intakepoint_list", "meteringdevice_list",
                            "irrigationdistrict_list", "association_list", "villagergroup_list", "household_list"],
    Role.ASSOCIATION_REP: ["association_list", "villagergroup_list", "household_list", "intakepoint_list", "meteringdevice_list"],
}
_REFERENCE = [
    ("region_list", _("行政区")), ("basin_list", _("流域")), ("river_list", _("河流")), ("reservoir_list", _("水库")),
    ("watersource_list", _("水源")), ("waterresourcezone_list", _("水资源分区")),
]


def items(user) -> list[NavItem]:
    out = [NavItem(_("全市概览"), reverse("registry:overview"), REGISTRY)]
    role = Role.CITY_ADMIN if user.is_superuser else user.role
    for name in _BY_ROLE.get(role, []):
        out.append(NavItem(_LISTS[name], reverse(f"registry:{name}"), REGISTRY))
    if role in (Role.CITY_ADMIN, Role.COUNTY_OFFICER):
        out.append(NavItem(_("待延续许可证"), reverse("registry:withdrawalpermit_renewal_due"), REGISTRY))
        out.append(NavItem(_("导入取用水户"), reverse("registry:import", args=["water_users"]), REGISTRY))
        out.append(NavItem(_("导入取水许可证"), reverse("registry:import", args=["permits"]), REGISTRY))
    out.extend(NavItem(label, reverse(f"registry:{name}"), WATER) for name, label in _REFERENCE)
    return out
