"""XLSX workbook of the dual-control assessment, in the layout of the seed's tables:

- 表1-2 (use by region and year, 亿立方米, two decimals as the seed prints) for every year with data,
  with the computed total and, where the seed prints one, its printed total;
- 表2-1 (the 2025 total-use target and the non-conventional minimums 2021–2025 by region,
  亿立方米), with the computed city total;
- 考核结果 for the chosen year: every region's figures (m³), the S2 adjustment and each indicator's
  value, target and status, with the basis of each number.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from shuiquan.registry.choices import StatisticKind
from shuiquan.registry.models import DualControlTarget, NonConventionalMinimum

from .assessment import Book
from .choices import Status

YI = Decimal(100_000_000)
FILL = {Status.GREEN: "C6EFCE", Status.AMBER: "FFEB9C", Status.RED: "FFC7CE", Status.NONE: "EDEDED"}
BOLD = Font(bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _yi(m3, places: int = 2):
    if m3 is None:
        return None
    return (Decimal(m3) / YI).quantize(Decimal(1).scaleb(-places))


def _put(ws, row: int, col: int, value, places: int | None = None):
    cell = ws.cell(row=row, column=col, value=value)
    if places is not None:
        cell.number_format = "0." + "0" * places
    return cell


def _title(ws, text: str, width: int) -> None:
    ws.cell(row=1, column=1, value=text).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(row=1, column=1).alignment = CENTER


def _table_1_2(wb: Workbook, book: Book, years: list[int]) -> None:
    ws = wb.active
    ws.title = "表1-2 用水量"
    width = 1 + len(years)
    _title(ws, f"南阳市{years[0]}-{years[-1]}年用水量表", width)
    ws.cell(row=2, column=1, value="行政区").font = BOLD
    ws.merge_cells(start_row=2, start_column=1, end_row=3, end_column=1)
    ws.cell(row=2, column=2, value="年度用水量（亿m³）").font = BOLD
    ws.merge_cells(start_row=2, start_column=2, end_row=2, end_column=width)
    for i, y in enumerate(years, start=2):
        ws.cell(row=3, column=i, value=y).font = BOLD
    row = 4
    totals = {y: 0 for y in years}
    complete = {y: True for y in years}
    for county in book.counties:
        ws.cell(row=row, column=1, value=county.name)
        for i, y in enumerate(years, start=2):
            value, _basis = book.reported_use(county, y)
            if value is None:
                complete[y] = False
            else:
                totals[y] += value
            _put(ws, row, i, _yi(value), 2)
        row += 1
    ws.cell(row=row, column=1, value="合计").font = BOLD
    for i, y in enumerate(years, start=2):
        _put(ws, row, i, _yi(totals[y]) if complete[y] else None, 2).font = BOLD
    row += 1
    city = book.city
    printed = {y: book.stats.get((city.pk, y, "", StatisticKind.PRINTED_TOTAL)) for y in years} if city else {}
    if any(printed.values()):
        ws.cell(row=row, column=1, value="合计（原表）")
        for i, y in enumerate(years, start=2):
            _put(ws, row, i, _yi(printed[y][0]) if printed.get(y) else None, 2)
        row += 1
    ws.cell(row=row + 1, column=1, value="注：合计为各县（市、区）之和；“合计（原表）”为种子文件表1-2所印合计。2022年起为统计上报数据（市水利局录入）。")
    ws.column_dimensions["A"].width = 16
    for i in range(2, width + 1):
        ws.column_dimensions[get_column_letter(i)].width = 10


def _table_2_1(wb: Workbook, book: Book) -> None:
    ws = wb.create_sheet("表2-1 控制目标")
    years = [2021, 2022, 2023, 2024, 2025]
    _title(ws, "南阳市“十四五”期间用水总量控制目标表", 2 + len(years))
    ws.cell(row=2, column=1, value="行政分区").font = BOLD
    ws.merge_cells(start_row=2, start_column=1, end_row=3, end_column=1)
    ws.cell(row=2, column=2, value="用水总量（亿立方米）").font = BOLD
    ws.merge_cells(start_row=2, start_column=2, end_row=2, end_column=2 + len(years))
    ws.cell(row=3, column=2, value="2025年目标").font = BOLD
    for i, y in enumerate(years, start=3):
        ws.cell(row=3, column=i, value=f"非常规水最低利用量 {y}年").font = BOLD
    targets = {t.region_id: t.total_m3 for t in DualControlTarget.objects.filter(year=2025)}
    minimums = {(n.region_id, n.year): n.volume_m3 for n in NonConventionalMinimum.objects.all()}
    row = 4
    for county in book.counties:
        ws.cell(row=row, column=1, value=county.name)
        _put(ws, row, 2, _yi(targets.get(county.pk), 4), 4)
        for i, y in enumerate(years, start=3):
            _put(ws, row, i, _yi(minimums.get((county.pk, y)), 4), 4)
        row += 1
    ws.cell(row=row, column=1, value="全市合计").font = BOLD
    _put(ws, row, 2, _yi(sum(targets.get(c.pk, 0) for c in book.counties), 4), 4).font = BOLD
    for i, y in enumerate(years, start=3):
        _put(ws, row, i, _yi(sum(minimums.get((c.pk, y), 0) for c in book.counties), 4), 4).font = BOLD
    ws.column_dimensions["A"].width = 16
    for i in range(2, 3 + len(years)):
        ws.column_dimensions[get_column_letter(i)].width = 14


def _results(wb: Workbook, book: Book, year: int) -> None:
    from .assessment import assess_year

    ws = wb.create_sheet(f"考核结果 {year}")
    headers = ["行政区", "综合状态", "计量用水量（立方米）", "统计用水量（立方米）", "采用口径", "考核实测用水量（立方米）",
               "转出水量（立方米，计入本区）", "转入水量（立方米，不计入本区）", "考核用水量（立方米）", "用水总量控制指标（立方米）",
               "指标依据", "占指标比例", "总量状态", "万元GDP用水量（立方米）", "目标", "状态", "万元工业增加值用水量（立方米）", "目标", "状态",
               "农田灌溉水有效利用系数", "目标", "状态", "非常规水利用量（立方米）", "最低利用量", "状态", "地下水开采量（立方米）", "管控指标",
               "状态"]
    _title(ws, f"{year}年用水总量和强度双控考核结果（S2口径：转让方转出水量计入转让方、受让方转入水量不计入受让方）", len(headers))
    for col, h in enumerate(headers, start=1):
        c = ws.cell(row=2, column=col, value=h)
        c.font, c.alignment = BOLD, CENTER
    for r, ry in enumerate(assess_year(year, book), start=3):
        total = ry.measure("total_use")
        values = [ry.region.name, ry.status_label, ry.metered_m3, ry.reported_m3, str(ry.measured_basis), ry.measured_m3, ry.sold_m3,
                  ry.bought_m3, ry.assessed_m3, ry.cap_m3, str(ry.cap_basis), total.ratio, total.status_label]
        for key in ("per_10k_gdp", "per_10k_industrial_va", "irrigation_coefficient", "nonconventional", "groundwater"):
            m = ry.measure(key)
            values += [m.value, m.target, m.status_label]
        for col, v in enumerate(values, start=1):
            ws.cell(row=r, column=col, value=v)
        ws.cell(row=r, column=2).fill = PatternFill("solid", fgColor=FILL[ry.status])
    for i in range(1, len(headers) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 14
    ws.freeze_panes = "B3"


def workbook(year: int) -> bytes:
    book = Book()
    years = [y for y in book.years() if y <= max(year, 2021)]
    wb = Workbook()
    _table_1_2(wb, book, years)
    _table_2_1(wb, book)
    _results(wb, book, year)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
