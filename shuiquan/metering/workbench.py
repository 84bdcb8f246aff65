"""Metering alarms in the workbench of the role responsible for them: the city bureau sees all,
a county officer their county's, a district manager their district's, a permit holder their own
permits' and devices'. Counts come from the stored alarms (``services.evaluate_alarms``)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from shuiquan.core.nav import Panel, PanelItem
from shuiquan.core.roles import Role

from .choices import AlarmKind, AlarmLevel
from .models import Alarm, IngestionBatch

SHOWN = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER, Role.PERMIT_HOLDER, Role.ASSOCIATION_REP, Role.AUDITOR}


def panels(user):
    if user.role not in SHOWN and not user.is_superuser:
        return []
    open_alarms = Alarm.objects.restrict(user).filter(closed_at__isnull=True)
    url = reverse("metering:alarm_list")
    items = []
    over = open_alarms.filter(kind__in=[AlarmKind.RIGHT_USE, AlarmKind.PLAN_USE], level=AlarmLevel.ALARM).count()
    if over:
        items.append(PanelItem(_("超用水权或超计划取水"), f"{url}?kind=right_use&level=alarm", "alarm", over))
    warn = open_alarms.filter(kind__in=[AlarmKind.RIGHT_USE, AlarmKind.PLAN_USE], level=AlarmLevel.WARNING).count()
    if warn:
        items.append(PanelItem(_("用水量达到预警线"), f"{url}?level=warning", "warning", warn))
    silent = open_alarms.filter(kind=AlarmKind.SILENT_DEVICE).count()
    if silent:
        items.append(PanelItem(_("计量设施离线（超过设定小时无读数）"), f"{url}?kind=silent_device", "warning", silent))
    m1 = open_alarms.filter(kind=AlarmKind.M1_METERING).count()
    if m1:
        items.append(PanelItem(_("应装未装在线计量的取水许可（M1）"), reverse("metering:m1_list"), "todo", m1))
    unack = open_alarms.filter(acknowledged_at__isnull=True).count()
    if unack:
        items.append(PanelItem(_("未确认的告警"), f"{url}?state=unacknowledged", "todo", unack))
    previewed = IngestionBatch.objects.filter(created_by=user, status="previewed").count()
    if previewed:
        items.append(PanelItem(_("已预检待确认导入的读数文件"), reverse("metering:batch_list") + "?status=previewed", "todo", previewed))
    return [Panel(_("监测计量告警"), items, url=url, empty_text=_("暂无告警"))]
