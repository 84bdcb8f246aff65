from django.urls import reverse
from django.utils.translation import gettext as _

from shuiquan.core.nav import NavItem
from shuiquan.core.roles import Role


def items(user) -> list[NavItem]:
    section = _("监管")
    out = [NavItem(_("双控考核"), reverse("supervision:dashboard"), section)]
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AUDITOR, Role.FINANCE_OFFICER):
        out.append(NavItem(_("考核基础数据"), reverse("supervision:figures_list"), section))
    out.append(NavItem(_("争议和投诉"), reverse("supervision:complaint_list"), section))
    return out
