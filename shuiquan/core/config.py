"""Platform parameters: every tunable number has a documented default and may be changed by the
city bureau (the change is audited). Apps declare their parameters at import time::

    from shuiquan.core import config
    NOTICE_DAYS = config.define("trading.notice_days", 10, "挂牌公告期（日）", "Listing notice period (days)")

and read them with ``config.get("trading.notice_days")`` (or ``NOTICE_DAYS.value``).
Within one web request each parameter is read from the database once (``request_cache``, entered
by ``core.middleware.RequestContextMiddleware``): a list of 50 permits or trades whose rows each
consult a parameter costs one query, not 50. Outside a request every ``get`` reads the database.
``docs/configuration.md`` lists them all (``manage.py list_parameters`` prints the table).
"""

from __future__ import annotations

import decimal
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from .errors import ValidationFailed

_REGISTRY: dict[str, Parameter] = {}
_request_values: ContextVar[dict | None] = ContextVar("shuiquan_config_request_values", default=None)


@contextmanager
def request_cache():
    """Parameters read in this block are read from the database once (a request's snapshot)."""
    token = _request_values.set({})
    try:
        yield
    finally:
        _request_values.reset(token)


@dataclass(frozen=True)
class Parameter:
    key: str
    default: Any
    label: str
    label_en: str
    help: str = ""
    kind: type = int

    @property
    def value(self) -> Any:
        return get(self.key)

    def parse(self, raw: Any) -> Any:
        try:
            if self.kind is bool:
                if isinstance(raw, str):
                    return raw.strip().lower() in ("1", "true", "yes", "on", "是")
                return bool(raw)
            if self.kind is decimal.Decimal:
                return decimal.Decimal(str(raw))
            if self.kind is int:
                if isinstance(raw, float) or (isinstance(raw, str) and "." in raw):
                    raise ValueError
                return int(raw)
            if self.kind is list:
                if isinstance(raw, str):
                    return [x.strip() for x in raw.replace("，", ",").split(",") if x.strip()]
                return list(raw)
            return self.kind(raw)
        except (ValueError, TypeError, decimal.InvalidOperation):
            raise ValidationFailed(
                "invalid_parameter",
                f"参数 {self.key} 的值无效：{raw!r}",
                f"Invalid value for parameter {self.key}: {raw!r}",
            ) from None

    def to_json(self, value: Any) -> Any:
        return str(value) if isinstance(value, decimal.Decimal) else value


def define(key: str, default: Any, label: str, label_en: str, help: str = "", kind: type | None = None) -> Parameter:
    param = Parameter(key, default, label, label_en, help, kind or type(default))
    _REGISTRY[key] = param
    return param


def parameters() -> list[Parameter]:
    return [ _REGISTRY[k] for k in sorted(_REGISTRY) ]


def get(key: str) -> Any:
    from .models import ConfigValue

    param = _REGISTRY[key]
    cache = _request_values.get()
    if cache is not None and key in cache:
        value = cache[key]
    else:
        row = ConfigValue.objects.filter(key=key).first()
        value = param.default if row is None else param.parse(row.value)
        if cache is not None:
            cache[key] = value
    return list(value) if isinstance(value, list) else value


@transaction.atomic
def set_value(key: str, raw: Any, *, actor) -> Any:
    from . import audit
    from .models import ConfigValue
    from .scoping import require_role

    require_role(actor)
    if key not in _REGISTRY:
        raise ValidationFailed("unknown_parameter", f"未知参数：{key}", f"Unknown parameter: {key}")
    param = _REGISTRY[key]
    value = param.parse(raw)
    row = ConfigValue.objects.select_for_update().filter(key=key).first()
    before = {"value": param.to_json(param.parse(row.value) if row else param.default)}
    if row is None:
        row = ConfigValue(key=key)
    row.value = param.to_json(value)
    row.updated_by = actor
    row.save()
    cache = _request_values.get()
    if cache is not None:
        cache.pop(key, None)
    audit.record(actor=actor, action="config", obj=row, before=before, after={"value": row.value},
                 message=f"{param.label} / {param.label_en}", region_code="")
    return value
