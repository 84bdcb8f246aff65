"""Reports for the finance bureau (XLSX, one workbook): trade funds by trade (F1–F3), account
balances, SNWD non-tax revenue and its distribution (F2), reserve proceeds (F3), reconciliation
exceptions, pledges and fee-collection-right transfers."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from . import funds
from .choices import AccountKind
from .models import FeeRightTransfer, FundEntry, FundLine, Pledge

BOLD = Font(bold=True)


def _sheet(wb: Workbook, title: str, headers: list[str], rows, first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title[:31]
    for c, h in enumerate(headers, start=1):
        ws.cell(row=1, column=c, value=h).font = BOLD
        ws.column_dimensions[get_column_letter(c)].width = max(12, min(40, len(h) * 2 + 2))
    r = 1
    for r, row in enumerate(rows, start=2):
        for c, v in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=v)
            if isinstance(v, Decimal):
                cell.number_format = "#,##0.00"
    ws.freeze_panes = "A2"
    return ws, r


def _local(dt_value):
    return timezone.localtime(dt_value).replace(tzinfo=None) if dt_value else None


def workbook() -> bytes:
    from shuiquan.trading.models import Trade

    wb = Workbook()
    trade_ids = FundEntry.objects.exclude(trade__isnull=True).values_list("trade_id", flat=True).distinct()
    trades = Trade.objects.filter(pk__in=list(trade_ids)).select_related("buyer_region").order_by("pk")
    rows = []
    for t in trades:
        f = funds.trade_funds(t)
        rows.append([t.number, t.get_trade_type_display(), t.get_status_display(), f.rule, t.total_price, f.price_paid, f.buyer_fee, f.seller_fee,
                     f.tax, f.net, "；".join(f"{k} {v}" for k, v in f.recipients.items()), f.deposits_held, f.settlement_balance,
                     "已对平" if not f.issues else "；".join(f.issues)])
    _sheet(wb, "交易资金明细", ["交易编号", "交易类型", "状态", "适用规则", "成交总价（元）", "已付价款", "受让方服务费", "转让方服务费", "代扣税费",
                           "划付合计", "收款方", "保证金余额", "结算账户余额", "对账"], rows, first=True)
    _sheet(wb, "账户余额", ["账户编码", "类别", "账户名称", "余额（元）"],
           [[a.code, a.get_kind_display(), a.name, b] for a, b in funds.balances()])
    f2 = FundLine.objects.filter(entry__rule="F2").select_related("entry__trade", "account").order_by("entry_id", "pk")
    _sheet(wb, "南水北调非税收入（F2）", ["凭证号", "日期", "交易", "类型", "账户", "金额（元）", "说明"],
           [[x.entry.number, x.entry.effective_date, x.entry.trade.number if x.entry.trade_id else "", x.entry.get_kind_display(), x.account.name,
             x.amount, x.memo] for x in f2])
    f3 = FundLine.objects.filter(account__kind=AccountKind.RESERVE_FUNDER).select_related("entry__trade", "account").order_by("entry_id")
    _sheet(wb, "收储水量收益（F3）", ["凭证号", "日期", "交易", "出资方", "金额（元）"],
           [[x.entry.number, x.entry.effective_date, x.entry.trade.number if x.entry.trade_id else "", x.account.name, x.amount] for x in f3])
    _sheet(wb, "对账差异", ["交易编号", "差异"], [[t.number, "；".join(issues)] for t, issues in funds.reconcile_all()])
    _sheet(wb, "用水权质押", ["登记编号", "类型", "用水权", "质权人", "起止年度", "每年质押水量（立方米）", "担保金额（元）", "状态", "登记时间"],
           [[p.number, p.get_kind_display(), p.right.number, p.bank.name, f"{p.first_year}–{p.last_year}", p.volume_m3, p.secured_amount,
             p.get_status_display(), _local(p.registered_at)] for p in Pledge.objects.select_related("right", "bank")])
    _sheet(wb, "供水收费权转让", ["登记编号", "转让方", "供水工程", "受让方/融资方", "金融机构", "融资金额（元）", "起始", "终止", "状态"],
           [[r.number, r.grantor.name, r.project, r.transferee, r.bank.name if r.bank_id else "", r.amount, r.start_date, r.end_date,
             r.get_status_display()] for r in FeeRightTransfer.objects.select_related("grantor", "bank")])
    entries = FundEntry.objects.select_related("trade").order_by("pk")
    _sheet(wb, "资金凭证", ["凭证号", "日期", "类型", "规则", "交易", "摘要", "凭证/流水号"],
           [[e.number, e.effective_date, e.get_kind_display(), e.rule, e.trade.number if e.trade_id else "", e.memo, e.reference]
            for e in entries])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
