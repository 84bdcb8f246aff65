from django.urls import reverse

from .nav import Panel, PanelItem
from .roles import Role


def panels(user):
    items = [PanelItem(f"角色：{user.role_label}" + (f"（{user.region}）" if user.region_id else ""))]
    if user.role in (Role.CITY_ADMIN, Role.AUDITOR) or user.is_superuser:
        items.append(PanelItem("审计日志与审计链校验", reverse("core:audit_list")))
    items.append(PanelItem("API 令牌与账户", reverse("core:account")))
    return [Panel("账户", items)]
