"""To-dos of the allocation workflow for each role: what is waiting for this account."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuiquan.core.nav import Panel, PanelItem

from .choices import RunStatus
from .models import AllocationRun
from .services import available_actions

LABEL = {"compute": gettext_lazy("待计算"), "review": gettext_lazy("待审核提交"), "approve": gettext_lazy("待批准"),
         "register": gettext_lazy("待登记入账"), "issue": gettext_lazy("待发放凭证")}


def panels(user) -> list[Panel]:
    runs = (AllocationRun.objects.restrict(user).exclude(status__in=[RunStatus.ISSUED, RunStatus.REVOKED])
            .select_related("region", "permit__approving_authority", "irrigation_district").order_by("pk"))
    todo: dict[str, list[AllocationRun]] = {}
    rejected = []
    for run in runs[:500]:
        names = [a["name"] for a in available_actions(run, user) if a["name"] in LABEL]
        for name in names[:1]:
            todo.setdefault(name, []).append(run)
        if run.status == RunStatus.DRAFT and run.transitions.filter(name="reject").exists():
            rejected.append(run)
    items = []
    for name in ("issue", "register", "approve", "review", "compute"):
        for run in todo.get(name, [])[:8]:
            items.append(PanelItem(f"{LABEL[name]}：{run.number} {run.title}", run.get_absolute_url(), "todo"))
        extra = len(todo.get(name, [])) - 8
        if extra > 0:
            items.append(PanelItem(_("另有 %(n)s 项%(what)s") % {"n": extra, "what": LABEL[name]}, reverse("allocation:run_list") + "?status=" + {
                "issue": "registered", "register": "approved", "approve": "reviewed", "review": "computed", "compute": "draft"}[name], "todo"))
    for run in rejected[:5]:
        last = run.transitions.filter(name="reject").order_by("-pk").first()
        items.append(PanelItem(_("已退回：%(number)s（%(reason)s）") % {"number": run.number, "reason": last.reason[:40]}, run.get_absolute_url(), "warning"))
    if user.is_superuser or user.role in ("city_admin", "county_officer"):
        items.append(PanelItem(_("编制新的分配"), reverse("allocation:run_new")))
    if not items and not user.is_authenticated:
        return []
    return [Panel(_("初始水权分配与登记"), items, url=reverse("allocation:overview"), empty_text=_("暂无待办"))]
