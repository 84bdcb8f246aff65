"""Demo for the pilot: task progress as of the demo date, some spending, and the irrigation meters
upgraded under budget item B2 (17 at 打磨岗, 40 at 虎山 are the targets; the demo has part of them
done). All marked 演示数据."""

import datetime as dt
import random
from decimal import Decimal

from shuiquan.core.models import User
from shuiquan.registry.choices import IntakeKind, MeterProtocol
from shuiquan.registry.models import Association, IntakePoint, MeteringDevice

from . import services
from .models import BudgetItem, PilotTask, TaskSource, TaskStatus

DONE_TABLE_9_1 = {1, 2, 3, 4, 5, 7}


def load(size: str = "full") -> dict:
    rng = random.Random(9651)
    admin = User.objects.get(username="city_admin")
    finance = User.objects.get(username="finance_officer")
    for task in PilotTask.objects.filter(source=TaskSource.TABLE_9_1):
        if task.number in DONE_TABLE_9_1:
            services.update_task(task, actor=admin, status=TaskStatus.DONE, note="已完成（演示数据）")
        else:
            services.update_task(task, actor=admin, status=TaskStatus.IN_PROGRESS, progress=rng.randrange(30, 90),
                                 note="推进中（演示数据）")
    spend = [("B1", "2023-03-15", "480000.00", "试点方案编制及制度建设咨询"), ("B2", "2024-05-20", "620000.00", "虎山灌区计量设施采购安装（一期）"),
             ("B2", "2024-09-10", "210000.00", "打磨岗灌区支管计量设施改造"), ("B4", "2023-11-30", "1650000.00", "唐河、白河水量分配方案编制"),
             ("B4", "2024-08-15", "980000.00", "湍河、刁河、西赵河水量分配方案编制"), ("B5", "2024-04-10", "260000.00", "打磨岗灌区协会初始水权分配和登记")]
    for code, date, amount, text in spend:
        services.record_spending(BudgetItem.objects.get(code=code), actor=finance, date=dt.date.fromisoformat(date),
                                 amount=Decimal(amount), description=text + "（演示数据）", voucher=f"NYSL-{date[:4]}-{rng.randrange(100, 999)}",
                                 is_demo=True)
    meters = 0
    for district, count in (("打磨岗灌区", 12 if size == "full" else 3), ("虎山灌区", 40 if size == "full" else 4)):
        assocs = list(Association.objects.filter(district__name=district).order_by("pk"))
        if not assocs:
            continue
        for i in range(count):
            assoc = assocs[i % len(assocs)]
            region = assoc.region
            intake = IntakePoint.objects.create(
                code=f"GG{region.code}{assoc.pk:03d}{i:03d}", name=f"{assoc.name}支管分水口{i + 1}", kind=IntakeKind.PIPE_OUTLET
                if district == "打磨岗灌区" else IntakeKind.CANAL_GATE, association=assoc, region=region,
                longitude=Decimal("111.85") + Decimal(rng.randrange(-300, 300)) / 10000 if region.code == "411325" else Decimal("112.95") + Decimal(rng.randrange(-300, 300)) / 10000,
                latitude=Decimal("33.20") + Decimal(rng.randrange(-300, 300)) / 10000 if region.code == "411325" else Decimal("32.85") + Decimal(rng.randrange(-300, 300)) / 10000,
                is_demo=True,
            )
            installed = dt.date(2024, 3, 1) + dt.timedelta(days=rng.randrange(0, 300))
            MeteringDevice.objects.create(
                serial=f"GG{region.code[-2:]}{assoc.pk:03d}{i:03d}", model="IRR-651", manufacturer="灌区计量改造（演示）",
                protocol=MeterProtocol.SL651_HEX, station_address=f"01{assoc.pk:05d}{i:03d}",
                intake_point=intake, region=region, is_online=True, meets_standard=True, is_irrigation=True,
                installed_on=installed, calibrated_on=installed, calibration_due=installed + dt.timedelta(days=730),
                register_max_m3=9_999_999, is_demo=True,
            )
            meters += 1
    return {"tasks_updated": PilotTask.objects.filter(source=TaskSource.TABLE_9_1).count(), "spendings": len(spend), "meters": meters,
            }
