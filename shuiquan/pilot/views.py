from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from shuiquan.core.errors import DomainError
from shuiquan.core.generic import apply_domain_error
from shuiquan.core.roles import Role
from shuiquan.core.xlsx import export_rows

from . import kpis, services
from .forms import SpendingForm, TaskUpdateForm
from .models import PilotTask, Spending, TaskSource


def _can_edit_tasks(user) -> bool:
    return user.is_superuser or user.role == Role.CITY_ADMIN


def _can_spend(user) -> bool:
    return user.is_superuser or user.role in (Role.CITY_ADMIN, Role.FINANCE_OFFICER)


@login_required
def dashboard(request):
    lines, total = services.budget_summary()
    return render(request, "pilot/dashboard.html", {
        "title": _("试点任务与考核指标"),
        "kpis": kpis.compute(),
        "table": PilotTask.objects.filter(source=TaskSource.TABLE_9_1),
        "budget_lines": lines, "budget_total": total,
    })


@login_required
def task_list(request):
    tasks = PilotTask.objects.all()
    if request.GET.get("export") == "xlsx":
        return export_rows("试点任务", ["来源", "序号", "子项", "完成年度", "工作任务", "工作内容", "责任单位", "状态", "进度（%）", "进展说明"],
                           ([t.get_source_display(), t.number, t.sub_number, t.years, t.title, t.content, t.responsible,
                             t.get_status_display(), t.progress, t.note] for t in tasks))
    return render(request, "pilot/tasks.html", {"title": _("试点工作任务"), "table": tasks.filter(source=TaskSource.TABLE_9_1),
                                                 "task_list": tasks.filter(source=TaskSource.TASK_LIST)})


@login_required
def task_detail(request, pk):
    task = get_object_or_404(PilotTask, pk=pk)
    form = TaskUpdateForm(request.POST or None, initial={"status": task.status, "progress": task.progress, "note": task.note})
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_task(task, actor=request.user, status=form.cleaned_data["status"],
                                     progress=form.cleaned_data["progress"], note=form.cleaned_data["note"])
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
            else:
                messages.success(request, _("已保存"))
                return redirect(task.get_absolute_url())
    from shuiquan.core.generic import audit_trail

    return render(request, "pilot/task_detail.html", {"title": str(task), "task": task, "form": form,
                                                      "can_edit": _can_edit_tasks(request.user), "audit_events": audit_trail(task)[:30]},
                  status=400 if form.errors else 200)


@login_required
def budget(request):
    form = SpendingForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_spending(data["item"], actor=request.user, date=data["date"], amount=data["amount"],
                                         description=data["description"], voucher=data["voucher"])
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
            else:
                messages.success(request, _("已录入支出"))
                return redirect("pilot:budget")
    lines, total = services.budget_summary()
    spendings = Spending.objects.select_related("item", "entered_by")
    if request.GET.get("export") == "xlsx":
        return export_rows("试点经费支出", ["经费项目", "支出日期", "金额（元）", "用途说明", "凭证号", "录入人"],
                           ([s.item.code, s.date, s.amount, s.description, s.voucher, str(s.entered_by)] for s in spendings))
    return render(request, "pilot/budget.html", {"title": _("试点经费"), "lines": lines, "total": total, "spendings": spendings[:200],
                                                  "form": form, "can_spend": _can_spend(request.user)},
                  status=400 if form.errors else 200)
