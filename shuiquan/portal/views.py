"""The public disclosure portal (信息公开): no login, Chinese first, no personal data.

Pages: home with key figures; initial-rights results by region (map); market (listing
announcements, deal notices and statistics from the trading capability); certificate
verification; supply-and-demand notices; policy documents; complaints (submit, check status).
Notices are posted and reviewed by signed-in users under /public/manage/.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from shuiquan.core.auth import client_address
from shuiquan.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from shuiquan.core.generic import apply_domain_error, audit_trail, render_forbidden
from shuiquan.core.roles import Role
from shuiquan.core.scoping import VIEW, get_scoped
from shuiquan.supervision import services as supervision

from . import public, services
from .choices import DocumentLevel, NoticeKind, NoticeStatus
from .forms import ComplaintStatusForm, DocumentForm, NoticeForm, PublicComplaintForm, ReviewForm
from .models import PolicyDocument, SupplyDemandNotice


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def market_links() -> dict:
    return {"listings": _url("trading:public_listings"), "deals": _url("trading:public_deals"), "stats": _url("trading:public_stats")}


def home(request):
    return render(request, "portal/home.html", {
        "title": _("信息公开"), "figures": public.key_figures(), "market": market_links(),
        "notices": list(services.public_notices()[:5]), "deals": public.latest_market(5)["deals"],
        "policies": PolicyDocument.objects.filter(level=DocumentLevel.MUNICIPAL).order_by("sort_order")[:6],
    })


def rights(request):
    data = public.initial_rights()
    map_data = [{"name": c["name"], "value": round(c["regional_m3"] / 10_000, 2) if c["regional_m3"] else None} for c in data["counties"]]
    return render(request, "portal/rights.html", {"title": _("初始水权分配结果"), "data": data, "map_data": map_data})


def market(request):
    return render(request, "portal/market.html", {"title": _("交易公告与成交公示"), "market": market_links(),
                                                  "figures": public.market_figures(), "latest": public.latest_market()})


def verify(request):
    return render(request, "portal/verify.html", {"title": _("水权凭证核验")})


def notices(request):
    qs = services.public_notices()
    kind = request.GET.get("kind", "")
    if kind in NoticeKind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "portal/notices.html", {"title": _("供求信息"), "page": page, "kind": kind, "kinds": NoticeKind.choices})


def notice_detail(request, number):
    notice = services.public_notices().filter(number=number).first()
    if notice is None:
        raise Http404
    return render(request, "portal/notice_detail.html", {"title": str(notice.number), "n": notice})


def policies(request):
    docs = PolicyDocument.objects.all()
    groups = [(label, [d for d in docs if d.level == level]) for level, label in DocumentLevel.choices]
    return render(request, "portal/policies.html", {"title": _("政策文件"), "groups": groups,
                                                    "can_edit": request.user.is_authenticated and (request.user.is_superuser or request.user.role == Role.CITY_ADMIN)})


def policy_detail(request, key):
    doc = get_object_or_404(PolicyDocument, key=key)
    return render(request, "portal/policy_detail.html", {"title": doc.title, "doc": doc})


def complaint_new(request):
    form = PublicComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if data.pop("website"):
            return render(request, "portal/complaint_done.html", {"title": _("已提交"), "row": None})
        try:
            row = supervision.submit_public_complaint(address=client_address(request), **data)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
            return render(request, "portal/complaint_new.html", {"title": _("投诉与争议"), "form": form}, status=exc.status)
        return render(request, "portal/complaint_done.html", {"title": _("已提交"), "row": row})
    return render(request, "portal/complaint_new.html", {"title": _("投诉与争议"), "form": form}, status=400 if form.errors else 200)


def complaint_status(request):
    form = ComplaintStatusForm(request.GET or None)
    found = None
    searched = False
    if request.GET and form.is_valid():
        searched = True
        row = supervision.find_public_complaint(form.cleaned_data["number"], form.cleaned_data["code"])
        found = supervision.public_complaint_view(row) if row else None
    return render(request, "portal/complaint_status.html", {"title": _("投诉办理查询"), "form": form, "found": found, "searched": searched},
                  status=404 if searched and not found else 200)


# ---------------------------------------------------------------------------------------------
# Managing notices (signed in): associations post, the district unit or county bureau reviews
# ---------------------------------------------------------------------------------------------


@login_required
def notice_manage_list(request):
    qs = SupplyDemandNotice.objects.restrict(request.user).select_related("association", "district", "posted_by")
    status = request.GET.get("status", "")
    if status in NoticeStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    can_post = request.user.is_superuser or request.user.role in (Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER,
                                                                  Role.ASSOCIATION_REP)
    return render(request, "portal/notice_manage_list.html", {"title": _("供求信息管理"), "page": page, "status": status,
                                                              "statuses": NoticeStatus.choices, "can_post": can_post})


@login_required
def notice_new(request):
    form = NoticeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.post_notice(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已提交，待灌区管理单位或县级水利局审核后发布"))
            return redirect(notice.get_absolute_url())
    return render(request, "supervision/form.html", {"title": _("发布供求信息"), "form": form,
                                                     "intro": _("供求信息经审核后在信息公开网站发布；只显示协会名称（用水户仅显示编码），不得填写个人电话、身份证号等个人信息。")},
                  status=400 if form.errors else 200)


@login_required
def notice_manage_detail(request, pk):
    try:
        notice = get_scoped(SupplyDemandNotice.objects.select_related("association", "district", "household", "posted_by"), request.user,
                            pk, VIEW)
    except NotFound:
        raise Http404 from None
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action")
        try:
            if action in ("publish", "reject"):
                services.review_notice(notice, actor=request.user, publish=action == "publish", note=form.cleaned_data["note"])
            elif action == "withdraw":
                services.withdraw_notice(notice, actor=request.user, note=form.cleaned_data["note"])
            else:
                raise ValidationFailed("invalid_action", "无效的操作", "Invalid action")
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已处理"))
            return redirect(notice.get_absolute_url())
    return render(request, "portal/notice_manage_detail.html", {
        "title": str(notice), "n": notice, "form": form, "can_review": notice.status == NoticeStatus.PENDING and services.may_review(request.user, notice),
        "can_withdraw": notice.status in (NoticeStatus.PENDING, NoticeStatus.PUBLISHED), "audit_events": audit_trail(notice)[:20],
    }, status=400 if form.errors else 200)


@login_required
def policy_edit(request, key):
    doc = get_object_or_404(PolicyDocument, key=key)
    if not (request.user.is_superuser or request.user.role == Role.CITY_ADMIN):
        return render_forbidden(request, Forbidden(message=_("政策文件状态由市水利局维护")))
    form = DocumentForm(request.POST or None, initial={"status": doc.status, "doc_number": doc.doc_number, "issued_text": doc.issued_text,
                                                      "url": doc.url, "summary": doc.summary})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_document(doc, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc, request.LANGUAGE_CODE)
        else:
            messages.success(request, _("已保存"))
            return redirect(doc.get_absolute_url())
    return render(request, "supervision/form.html", {"title": _("更新政策文件：%(t)s") % {"t": doc.title}, "form": form,
                                                     "cancel_url": doc.get_absolute_url()}, status=400 if form.errors else 200)
