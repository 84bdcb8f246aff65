"""Generic create / update / delete services for registry-of-record models.

Each runs in one transaction, locks the row it changes, validates the model (``full_clean``),
checks the actor's scope before and after the change (a county officer can neither touch another
county's record nor move one of theirs out of their county), and writes the audit record. Apps
with richer rules write their own services and call these only for plain records.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from . import audit
from .errors import Forbidden, ValidationFailed
from .scoping import ADD, CHANGE, DELETE, can_add, get_scoped, scope_q


def validation_failed(exc: ValidationError) -> ValidationFailed:
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    else:
        fields = {"__all__": [str(m) for m in exc.messages]}
    summary = "；".join(f"{k}: {'，'.join(v)}" for k, v in fields.items())
    return ValidationFailed(
        "invalid", f"输入有误：{summary}", f"Invalid input: {summary}", detail={"fields": fields}
    )


def _split_m2m(model: type[models.Model], data: dict[str, Any]) -> tuple[dict, dict]:
    names = {f.name for f in model._meta.many_to_many}
    plain = {k: v for k, v in data.items() if k not in names}
    m2m = {k: v for k, v in data.items() if k in names}
    return plain, m2m


def _save(obj: models.Model) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise validation_failed(exc) from None
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationFailed(
            "integrity", f"与已有记录冲突：{exc}", f"Conflicts with an existing record: {exc}"
        ) from None


def _ensure_in_scope(user, obj: models.Model, action: str) -> None:
    model = type(obj)
    if not model._default_manager.filter(scope_q(model, user, action), pk=obj.pk).exists():
        raise Forbidden(
            code="out_of_scope",
            message="记录不在您的管辖范围内",
            message_en="The record would be outside your scope",
        )


@transaction.atomic
def create_object(model: type[models.Model], *, actor, data: dict[str, Any], message: str = ""):
    if not can_add(actor, model):
        raise Forbidden(code="role_required", message="您的角色不能新增此类记录", message_en="Your role cannot create this kind of record")
    plain, m2m = _split_m2m(model, data)
    obj = model(**plain)
    _save(obj)
    for name, values in m2m.items():
        getattr(obj, name).set(values)
    _ensure_in_scope(actor, obj, ADD if hasattr(model, "scope_paths") else CHANGE)
    audit.record(actor=actor, action="create", obj=obj, after=audit.snapshot(obj), message=message)
    return obj


@transaction.atomic
def update_object(instance_or_model, pk=None, *, actor, data: dict[str, Any], message: str = ""):
    model = instance_or_model if isinstance(instance_or_model, type) else type(instance_or_model)
    pk = pk if pk is not None else instance_or_model.pk
    obj = get_scoped(model, actor, pk, CHANGE, lock=True)
    before = audit.snapshot(obj)
    plain, m2m = _split_m2m(model, data)
    for name, value in plain.items():
        setattr(obj, name, value)
    _save(obj)
    for name, values in m2m.items():
        getattr(obj, name).set(values)
    _ensure_in_scope(actor, obj, CHANGE)
    after = audit.snapshot(obj)
    if audit.diff(before, after):
        audit.record(actor=actor, action="update", obj=obj, before=before, after=after, message=message)
    return obj


@transaction.atomic
def delete_object(model: type[models.Model], pk, *, actor, message: str = "") -> None:
    obj = get_scoped(model, actor, pk, DELETE, lock=True)
    before = audit.snapshot(obj)
    region = audit.object_region_code(obj)
    label, repr_ = f"{obj._meta.app_label}.{obj._meta.model_name}", str(obj)
    try:
        with transaction.atomic():
            obj.delete()
    except models.ProtectedError:
        raise ValidationFailed(
            "protected", "该记录仍被其他记录引用，不能删除", "Other records still refer to this one; it cannot be deleted"
        ) from None
    audit.record(
        actor=actor, action="delete", object_type=label, object_id=str(pk), object_repr=repr_,
        before=before, message=message, region_code=region,
    )
