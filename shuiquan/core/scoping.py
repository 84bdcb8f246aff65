"""Object-level scoping: who may see and change which records.

Every scoped model declares, per scoped role, the lookup that ties a record to the account's
scope (``scope_paths``), which roles may write it (``scope_write_roles``) and whether every
signed-in user may read it (``scope_public_read``, for reference data such as rivers). The
default manager's ``restrict(user, action)`` turns that into a queryset filter, so list pages,
detail pages, the API and services all apply the same rule:

- the city bureau admin sees and changes everything;
- auditors and finance officers see everything and change only what their role writes;
- a county officer sees and changes records of their own region only;
- a district manager, association representative or permit holder sees their own objects;
- anonymous users see nothing (the public portal reads through its own de-identified views).
"""

from __future__ import annotations

from typing import Callable

from django.db import models
from django.db.models import Q

from .errors import Forbidden, NotFound
from .roles import Role

VIEW, CHANGE, ADD, DELETE = "view", "change", "add", "delete"

#: role → the user attribute a path is compared with
_ROLE_TARGET = {
    Role.COUNTY_OFFICER: ("region", "region_id"),
    Role.DISTRICT_MANAGER: ("irrigation_district", "irrigation_district_id"),
    Role.ASSOCIATION_REP: ("association", "association_id"),
    Role.PERMIT_HOLDER: ("water_user", "water_user_id"),
}


def _none() -> Q:
    return Q(pk__in=[])


def scope_q(model: type[models.Model], user, action: str = VIEW) -> Q:
    """The filter selecting the rows of ``model`` that ``user`` may ``action``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return _none()
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return Q()
    write_roles = set(getattr(model, "scope_write_roles", {Role.CITY_ADMIN}))
    if action != VIEW and user.role not in write_roles:
        return _none()
    if action == VIEW and (getattr(model, "scope_public_read", False) or user.role in (Role.AUDITOR, Role.FINANCE_OFFICER)):
        return Q()
    if action != VIEW and user.role in (Role.AUDITOR, Role.FINANCE_OFFICER) and user.role in write_roles:
        return Q()
    paths: dict[str, str | Callable] = getattr(model, "scope_paths", {})
    path = paths.get(user.role)
    if path is None:
        return _none()
    if callable(path):
        return path(user)
    target = _ROLE_TARGET.get(user.role)
    if target is None:
        return Q(**{path: user.pk})
    value = getattr(user, target[1])
    if value is None:
        return _none()
    return Q(**{path: value})


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = VIEW):
        return self.filter(scope_q(self.model, user, action))


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def get_scoped(model_or_qs, user, pk, action: str = VIEW, *, lock: bool = False):
    """The object with ``pk`` if ``user`` may ``action`` it.

    Raises ``NotFound`` when the user cannot see it at all (so its existence is not revealed), and
    ``Forbidden`` when they can see it but not ``action`` it.
    """
    qs = model_or_qs if isinstance(model_or_qs, models.QuerySet) else model_or_qs._default_manager.all()
    model = qs.model
    visible = qs.filter(scope_q(model, user, VIEW))
    try:
        # ``of=("self",)``: the scope filter may outer-join nullable relations, which PostgreSQL
        # cannot lock ("FOR UPDATE cannot be applied to the nullable side of an outer join").
        obj = (visible.select_for_update(of=("self",)) if lock else visible).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if action != VIEW and not qs.filter(scope_q(model, user, action), pk=obj.pk).exists():
        raise Forbidden(code="out_of_scope", message="不在您的管辖范围内，无权修改", message_en="Outside your scope: you may not change this record")
    return obj


def can(user, obj: models.Model, action: str = VIEW) -> bool:
    model = type(obj)
    return model._default_manager.filter(scope_q(model, user, action), pk=obj.pk).exists()


def can_add(user, model: type[models.Model]) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        return True
    return user.role in set(getattr(model, "scope_write_roles", {Role.CITY_ADMIN}))


def require_role(user, *roles: str, message: str = "", message_en: str = "") -> None:
    """Refuse unless ``user`` has one of ``roles`` (the city admin always passes)."""
    if user is not None and user.is_authenticated and (user.is_superuser or user.role == Role.CITY_ADMIN or user.role in roles):
        return
    labels = "、".join(str(Role(r).label) for r in roles) or "市水利局"
    raise Forbidden(
        code="role_required",
        message=message or f"此操作须由{labels}办理",
        message_en=message_en or f"Only these roles may do this: {', '.join(roles) or 'city_admin'}",
    )
