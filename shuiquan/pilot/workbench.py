import datetime as dt

from django.urls import reverse
from django.utils import timezone

from shuiquan.core.nav import Panel, PanelItem
from shuiquan.core.roles import Role

from . import kpis
from .models import PilotTask, TaskStatus


def panels(user):
    if user.role not in (Role.CITY_ADMIN, Role.AUDITOR) and not user.is_superuser:
        return []
    today = timezone.localdate()
    overdue = PilotTask.objects.exclude(status=TaskStatus.DONE).filter(year_end__lt=today.year)
    items = [PanelItem(f"逾期未完成的试点任务（截止年度早于{today.year}年）", reverse("pilot:tasks"), "warning", overdue.count())] if overdue.exists() else []
    for k in kpis.compute():
        level = "info" if k.met_to_date else "todo"
        items.append(PanelItem(f"{k.label}：{k.to_date:,}（目标 {k.target_text}）", reverse("pilot:dashboard"), level))
    return [Panel("试点考核", items, url=reverse("pilot:dashboard"))]


__all__ = ["panels", "dt"]
