"""Pages of the ledger: rights (list with filters and XLSX export; a right's book by year with its
balance, locks and children) and journal entries. Read-only: volumes are written only by the
services of the capabilities (allocation, trading, finance) through ``ledger.services``."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from shuiquan.core.errors import NotFound
from shuiquan.core.generic import ObjectListView, audit_trail
from shuiquan.core.scoping import VIEW, get_scoped

from .choices import LockStatus
from .filtersets import EntryFilterSet, RightFilterSet
from .models import JournalEntry, Posting, RightBalance, VolumeLock, WaterRight


class RightListView(ObjectListView):
    queryset = WaterRight.objects.select_related("region", "parent")
    filterset_class = RightFilterSet
    columns = [
        ("number", _("用水权编号")), ("name", _("名称")), ("kind", _("类型")), ("holder_name", _("权利人")), ("region", _("所属行政区")),
        ("source_type", _("水源类型")), ("use", _("用途")), ("annual_volume_m3", _("年度水量（立方米）")), ("valid_from", _("有效期起")),
        ("valid_to", _("有效期止")), ("status", _("状态")), ("certificate_number", _("凭证编号")),
    ]
    export_note = "用水权登记簿（水量单位：立方米/年）"


def _years_table(right: WaterRight) -> list[dict]:
    balances = {b.year: b for b in RightBalance.objects.filter(right=right)}
    posted = defaultdict(int)
    entries = defaultdict(list)
    for p in Posting.objects.filter(right=right).select_related("entry", "entry__reverses").order_by("year", "entry_id", "pk"):
        posted[p.year] += p.amount
        entries[p.year].append(p)
    locks = defaultdict(list)
    for lock in VolumeLock.objects.filter(right=right).order_by("year", "-pk"):
        locks[lock.year].append(lock)
    years = sorted(set(balances) | set(entries) | set(locks))
    out = []
    for year in years:
        b = balances.get(year)
        running = 0
        rows = []
        for p in entries[year]:
            running += p.amount
            rows.append({"posting": p, "entry": p.entry, "running": running})
        out.append({
            "year": year, "balance": b.balance if b else 0, "locked": b.locked if b else 0,
            "available": (b.balance - b.locked) if b else 0, "posted": posted[year], "consistent": (b.balance if b else 0) == posted[year],
            "postings": rows, "locks": locks[year], "in_validity": right.covers_year(year),
        })
    return out


@login_required
def right_detail(request, pk):
    try:
        right = get_scoped(WaterRight.objects.select_related("parent", "region", "source", "permit", "river"), request.user, pk, VIEW)
    except NotFound:
        raise Http404 from None
    years = _years_table(right)
    year_list = [y["year"] for y in years]
    try:
        year = int(request.GET.get("year") or (year_list[0] if year_list else right.valid_from.year))
    except ValueError:
        year = right.valid_from.year
    children = list(WaterRight.objects.filter(parent=right).order_by("kind", "number"))
    child_bal = {b.right_id: b for b in RightBalance.objects.filter(right__in=children, year=year)}
    child_rows = [{"right": c, "balance": child_bal[c.pk].balance if c.pk in child_bal else 0,
                   "available": (child_bal[c.pk].balance - child_bal[c.pk].locked) if c.pk in child_bal else 0} for c in children]
    active_children = [c for c in children if c.status != "cancelled"]
    certificates = list(right.certificates.all()) if hasattr(right, "certificates") else []
    runs = {line.run for line in right.allocation_lines.select_related("run")} if hasattr(right, "allocation_lines") else set()
    return render(request, "ledger/right_detail.html", {
        "title": f"{right.number} {right.name}", "right": right, "years": years, "year": year, "year_list": year_list,
        "children": child_rows, "children_nominal": sum(c.annual_volume_m3 for c in active_children),
        "children_balance": sum(r["balance"] for r in child_rows), "certificates": certificates, "runs": sorted(runs, key=lambda r: r.pk),
        "active_locks": VolumeLock.objects.filter(right=right, status=LockStatus.ACTIVE).count(),
        "audit_events": audit_trail(right)[:30],
    })


class EntryListView(ObjectListView):
    queryset = JournalEntry.objects.select_related("created_by").distinct()
    filterset_class = EntryFilterSet
    columns = [("number", _("分录编号")), ("kind", _("类型")), ("memo", _("摘要")), ("effective_date", _("记账日期")),
               ("created_by", _("记账人")), ("created_at", _("记账时间")), ("reference_type", _("来源类型")), ("reference_id", _("来源编号"))]
    title = _("记账分录")


def _reference_link(entry: JournalEntry) -> str | None:
    from django.urls import NoReverseMatch, reverse

    targets = {"allocation.allocationrun": "allocation:run_detail", "ledger.journalentry": "ledger:entry_detail"}
    name = targets.get(entry.reference_type)
    if not name or not entry.reference_id.isdigit():
        return None
    try:
        return reverse(name, args=[int(entry.reference_id)])
    except NoReverseMatch:
        return None


@login_required
def entry_detail(request, pk):
    try:
        entry = get_scoped(JournalEntry.objects.select_related("created_by", "reverses").distinct(), request.user, pk, VIEW)
    except NotFound:
        raise Http404 from None
    postings = list(entry.postings.select_related("right").order_by("year", "pk"))
    sums = defaultdict(int)
    for p in postings:
        sums[p.year] += p.amount
    reversed_by = JournalEntry.objects.filter(reverses=entry).first()
    return render(request, "ledger/entry_detail.html", {
        "title": f"{entry.number} {entry.memo}", "entry": entry, "postings": postings, "year_sums": sorted(sums.items()),
        "balanced": all(v == 0 for v in sums.values()), "reversed_by": reversed_by, "reference_url": _reference_link(entry),
        "audit_events": audit_trail(entry)[:10],
    })
