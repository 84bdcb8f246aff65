"""Notices waiting for review by this account (district unit, county bureau or the city)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from shuiquan.core.nav import Panel, PanelItem
from shuiquan.core.roles import Role

from .choices import NoticeStatus
from .models import SupplyDemandNotice
from .services import may_review


def panels(user) -> list[Panel]:
    if not (user.is_superuser or user.role in (Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER, Role.ASSOCIATION_REP)):
        return []
    pending = [n for n in SupplyDemandNotice.objects.restrict(user).filter(status=NoticeStatus.PENDING).select_related("association")[:50]]
    items = []
    reviewable = [n for n in pending if may_review(user, n)]
    for n in reviewable[:8]:
        items.append(PanelItem(_("待审核供求信息：%(n)s %(a)s") % {"n": n.number, "a": n.association.name}, n.get_absolute_url(), "todo"))
    own = [n for n in pending if not may_review(user, n)]
    if own:
        items.append(PanelItem(_("已提交待审核的供求信息"), reverse("portal:notice_manage_list") + "?status=pending", "info", len(own)))
    if user.role == Role.ASSOCIATION_REP:
        items.append(PanelItem(_("发布供求信息"), reverse("portal:notice_new")))
    if not items:
        return []
    return [Panel(_("供求信息"), items, url=reverse("portal:notice_manage_list"))]
