"""Pages of the market: one per step and role, the trade timeline, the order book, savings,
restrictions, the editable rule lists, the what-if preview, and the public disclosure pages.

Views parse input, call ``trading.services`` (through ``services.run`` for bounded retries) and
render; refusals come back as form errors naming their rule."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from shuiquan.core.errors import DomainError, NotFound
from shuiquan.core.generic import ObjectEditView, apply_domain_error
from shuiquan.core.roles import Role
from shuiquan.ledger.choices import LockStatus
from shuiquan.ledger.models import Reserve, RightBalance, VolumeLock, WaterRight
from shuiquan.registry import models as reg

from . import clock, documents, forms, impact, market, orderbook, rules, services
from .choices import MAIN_PATH, IntentStatus, ListingStatus, TradeStatus, TradeType
from .filtersets import TradeFilterSet
from .models import (
    EliminatedIndustry,
    LegalProhibition,
    Listing,
    Order,
    OrderBookSession,
    OutflowCap,
    PollutantIntensity,
    Pooling,
    SavingsVerification,
    SectorQuota,
    Trade,
    TradingRestriction,
)
from .parties import acts_for, my_parties, parse_ref, party_of_right
from .steps import ACTION_LABELS, ACTIONS
from .workdays import countdown

# ---------------------------------------------------------------------------------------------
# The steps a user may take on a trade
# ---------------------------------------------------------------------------------------------


def available_actions(trade: Trade, user) -> list[str]:
    names = [t.name for t in trade.get_available_user_status_transitions(user) if t.name != "accept"]
    out = []
    for name in names:
        if name == "sign":
            mine = []
            if acts_for(user, party_of_right(trade.seller_right)) and trade.seller_signed_at is None:
                mine.append("seller")
            if trade.buyer_ref and acts_for(user, parse_ref(trade.buyer_ref)) and trade.buyer_signed_at is None:
                mine.append("buyer")
            if not mine:
                continue
        if name in ACTIONS and name not in out:
            out.append(name)
    if trade.status in (TradeStatus.REGISTERED, TradeStatus.EXPIRED) and acts_for(user, party_of_right(trade.seller_right)):
        out.append("renew")
    listing = getattr(trade, "listing", None) if hasattr(trade, "listing") else None
    if trade.status == TradeStatus.LISTED and listing is not None and listing.status == ListingStatus.OPEN:
        seller_ref = party_of_right(trade.seller_right).ref
        if any(p.ref != seller_ref for p in my_parties(user)):
            out.append("intent")
    if trade.status == TradeStatus.AUCTION and _admitted_refs(trade, user):
        out.append("bid")
    return out


def _admitted_refs(trade: Trade, user) -> list[tuple[str, str]]:
    listing = Listing.objects.filter(trade=trade).first()
    if listing is None:
        return []
    refs = {p.ref for p in my_parties(user)}
    return [(i.buyer_ref, i.buyer_name) for i in listing.intents.filter(status=IntentStatus.REGISTERED) if i.buyer_ref in refs]


def _get_trade(request, pk) -> Trade:
    try:
        return services.trade_for_actor(request.user, pk)
    except NotFound:
        raise Http404 from None


def _timeline(trade: Trade) -> list[dict]:
    path = list(MAIN_PATH[trade.trade_type])
    if not trade.is_snwd and "consulted" in path:
        path.remove("consulted")
    if trade.mode != "auction" and trade.status != "auction":
        path.remove("auction")
    if trade.mode == "negotiated" and "listed" in path:
        path.remove("listed")
    reached = set(trade.history.values_list("target", flat=True)) | {TradeStatus.APPLIED}
    out = []
    for state in path:
        out.append({"state": state, "label": TradeStatus(state).label, "done": state in reached and state != trade.status,
                    "current": state == trade.status})
    if trade.status not in path:
        out.append({"state": trade.status, "label": trade.get_status_display(), "done": False, "current": True})
    return out


def _can_see_money(trade: Trade, user) -> bool:
    if user.is_superuser or user.role in (Role.CITY_ADMIN, Role.FINANCE_OFFICER, Role.AUDITOR):
        return True
    if acts_for(user, party_of_right(trade.seller_right)):
        return True
    return bool(trade.buyer_ref) and acts_for(user, parse_ref(trade.buyer_ref))


# ---------------------------------------------------------------------------------------------
# Market hall, trade list, detail and actions
# ---------------------------------------------------------------------------------------------


@login_required
def home(request):
    user = request.user
    listings = market.open_listings()[:20]
    mine = Trade.objects.restrict(user).exclude(status__in=[TradeStatus.EXPIRED, TradeStatus.CANCELLED, TradeStatus.REJECTED,
                                                            TradeStatus.FAILED])[:20]
    kinds = [t for t in TradeType]
    return render(request, "trading/home.html", {
        "title": _("用水权交易"), "listings": listings, "mine": mine, "types": kinds,
        "can_apply": bool(services.sellable_rights(user)), "stats": market.stats(),
    })


@login_required
def trade_list(request):
    qs = Trade.objects.restrict(request.user).select_related("seller_region", "buyer_region")
    fs = TradeFilterSet(request.GET or None, queryset=qs)
    if fs.is_bound:
        qs = fs.qs if fs.is_valid() else qs.none()
    if request.GET.get("export") == "xlsx":
        from shuiquan.core.xlsx import export_rows

        cols = ["交易编号", "类型", "方式", "状态", "转让方", "受让方", "年水量（立方米）", "起始年度", "终止年度", "单价（元/立方米）", "总价（元）"]
        rows = ([t.number, t.get_trade_type_display(), t.get_mode_display(), t.get_status_display(), t.seller_name, t.buyer_name,
                 t.volume_m3, t.start_year, t.end_year, t.unit_price, t.total_price] for t in qs.iterator())
        return export_rows("交易", cols, rows)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "trading/trade_list.html", {"title": _("交易"), "page": page, "filterset": fs, "querystring": query.urlencode()})


@login_required
def trade_detail(request, pk):
    trade = _get_trade(request, pk)
    user = request.user
    listing = Listing.objects.filter(trade=trade).first()
    auction = getattr(listing, "auction", None) if listing else None
    intents = []
    if listing is not None:
        qs = listing.intents.order_by("pk")
        if not (_can_see_money(trade, user) and (user.role in (Role.CITY_ADMIN, Role.AUDITOR, Role.FINANCE_OFFICER)
                                                 or acts_for(user, party_of_right(trade.seller_right)))):
            refs = [p.ref for p in my_parties(user)]
            qs = qs.filter(buyer_ref__in=refs)
        intents = list(qs)
    locks = VolumeLock.objects.filter(reference_type="trading.trade", reference_id=str(trade.pk)).order_by("year")
    context = {
        "title": trade.number, "trade": trade, "listing": listing, "auction": auction,
        "bids": auction.bids.select_related("intent").order_by("-unit_price", "placed_at")[:50] if auction else [],
        "intents": intents, "intent_count": listing.intents.count() if listing else 0,
        "history": trade.history.select_related("actor").all(), "timeline": _timeline(trade),
        "actions": [(a, ACTION_LABELS[a]) for a in available_actions(trade, user)],
        "countdown": countdown(trade.verification_due) if trade.status in (TradeStatus.APPLIED, TradeStatus.CONSULTED) else None,
        "t6": documents.t6_rows(trade), "show_money": _can_see_money(trade, user),
        "payments": trade.payments.order_by("pk") if _can_see_money(trade, user) else [],
        "due": services.amounts_due(trade) if trade.total_price is not None else None,
        "permit_changes": trade.permit_changes.select_related("seller_permit", "buyer_permit").all(),
        "dispatch": trade.dispatch_lines.select_related("region").all(), "locks": locks,
        "renewals": trade.renewals.all(), "missing_t6": services.agreement_missing(trade) if trade.status == TradeStatus.AGREED else [],
    }
    return render(request, "trading/trade_detail.html", context)


@login_required
def trade_action(request, pk, action):
    trade = _get_trade(request, pk)
    if action not in ACTIONS:
        raise Http404
    form_class, call = ACTIONS[action]
    kwargs = {}
    if form_class is forms.AgreeForm:
        kwargs = {"trade": trade, "user": request.user}
    elif form_class is forms.RenewForm:
        kwargs = {"trade": trade, "user": request.user}
    form = form_class(request.POST if request.method == "POST" else None, **kwargs)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = services.run(call, trade, request.user, form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
                status = exc.status if exc.status != 409 else 409
            else:
                messages.success(request, _("已完成：") + _(ACTION_LABELS[action]))
                target = result if isinstance(result, Trade) else trade
                return HttpResponseRedirect(reverse("trading:trade_detail", args=[target.pk]))
        else:
            status = 400
    context = {"title": f"{_(ACTION_LABELS[action])} · {trade.number}", "trade": trade, "form": form, "action": action,
               "t6": documents.t6_rows(trade), "due": services.amounts_due(trade) if trade.total_price is not None else None,
               "countdown": countdown(trade.verification_due) if trade.status in (TradeStatus.APPLIED, TradeStatus.CONSULTED) else None,
               "preview": impact.preview_trade(trade) if action in ("verify", "register", "agree", "file_record") else None}
    return render(request, "trading/action_form.html", context, status=status)


@login_required
def apply(request, trade_type):
    if trade_type not in TradeType.values:
        raise Http404
    user = request.user
    kinds = {"permit": {"withdrawal"}, "regional": {"regional", "snwd", "reserve"}, "irrigation": {"irrigation", "household", "reserve"}}[trade_type]
    rights = [r for r in services.sellable_rights(user) if r.kind in kinds]
    form = forms.ApplyForm(request.POST if request.method == "POST" else None, user=user, trade_type=trade_type, rights=rights)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                trade = services.run(
                    services.apply_trade, actor=user, trade_type=trade_type, seller_right=d["seller_right"], volume_m3=d["volume_m3"],
                    start_year=d["start_year"], end_year=d["end_year"], mode=d["mode"], buyer=d.get("buyer") or "",
                    unit_price=d.get("unit_price"), basis=d.get("basis") or "", savings=d.get("savings"), use=d.get("use") or "",
                    intake_location=d.get("intake_location") or "", project_sector=d.get("project_sector"),
                    project_product=d.get("project_product") or "", project_water_per_unit=d.get("project_water_per_unit"),
                    note=d.get("note") or "",
                )
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
                status = exc.status
            else:
                messages.success(request, _("申请已提交：") + trade.number)
                return HttpResponseRedirect(trade.get_absolute_url())
        else:
            status = 400
    return render(request, "trading/apply.html", {"title": _("转让申请") + " · " + TradeType(trade_type).label, "form": form,
                                                  "trade_type": trade_type, "has_rights": bool(rights)}, status=status)


@login_required
def agreement_pdf(request, pk):
    trade = _get_trade(request, pk)
    try:
        pdf = documents.agreement_pdf(trade)
    except DomainError as exc:
        messages.error(request, exc.localized(request.LANGUAGE_CODE))
        return redirect("trading:trade_detail", pk=trade.pk)
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="agreement-{trade.number}.pdf"'
    return resp


@login_required
def certificate_pdf(request, pk):
    trade = _get_trade(request, pk)
    try:
        pdf = documents.certificate_pdf(trade)
    except DomainError as exc:
        messages.error(request, exc.localized(request.LANGUAGE_CODE))
        return redirect("trading:trade_detail", pk=trade.pk)
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="certificate-{trade.certificate_number}.pdf"'
    return resp


@login_required
def register_intent(request, pk):
    trade = _get_trade(request, pk)
    listing = get_object_or_404(Listing, trade=trade)
    form = forms.IntentForm(request.POST if request.method == "POST" else None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.run(services.register_intent, actor=request.user, listing=listing, buyer=d["buyer"],
                             deposit_reference=d["deposit_reference"], use=d.get("use") or "", intake_location=d.get("intake_location") or "",
                             project_sector=d.get("project_sector"), project_product=d.get("project_product") or "",
                             project_water_per_unit=d.get("project_water_per_unit"))
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
                status = exc.status
            else:
                messages.success(request, _("已登记受让意向，保证金已记录"))
                return HttpResponseRedirect(trade.get_absolute_url())
        else:
            status = 400
    return render(request, "trading/intent_form.html", {"title": _("登记受让意向") + " · " + (listing.number or ""), "trade": trade,
                                                        "listing": listing, "form": form}, status=status)


@login_required
def auction(request, pk):
    trade = _get_trade(request, pk)
    listing = get_object_or_404(Listing, trade=trade)
    auc = getattr(listing, "auction", None)
    if auc is None:
        raise Http404
    choices = _admitted_refs(trade, request.user)
    form = forms.BidForm(request.POST if request.method == "POST" else None, choices=choices)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.run(services.place_bid, actor=request.user, trade=trade, buyer=form.cleaned_data["buyer"],
                             unit_price=form.cleaned_data["unit_price"])
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
                status = exc.status
            else:
                messages.success(request, _("报价已提交"))
                return HttpResponseRedirect(reverse("trading:auction", args=[trade.pk]))
        else:
            status = 400
    auc.refresh_from_db()
    best = auc.bids.order_by("-unit_price", "placed_at", "pk").first()
    context = {"title": _("网络竞价") + " · " + (listing.number or ""), "trade": trade, "listing": listing, "auction": auc, "form": form,
               "can_bid": bool(choices), "best": best, "bids": auc.bids.select_related("intent").order_by("-placed_at", "-pk")[:100],
               "minimum": (best.unit_price + auc.min_increment) if best else auc.start_price, "now": clock.now()}
    template = "trading/auction_bids.html" if request.htmx and request.method == "GET" else "trading/auction.html"
    return render(request, template, context, status=status)


# ---------------------------------------------------------------------------------------------
# What-if (impact preview)
# ---------------------------------------------------------------------------------------------


@login_required
def impact_trade(request, pk):
    trade = _get_trade(request, pk)
    return render(request, "trading/impact.html", {"title": _("影响预览") + " · " + trade.number, "trade": trade,
                                                   "preview": impact.preview_trade(trade)})


@login_required
def impact_form(request):
    form = forms.ImpactForm(request.GET or None, user=request.user)
    preview = None
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            check = impact.draft_check(trade_type=d["trade_type"], seller_right=d["seller_right"], volume_m3=d["volume_m3"],
                                       start_year=d["start_year"], end_year=d["end_year"], buyer=d.get("buyer") or "",
                                       savings=d.get("savings"), use=d.get("use") or "", filed=d.get("filed", False))
            preview = impact.preview_check(check)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
    return render(request, "trading/impact.html", {"title": _("交易影响预览"), "form": form, "preview": preview})


# ---------------------------------------------------------------------------------------------
# 归集: households' volume pooled into their association's right before it sells (T9, T10)
# ---------------------------------------------------------------------------------------------


def _poolable_associations(user) -> list[reg.Association]:
    """The associations ``user`` may pool for (its own; every one holding a right for the city)."""
    from .parties import Party

    qs = reg.Association.objects.select_related("district").filter(
        pk__in=WaterRight.objects.filter(kind="irrigation", status="active").values("association_id")).order_by("district__name", "name")
    return [a for a in qs if acts_for(user, Party("association", a))]


@login_required
def pooling_list(request):
    qs = Pooling.objects.restrict(request.user).select_related("association", "entry")
    can_add = bool(_poolable_associations(request.user))
    return render(request, "trading/pooling_list.html", {"title": _("用水户水量归集"), "rows": qs[:200], "can_add": can_add})


@login_required
def pooling_new(request):
    associations = _poolable_associations(request.user)
    if not associations:
        raise PermissionDenied
    raw = request.POST.get("association") or request.GET.get("association") or associations[0].pk
    association = next((a for a in associations if str(a.pk) == str(raw)), associations[0])
    year = clock.this_year()
    assoc_right = services.association_right_for(association, [year])
    members = services.member_rights(assoc_right, [year]) if assoc_right else []
    balances = {b.right_id: b for b in RightBalance.objects.filter(right__in=[r.pk for r in members], year=year)}
    households = [r.household for r in members]
    form = forms.PoolingForm(request.POST if request.method == "POST" else None, associations=associations, households=households,
                             initial={"association": association.pk})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                pooling = services.run(services.pool_household_volume, actor=request.user, association=association, volume_m3=d["volume_m3"],
                                       first_year=d["first_year"], last_year=d.get("last_year"),
                                       households=d["households"] if d.get("consent_only") else None, reason=d["reason"])
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
                status = exc.status
            else:
                messages.success(request, _("已归集：") + pooling.number)
                return HttpResponseRedirect(pooling.get_absolute_url())
        else:
            status = 400
    rows = [(r, balances[r.pk].balance if r.pk in balances else 0, balances[r.pk].balance - balances[r.pk].locked if r.pk in balances else 0)
            for r in members]
    return render(request, "trading/pooling_form.html", {"title": _("归集用水户水量"), "form": form, "association": association,
                                                         "associations": associations, "assoc_right": assoc_right, "rows": rows,
                                                         "year": year}, status=status)


@login_required
def pooling_detail(request, pk):
    from .parties import Party

    pooling = get_object_or_404(Pooling.objects.restrict(request.user).select_related("association", "association_right", "entry"), pk=pk)
    form = None
    if pooling.outstanding_m3 > 0 and acts_for(request.user, Party("association", pooling.association)):
        form = forms.PoolingReturnForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.run(services.return_pooled_volume, actor=request.user, pooling=pooling, volume_m3=form.cleaned_data.get("volume_m3"),
                             reason=form.cleaned_data["reason"])
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
            else:
                messages.success(request, _("归集水量已退回用水户"))
                return HttpResponseRedirect(pooling.get_absolute_url())
    from shuiquan.core.generic import audit_trail

    shares = pooling.shares.select_related("household", "household_right")
    trades = Trade.objects.filter(seller_right=pooling.association_right, start_year__lte=pooling.last_year,
                                  end_year__gte=pooling.first_year).order_by("pk")
    return render(request, "trading/pooling_detail.html", {"title": pooling.number, "p": pooling, "shares": shares, "form": form,
                                                           "returns": pooling.returns.select_related("entry"), "trades": trades,
                                                           "audit_events": audit_trail(pooling)[:30]})


# ---------------------------------------------------------------------------------------------
# Savings verification (T4, T5, T12)
# ---------------------------------------------------------------------------------------------


@login_required
def savings_list(request):
    qs = SavingsVerification.objects.restrict(request.user).select_related("permit", "water_user", "verifying_authority")
    rows = [(s, countdown(s.due_on) if s.status == "submitted" else None) for s in qs[:200]]
    can_add = request.user.role in (Role.PERMIT_HOLDER, Role.CITY_ADMIN) or request.user.is_superuser
    return render(request, "trading/savings_list.html", {"title": _("节水量核定"), "rows": rows, "can_add": can_add})


@login_required
def savings_new(request):
    form = forms.SavingsForm(request.POST if request.method == "POST" else None, request.FILES or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                s = services.run(services.submit_savings, actor=request.user, **d)
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
                status = exc.status
            else:
                messages.success(request, _("已申报，待原审批机关核定：") + s.number)
                return HttpResponseRedirect(s.get_absolute_url())
        else:
            status = 400
    return render(request, "trading/form_page.html", {"title": _("申报节约水量"), "form": form}, status=status)


@login_required
def savings_detail(request, pk):
    qs = SavingsVerification.objects.restrict(request.user)
    s = get_object_or_404(qs, pk=pk)
    form = None
    if s.status == "submitted" and services._may_verify_permit(request.user, s.permit):
        form = forms.SavingsVerifyForm(request.POST if request.method == "POST" else None, initial={"verified_m3": s.claimed_m3})
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                services.run(services.verify_savings, actor=request.user, savings=s, approve=d["decision"] == "approve",
                             verified_m3=d.get("verified_m3"), works_manager_opinion=d.get("works_manager_opinion") or "", note=d.get("note") or "")
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
            else:
                messages.success(request, _("核定结论已记录"))
                return HttpResponseRedirect(s.get_absolute_url())
    from shuiquan.core.generic import audit_trail

    left = rules.saving_left_per_year(s, s.years()) if s.status != "rejected" else {}
    from django.contrib.contenttypes.models import ContentType

    from shuiquan.core.models import Attachment

    files = Attachment.objects.filter(content_type=ContentType.objects.get_for_model(SavingsVerification), object_id=str(s.pk))
    return render(request, "trading/savings_detail.html", {"title": s.number, "s": s, "form": form, "countdown": countdown(s.due_on)
                                                           if s.status == "submitted" else None, "left": sorted(left.items()),
                                                           "trades": s.trades.all(), "audit_events": audit_trail(s)[:30], "files": files})


@login_required
def savings_file(request, pk, file_pk):
    """An evidence file of a saving, to those who may see the saving."""
    from django.contrib.contenttypes.models import ContentType
    from django.http import FileResponse

    from shuiquan.core.models import Attachment

    s = get_object_or_404(SavingsVerification.objects.restrict(request.user), pk=pk)
    att = get_object_or_404(Attachment, pk=file_pk, content_type=ContentType.objects.get_for_model(SavingsVerification), object_id=str(s.pk))
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name)


# ---------------------------------------------------------------------------------------------
# Order book
# ---------------------------------------------------------------------------------------------


@login_required
def orderbook_list(request):
    form = forms.SessionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.run(orderbook.open_session, actor=request.user, opening_minutes=form.cleaned_data.get("opening_minutes"),
                                   hours=form.cleaned_data.get("hours"))
        except DomainError as exc:
            messages.error(request, exc.localized(request.LANGUAGE_CODE))
        else:
            return HttpResponseRedirect(session.get_absolute_url())
    sessions = OrderBookSession.objects.select_related("district").order_by("-opens_at")[:50]
    rows = [(s, orderbook.PHASE_LABELS[orderbook.phase(s)]) for s in sessions]
    can_open = request.user.is_superuser or request.user.role in (Role.CITY_ADMIN, Role.DISTRICT_MANAGER)
    return render(request, "trading/orderbook_list.html", {"title": _("灌溉用水权委托交易"), "rows": rows, "form": form if can_open else None})


@login_required
def orderbook_session(request, pk):
    session = get_object_or_404(OrderBookSession, pk=pk)
    form = forms.OrderForm(request.POST if request.method == "POST" else None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.run(orderbook.place_order, actor=request.user, session=session, side=d["side"], party=d["party"], lots=d["lots"],
                             limit_price=d["limit_price"])
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
                status = exc.status
            else:
                messages.success(request, _("委托已提交"))
                return HttpResponseRedirect(session.get_absolute_url())
        else:
            status = 400
    session.refresh_from_db()
    ph = orderbook.phase(session)
    context = {"title": _("委托交易时段") + f" {session}", "session": session, "phase": ph, "phase_label": orderbook.PHASE_LABELS[ph],
               "depth": orderbook.depth(session), "form": form if party_choices_exist(request.user) else None,
               "mine": orderbook.my_orders(request.user, session)[:100],
               "fills": session.fills.select_related("trade", "bid", "ask").order_by("-pk")[:100],
               "can_manage": request.user.is_superuser or request.user.role in (Role.CITY_ADMIN,)}
    return render(request, "trading/orderbook_session.html", context, status=status)


def party_choices_exist(user) -> bool:
    return any(p.kind in ("association", "household") for p in my_parties(user))


@login_required
@require_POST
def order_cancel(request, pk):
    order = get_object_or_404(Order, pk=pk)
    try:
        services.run(orderbook.cancel_order, actor=request.user, order=order)
    except DomainError as exc:
        messages.error(request, exc.localized(request.LANGUAGE_CODE))
    else:
        messages.success(request, _("已撤单"))
    return HttpResponseRedirect(order.session.get_absolute_url())


@login_required
@require_POST
def orderbook_draw(request, pk):
    try:
        services.run(orderbook.run_draw, actor=request.user, session=pk)
    except DomainError as exc:
        messages.error(request, exc.localized(request.LANGUAGE_CODE))
    return HttpResponseRedirect(reverse("trading:orderbook_session", args=[pk]))


@login_required
@require_POST
def orderbook_close(request, pk):
    try:
        services.run(orderbook.close_session, actor=request.user, session=pk)
    except DomainError as exc:
        messages.error(request, exc.localized(request.LANGUAGE_CODE))
    return HttpResponseRedirect(reverse("trading:orderbook_session", args=[pk]))


# ---------------------------------------------------------------------------------------------
# S6 restrictions, reserves, editable rule lists, rules catalogue
# ---------------------------------------------------------------------------------------------


@login_required
def restriction_list(request):
    is_admin = request.user.is_superuser or request.user.role == Role.CITY_ADMIN
    form = forms.RestrictionForm(request.POST if request.method == "POST" else None) if is_admin else None
    status = 200
    if request.method == "POST" and form is not None:
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.run(services.impose_restriction, actor=request.user, kind=d["kind"], ground=d["ground"], reason=d["reason"],
                             region=d.get("region"), water_user=d.get("water_user"), association=d.get("association"), cut_pct=d.get("cut_pct"))
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
                status = exc.status
            else:
                messages.success(request, _("交易限制已作出"))
                return redirect("trading:restriction_list")
        else:
            status = 400
    rows = TradingRestriction.objects.select_related("region", "water_user", "association").order_by("lifted_at", "-pk")
    return render(request, "trading/restrictions.html", {"title": _("交易限制（S6）"), "rows": rows, "form": form, "is_admin": is_admin},
                  status=status)


@login_required
@require_POST
def restriction_lift(request, pk):
    try:
        services.run(services.lift_restriction, actor=request.user, restriction=pk, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.localized(request.LANGUAGE_CODE))
    else:
        messages.success(request, _("限制已解除"))
    return redirect("trading:restriction_list")


@login_required
def reserve_list(request):
    is_admin = request.user.is_superuser or request.user.role == Role.CITY_ADMIN
    form = forms.ReserveForm(request.POST if request.method == "POST" else None, prefix="r") if is_admin else None
    outside = forms.OutsideRegionForm(request.POST if request.method == "POST" else None, prefix="o") if is_admin else None
    if request.method == "POST" and is_admin:
        try:
            if "r-name" in request.POST and form.is_valid():
                services.run(services.create_reserve, actor=request.user, **form.cleaned_data)
                messages.success(request, _("收储机构已设立"))
                return redirect("trading:reserve_list")
            if "o-name" in request.POST and outside.is_valid():
                services.ensure_outside_region(actor=request.user, name=outside.cleaned_data["name"], name_en=outside.cleaned_data.get("name_en") or "")
                messages.success(request, _("市外交易方已登记"))
                return redirect("trading:reserve_list")
        except DomainError as exc:
            messages.error(request, exc.localized(request.LANGUAGE_CODE))
    year = clock.this_year()
    reserves = []
    for r in Reserve.objects.select_related("region"):
        rights = WaterRight.objects.filter(reserve=r)
        bal = {b.right_id: b for b in RightBalance.objects.filter(right__in=rights, year=year)}
        reserves.append((r, [(w, bal.get(w.pk)) for w in rights]))
    outside_rows = []
    for region in reg.Region.objects.filter(kind="outside"):
        rights = WaterRight.objects.filter(holder_region=region, kind="outside")
        bal = {b.right_id: b for b in RightBalance.objects.filter(right__in=rights, year=year)}
        outside_rows.append((region, [(w, bal.get(w.pk)) for w in rights]))
    return render(request, "trading/reserves.html", {"title": _("收储与市外交易方"), "reserves": reserves, "outside": outside_rows,
                                                     "form": form, "outside_form": outside, "year": year})


CONFIG = {
    "eliminated-industries": (EliminatedIndustry, ["sector", "product_keyword", "catalogue_item", "is_active"],
                              [("catalogue_item", gettext_noop("目录条目")), ("sector", gettext_noop("行业")), ("product_keyword", gettext_noop("产品/工艺关键词")), ("is_active", gettext_noop("有效"))]),
    "sector-quotas": (SectorQuota, ["sector", "product", "unit", "quota_m3_per_unit", "standard"],
                      [("sector", gettext_noop("行业")), ("product", gettext_noop("产品")), ("unit", gettext_noop("计量单位")), ("quota_m3_per_unit", gettext_noop("定额")), ("standard", gettext_noop("依据"))]),
    "pollutant-intensities": (PollutantIntensity, ["sector", "use", "cod_kg_per_10k_m3", "nh3n_kg_per_10k_m3", "basis"],
                              [("sector", gettext_noop("行业")), ("use", gettext_noop("用途")), ("cod_kg_per_10k_m3", gettext_noop("COD")), ("nh3n_kg_per_10k_m3", gettext_noop("氨氮")), ("basis", gettext_noop("依据"))]),
    "legal-prohibitions": (LegalProhibition, ["side", "region", "water_user", "association", "legal_basis", "is_active"],
                           [("legal_basis", gettext_noop("法律依据")), ("side", gettext_noop("禁止事项")), ("region", gettext_noop("行政区")), ("water_user", gettext_noop("取用水户")),
                            ("association", gettext_noop("协会")), ("is_active", gettext_noop("有效"))]),
    "outflow-caps": (OutflowCap, ["association", "region", "cap_m3", "is_active", "note"],
                     [("association", gettext_noop("协会")), ("region", gettext_noop("行政区")), ("cap_m3", gettext_noop("每时段流出上限（立方米）")), ("is_active", gettext_noop("有效")), ("note", gettext_noop("说明"))]),
}


def _config(slug):
    if slug not in CONFIG:
        raise Http404
    return CONFIG[slug]


@login_required
def config_list(request, slug):
    model, _fields, columns = _config(slug)
    objs = model.objects.all()
    rows = [(o, [_cell(o, path) for path, _label in columns]) for o in objs]
    can_edit = request.user.is_superuser or request.user.role == Role.CITY_ADMIN
    return render(request, "trading/config_list.html", {"title": model._meta.verbose_name_plural, "columns": columns, "rows": rows,
                                                        "slug": slug, "can_edit": can_edit})


def _cell(obj, path):
    from shuiquan.core.generic import resolve

    value = resolve(obj, path)
    if value is True:
        return "是"
    if value is False:
        return "否"
    return value


@login_required
def config_edit(request, slug, pk=None):
    from shuiquan.core.generic import ScopedModelForm

    model, fields, _columns = _config(slug)
    form_class = type(f"{model.__name__}Form", (ScopedModelForm,), {"Meta": type("Meta", (), {"model": model, "fields": fields})})

    class View(ObjectEditView):
        queryset = model.objects.all()

    View.form_class = form_class
    return View.as_view()(request, pk=pk)


@login_required
def config_sources(request):
    """S4 area lists: which water sources are groundwater overdraft areas or overloaded surface water."""
    can_edit = request.user.is_superuser or request.user.role == Role.CITY_ADMIN
    if request.method == "POST":
        try:
            services.run(services.set_source_flags, actor=request.user, source=request.POST.get("source"),
                         is_overdraft_area=request.POST.get("is_overdraft_area") == "on", is_overloaded=request.POST.get("is_overloaded") == "on")
        except DomainError as exc:
            messages.error(request, exc.localized(request.LANGUAGE_CODE))
        else:
            messages.success(request, _("已保存"))
        return redirect("trading:config_sources")
    sources = reg.WaterSource.objects.select_related("region", "river", "reservoir").order_by("kind", "name")
    return render(request, "trading/config_sources.html", {"title": _("地下水超采区与地表水超载地区"), "sources": sources, "can_edit": can_edit})


@login_required
def config_index(request):
    rows = [(slug, model._meta.verbose_name, model.objects.count()) for slug, (model, _f, _c) in CONFIG.items()]
    sources = reg.WaterSource.objects.filter(Q(is_overdraft_area=True) | Q(is_overloaded=True))
    can_edit = request.user.is_superuser or request.user.role == Role.CITY_ADMIN
    return render(request, "trading/config_index.html", {"title": _("交易规则配置"), "rows": rows, "sources": sources, "can_edit": can_edit,
                                                         "rules": rules.catalogue()})


# ---------------------------------------------------------------------------------------------
# Market statistics (signed in) and the public disclosure pages (no login)
# ---------------------------------------------------------------------------------------------


def _stats_context():
    stats = market.stats()
    chart = {
        "types": [str(t.label) for t in TradeType],
        "series": {str(v["type_label"]): [{"date": p["date"], "price": str(p["unit_price"]),
                                           "median": str(p["rolling_median"]) if p["rolling_median"] else None}
                                          for p in v["points"]] for v in stats["prices"].values()},
        "volume": [{"year": r["year"], "type": r["type_label"], "volume": r["total_volume_m3"], "count": r["count"]} for r in stats["by_type_year"]],
        "labels": {"price": _("成交价"), "median": _("滚动中位价")},
    }
    return {"stats": stats, "chart": chart}


@login_required
def market_stats(request):
    return render(request, "trading/public_stats.html", {"title": _("市场信息"), **_stats_context(), "public": False})


def public_listings(request):
    rows = [market.listing_row(x) for x in market.open_listings()]
    return render(request, "trading/public_listings.html", {"title": _("挂牌公告"), "rows": rows})


def public_listing(request, number):
    listing = get_object_or_404(Listing.objects.select_related("trade"), number=number)
    row = market.listing_row(listing)
    return render(request, "trading/public_listing.html", {"title": _("挂牌公告") + " " + number, "row": row, "listing": listing,
                                                           "trade": listing.trade, "intent_count": listing.intents.count()})


def public_deals(request):
    qs = market.completed_trades()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [market.deal_row(t) for t in page.object_list]
    return render(request, "trading/public_deals.html", {"title": _("成交公示"), "rows": rows, "page": page})


def public_deal(request, number):
    trade = get_object_or_404(market.completed_trades(), number=number)
    return render(request, "trading/public_deal.html", {"title": _("成交公示") + " " + number, "row": market.deal_row(trade), "trade": trade})


def public_stats(request):
    return render(request, "trading/public_stats.html", {"title": _("水权交易市场信息"), **_stats_context(), "public": True})


@login_required
def rules_page(request):
    return render(request, "trading/rules.html", {"title": _("交易规则"), "rules": rules.catalogue()})


@login_required
def locks_page(request):
    """Active trading locks the user may see (for county officers and the city: what is frozen and why)."""
    qs = VolumeLock.objects.restrict(request.user).filter(status=LockStatus.ACTIVE, reference_type__startswith="trading.").select_related("right")
    return render(request, "trading/locks.html", {"title": _("交易冻结水量"), "locks": qs[:300]})


@login_required
def apply_choose(request):
    return render(request, "trading/apply_choose.html", {"title": _("转让申请"), "types": list(TradeType)})
