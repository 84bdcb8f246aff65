from django.urls import reverse
from django.utils.translation import gettext as _

from shuiquan.core.nav import NavItem
from shuiquan.core.roles import Role

from .ingestion import actor_may_ingest

SECTION = "监测计量"


def items(user):
    if user.role in (Role.BANK, Role.SNWD_UNIT) and not user.is_superuser:
        return []
    section = _(SECTION)
    out = [
        NavItem(_("用水监测总览"), reverse("metering:overview"), section),
        NavItem(_("计量设施"), reverse("metering:device_list"), section),
        NavItem(_("用水与用水权对照"), reverse("metering:permit_list"), section),
        NavItem(_("告警"), reverse("metering:alarm_list"), section),
        NavItem(_("应装未装在线计量"), reverse("metering:m1_list"), section),
        NavItem(_("数据接收批次"), reverse("metering:batch_list"), section),
    ]
    if actor_may_ingest(user):
        out.append(NavItem(_("上传读数"), reverse("metering:upload"), section))
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        out.append(NavItem(_("设备型号配置"), reverse("metering:profile_list"), section))
    return out
