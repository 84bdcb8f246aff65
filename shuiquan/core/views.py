from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from . import config
from .auth import clear_failures
from .errors import DomainError
from .forms import ConfigForm, LoginForm
from .generic import render_forbidden
from .models import AuditEvent
from .nav import workbench_panels
from .roles import Role
from .scoping import require_role


def bench_static(request):
    """A fixed small response: the reference of the page benchmark (``bench/bench_pages.py``) — the
    same server, middleware, session and user lookup as a page, but no view work. Routed only when
    ``SHUIQUAN_BENCH=1`` (``shuiquan/urls.py``)."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


def index(request):
    if request.user.is_authenticated:
        return redirect("core:workbench")
    return redirect("portal:home")


def login_view(request):
    form = LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        clear_failures(form.user.username)
        target = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
            target = reverse("core:workbench")
        return HttpResponseRedirect(target)
    return render(request, "core/login.html", {"form": form, "title": _("登录")}, status=400 if form.errors else 200)


@require_POST
def logout_view(request):
    logout(request)
    return redirect("core:login")


@login_required
def workbench(request):
    return render(request, "core/workbench.html", {"title": _("工作台"), "panels": workbench_panels(request.user)})


@login_required
def audit_list(request):
    user = request.user
    events = AuditEvent.objects.all().order_by("-id")
    if user.role == Role.COUNTY_OFFICER:
        events = events.filter(region_code=user.region.code if user.region else "-")
    elif user.role not in (Role.CITY_ADMIN, Role.AUDITOR) and not user.is_superuser:
        events = events.filter(actor=user)
    q = request.GET.get("q", "").strip()
    if q:
        events = events.filter(Q(object_repr__icontains=q) | Q(actor_name__icontains=q) | Q(object_id=q))
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"title": _("审计日志"), "page": page, "q": q, "action": action})


@login_required
def audit_verify(request):
    try:
        require_role(request.user, Role.AUDITOR)
    except DomainError as exc:
        return render_forbidden(request, exc)
    from .audit import verify_chain

    report = verify_chain()
    return render(request, "core/audit_verify.html", {"title": _("审计链校验"), "report": report})


@login_required
def parameters(request):
    user = request.user
    if request.method == "POST":
        form = ConfigForm(request.POST)
        if form.is_valid():
            try:
                config.set_value(form.cleaned_data["key"], form.cleaned_data["value"], actor=user)
            except DomainError as exc:
                messages.error(request, exc.localized(request.LANGUAGE_CODE))
            else:
                messages.success(request, _("参数已更新"))
        return redirect("core:parameters")
    rows = [(p, config.get(p.key)) for p in config.parameters()]
    can_edit = user.is_superuser or user.role == Role.CITY_ADMIN
    return render(request, "core/parameters.html", {"title": _("参数配置"), "rows": rows, "can_edit": can_edit})


@login_required
def account(request):
    token = Token.objects.filter(user=request.user).first()
    if request.method == "POST":
        from django.db import transaction

        from . import audit

        with transaction.atomic():
            Token.objects.filter(user=request.user).delete()
            token = Token.objects.create(user=request.user)
            audit.record(actor=request.user, action="issue_token", object_type="core.user",
                         object_id=str(request.user.pk), object_repr=request.user.username, region_code="")
        messages.success(request, _("已生成新的 API 令牌，旧令牌作废"))
        return render(request, "core/account.html", {"title": _("我的账户"), "new_token": token.key})
    return render(request, "core/account.html", {"title": _("我的账户"), "has_token": token is not None})


def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
