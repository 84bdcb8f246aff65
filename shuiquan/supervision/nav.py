from django.urls import reverse
from django.utils.translation import gettext as _

from shuiquan.core.nav import NavItem
from shuiquan.core.roles import Role


def items(user) -> list[NavItem]:
    section = _("监管")
    out = [NavItem(_("双控考核"), reverse("supervision:dashboard"), section)]
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AUDITOR, Role.FINANCE_OFFICER):
        out.append(NavItem(_("考核基础数据"), reverse("supervision:figures_list"), section))
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AUDITOR, Role.COUNTY_OFFICER, Role.FINANCE_OFFICER):
        out += [NavItem(_("交易约束（S6）"), reverse("supervision:enforcement_list"), section),
                NavItem(_("交易履约动态监管"), reverse("supervision:monitoring"), section),
                NavItem(_("现场核查（S3）"), reverse("supervision:inspection_list"), section),
                NavItem(_("交易后评估"), reverse("supervision:evaluation_list"), section)]
    out.append(NavItem(_("争议和投诉"), reverse("supervision:complaint_list"), section))
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        out.append(NavItem(_("国家系统数据报送"), reverse("supervision:national_list"), section))
    return out
