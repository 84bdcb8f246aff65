"""The audit chain: append-only records of every change, each hashed together with the previous.

``record()`` is called by service functions inside their transaction, so a change and its audit
record are committed together or not at all. Appends are serialized (a PostgreSQL advisory lock;
SQLite's immediate transactions already serialize writers), so the chain has no forks.

``verify_chain()`` recomputes every hash in order and reports the first event whose stored hash
does not match its content or whose ``prev_hash`` does not match its predecessor.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from .context import current_request_id

GENESIS = "0" * 64
#: Bookkeeping fields left out of before/after snapshots (they change on every save).
SNAPSHOT_SKIP = {"last_updated"}
_ADVISORY_KEY = 0x5348_5155_4155_4454  # "SHQUAUDT"


def _plain(value: Any) -> Any:
    """A JSON-stable form of a field value (Decimal and dates as strings; ints stay ints)."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float):
        # Floats have no place in volumes or money; keep their text so hashing is stable.
        return repr(value)
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of ``instance`` (foreign keys by id), ready for JSON."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in SNAPSHOT_SKIP:
            continue
        data[field.attname] = _plain(getattr(instance, field.attname))
    for field in instance._meta.many_to_many:
        if instance.pk:
            data[field.name] = sorted(getattr(instance, field.name).values_list("pk", flat=True))
    return data


def diff(before: dict | None, after: dict | None) -> dict[str, tuple[Any, Any]]:
    """Fields whose value changed between two snapshots."""
    before, after = before or {}, after or {}
    keys = sorted(set(before) | set(after))
    return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


def _content(event) -> dict[str, Any]:
    return {
        "at": _plain(event.at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "actor_role": event.actor_role,
        "request_id": event.request_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "region_code": event.region_code,
        "before": event.before,
        "after": event.after,
        "message": event.message,
    }


def compute_hash(prev_hash: str, event) -> str:
    return hashlib.sha256((prev_hash + canonical(_content(event))).encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_KEY])


def object_region_code(obj: models.Model | None) -> str:
    """The region code an object belongs to, for scoping the audit trail (best effort)."""
    if obj is None:
        return ""
    fn = getattr(obj, "audit_region_code", None)
    if callable(fn):
        return fn() or ""
    region = getattr(obj, "region", None)
    return getattr(region, "code", "") or "" if region is not None else ""


def record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
    message: str = "",
    region_code: str | None = None,
):
    """Append one audit event in the current transaction and return it."""
    from .models import AuditEvent

    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must run inside the service's transaction")
    _lock_chain()
    last = AuditEvent.objects.order_by("-id").only("hash").first()
    prev_hash = last.hash if last else GENESIS
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True) if obj is not None else None
    actor_obj = actor if getattr(actor, "pk", None) else None
    event = AuditEvent(
        at=timezone.now(),
        actor=actor_obj,
        actor_name=(getattr(actor, "username", None) or str(actor or "system"))[:150],
        actor_role=getattr(actor, "role", "") or "",
        request_id=current_request_id(),
        action=action,
        content_type=ct,
        object_type=object_type or (f"{ct.app_label}.{ct.model}" if ct else ""),
        object_id=str(object_id if object_id is not None else (obj.pk if obj is not None else "")),
        object_repr=(object_repr if object_repr is not None else str(obj) if obj is not None else "")[:300],
        region_code=region_code if region_code is not None else object_region_code(obj),
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        message=message,
        prev_hash=prev_hash,
    )
    event.hash = compute_hash(prev_hash, event)
    event.save(force_insert=True)
    return event


@dataclass
class ChainReport:
    checked: int
    first_broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def verify_chain(batch: int = 2000) -> ChainReport:
    """Walk the chain in order; report the first broken link, if any."""
    from .models import AuditEvent

    prev_hash = GENESIS
    checked = 0
    last_id = 0
    with transaction.atomic():
        while True:
            rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch])
            if not rows:
                break
            for event in rows:
                if event.prev_hash != prev_hash:
                    return ChainReport(checked, event.id, "prev_hash does not match the previous event (an event was removed or reordered)")
                if compute_hash(prev_hash, event) != event.hash:
                    return ChainReport(checked, event.id, "content does not match its hash (the event was edited)")
                prev_hash = event.hash
                checked += 1
                last_id = event.id
    return ChainReport(checked)
