from django.urls import reverse
from django.utils.translation import gettext as _

from shuiquan.core.nav import NavItem
from shuiquan.core.roles import Role


def items(user) -> list[NavItem]:
    section = _("初始水权分配")
    out = [
        NavItem(_("分配总览"), reverse("allocation:overview"), section),
        NavItem(_("分配与登记"), reverse("allocation:run_list"), section),
    ]
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.COUNTY_OFFICER):
        out.append(NavItem(_("编制分配"), reverse("allocation:run_new"), section))
    out += [
        NavItem(_("水权凭证"), reverse("allocation:certificate_list"), section),
        NavItem(_("河流水量分配方案"), reverse("allocation:riverplan_list"), section),
        NavItem(_("地下水管控指标"), reverse("allocation:groundwaterindicator_list"), section),
        NavItem(_("用水定额"), reverse("allocation:waterquota_list"), section),
        NavItem(_("作物灌溉定额"), reverse("allocation:cropquota_list"), section),
        NavItem(_("灌区灌溉参数"), reverse("allocation:irrigationprofile_list"), section),
    ]
    return out
