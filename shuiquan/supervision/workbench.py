"""Supervision to-dos: complaints waiting for the leading office (the city bureau), regions red or
amber in the latest assessment."""

from django.urls import reverse
from django.utils.translation import gettext as _

from shuiquan.core.nav import Panel, PanelItem
from shuiquan.core.roles import Role

from .choices import ComplaintStatus
from .models import Complaint


def panels(user) -> list[Panel]:
    if not (user.is_superuser or user.role in (Role.CITY_ADMIN, Role.AUDITOR)):
        return []
    items = []
    open_rows = Complaint.objects.filter(status__in=[ComplaintStatus.SUBMITTED, ComplaintStatus.ACCEPTED, ComplaintStatus.INVESTIGATING])
    waiting = open_rows.filter(status=ComplaintStatus.SUBMITTED).count()
    if waiting:
        items.append(PanelItem(_("待受理的争议和投诉"), reverse("supervision:complaint_list") + "?status=submitted", "todo", waiting))
    working = open_rows.exclude(status=ComplaintStatus.SUBMITTED).count()
    if working:
        items.append(PanelItem(_("办理中的争议和投诉"), reverse("supervision:complaint_list") + "?status=investigating", "todo", working))
    from shuiquan.trading.models import TradingRestriction

    from . import assessment
    from .models import NationalExportItem
    from .views import default_year

    active = TradingRestriction.objects.filter(lifted_at__isnull=True).count()
    if active:
        items.append(PanelItem(_("执行中的交易约束（S6）"), reverse("supervision:enforcement_list"), "info", active))
    pending = NationalExportItem.objects.filter(status="pending").values("export").distinct().count()
    if pending:
        items.append(PanelItem(_("待导入国家系统回执的报送批次"), reverse("supervision:national_list"), "todo", pending))
    rejected = NationalExportItem.objects.filter(status="rejected").count()
    if rejected:
        items.append(PanelItem(_("国家系统退回的记录（下次报送时重报）"), reverse("supervision:national_list"), "warning", rejected))

    book = assessment.Book()
    year = default_year(book)
    red = [ry.region.name for ry in assessment.assess_year(year, book) if ry.status == "red"]
    if red:
        items.append(PanelItem(_("%(y)s年双控考核超标/未达标：%(names)s") % {"y": year, "names": "、".join(red[:6])},
                               reverse("supervision:dashboard") + f"?year={year}", "alarm", len(red)))
    return [Panel(_("监管"), items, url=reverse("supervision:dashboard"), empty_text=_("暂无待办"))]
