"""XLSX import of water users (取用水户) and withdrawal permits (取水许可证).

``run_import(kind, upload, actor=…, dry_run=…)`` reads the first sheet, parses and validates every
row, and creates each valid row through the registry services (scope, ``full_clean``, audit) inside
ONE transaction. A preview (``dry_run=True``) and a file with any bad row are rolled back
completely, so a file either imports entirely or not at all. The report lists every bad row with
its row number, column and reason in Chinese and English.

``template(kind)`` is the empty workbook with the headers (and a note row) that users fill in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import translation

from shuiquan.core.errors import DomainError, Forbidden
from shuiquan.core.scoping import VIEW, can_add
from shuiquan.core.xlsx import build_workbook, read_sheet

from . import services
from .choices import PermitStatus, WaterUse, WaterUserKind, WithdrawalMethod
from .models import Authority, IrrigationDistrict, Region, Sector, WaterSource, WaterUser, WithdrawalPermit

BIGINT_MAX = 9_223_372_036_854_775_807


@dataclass
class RowError:
    row: int
    field: str
    column: str
    column_en: str
    message: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "column": self.column, "column_en": self.column_en,
                "message": self.message, "message_en": self.message_en}


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    rows: int = 0
    created: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    executed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "dry_run": self.dry_run, "rows": self.rows, "executed": self.executed,
                "ok": self.ok, "created": self.created, "errors": [e.as_dict() for e in self.errors]}


class _CellError(Exception):
    def __init__(self, message: str, message_en: str):
        super().__init__(message)
        self.message, self.message_en = message, message_en


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    header_en: str
    parse: Callable[[Any, Any], Any]
    required: bool = False


# --- cell parsers (value, actor) → python value; raise _CellError ---------------------------------


def _text(value, actor):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _volume(value, actor):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _CellError("须为整数（立方米）", "must be a whole number of cubic metres")
    if isinstance(value, float):
        if not value.is_integer():
            raise _CellError("须为整数（立方米），不能有小数", "must be a whole number of cubic metres")
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        try:
            d = Decimal(str(value).replace(",", "").replace("，", "").strip())
        except InvalidOperation:
            raise _CellError(f"不是数字：{value}", f"not a number: {value}") from None
        if d != d.to_integral_value():
            raise _CellError("须为整数（立方米），不能有小数", "must be a whole number of cubic metres")
        number = int(d)
    if number < 0:
        raise _CellError("水量不能为负数", "a volume cannot be negative")
    if number > BIGINT_MAX:
        raise _CellError("数值过大", "the number is too large")
    return number


def _date(value, actor):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    try:
        y, m, d = (int(p) for p in text.split("-"))
        return dt.date(y, m, d)
    except (ValueError, TypeError):
        raise _CellError(f"日期格式应为 YYYY-MM-DD：{value}", f"dates are YYYY-MM-DD: {value}") from None


def _bool(value, actor):
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("是", "y", "yes", "true", "1", "√"):
        return True
    if text in ("否", "n", "no", "false", "0", ""):
        return False
    raise _CellError(f"应填“是”或“否”：{value}", f"must be yes or no: {value}")


def _choice(choices: type[models.TextChoices]):
    def parse(value, actor):
        text = _text(value, actor)
        if not text:
            return ""
        for val, label in choices.choices:
            if text in (val, str(label)):
                return val
            with translation.override("en"):
                if text.lower() == str(label).lower():
                    return val
        allowed = "、".join(str(label) for _v, label in choices.choices)
        raise _CellError(f"“{text}”不是有效选项（可选：{allowed}）", f"'{text}' is not a valid choice (one of: {', '.join(choices.values)})")

    return parse


def _lookup(model: type[models.Model], label: str, label_en: str, keys: Callable[[str], Q], *, scoped: bool = True):
    def parse(value, actor):
        text = _text(value, actor)
        if not text:
            return None
        qs = model._default_manager.all()
        if scoped and hasattr(qs, "restrict"):
            qs = qs.restrict(actor, VIEW)
        found = list(qs.filter(keys(text))[:2])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise _CellError(f"{label}“{text}”不唯一，请填写编码", f"{label_en} '{text}' is ambiguous; use its code")
        raise _CellError(f"未找到{label}“{text}”（或不在您的管辖范围内）", f"{label_en} '{text}' not found (or outside your scope)")

    return parse


_region = _lookup(Region, "行政区", "region", lambda t: Q(name=t) | Q(code=t) | Q(name_en__iexact=t))
_sector = _lookup(Sector, "行业", "sector", lambda t: Q(code=t) | Q(name=t), scoped=False)
_authority = _lookup(Authority, "机关", "authority", lambda t: Q(name=t))
_source = _lookup(WaterSource, "水源", "water source", lambda t: Q(name=t))
_district = _lookup(IrrigationDistrict, "灌区", "irrigation district", lambda t: Q(name=t))
_holder = _lookup(WaterUser, "取水权人", "permit holder", lambda t: Q(credit_code=t.upper()) | Q(name=t))


WATER_USER_COLUMNS = [
    Column("name", "名称", "Name", _text, required=True),
    Column("kind", "类型", "Kind", _choice(WaterUserKind)),
    Column("credit_code", "统一社会信用代码", "Unified social credit code", lambda v, a: _text(v, a).upper() or None),
    Column("sector", "行业（GB/T 4754 代码）", "Sector (GB/T 4754 code)", _sector),
    Column("region", "所在行政区", "Region", _region, required=True),
    Column("address", "地址", "Address", _text),
    Column("is_public_supply", "公共供水（是/否）", "Public supply (yes/no)", _bool),
    Column("legal_representative", "法定代表人", "Legal representative", _text),
    Column("contact_name", "联系人", "Contact", _text),
    Column("contact_phone", "联系电话", "Phone", _text),
    Column("contact_email", "电子邮箱", "Email", _text),
    Column("comments", "备注", "Comments", _text),
]

PERMIT_COLUMNS = [
    Column("number", "许可证编号（空则自动编号）", "Permit number (blank: issued automatically)", _text),
    Column("holder", "取水权人（统一社会信用代码或名称）", "Holder (credit code or name)", _holder, required=True),
    Column("region", "取水地行政区", "Region of withdrawal", _region, required=True),
    Column("approving_authority", "审批机关", "Approving authority", _authority, required=True),
    Column("supervising_authority", "监管机关", "Supervising authority", _authority),
    Column("source", "水源", "Water source", _source, required=True),
    Column("withdrawal_method", "取水方式", "Withdrawal method", _choice(WithdrawalMethod), required=True),
    Column("use", "取水用途", "Use", _choice(WaterUse), required=True),
    Column("sector", "行业（GB/T 4754 代码）", "Sector (GB/T 4754 code)", _sector),
    Column("annual_volume_m3", "年许可水量（立方米）", "Annual permitted volume (m3)", _volume, required=True),
    Column("max_daily_volume_m3", "最大日取水量（立方米）", "Maximum daily volume (m3)", _volume),
    Column("return_water_location", "退水地点", "Return-water location", _text),
    Column("return_water_volume_m3", "年退水量（立方米）", "Annual return-water volume (m3)", _volume),
    Column("issued_on", "发证日期", "Date of issue", _date, required=True),
    Column("valid_from", "有效期起（空则同发证日期）", "Valid from (blank: date of issue)", _date),
    Column("valid_to", "有效期止（空则5年）", "Valid to (blank: 5 years)", _date),
    Column("status", "状态（空则新发）", "Status (blank: new)", _choice(PermitStatus)),
    Column("irrigation_district", "灌区", "Irrigation district", _district),
    Column("comments", "备注", "Comments", _text),
]


@dataclass(frozen=True)
class ImportSpec:
    kind: str
    model: type[models.Model]
    title: str
    title_en: str
    columns: list[Column]
    unique_fields: tuple[str, ...]


SPECS = {
    "water_users": ImportSpec("water_users", WaterUser, "取用水户导入", "Water users import", WATER_USER_COLUMNS, ("credit_code",)),
    "permits": ImportSpec("permits", WithdrawalPermit, "取水许可证导入", "Withdrawal permits import", PERMIT_COLUMNS, ("number",)),
}


def spec_for(kind: str) -> ImportSpec:
    try:
        return SPECS[kind]
    except KeyError:
        raise DomainError("unknown_import", f"未知的导入类型：{kind}", f"Unknown import kind: {kind}", status=404) from None


def template(kind: str) -> bytes:
    spec = spec_for(kind)
    required = "、".join(c.header for c in spec.columns if c.required)
    note = f"{spec.title}模板：第2行为表头，从第3行起每行一条；必填列：{required}。整个文件有任何一行有误则全部不导入。"
    return build_workbook(spec.title, [c.header for c in spec.columns], [], note)


class _Rollback(Exception):
    pass


def _both(messages_of: Callable[[], list[str]]) -> tuple[str, str]:
    with translation.override("zh-hans"):
        zh = "；".join(messages_of())
    with translation.override("en"):
        en = "; ".join(messages_of())
    return zh, en


def _validation_errors(exc: ValidationError) -> list[tuple[str, str, str]]:
    out = []
    errors = exc.error_dict if hasattr(exc, "error_dict") else {"__all__": exc.error_list}
    for name, errs in errors.items():
        for err in errs:
            zh, en = _both(lambda err=err: list(err))
            out.append((name, zh, en))
    return out


def run_import(kind: str, upload, *, actor, dry_run: bool = True) -> ImportReport:
    """Preview (``dry_run``) or execute an import; see the module docstring."""
    spec = spec_for(kind)
    if not can_add(actor, spec.model):
        raise Forbidden(code="role_required", message="您的角色不能导入此类记录", message_en="Your role cannot import these records")
    headers: dict[str, str] = {}
    for c in spec.columns:
        headers[c.header] = c.field
        headers[c.header_en] = c.field
        headers[c.header.split("（")[0]] = c.field  # the short header (without the hint) is accepted too
    rows = read_sheet(upload, headers, required=[c.field for c in spec.columns if c.required])
    by_field = {c.field: c for c in spec.columns}
    report = ImportReport(kind=kind, dry_run=dry_run, rows=len(rows))
    if not rows:
        report.errors.append(RowError(0, "", "", "", "文件中没有数据行", "The file has no data rows"))
        return report

    def error(number, name, zh, en):
        col = by_field.get(name)
        report.errors.append(RowError(number, name, col.header if col else ("整行" if name == "__all__" else name),
                                      col.header_en if col else ("row" if name == "__all__" else name), zh, en))

    try:
        with transaction.atomic():
            seen: dict[tuple[str, Any], int] = {}
            for number, record in rows:
                before = len(report.errors)
                data: dict[str, Any] = {}
                for col in spec.columns:
                    raw = record.get(col.field)
                    try:
                        value = col.parse(raw, actor)
                    except _CellError as exc:
                        error(number, col.field, exc.message, exc.message_en)
                        continue
                    if col.required and value in (None, ""):
                        error(number, col.field, "必填", "required")
                        continue
                    if value not in (None, "") or col.field in ("is_public_supply",):
                        data[col.field] = value
                if len(report.errors) > before:
                    continue
                for name in spec.unique_fields:
                    value = data.get(name)
                    if value:
                        if (name, value) in seen:
                            error(number, name, f"与第{seen[(name, value)]}行重复：{value}", f"duplicates row {seen[(name, value)]}: {value}")
                        seen[(name, value)] = number
                if len(report.errors) > before:
                    continue
                try:
                    services.ensure_region_writable(actor, data.get("region"))
                except DomainError as exc:
                    error(number, "region", exc.message, exc.message_en)
                    continue
                # Model validation first, with messages in both languages.
                if spec.model is WithdrawalPermit:
                    candidate = dict(services.prepare_permit_data(data))
                    exclude = [] if candidate.get("number") else ["number"]
                else:
                    candidate, exclude = dict(data), []
                try:
                    spec.model(**candidate).full_clean(exclude=exclude)
                except ValidationError as exc:
                    for name, zh, en in _validation_errors(exc):
                        error(number, name, zh, en)
                    continue
                try:
                    with transaction.atomic():
                        obj = services.create_record(
                            spec.model, actor=actor, data=data, message=f"XLSX导入（{spec.title}）第{number}行",
                        )
                except DomainError as exc:
                    fields = exc.detail.get("fields") if isinstance(exc.detail, dict) else None
                    if fields:
                        for name, msgs in fields.items():
                            error(number, name, "；".join(msgs), exc.message_en)
                    else:
                        error(number, "__all__", exc.message, exc.message_en)
                    continue
                report.created.append({"row": number, "id": obj.pk, "repr": str(obj)})
            if dry_run or report.errors:
                raise _Rollback
    except _Rollback:
        pass
    report.executed = not dry_run and not report.errors
    if not report.executed:
        if not dry_run:
            report.created = []
    return report
