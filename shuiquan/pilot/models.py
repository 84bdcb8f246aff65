"""The pilot's own tracking (§8, Table 9-1, the task list, §9.5 budget): tasks with years,
responsible units and status; the 651万元 budget by item with spending entered against it.
KPIs are not stored: ``pilot.kpis`` computes them live from the platform's records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shuiquan.core.roles import Role
from shuiquan.core.scoping import ScopedManager

__all__ = ["PilotTask", "BudgetItem", "Spending"]


class TaskSource(models.TextChoices):
    TABLE_9_1 = "table_9_1", _("表9-1 主要职责分工")
    TASK_LIST = "task_list", _("工作任务清单")


class TaskStatus(models.TextChoices):
    PLANNED = "planned", _("未开始")
    IN_PROGRESS = "in_progress", _("进行中")
    DONE = "done", _("已完成")
    DELAYED = "delayed", _("滞后")


class PilotTask(models.Model):
    source = models.CharField(_("来源"), max_length=20, choices=TaskSource.choices)
    number = models.PositiveSmallIntegerField(_("序号"))
    sub_number = models.PositiveSmallIntegerField(_("子项"), default=0, help_text=_("0 表示该任务没有子项"))
    years = models.CharField(_("完成年度"), max_length=20)
    year_end = models.PositiveSmallIntegerField(_("截止年度"))
    title = models.CharField(_("工作任务"), max_length=300)
    content = models.TextField(_("工作内容"), blank=True)
    responsible = models.CharField(_("责任单位"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.PLANNED)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    note = models.TextField(_("进展说明"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN}

    class Meta:
        ordering = ["source", "number", "sub_number"]
        verbose_name = _("试点任务")
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(fields=["source", "number", "sub_number"], name="pilot_pilottask_unique"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="pilot_pilottask_progress_max"),
        ]

    def __str__(self):
        n = f"{self.number}.{self.sub_number}" if self.sub_number else str(self.number)
        return f"{n} {self.title[:40]}"

    def get_absolute_url(self):
        return reverse("pilot:task_detail", args=[self.pk])


class BudgetItem(models.Model):
    code = models.CharField(_("编号"), max_length=10, unique=True)
    name = models.CharField(_("经费项目"), max_length=300)
    amount = models.DecimalField(_("预算（元）"), max_digits=14, decimal_places=2)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN, Role.FINANCE_OFFICER}

    class Meta:
        ordering = ["code"]
        verbose_name = _("试点经费项目")
        verbose_name_plural = verbose_name
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="pilot_budgetitem_amount_positive")]

    def __str__(self):
        return f"{self.code} {self.name[:30]}"


class Spending(models.Model):
    """An amount spent against a budget item. Never edited: a correction is a new row with the
    opposite amount that ``corrects`` the original."""

    item = models.ForeignKey(BudgetItem, on_delete=models.PROTECT, related_name="spendings", verbose_name=_("经费项目"))
    date = models.DateField(_("支出日期"))
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    description = models.CharField(_("用途说明"), max_length=300)
    voucher = models.CharField(_("凭证号"), max_length=60, blank=True)
    corrects = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by",
                                    verbose_name=_("更正的支出"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    objects = ScopedManager()
    scope_public_read = True
    scope_write_roles = {Role.CITY_ADMIN, Role.FINANCE_OFFICER}

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("试点经费支出")
        verbose_name_plural = verbose_name
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="pilot_spending_amount_nonzero")]

    def __str__(self):
        return f"{self.item.code} {self.date} {self.amount}"
