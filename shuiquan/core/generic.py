"""Generic pages for registry-style models (NetBox's ObjectListView/ObjectView/ObjectEditView):
list with filters, search, pagination and XLSX export; detail with the record's audit trail;
create/edit forms whose POST goes through the services; delete with confirmation.

A model's pages are declared, not written::

    class PermitListView(ObjectListView):
        queryset = WithdrawalPermit.objects.select_related("holder", "region")
        filterset_class = PermitFilterSet
        columns = [("number", "许可证编号"), ("holder", "取水权人"), ...]
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from . import crud
from .errors import DomainError, Forbidden, NotFound
from .models import AuditEvent
from .scoping import CHANGE, DELETE, VIEW, can, can_add, get_scoped
from .xlsx import export_rows


def resolve(obj: Any, path: str) -> Any:
    """``a.b.c`` or ``a__b`` on an object; ``get_FOO_display`` for choice fields."""
    value = obj
    for part in path.replace("__", ".").split("."):
        if value is None:
            return None
        display = getattr(value, f"get_{part}_display", None)
        if callable(display):
            value = display()
            continue
        value = getattr(value, part, None)
        if callable(value) and not isinstance(value, models.Manager):
            value = value()
    return value


def apply_domain_error(form: forms.BaseForm, exc: DomainError, language: str = "zh-hans") -> None:
    fields = exc.detail.get("fields") if isinstance(exc.detail, dict) else None
    placed = False
    if fields:
        for name, msgs in fields.items():
            target = name if name in form.fields else None
            for msg in msgs:
                form.add_error(target, msg)
                placed = True
    if not placed:
        form.add_error(None, exc.localized(language))


class ObjectListView(LoginRequiredMixin, View):
    queryset: models.QuerySet = None
    filterset_class = None
    columns: list[tuple[str, str]] = []
    link_column: str | None = None
    template_name = "core/object_list.html"
    title = ""
    add_url_name: str | None = None
    paginate_by = 50
    export_note = ""

    def get_queryset(self, request):
        return self.queryset.restrict(request.user, VIEW)

    def get_title(self):
        return self.title or str(self.queryset.model._meta.verbose_name_plural)

    def export_columns(self):
        return self.columns

    def extra_context(self, request) -> dict:
        """More template context for the list page (e.g. import links)."""
        return {}

    def cell(self, obj, path):
        """The value shown in a page cell (override to format, e.g. volumes or masked names)."""
        return resolve(obj, path)

    def export_cell(self, obj, path):
        """The value written to the XLSX export (raw values: integer m³, dates)."""
        return resolve(obj, path)

    def get(self, request):
        qs = self.get_queryset(request)
        filterset = self.filterset_class(request.GET or None, queryset=qs, request=request) if self.filterset_class else None
        if filterset is not None:
            qs = filterset.qs if filterset.is_bound and filterset.is_valid() else (qs if not filterset.is_bound else qs.none())
        if request.GET.get("export") == "xlsx":
            cols = self.export_columns()
            rows = ([self.export_cell(obj, path) for path, _label in cols] for obj in qs.iterator(chunk_size=1000))
            return export_rows(self.get_title(), [label for _p, label in cols], rows, self.export_note)
        try:
            per_page = max(1, min(int(request.GET.get("per_page") or self.paginate_by), 500))
        except ValueError:
            per_page = self.paginate_by
        paginator = Paginator(qs, per_page)
        page = paginator.get_page(request.GET.get("page"))
        link = self.link_column or self.columns[0][0]
        rows = [
            {"obj": obj, "cells": [(path, self.cell(obj, path), path == link) for path, _l in self.columns]}
            for obj in page.object_list
        ]
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "title": self.get_title(),
            "columns": self.columns,
            "rows": rows,
            "page": page,
            "paginator": paginator,
            "filterset": filterset,
            "querystring": query.urlencode(),
            "add_url": reverse(self.add_url_name) if self.add_url_name and can_add(request.user, qs.model) else None,
            "model_has_demo": hasattr(qs.model, "is_demo"),
        }
        context.update(self.extra_context(request))
        template = "core/object_list_rows.html" if request.htmx else self.template_name
        return render(request, template, context)


class ObjectDetailView(LoginRequiredMixin, View):
    queryset: models.QuerySet = None
    template_name = "core/object_detail.html"
    fields: list[tuple[str, str]] = []
    edit_url_name: str | None = None
    delete_url_name: str | None = None

    def get_object(self, request, pk):
        try:
            return get_scoped(self.queryset, request.user, pk, VIEW)
        except NotFound:
            raise Http404 from None

    def extra_context(self, request, obj) -> dict:
        return {}

    def display(self, obj, path):
        """The value shown for a field (override to format)."""
        return resolve(obj, path)

    def get(self, request, pk):
        obj = self.get_object(request, pk)
        context = {
            "obj": obj,
            "title": str(obj),
            "verbose_name": obj._meta.verbose_name,
            "fields": [(label, self.display(obj, path)) for path, label in self.fields] if self.fields else [
                (f.verbose_name, resolve(obj, f.name)) for f in obj._meta.concrete_fields if f.name not in ("id",)
            ],
            "edit_url": reverse(self.edit_url_name, args=[obj.pk]) if self.edit_url_name and can(request.user, obj, CHANGE) else None,
            "delete_url": reverse(self.delete_url_name, args=[obj.pk]) if self.delete_url_name and can(request.user, obj, DELETE) else None,
            "audit_events": audit_trail(obj)[:50],
        }
        context.update(self.extra_context(request, obj))
        return render(request, self.template_name, context)


def audit_trail(obj: models.Model):
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return AuditEvent.objects.filter(object_type=f"{ct.app_label}.{ct.model}", object_id=str(obj.pk)).order_by("-id")


class ObjectEditView(LoginRequiredMixin, View):
    """Create (no pk) or edit (pk) through ``crud`` services; field errors stay on the form."""

    queryset: models.QuerySet = None
    form_class: type[forms.ModelForm] = None
    template_name = "core/object_edit.html"

    def form_kwargs(self, request) -> dict:
        return {"user": request.user}

    def get_object(self, request, pk):
        if pk is None:
            if not can_add(request.user, self.queryset.model):
                raise Forbidden()
            return None
        try:
            return get_scoped(self.queryset, request.user, pk, CHANGE)
        except NotFound:
            raise Http404 from None

    def render_form(self, request, form, obj, status=200):
        return render(
            request, self.template_name,
            {"form": form, "obj": obj, "title": (_("编辑") + f" {obj}") if obj else (_("新增") + str(self.queryset.model._meta.verbose_name))},
            status=status,
        )

    def get(self, request, pk=None):
        try:
            obj = self.get_object(request, pk)
        except Forbidden as exc:
            return render_forbidden(request, exc)
        return self.render_form(request, self.form_class(instance=obj, **self.form_kwargs(request)), obj)

    def save(self, request, form, obj):
        data = {name: form.cleaned_data[name] for name in form.cleaned_data if name in form.Meta.fields}
        if obj is None:
            return crud.create_object(self.queryset.model, actor=request.user, data=data)
        return crud.update_object(self.queryset.model, obj.pk, actor=request.user, data=data)

    def post(self, request, pk=None):
        try:
            obj = self.get_object(request, pk)
        except Forbidden as exc:
            return render_forbidden(request, exc)
        form = self.form_class(request.POST, request.FILES, instance=obj, **self.form_kwargs(request))
        # Validate field types here; model rules and scope are checked by the service.
        form.instance = obj or self.queryset.model()
        if form.is_valid():
            try:
                saved = self.save(request, form, obj)
            except DomainError as exc:
                apply_domain_error(form, exc, request.LANGUAGE_CODE)
            else:
                messages.success(request, _("已保存"))
                return HttpResponseRedirect(saved.get_absolute_url())
        return self.render_form(request, form, obj, status=400)


class ObjectDeleteView(LoginRequiredMixin, View):
    queryset: models.QuerySet = None
    success_url_name: str = ""

    def get(self, request, pk):
        try:
            obj = get_scoped(self.queryset, request.user, pk, DELETE)
        except NotFound:
            raise Http404 from None
        except Forbidden as exc:
            return render_forbidden(request, exc)
        return render(request, "core/object_delete.html", {"obj": obj, "title": _("删除") + f" {obj}"})

    def post(self, request, pk):
        try:
            crud.delete_object(self.queryset.model, pk, actor=request.user)
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            messages.error(request, exc.localized(request.LANGUAGE_CODE))
            return HttpResponseRedirect(request.path)
        messages.success(request, _("已删除"))
        return HttpResponseRedirect(reverse(self.success_url_name))


def render_forbidden(request, exc: DomainError):
    return render(request, "core/forbidden.html", {"error": exc, "title": _("无权访问")}, status=exc.status)


class ScopedModelForm(forms.ModelForm):
    """A ModelForm that limits its foreign-key choices to what the user may see, and skips model
    validation (the service runs ``full_clean`` and reports errors back onto the form)."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            qs = getattr(field, "queryset", None)
            if qs is not None and hasattr(qs, "restrict") and user is not None:
                field.queryset = qs.restrict(user, VIEW)
            if isinstance(field.widget, forms.DateInput):
                field.widget.input_type = "date"
                field.widget.format = "%Y-%m-%d"

    def _post_clean(self):
        # Model validation happens in the service (crud._save → full_clean).
        pass
