from django.urls import reverse
from django.utils.translation import gettext as _

from shuiquan.core.nav import NavItem
from shuiquan.core.roles import Role


def items(user) -> list[NavItem]:
    section = _("信息公开")
    out = [NavItem(_("信息公开网站"), reverse("portal:home"), section)]
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER, Role.ASSOCIATION_REP, Role.AUDITOR):
        out.append(NavItem(_("供求信息管理"), reverse("portal:notice_manage_list"), section))
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        out.append(NavItem(_("政策文件"), reverse("portal:policies"), section))
    return out
