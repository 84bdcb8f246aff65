from django.urls import reverse
from django.utils.translation import gettext as _

from shuiquan.core.nav import NavItem
from shuiquan.core.roles import Role


def items(user) -> list[NavItem]:
    section = _("资金与金融")
    out = []
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.FINANCE_OFFICER, Role.AUDITOR):
        out += [NavItem(_("交易资金"), reverse("finance:overview"), section), NavItem(_("资金对账"), reverse("finance:reconcile"), section),
                NavItem(_("资金凭证"), reverse("finance:entry_list"), section)]
    out.append(NavItem(_("用水权质押（抵押）"), reverse("finance:pledge_list"), section))
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.FINANCE_OFFICER, Role.AUDITOR, Role.BANK):
        out.append(NavItem(_("供水收费权转让"), reverse("finance:feeright_list"), section))
    return out
