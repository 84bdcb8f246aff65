"""Registry panels on the workbench, per role. Everything is read through scoped queries, so a
county officer's counts are their county's and a permit holder sees only their own permits."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shuiquan.core import units
from shuiquan.core.nav import Panel, PanelItem
from shuiquan.core.roles import Role

from . import models as m
from . import services
from .choices import ACTIVE_PERMIT_STATUSES, PermitStatus

DEMO = "（演示数据）"


def _demo(obj) -> str:
    return _(DEMO) if getattr(obj, "is_demo", False) else ""


def _renewals(user, limit=8) -> Panel:
    today = timezone.localdate()
    due = services.renewal_due(user, today)
    items = []
    for p in due[:limit]:
        lapsed = p.valid_to < today
        text = (_("%(number)s %(holder)s：有效期止 %(end)s") % {"number": p.number, "holder": p.holder, "end": p.valid_to}) + _demo(p)
        if lapsed:
            text += _("（已到期未注销）")
        items.append(PanelItem(text, p.get_absolute_url(), "alarm" if lapsed else "todo"))
    count = due.count()
    if count > limit:
        items.append(PanelItem(_("全部待延续许可证"), reverse("registry:withdrawalpermit_renewal_due"), "info", count))
    return Panel(_("取水许可证延续提醒（届满前45日内）"), items, reverse("registry:withdrawalpermit_renewal_due"),
                 empty_text=_("暂无需要延续的许可证"))


def _counts(user, title) -> Panel:
    permits = m.WithdrawalPermit.objects.restrict(user)
    active = permits.filter(status__in=ACTIVE_PERMIT_STATUSES)
    volume = active.aggregate(s=Sum("annual_volume_m3"))["s"] or 0
    devices = m.MeteringDevice.objects.restrict(user)
    items = [
        PanelItem(_("取用水户"), reverse("registry:wateruser_list"), "info", m.WaterUser.objects.restrict(user).count()),
        PanelItem(_("有效取水许可证"), reverse("registry:withdrawalpermit_list"), "info", active.count()),
        PanelItem(_("有效许可水量合计：%(v)s 万立方米") % {"v": units.wan(volume)}, reverse("registry:withdrawalpermit_list")),
        PanelItem(_("取水口"), reverse("registry:intakepoint_list"), "info", m.IntakePoint.objects.restrict(user).count()),
        PanelItem(_("计量设施（其中非在线）"), reverse("registry:meteringdevice_list") + "?is_online=false", "info",
                  devices.filter(is_online=False).count()),
        PanelItem(_("灌溉用水户"), reverse("registry:household_list"), "info", m.Household.objects.restrict(user).count()),
    ]
    by_status = dict(permits.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    for status in (PermitStatus.EXPIRED, PermitStatus.REVOKED):
        if by_status.get(status):
            items.append(PanelItem(_("已%(s)s许可证") % {"s": PermitStatus(status).label}, reverse("registry:withdrawalpermit_list") + f"?status={status}",
                                   "info", by_status[status]))
    if m.WithdrawalPermit.objects.restrict(user).filter(is_demo=True).exists():
        items.append(PanelItem(_("注：台账中的取用水户、许可证、协会和用水户为演示数据"), "", "warning"))
    return Panel(title, items, reverse("registry:overview"))


def panels(user) -> list[Panel]:
    role = Role.CITY_ADMIN if user.is_superuser else user.role
    out: list[Panel] = []
    if role == Role.CITY_ADMIN:
        out += [_counts(user, _("全市台账")), _renewals(user)]
    elif role == Role.COUNTY_OFFICER:
        out += [_renewals(user), _counts(user, _("%(r)s台账") % {"r": user.region})]
    elif role in (Role.AUDITOR, Role.FINANCE_OFFICER):
        out.append(_counts(user, _("全市台账")))
    elif role == Role.PERMIT_HOLDER:
        today = timezone.localdate()
        items = []
        for p in m.WithdrawalPermit.objects.restrict(user).order_by("valid_to"):
            text = _("%(number)s：年许可水量 %(v)s 万立方米，有效期至 %(end)s（%(status)s）") % {
                "number": p.number, "v": units.wan(p.annual_volume_m3), "end": p.valid_to, "status": p.get_status_display()} + _demo(p)
            level = "todo" if p.is_active and p.renewal_due <= today else "info"
            items.append(PanelItem(text, p.get_absolute_url(), level))
        out.append(Panel(_("我的取水许可证"), items, reverse("registry:withdrawalpermit_list"), empty_text=_("暂无取水许可证")))
    elif role == Role.DISTRICT_MANAGER:
        items = []
        assocs = m.Association.objects.restrict(user).annotate(n=Count("households")).order_by("name")
        for a in assocs:
            items.append(PanelItem(_("%(name)s：有效灌溉面积 %(area)s 亩，%(n)s 户") % {"name": a.name, "area": a.effective_area_mu, "n": a.n} + _demo(a),
                                   a.get_absolute_url()))
        district = user.irrigation_district
        title = _("%(d)s的用水者协会") % {"d": district} if district else _("用水者协会")
        out.append(Panel(title, items, reverse("registry:association_list"), empty_text=_("暂无协会")))
        out.append(_renewals(user))
    elif role == Role.ASSOCIATION_REP and user.association_id:
        a = user.association
        households = m.Household.objects.restrict(user)
        area = households.aggregate(s=Sum("planted_area_mu"))["s"] or 0
        items = [
            PanelItem(_("村民小组"), reverse("registry:villagergroup_list"), "info", m.VillagerGroup.objects.restrict(user).count()),
            PanelItem(_("灌溉用水户"), reverse("registry:household_list"), "info", households.count()),
            PanelItem(_("种植面积合计：%(a)s 亩（协会有效灌溉面积 %(e)s 亩）") % {"a": area, "e": a.effective_area_mu}, a.get_absolute_url()),
        ]
        out.append(Panel(f"{a}{_demo(a)}", items, a.get_absolute_url()))
    return out
