"""Pilot services: task progress and budget spending (both audited)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from shuiquan.core import audit
from shuiquan.core.errors import Conflict, ValidationFailed
from shuiquan.core.roles import Role
from shuiquan.core.scoping import require_role
from shuiquan.core.units import money

from .data import BUDGET_TOTAL
from .models import BudgetItem, PilotTask, Spending, TaskStatus


@transaction.atomic
def update_task(task: PilotTask, *, actor, status: str, progress: int | None = None, note: str = "") -> PilotTask:
    require_role(actor, message="试点任务进展由市水利局填报", message_en="Only the city water bureau updates pilot tasks")
    task = PilotTask.objects.select_for_update().get(pk=task.pk)
    if status not in TaskStatus.values:
        raise ValidationFailed("invalid_status", "无效的任务状态", "Invalid task status")
    if progress is not None and (not isinstance(progress, int) or isinstance(progress, bool) or not 0 <= progress <= 100):
        raise ValidationFailed("invalid_progress", "进度须为0到100的整数", "Progress must be an integer from 0 to 100")
    before = audit.snapshot(task)
    task.status = status
    task.progress = 100 if status == TaskStatus.DONE else (progress if progress is not None else task.progress)
    if status != TaskStatus.DONE and task.progress == 100:
        raise ValidationFailed("progress_status_mismatch", "进度100%的任务状态应为已完成", "A task at 100% must be marked done")
    task.note = note or task.note
    task.updated_by = actor
    task.save()
    audit.record(actor=actor, action="update", obj=task, before=before, after=audit.snapshot(task), message=note, region_code="")
    return task


def spent(item: BudgetItem) -> Decimal:
    return item.spendings.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


@transaction.atomic
def record_spending(item: BudgetItem, *, actor, date: dt.date, amount, description: str, voucher: str = "",
                    is_demo: bool = False) -> Spending:
    require_role(actor, Role.FINANCE_OFFICER, message="试点经费支出由财政局或市水利局录入",
                 message_en="Only the finance bureau or the city water bureau enters pilot spending")
    item = BudgetItem.objects.select_for_update().get(pk=item.pk)
    try:
        amount = money(amount)
    except (TypeError, ArithmeticError, ValueError):
        raise ValidationFailed("invalid_amount", "金额无效", "Invalid amount") from None
    if amount <= 0:
        raise ValidationFailed("invalid_amount", "支出金额应大于0（更正请使用冲减）", "Spending must be positive (use a correction to reduce)")
    if not description.strip():
        raise ValidationFailed("description_required", "须填写用途说明", "A description is required")
    already = spent(item)
    if already + amount > item.amount:
        raise Conflict(
            "over_budget",
            f"超出预算：{item.code} 预算 {item.amount} 元，已支出 {already} 元，本次 {amount} 元",
            f"Over budget: {item.code} has {item.amount} yuan, {already} spent, {amount} requested",
            detail={"budget": str(item.amount), "spent": str(already), "requested": str(amount)},
        )
    row = Spending.objects.create(item=item, date=date, amount=amount, description=description.strip()[:300],
                                  voucher=voucher, entered_by=actor, is_demo=is_demo)
    audit.record(actor=actor, action="create", obj=row, after=audit.snapshot(row), region_code="")
    return row


@transaction.atomic
def correct_spending(spending: Spending, *, actor, reason: str) -> Spending:
    require_role(actor, Role.FINANCE_OFFICER)
    spending = Spending.objects.select_for_update().get(pk=spending.pk)
    if spending.corrects_id or Spending.objects.filter(corrects=spending).exists():
        raise Conflict("already_corrected", "该支出已更正或本身是更正记录", "Already corrected, or itself a correction")
    if not reason.strip():
        raise ValidationFailed("reason_required", "须说明更正原因", "A reason is required")
    row = Spending.objects.create(item=spending.item, date=spending.date, amount=-spending.amount,
                                  description=f"更正：{reason}"[:300], voucher=spending.voucher, corrects=spending, entered_by=actor)
    audit.record(actor=actor, action="correct", obj=row, after=audit.snapshot(row), message=reason, region_code="")
    return row


@dataclass
class BudgetLine:
    item: BudgetItem
    budget: Decimal
    spent: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.spent

    @property
    def share(self) -> Decimal:
        return (self.spent / self.budget * 100).quantize(Decimal("0.1")) if self.budget else Decimal("0")


def budget_summary() -> tuple[list[BudgetLine], BudgetLine]:
    lines = [BudgetLine(item, item.amount, spent(item)) for item in BudgetItem.objects.order_by("code")]
    total_budget = sum((line.budget for line in lines), Decimal("0.00"))
    total = BudgetLine(BudgetItem(code="合计", name="合计", amount=total_budget), total_budget,
                       sum((line.spent for line in lines), Decimal("0.00")))
    return lines, total


__all__ = ["update_task", "record_spending", "correct_spending", "budget_summary", "BUDGET_TOTAL"]
