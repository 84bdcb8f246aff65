"""Loading the Nanyang reference data and the demo data, idempotently.

``load_reference()`` loads the seed's figures (``registry.seed``, ``pilot.seed``) every time
(update-or-create);
``load_demo()`` runs each app's ``demo.load(size)`` once, in dependency order, each in one
transaction and marked by a ``DataLoad`` row, so running it again changes nothing.
"""

from __future__ import annotations

import importlib
import logging

from django.db import transaction

from . import audit
from .models import DataLoad

log = logging.getLogger("shuiquan.loading")

DEMO_ORDER = ["registry", "core", "allocation", "trading", "metering", "finance", "supervision", "pilot"]


#: Apps whose ``seed.load()`` loads reference data from the seed document (not demo data).
REFERENCE_ORDER = ["registry", "pilot"]


def load_reference() -> dict[str, int]:
    from shuiquan.registry import seed

    with transaction.atomic():
        counts: dict[str, int] = {}
        for app in REFERENCE_ORDER:
            counts.update(importlib.import_module(f"shuiquan.{app}.seed").load())
        row, created = DataLoad.objects.update_or_create(name="nanyang", defaults={"version": seed.VERSION, "summary": counts})
        if created:
            audit.record(actor=None, action="load_data", obj=row, after=counts, message="南阳市基础数据（种子文件各表）", region_code="")
    return counts


def load_demo(size: str = "full", apps: list[str] | None = None) -> dict[str, dict]:
    done: dict[str, dict] = {}
    for app in apps or DEMO_ORDER:
        try:
            module = importlib.import_module(f"shuiquan.{app}.demo")
        except ModuleNotFoundError as exc:
            if exc.name == f"shuiquan.{app}.demo":
                continue
            raise
        name = f"demo.{app}"
        if DataLoad.objects.filter(name=name).exists():
            continue
        with transaction.atomic():
            counts = module.load(size) or {}
            row = DataLoad.objects.create(name=name, version=size, summary=counts)
            audit.record(actor=None, action="load_data", obj=row, after=counts, message=f"演示数据 {name}（{size}）", region_code="")
        log.info("loaded %s: %s", name, counts)
        done[app] = counts
    return done
