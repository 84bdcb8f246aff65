"""Finance pages: the trade funds ledger (finance bureau, city bureau, auditors), pledges (holders,
county and city bureaus, banks), fee-collection-right transfers, reports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from shuiquan.core import retry
from shuiquan.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from shuiquan.core.generic import ObjectListView, apply_domain_error, audit_trail, render_forbidden
from shuiquan.core.roles import Role
from shuiquan.core.scoping import VIEW, get_scoped
from shuiquan.core.xlsx import xlsx_response

from . import funds, reports, services
from .choices import AccountKind, EntryKind
from .forms import (
    EnforcementApproveForm,
    EnforcementRequestForm,
    FeeRightForm,
    NoteForm,
    OrderbookPaymentForm,
    PledgeApplyForm,
    ReferenceForm,
    ReverseForm,
)
from .models import FeeRightTransfer, FundAccount, FundEntry, FundLine, Pledge, PledgeStatus

FUNDS_ROLES = (Role.CITY_ADMIN, Role.FINANCE_OFFICER, Role.AUDITOR)


def funds_reader(user) -> bool:
    return user.is_superuser or user.role in FUNDS_ROLES


def funds_writer(user) -> bool:
    return user.is_superuser or user.role in (Role.CITY_ADMIN, Role.FINANCE_OFFICER)


def _need_reader(request):
    if not funds_reader(request.user):
        return render_forbidden(request, Forbidden(message=_("交易资金由市财政局、市水利局和审计监督查看")))
    return None


@login_required
def overview(request):
    if not funds_reader(request.user):
        return redirect("finance:pledge_list")
    sums = dict(FundLine.objects.values_list("account__kind").annotate(s=Sum("amount")).values_list("account__kind", "s"))
    totals = {k: sums.get(k) or 0 for k in AccountKind.values}
    party = FundLine.objects.filter(account__kind=AccountKind.PARTY)
    totals["buyers_paid"] = -(party.filter(amount__lt=0, entry__kind__in=[EntryKind.PRICE, EntryKind.BUYER_FEE, EntryKind.ORDERBOOK])
                              .aggregate(s=Sum("amount"))["s"] or 0)
    totals["sellers_received"] = party.filter(amount__gt=0, entry__kind__in=[EntryKind.SETTLEMENT, EntryKind.ORDERBOOK]).aggregate(
        s=Sum("amount"))["s"] or 0
    exceptions = funds.reconcile_all(limit=500)
    return render(request, "finance/overview.html", {
        "title": _("交易资金"), "totals": totals, "exceptions": exceptions[:20], "exception_count": len(exceptions),
        "book_problems": funds.verify_book(), "entries": FundEntry.objects.select_related("trade")[:15],
        "pledges": Pledge.objects.filter(status__in=[PledgeStatus.REGISTERED, PledgeStatus.ENFORCING]).count(),
        "writer": funds_writer(request.user), "snwd": _snwd_pending(),
    })


def _snwd_pending():
    """SNWD cross-region trades with non-tax revenue not yet distributed (F2)."""
    from shuiquan.trading.models import Trade

    acct = FundAccount.objects.filter(code="treasury:snwd_non_tax").first()
    if acct is None:
        return []
    rows = (FundLine.objects.filter(account=acct).values("entry__trade").annotate(s=Sum("amount")).filter(s__gt=0))
    trades = Trade.objects.in_bulk([r["entry__trade"] for r in rows])
    return [(trades[r["entry__trade"]], r["s"]) for r in rows if r["entry__trade"] in trades]


class EntryListView(ObjectListView):
    queryset = FundEntry.objects.select_related("trade", "created_by")
    title = _("资金凭证")
    columns = [("number", _("凭证号")), ("effective_date", _("记账日期")), ("kind", _("类型")), ("rule", _("适用规则")), ("trade.number", _("交易")),
               ("memo", _("摘要")), ("reference", _("凭证/流水号"))]

    def get(self, request):
        denied = _need_reader(request)
        return denied or super().get(request)


@login_required
def entry_detail(request, pk):
    denied = _need_reader(request)
    if denied:
        return denied
    entry = get_object_or_404(FundEntry.objects.select_related("trade", "reverses", "pledge"), pk=pk)
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            funds.reverse(entry, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已冲正"))
            return redirect(entry.get_absolute_url())
    lines = entry.lines.select_related("account")
    return render(request, "finance/entry_detail.html", {"title": str(entry), "e": entry, "lines": lines,
                                                         "total": sum(line.amount for line in lines), "form": form,
                                                         "can_reverse": funds_writer(request.user) and entry.payment_id is None
                                                         and not hasattr(entry, "reversed_by") and entry.kind != EntryKind.REVERSAL,
                                                         "audit_events": audit_trail(entry)[:10]}, status=400 if form.errors else 200)


@login_required
def account_list(request):
    denied = _need_reader(request)
    if denied:
        return denied
    rows = funds.balances()
    return render(request, "finance/account_list.html", {"title": _("资金账户余额"), "rows": rows, "total": sum(b for _a, b in rows)})


@login_required
def account_detail(request, pk):
    denied = _need_reader(request)
    if denied:
        return denied
    account = get_object_or_404(FundAccount, pk=pk)
    lines = FundLine.objects.filter(account=account).select_related("entry__trade").order_by("-entry_id")[:500]
    balance = FundLine.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0
    return render(request, "finance/account_detail.html", {"title": account.name, "a": account, "lines": lines, "balance": balance})


@login_required
def trade_funds(request, trade_pk):
    denied = _need_reader(request)
    if denied:
        return denied
    from shuiquan.trading.models import Trade

    trade = get_object_or_404(Trade, pk=trade_pk)
    orderbook_form = OrderbookPaymentForm(request.POST or None if request.POST.get("action") == "orderbook" else None)
    if request.method == "POST":
        if not funds_writer(request.user):
            return render_forbidden(request, Forbidden(message=_("交易资金由市财政局或市水利局记账")))
        action = request.POST.get("action")
        try:
            if action == "orderbook":
                if not orderbook_form.is_valid():
                    raise ValidationFailed("invalid", "须填写付款凭证号", "A payment reference is required")
                funds.record_orderbook_payment(trade, actor=request.user, reference=orderbook_form.cleaned_data["reference"])
            elif action == "distribute":
                funds.distribute_snwd_revenue(trade, actor=request.user, note=request.POST.get("note", "")[:100])
            else:
                raise ValidationFailed("invalid_action", "无效的操作", "Invalid action")
        except DomainError as exc:
            messages.error(request, exc.localized(request.LANGUAGE_CODE))
        else:
            messages.success(request, _("已记账"))
        return redirect("finance:trade_funds", trade_pk=trade.pk)
    f = funds.trade_funds(trade)
    return render(request, "finance/trade_funds.html", {
        "title": _("交易资金：%(n)s") % {"n": trade.number}, "trade": trade, "f": f, "tax_rate": funds.tax_rate(trade),
        "writer": funds_writer(request.user), "orderbook_form": orderbook_form,
        "can_orderbook": trade.mode == "order_book" and not f.entries,
        "can_distribute": funds.is_snwd_cross_region(trade) and funds.snwd_revenue(trade) > 0,
        "snwd_revenue": funds.snwd_revenue(trade) if funds.is_snwd_cross_region(trade) else None,
    })


@login_required
def reconcile(request):
    denied = _need_reader(request)
    if denied:
        return denied
    if request.method == "POST":
        if not funds_writer(request.user):
            return render_forbidden(request, Forbidden(message=_("交易资金由市财政局或市水利局记账")))
        n = funds.backfill(actor=request.user)
        messages.success(request, _("已补记 %(n)s 笔资金记录") % {"n": n})
        return redirect("finance:reconcile")
    return render(request, "finance/reconcile.html", {"title": _("交易资金对账"), "rows": funds.reconcile_all(), "problems": funds.verify_book(),
                                                      "writer": funds_writer(request.user)})


@login_required
def report(request):
    denied = _need_reader(request)
    if denied:
        return denied
    from django.utils import timezone

    return xlsx_response(f"交易资金报表-{timezone.localtime():%Y%m%d}.xlsx", reports.workbook())


# ---------------------------------------------------------------------------------------------
# Pledges
# ---------------------------------------------------------------------------------------------


@login_required
def pledge_list(request):
    rows = Pledge.objects.restrict(request.user).select_related("right", "bank")
    status = request.GET.get("status", "")
    if status in PledgeStatus.values:
        rows = rows.filter(status=status)
    can_apply = request.user.is_superuser or request.user.role in (Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.PERMIT_HOLDER,
                                                                   Role.ASSOCIATION_REP, Role.DISTRICT_MANAGER)
    return render(request, "finance/pledge_list.html", {"title": _("用水权质押（抵押）"), "rows": rows[:500], "status": status,
                                                        "statuses": PledgeStatus.choices, "can_apply": can_apply})


@login_required
def pledge_new(request):
    form = PledgeApplyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            pledge = retry.run(services.apply_pledge, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已提交质押申请，待金融机构确认"))
            return redirect(pledge.get_absolute_url())
    return render(request, "supervision/form.html", {"title": _("申请用水权质押（抵押）"), "form": form,
                                                     "intro": _("质押（抵押）经金融机构确认、水行政主管部门登记后，质押水量在登记簿中冻结，未经质权人解除不得转让（§7.2.5）。收益权质押不冻结水量，交易收益优先划付质权人。")},
                  status=400 if form.errors else 200)


PLEDGE_ACTIONS = {
    "confirm": ("金融机构确认", ReferenceForm),
    "register": ("登记（冻结水量）", NoteForm),
    "reject": ("不予登记", NoteForm),
    "release": ("解除质押", NoteForm),
    "request_enforcement": ("申请处置", EnforcementRequestForm),
    "approve_enforcement": ("批准处置并组织交易", EnforcementApproveForm),
}


def pledge_actions(pledge: Pledge, user) -> list[str]:
    out = []
    is_bank = services._is_bank_staff(user, pledge.bank)
    bureau = services._is_bureau_for(user, pledge.right)
    if pledge.status == PledgeStatus.APPLIED and is_bank:
        out.append("confirm")
    if pledge.status == PledgeStatus.BANK_CONFIRMED and bureau:
        out.append("register")
    if pledge.status in (PledgeStatus.APPLIED, PledgeStatus.BANK_CONFIRMED) and bureau:
        out.append("reject")
    if pledge.status == PledgeStatus.REGISTERED and is_bank:
        out += ["release", "request_enforcement"]
    if pledge.status == PledgeStatus.ENFORCING and pledge.enforcement_trade_id is None and pledge.locks_volume and (
            user.is_superuser or user.role == Role.CITY_ADMIN):
        out.append("approve_enforcement")
    return out


@login_required
def pledge_detail(request, pk):
    try:
        pledge = get_scoped(Pledge.objects.select_related("right", "bank", "enforcement_trade"), request.user, pk, VIEW)
    except NotFound:
        raise Http404 from None
    actions = pledge_actions(pledge, request.user)
    action = request.POST.get("action") if request.method == "POST" else None
    forms = {name: PLEDGE_ACTIONS[name][1](request.POST if action == name else None, prefix=name) for name in actions}
    if action:
        form = forms.get(action)
        if form is None:
            return render_forbidden(request, Forbidden())
        if form.is_valid():
            d = form.cleaned_data
            try:
                if action == "confirm":
                    retry.run(services.confirm_by_bank, pledge, actor=request.user, bank_reference=d["bank_reference"])
                elif action == "register":
                    retry.run(services.register_pledge, pledge, actor=request.user)
                elif action == "reject":
                    retry.run(services.reject_pledge, pledge, actor=request.user, reason=d["note"])
                elif action == "release":
                    retry.run(services.release_pledge, pledge, actor=request.user, note=d["note"])
                elif action == "request_enforcement":
                    retry.run(services.request_enforcement, pledge, actor=request.user, buyer=d["buyer"], reason=d["reason"])
                elif action == "approve_enforcement":
                    retry.run(services.approve_enforcement, pledge, actor=request.user, buyer=d["buyer"], unit_price=d["unit_price"],
                              savings=d["savings"], works_manager_opinion=d["works_manager_opinion"], note=d["note"])
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
            else:
                messages.success(request, _("已办理"))
                return redirect(pledge.get_absolute_url())
    from shuiquan.ledger.models import VolumeLock

    locks = VolumeLock.objects.filter(reference_type="finance.pledge", reference_id=str(pledge.pk)).order_by("year", "pk")
    status = 400 if action and forms.get(action) is not None and forms[action].errors else 200
    return render(request, "finance/pledge_detail.html", {
        "title": str(pledge), "p": pledge, "events": pledge.events.select_related("actor"), "locks": locks,
        "forms": [(name, PLEDGE_ACTIONS[name][0], forms[name]) for name in actions], "audit_events": audit_trail(pledge)[:20],
        "paid_to_pledgee": funds.paid_to_pledgee(pledge),
    }, status=status)


# ---------------------------------------------------------------------------------------------
# Fee-collection-right transfers
# ---------------------------------------------------------------------------------------------


@login_required
def feeright_list(request):
    rows = FeeRightTransfer.objects.restrict(request.user).select_related("grantor", "bank")
    can_add = request.user.is_superuser or request.user.role in (Role.CITY_ADMIN, Role.COUNTY_OFFICER)
    return render(request, "finance/feeright_list.html", {"title": _("供水收费权转让"), "rows": rows[:500], "can_add": can_add})


@login_required
def feeright_new(request):
    form = FeeRightForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.register_fee_right_transfer(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已登记"))
            return redirect(row.get_absolute_url())
    return render(request, "supervision/form.html", {"title": _("登记供水收费权转让"), "form": form,
                                                     "intro": _("大中型水库管理单位等供水工程以供水收费权转让方式融资，登记为融资记录（§7.2.5）。")},
                  status=400 if form.errors else 200)


@login_required
def feeright_detail(request, pk):
    try:
        row = get_scoped(FeeRightTransfer.objects.select_related("grantor", "bank", "reservoir"), request.user, pk, VIEW)
    except NotFound:
        raise Http404 from None
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.terminate_fee_right_transfer(row, actor=request.user, reason=form.cleaned_data["note"])
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已终止"))
            return redirect(row.get_absolute_url())
    from shuiquan.core.scoping import CHANGE, can

    return render(request, "finance/feeright_detail.html", {"title": str(row), "r": row, "form": form,
                                                            "can_terminate": row.status == "registered" and can(request.user, row, CHANGE),
                                                            "audit_events": audit_trail(row)[:20]}, status=400 if form.errors else 200)

