"""Reading uploaded CSV and XLSX files of readings, row by row (streaming; never all in memory).

Columns (header names in Chinese or English, any order; other columns are kept in the raw record):

| field | headers accepted |
|---|---|
| device (required) | 设备编号 / device / serial |
| observed_at (required) | 观测时间 / observed_at / time |
| volume_m3 | 累计水量（立方米） / 累计水量 / volume_m3 |
| flow_m3s | 瞬时流量（立方米/秒） / 瞬时流量 / flow_m3s |
| level_m | 水位（米） / 水位 / level_m |
| battery_v | 电池电压（伏） / 电压 / battery_v |
| quality | 质量 / quality (正常、可疑、估算、人工抄录、无效 or good, suspect, …) |

CSV may be UTF-8 (with or without BOM) or GB18030/GBK (what Excel writes on Chinese Windows).
The header is the first non-empty row (XLSX: within the first three rows, so a title row is fine).
Row numbers in reports are the file's own row numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shuiquan.core.errors import ValidationFailed

from .ingestion import canonical

TEMPLATE_HEADERS = ["设备编号", "观测时间", "累计水量（立方米）", "瞬时流量（立方米/秒）", "水位（米）", "电池电压（伏）", "质量"]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed("bad_encoding", "无法识别文件编码（请使用 UTF-8 或 GBK）", "Unrecognised encoding (use UTF-8 or GBK)")


def _check_header(names: list[str]) -> list[str]:
    fields = canonical({n: None for n in names if n})
    missing = [label for key, label in (("device", "设备编号"), ("observed_at", "观测时间")) if key not in fields]
    if missing:
        raise ValidationFailed(
            "missing_columns", f"缺少必填列：{'、'.join(missing)}（表头须含 设备编号、观测时间）",
            f"Missing required columns: {', '.join(missing)} (the header needs device and observed_at)",
            detail={"missing": missing},
        )
    if not any(k in fields for k in ("volume_m3", "flow_m3s", "level_m", "battery_v")):
        raise ValidationFailed("missing_columns", "缺少测值列（累计水量、瞬时流量、水位或电池电压至少一列）",
                               "No value column (volume_m3, flow_m3s, level_m or battery_v)")
    return names


def csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    text = _decode(Path(path).read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    for number, row in enumerate(reader, start=1):
        if not any(c.strip() for c in row):
            continue
        if header is None:
            header = _check_header([c.strip() for c in row])
            continue
        record = {header[i] if i < len(header) and header[i] else f"column_{i + 1}": v for i, v in enumerate(row)}
        yield number, record
    if header is None:
        raise ValidationFailed("empty_file", "文件为空", "The file is empty")


def xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a corrupt file
        raise ValidationFailed("bad_file", "无法读取Excel文件（须为 .xlsx）", "The file could not be read as .xlsx") from None
    try:
        ws = wb.worksheets[0]
        header: list[str] | None = None
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = ["" if c is None else c for c in row]
            if not any(str(c).strip() for c in cells):
                continue
            if header is None:
                names = [str(c).strip() for c in cells]
                known = canonical({n: None for n in names if n})
                if "device" in known or "observed_at" in known or number >= 3:
                    header = _check_header(names)  # a title row above the header is allowed
                continue
            yield number, {header[i] if i < len(header) and header[i] else f"column_{i + 1}": v
                           for i, v in enumerate(cells)}
        if header is None:
            raise ValidationFailed("empty_file", "文件为空或未找到表头", "The file is empty or has no header row")
    finally:
        wb.close()


def rows(path: Path, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    return csv_rows(path) if kind == "csv" else xlsx_rows(path)


def count_rows(path: Path, kind: str) -> int:
    """Data rows (for the progress bar); validates the header on the way."""
    return sum(1 for _ in rows(path, kind))


def template(kind: str) -> bytes:
    """An empty upload template with the headers and one example row."""
    example = ["NY00001", "2026-11-01 08:00", "123456", "0.052", "", "3.6", "正常"]
    if kind == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(TEMPLATE_HEADERS)
        writer.writerow(example)
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    from shuiquan.core.xlsx import build_workbook

    return build_workbook("读数", TEMPLATE_HEADERS, [example])
