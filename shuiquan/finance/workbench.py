"""Finance to-dos: the finance bureau's funds to reconcile and SNWD revenue to distribute; a bank's
pledges to confirm or release; the bureaus' pledges to register and enforcements to approve."""

from django.urls import reverse
from django.utils.translation import gettext as _

from shuiquan.core.nav import Panel, PanelItem
from shuiquan.core.roles import Role

from .models import Pledge, PledgeStatus


def panels(user) -> list[Panel]:
    out = []
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.FINANCE_OFFICER, Role.AUDITOR):
        from . import funds
        from .views import _snwd_pending

        items = []
        exceptions = funds.reconcile_all(limit=500)
        if exceptions:
            items.append(PanelItem(_("待对账的交易资金"), reverse("finance:reconcile"), "todo", len(exceptions)))
        for trade, amount in _snwd_pending()[:5]:
            items.append(PanelItem(_("待分配南水北调非税收入：%(n)s（%(a)s 元）") % {"n": trade.number, "a": f"{amount:,}"},
                                   reverse("finance:trade_funds", args=[trade.pk]), "todo"))
        problems = funds.verify_book()
        if problems:
            items.append(PanelItem(_("资金凭证不平衡"), reverse("finance:reconcile"), "alarm", len(problems)))
        items.append(PanelItem(_("导出财政报表（Excel）"), reverse("finance:report")))
        out.append(Panel(_("交易资金"), items, url=reverse("finance:overview")))
    pledges = Pledge.objects.restrict(user).select_related("bank", "right")
    items = []
    if user.role == Role.BANK:
        for p in pledges.filter(status=PledgeStatus.APPLIED, bank__staff=user)[:8]:
            items.append(PanelItem(_("待确认质押：%(r)s %(h)s") % {"r": p.right.number, "h": p.right.holder_name}, p.get_absolute_url(), "todo"))
        registered = pledges.filter(status=PledgeStatus.REGISTERED, bank__staff=user).count()
        if registered:
            items.append(PanelItem(_("登记中的质押（可解除或申请处置）"), reverse("finance:pledge_list") + "?status=registered", "info", registered))
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.COUNTY_OFFICER):
        for p in pledges.filter(status=PledgeStatus.BANK_CONFIRMED)[:8]:
            items.append(PanelItem(_("待登记质押：%(r)s（%(b)s）") % {"r": p.right.number, "b": p.bank}, p.get_absolute_url(), "todo"))
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        for p in pledges.filter(status=PledgeStatus.ENFORCING, enforcement_trade__isnull=True)[:8]:
            items.append(PanelItem(_("质权人申请处置，待批准：%(n)s") % {"n": p.number}, p.get_absolute_url(), "todo"))
    if items:
        out.append(Panel(_("用水权质押"), items, url=reverse("finance:pledge_list")))
    return out
