"""XLSX export of any list and a strict importer (openpyxl).

Export: ``export_rows(title, columns, rows)`` returns an ``.xlsx`` response; list pages call it
with the same columns they show. Import: ``read_sheet(file, columns)`` parses a workbook into dicts
with the row number of each, and refuses files that are not XLSX or exceed the size limit.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .errors import ValidationFailed
from .uploads import check_upload

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, Decimal, str, dt.date, dt.datetime, bool)):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    if hasattr(value, "label"):
        return str(value.label)
    return str(value)


def build_workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], note: str = "") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    start = 1
    if note:
        ws.cell(row=1, column=1, value=note).font = Font(italic=True)
        start = 2
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=start, column=col, value=str(header))
        cell.font = Font(bold=True)
        ws.column_dimensions[get_column_letter(col)].width = max(12, min(40, len(str(header)) * 2 + 4))
    for r, row in enumerate(rows, start=start + 1):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=_cell(value))
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_response(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_MIME)
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def export_rows(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], note: str = "") -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(f"{title}-{stamp}.xlsx", build_workbook(title, headers, rows, note))


def read_sheet(upload, headers: dict[str, str], *, required: Sequence[str] = ()) -> list[tuple[int, dict[str, Any]]]:
    """Rows of the first sheet as ``(row_number, {field: value})``.

    ``headers`` maps the header text in the file (Chinese, as exported) to the field name; the
    English field name is accepted as a header too. Blank rows are skipped. A missing required
    column refuses the whole file.
    """
    check_upload(upload, kinds=("xlsx",))
    try:
        wb = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a corrupt file
        raise ValidationFailed("bad_file", "无法读取Excel文件（须为 .xlsx）", "The file could not be read as .xlsx") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    lookup = {**{k.strip(): v for k, v in headers.items()}, **{v: v for v in headers.values()}}
    header_row = None
    header_index = 0
    for header_index, row in enumerate(rows, start=1):
        names = [str(c).strip() if c is not None else "" for c in row]
        if any(n in lookup for n in names):
            header_row = names
            break
        if header_index >= 3:
            break
    if header_row is None:
        raise ValidationFailed("bad_header", "未找到表头行", "No header row found")
    fields = [lookup.get(n) for n in header_row]
    missing = [f for f in required if f not in fields]
    if missing:
        raise ValidationFailed(
            "missing_columns", f"缺少必填列：{'、'.join(missing)}", f"Missing required columns: {', '.join(missing)}",
            detail={"missing": missing},
        )
    out = []
    for number, row in enumerate(rows, start=header_index + 1):
        if row is None or all(c is None or str(c).strip() == "" for c in row):
            continue
        record = {}
        for field, value in zip(fields, row, strict=False):
            if field:
                record[field] = value.strip() if isinstance(value, str) else value
        out.append((number, record))
    wb.close()
    return out
