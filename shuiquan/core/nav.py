"""Navigation and workbench panels, contributed by each app.

An app may define ``nav.py`` with ``def items(user) -> list[NavItem]`` and ``workbench.py`` with
``def panels(user) -> list[Panel]``. The core collects them in the order of ``APPS``, so adding a
capability never means editing the shared templates.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

APPS = ["registry", "ledger", "allocation", "trading", "metering", "supervision", "finance", "pilot", "portal", "core"]


@dataclass
class NavItem:
    label: str
    url: str
    section: str = ""


@dataclass
class PanelItem:
    text: str
    url: str = ""
    level: str = "info"  # info | todo | warning | alarm
    count: int | None = None


@dataclass
class Panel:
    title: str
    items: list[PanelItem] = field(default_factory=list)
    url: str = ""
    empty_text: str = "暂无待办"


def _collect(module_name: str, func: str, user) -> list:
    out = []
    for app in APPS:
        try:
            module = importlib.import_module(f"shuiquan.{app}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(f"shuiquan.{app}"):
                continue
            raise
        fn = getattr(module, func, None)
        if fn is not None:
            out.extend(fn(user))
    return out


def nav_items(user) -> list[NavItem]:
    return _collect("nav", "items", user)


def workbench_panels(user) -> list[Panel]:
    return _collect("workbench", "panels", user)


def items(user) -> list[NavItem]:
    """The core's own menu entries."""
    from django.urls import reverse

    from .roles import Role

    out = [NavItem("审计日志", reverse("core:audit_list"), "系统")]
    out.append(NavItem("参数配置", reverse("core:parameters"), "系统"))
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        out.append(NavItem("后台管理", reverse("admin:index"), "系统"))
    return out
