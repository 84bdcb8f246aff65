"""Menu entries of the trading capability (shown by role)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shuiquan.core.nav import NavItem
from shuiquan.core.roles import Role

SECTION = _("用水权交易")


def items(user) -> list[NavItem]:
    out = [NavItem(_("交易大厅"), reverse("trading:home"), SECTION), NavItem(_("交易"), reverse("trading:trade_list"), SECTION)]
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.PERMIT_HOLDER, Role.COUNTY_OFFICER, Role.ASSOCIATION_REP):
        out.append(NavItem(_("转让申请"), reverse("trading:apply_choose"), SECTION))
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.PERMIT_HOLDER, Role.COUNTY_OFFICER, Role.AUDITOR):
        out.append(NavItem(_("节水量核定"), reverse("trading:savings_list"), SECTION))
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.ASSOCIATION_REP, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER, Role.AUDITOR):
        out.append(NavItem(_("用水户水量归集"), reverse("trading:pooling_list"), SECTION))
    out.append(NavItem(_("委托交易"), reverse("trading:orderbook"), SECTION))
    out.append(NavItem(_("影响预览"), reverse("trading:impact"), SECTION))
    out.append(NavItem(_("市场信息"), reverse("trading:market"), SECTION))
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.FINANCE_OFFICER, Role.AUDITOR):
        out.append(NavItem(_("收储"), reverse("trading:reserve_list"), SECTION))
        out.append(NavItem(_("冻结水量"), reverse("trading:locks"), SECTION))
    out.append(NavItem(_("交易限制（S6）"), reverse("trading:restriction_list"), SECTION))
    out.append(NavItem(_("交易规则配置"), reverse("trading:config_index"), SECTION))
    return out
