from django.urls import reverse

from shuiquan.core.nav import NavItem
from shuiquan.core.roles import Role


def items(user):
    if user.role not in (Role.CITY_ADMIN, Role.FINANCE_OFFICER, Role.AUDITOR) and not user.is_superuser:
        return []
    return [
        NavItem("试点考核指标", reverse("pilot:dashboard"), "试点"),
        NavItem("试点工作任务", reverse("pilot:tasks"), "试点"),
        NavItem("试点经费", reverse("pilot:budget"), "试点"),
    ]
