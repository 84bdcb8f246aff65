"""The trade funds ledger (交易资金, §7.6.3, rules F1–F3): a double-entry money ledger in Decimal
yuan. Every movement is a ``FundEntry`` whose ``FundLine`` amounts sum to zero to the fen; a line
is positive when money arrives at an account.

Where the entries come from:

- **Trading's payment records.** Each ``trading.Payment`` is mirrored by exactly one entry, in the
  same transaction (``post_payment``, called when trading records the payment):

  ====================  ==========================================================
  payment               entry (accounts)
  ====================  ==========================================================
  deposit               intending buyer −A, deposits held +A
  deposit_refund        deposits held −A, intending buyer +A
  deposit_applied       deposits held −A, settlement +A (the deposit becomes price)
  price                 buyer −A, settlement +A
  fee_buyer             buyer −A, platform fees +A
  fee_seller            settlement −A, platform fees +A
  proceeds              settlement −(A + tax), tax withheld +tax, recipients +A
  ====================  ==========================================================

  The recipients of the proceeds (F1–F3): SNWD cross-region proceeds are non-tax revenue (F2);
  proceeds of reserve volume go to whoever funded the reserve (F3); otherwise the seller (F1). A
  pledged right's proceeds go first to the pledgee, up to the secured amount still outstanding
  (pledge enforcement, or an income pledge), the rest to the F1/F3 recipient.
- **Order-book fills** record their amounts on the trade only; the finance bureau records the
  buyer's payment (``record_orderbook_payment``): buyer −total, fees, tax, seller +net.
- **F2 distribution** (``distribute_snwd_revenue``): the finance bureau allocates a trade's SNWD
  non-tax revenue to the counties' rewards (in proportion to the volume each county gave the city
  reserve) and to the earmarked uses (parameters, placeholders).

Taxes: ``tax_for(trade)`` = total price × ``finance.tax_rate`` (irrigation trades:
``finance.tax_rate_irrigation``), to the fen; trading deducts it when it computes the proceeds, so
the seller receives price × volume − fees − taxes. ``reconcile`` checks every trade's entries
against trading's records; ``verify_book`` checks that every entry balances.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from shuiquan.core import audit, config
from shuiquan.core.errors import Conflict, ValidationFailed
from shuiquan.core.roles import Role
from shuiquan.core.scoping import require_role
from shuiquan.core.units import FEN, money, split_by_weights

from .choices import AccountKind, Earmark, EntryKind
from .models import FundAccount, FundEntry, FundLine

ZERO = Decimal("0.00")


# ---------------------------------------------------------------------------------------------
# Rates
# ---------------------------------------------------------------------------------------------


def tax_rate(trade) -> Decimal:
    key = "finance.tax_rate_irrigation" if trade.trade_type == "irrigation" else "finance.tax_rate"
    return Decimal(config.get(key))


def tax_for(trade, total: Decimal | None = None) -> Decimal:
    """Tax withheld from the seller's proceeds: total price × the rate, to the fen (half up)."""
    total = trade.total_price if total is None else total
    if not total:
        return ZERO
    return money(Decimal(total) * tax_rate(trade))


def earmark_shares() -> list[tuple[str, Decimal]]:
    raw = str(config.get("finance.snwd_earmark_shares") or "")
    out = []
    for part in raw.replace("，", ",").split(","):
        if not part.strip():
            continue
        key, _, weight = part.partition(":")
        key = key.strip()
        if key not in Earmark.values:
            raise ValidationFailed("bad_earmark", f"参数 finance.snwd_earmark_shares 中的用途无效：{key}",
                                   f"Unknown earmarked use in finance.snwd_earmark_shares: {key}")
        try:
            value = Decimal(weight.strip())
        except ArithmeticError:
            raise ValidationFailed("bad_earmark", "专项用途比例须为数字", "Earmark shares must be numbers") from None
        if value < 0:
            raise ValidationFailed("bad_earmark", "专项用途比例不能为负", "Earmark shares cannot be negative")
        out.append((key, value))
    if not out or sum(w for _k, w in out) <= 0:
        raise ValidationFailed("bad_earmark", "未设置南水北调收益专项用途比例", "No earmark shares are set")
    return out


def split_money(total: Decimal, weights: list[Decimal | int]) -> list[Decimal]:
    """Split ``total`` yuan by ``weights`` to the fen so the parts add up exactly (largest remainder)."""
    fen = int((Decimal(total) / FEN).to_integral_value())
    return [Decimal(p) * FEN for p in split_by_weights(fen, weights)]


# ---------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------

PLATFORM_ACCOUNTS = {
    AccountKind.SETTLEMENT: ("platform:settlement", "南阳市水权交易平台 交易资金结算账户"),
    AccountKind.DEPOSITS: ("platform:deposits", "南阳市水权交易平台 保证金专户"),
    AccountKind.FEES: ("platform:fees", "南阳市水权交易平台 交易服务费收入"),
    AccountKind.TAX: ("tax:withheld", "代扣代缴税费（待缴税务机关）"),
    AccountKind.NON_TAX: ("treasury:snwd_non_tax", "南阳市财政 南水北调水量交易非税收入"),
}


def _account(code: str, kind: str, name: str, region=None) -> FundAccount:
    acct = FundAccount.objects.filter(code=code).first()
    if acct is None:
        acct, _ = FundAccount.objects.get_or_create(code=code, defaults={"kind": kind, "name": name[:200], "region": region})
    return acct


def platform(kind: str) -> FundAccount:
    code, name = PLATFORM_ACCOUNTS[kind]
    return _account(code, kind, name)


def party_account(ref: str) -> FundAccount:
    """A trade party's account, by trading's party reference (``permit:12``, ``region:3``…).
    Households are named by their code only: the funds pages are read by roles that may not see
    households' names."""
    from shuiquan.trading.parties import parse_ref

    party = parse_ref(ref)
    name = f"灌溉用水户 {party.obj.code}" if party.kind == "household" else party.name
    return _account(f"party:{ref}", AccountKind.PARTY, name, region=party.region)


def seller_ref(trade) -> str:
    from shuiquan.trading.parties import party_of_right

    return party_of_right(trade.seller_right).ref


def reserve_funder_account(reserve) -> FundAccount:
    return _account(f"reserve_funder:{reserve.pk}", AccountKind.RESERVE_FUNDER, f"{reserve.funder}（{reserve.name}出资方）",
                    region=reserve.region)


def pledgee_account(bank) -> FundAccount:
    return _account(f"pledgee:{bank.pk}", AccountKind.PLEDGEE, f"{bank.name}（质权人）")


def earmark_account(key: str) -> FundAccount:
    return _account(f"earmark:{key}", AccountKind.EARMARKED, f"南水北调水量交易收益：{Earmark(key).label}")


def county_reward_account(region) -> FundAccount:
    return _account(f"county_reward:{region.code or region.pk}", AccountKind.COUNTY_REWARD, f"{region.name}（南水北调交易奖励）",
                    region=region)


# ---------------------------------------------------------------------------------------------
# Posting
# ---------------------------------------------------------------------------------------------


@dataclass
class L:
    account: FundAccount
    amount: Decimal
    memo: str = ""


def _check(lines: list[L]) -> list[L]:
    if len(lines) < 2:
        raise ValidationFailed("entry_too_short", "一张资金凭证至少需要两行", "A fund entry needs at least two lines")
    out = []
    for line in lines:
        if isinstance(line.amount, float) or not isinstance(line.amount, (Decimal, int)):
            raise ValidationFailed("invalid_amount", "金额须为十进制数（元）", "Amounts must be Decimal yuan")
        amount = Decimal(line.amount)
        if amount != amount.quantize(FEN):
            raise ValidationFailed("sub_fen", "金额须精确到分", "Amounts must be whole fen")
        if amount == 0:
            continue
        out.append(L(line.account, amount.quantize(FEN), line.memo))
    total = sum((line.amount for line in out), ZERO)
    if total != 0:
        raise ValidationFailed("unbalanced_entry", f"资金凭证不平衡：各行之和为 {total} 元", f"Unbalanced fund entry: lines sum to {total} yuan",
                               detail={"sum": str(total)})
    if len(out) < 2:
        raise ValidationFailed("entry_too_short", "一张资金凭证至少需要两行非零金额", "A fund entry needs at least two non-zero lines")
    return out


@transaction.atomic
def post(*, kind: str, lines: list[L], memo: str, actor=None, trade=None, payment=None, rule: str = "", reference: str = "",
         pledge=None, reverses: FundEntry | None = None, is_demo: bool = False) -> FundEntry:
    """Post one balanced entry (lines sum to zero to the fen) with its audit record."""
    lines = _check(lines)
    entry = FundEntry.objects.create(
        kind=kind, rule=rule, trade=trade, payment=payment, memo=memo[:300], reference=(reference or "")[:80],
        effective_date=timezone.localdate(), created_by=actor if getattr(actor, "pk", None) else None, reverses=reverses,
        pledge=pledge, is_demo=is_demo,
    )
    FundLine.objects.bulk_create([FundLine(entry=entry, account=line.account, amount=line.amount, memo=line.memo[:200]) for line in lines])
    entry.number = f"ZJ{entry.effective_date:%Y}{entry.pk:07d}"
    FundEntry.objects.filter(pk=entry.pk).update(number=entry.number)
    audit.record(actor=actor, action="fund_entry", obj=entry, region_code="",
                 after={"kind": kind, "rule": rule, "memo": memo, "trade": getattr(trade, "pk", None),
                        "payment": getattr(payment, "pk", None),
                        "lines": [[line.account.code, str(line.amount)] for line in lines]})
    return entry


# ---------------------------------------------------------------------------------------------
# From trading's payment records
# ---------------------------------------------------------------------------------------------


def is_snwd_cross_region(trade) -> bool:
    """F2: an SNWD trade whose buyer is outside the city (e.g. 郑州市)."""
    return bool(trade.is_snwd and trade.buyer_region_id and trade.buyer_region.kind == "outside")


def pledge_for(trade):
    """The pledge whose pledgee is paid first from this trade's proceeds: the pledge being enforced
    through this trade, else an active income pledge on the seller's right."""
    from .models import Pledge, PledgeKind, PledgeStatus

    enforced = Pledge.objects.filter(enforcement_trade=trade).select_related("bank").first()
    if enforced is not None:
        return enforced
    return (Pledge.objects.filter(right=trade.seller_right, kind=PledgeKind.INCOME_PLEDGE,
                                  status__in=[PledgeStatus.REGISTERED, PledgeStatus.ENFORCING])
            .select_related("bank").order_by("registered_at", "pk").first())


def paid_to_pledgee(pledge) -> Decimal:
    acct = FundAccount.objects.filter(code=f"pledgee:{pledge.bank_id}").first()
    if acct is None:
        return ZERO
    return FundLine.objects.filter(account=acct, entry__pledge=pledge).aggregate(s=Sum("amount"))["s"] or ZERO


def recipients(trade, amount: Decimal) -> tuple[list[L], str, object]:
    """Who receives ``amount`` of net proceeds (F1–F3, pledgee first) → (lines, rule, pledge)."""
    if is_snwd_cross_region(trade):
        return [L(platform(AccountKind.NON_TAX), amount, "F2 南水北调跨区域交易收益，纳入非税收入")], "F2", None
    if trade.seller_reserve_id:
        base, rule, note = reserve_funder_account(trade.seller_reserve), "F3", "F3 收储水量交易收入归出资收储方"
    else:
        base, rule, note = party_account(seller_ref(trade)), "F1", "F1 扣除税费后归转让方"
    pledge = pledge_for(trade)
    if pledge is None:
        return [L(base, amount, note)], rule, None
    outstanding = max(ZERO, pledge.secured_amount - paid_to_pledgee(pledge))
    first = min(amount, outstanding)
    lines = []
    if first > 0:
        lines.append(L(pledgee_account(pledge.bank), first, f"质权人优先受偿（{pledge.number}）"))
    if amount - first > 0:
        lines.append(L(base, amount - first, note))
    if not lines:
        lines.append(L(base, amount, note))
    return lines, rule, pledge if first > 0 else None


def post_payment(payment) -> FundEntry | None:
    """Mirror one trading payment record as a balanced entry (idempotent: one entry per payment)."""
    from shuiquan.trading.choices import PaymentKind

    existing = FundEntry.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    trade = payment.trade
    amount = money(payment.amount)
    actor = payment.recorded_by
    demo = payment.is_demo
    if amount == 0:
        return None
    memo = f"{payment.get_kind_display()} {trade.number if trade else ''}".strip()
    kind = payment.kind
    if kind in (PaymentKind.DEPOSIT, PaymentKind.DEPOSIT_REFUND):
        buyer = party_account(payment.intent.buyer_ref)
        sign = -1 if kind == PaymentKind.DEPOSIT else 1
        lines = [L(buyer, sign * amount), L(platform(AccountKind.DEPOSITS), -sign * amount)]
        entry_kind = EntryKind.DEPOSIT if kind == PaymentKind.DEPOSIT else EntryKind.DEPOSIT_REFUND
        return post(kind=entry_kind, lines=lines, memo=memo, actor=actor, trade=trade, payment=payment, reference=payment.reference,
                    is_demo=demo)
    if kind == PaymentKind.DEPOSIT_APPLIED:
        lines = [L(platform(AccountKind.DEPOSITS), -amount), L(platform(AccountKind.SETTLEMENT), amount)]
        return post(kind=EntryKind.DEPOSIT_APPLIED, lines=lines, memo=memo, actor=actor, trade=trade, payment=payment,
                    reference=payment.reference, is_demo=demo)
    if kind in (PaymentKind.PRICE, PaymentKind.FEE_BUYER):
        buyer = party_account(trade.buyer_ref)
        target = platform(AccountKind.SETTLEMENT) if kind == PaymentKind.PRICE else platform(AccountKind.FEES)
        entry_kind = EntryKind.PRICE if kind == PaymentKind.PRICE else EntryKind.BUYER_FEE
        return post(kind=entry_kind, lines=[L(buyer, -amount), L(target, amount)], memo=memo, actor=actor, trade=trade, payment=payment,
                    reference=payment.reference, is_demo=demo)
    if kind == PaymentKind.FEE_SELLER:
        lines = [L(platform(AccountKind.SETTLEMENT), -amount), L(platform(AccountKind.FEES), amount)]
        return post(kind=EntryKind.SELLER_FEE, lines=lines, memo=memo, actor=actor, trade=trade, payment=payment,
                    reference=payment.reference, is_demo=demo)
    if kind == PaymentKind.PROCEEDS:
        tax = money(trade.total_price - (trade.seller_fee or ZERO) - amount)
        if tax < 0:
            raise ValidationFailed("proceeds_exceed_price", "划付金额大于成交价款减服务费", "Proceeds exceed the price less fees")
        out, rule, pledge = recipients(trade, amount)
        lines = [L(platform(AccountKind.SETTLEMENT), -(amount + tax))]
        if tax:
            lines.append(L(platform(AccountKind.TAX), tax, "代扣代缴税费"))
        lines += out
        return post(kind=EntryKind.SETTLEMENT, lines=lines, memo=f"结算划付 {trade.number}（{rule}）", actor=actor, trade=trade,
                    payment=payment, rule=rule, reference=payment.reference, pledge=pledge, is_demo=demo)
    raise ValidationFailed("unknown_payment_kind", f"未知的资金记录类型：{kind}", f"Unknown payment kind: {kind}")


@transaction.atomic
def backfill(*, actor=None) -> int:
    """Post entries for any trading payment without one (e.g. recorded before the funds ledger)."""
    from shuiquan.trading.models import Payment

    n = 0
    for payment in Payment.objects.filter(fund_entry__isnull=True).select_related("trade", "intent").order_by("pk"):
        if post_payment(payment) is not None:
            n += 1
    return n


def _require_finance(actor):
    require_role(actor, Role.FINANCE_OFFICER, message="交易资金由市财政局或市水利局记账",
                 message_en="Only the finance bureau or the city water bureau posts trade funds")


@transaction.atomic
def record_orderbook_payment(trade, *, actor, reference: str) -> FundEntry:
    """The buyer's payment for an order-book fill (its amounts are on the trade): buyer −(total +
    buyer fee), fees, tax, seller +net (T9: all of it when fees and tax are 0)."""
    from shuiquan.trading.choices import TradeMode
    from shuiquan.trading.models import Trade

    _require_finance(actor)
    trade = Trade.objects.select_for_update(of=("self",)).get(pk=trade.pk)
    if trade.mode != TradeMode.ORDER_BOOK or trade.total_price is None:
        raise Conflict("not_orderbook", "只有委托撮合成交的交易在此记录价款", "Only order-book fills are recorded here")
    if trade.fund_entries.filter(kind=EntryKind.ORDERBOOK, reversed_by__isnull=True).exclude(reverses__isnull=False).exists():
        raise Conflict("already_recorded", "该成交的价款已记录", "This fill's payment is already recorded")
    if not (reference or "").strip():
        raise ValidationFailed("reference_required", "须填写付款凭证号", "A payment reference is required",
                               detail={"fields": {"reference": ["须填写付款凭证号"]}})
    total = money(trade.total_price)
    seller_fee, buyer_fee = money(trade.seller_fee or 0), money(trade.buyer_fee or 0)
    tax = tax_for(trade)
    net = total - seller_fee - tax
    lines = [L(party_account(trade.buyer_ref), -(total + buyer_fee), "受让方付款")]
    if seller_fee + buyer_fee:
        lines.append(L(platform(AccountKind.FEES), seller_fee + buyer_fee, "交易服务费"))
    if tax:
        lines.append(L(platform(AccountKind.TAX), tax, "代扣代缴税费"))
    out, rule, pledge = recipients(trade, net)
    lines += out
    return post(kind=EntryKind.ORDERBOOK, lines=lines, memo=f"委托撮合成交价款 {trade.number}（{rule}）", actor=actor, trade=trade,
                rule=rule, reference=reference.strip(), pledge=pledge, is_demo=trade.is_demo)


# ---------------------------------------------------------------------------------------------
# F2: SNWD non-tax revenue → county rewards and earmarked uses
# ---------------------------------------------------------------------------------------------


def snwd_revenue(trade) -> Decimal:
    """Non-tax revenue from ``trade`` not yet distributed."""
    acct = platform(AccountKind.NON_TAX)
    return FundLine.objects.filter(account=acct, entry__trade=trade).aggregate(s=Sum("amount"))["s"] or ZERO


def contributing_counties(trade) -> dict:
    """Counties whose volume the city reserve bought (T2) in the years of ``trade``, with the volume
    each gave: the basis of their reward (F2)."""
    from shuiquan.ledger.choices import EntryKind as VolumeEntry
    from shuiquan.ledger.models import Posting
    from shuiquan.registry.choices import COUNTY_LEVEL

    right = trade.seller_right
    if right.kind != "reserve":
        region = trade.seller_region
        return {region: trade.volume_m3} if region is not None and region.kind in COUNTY_LEVEL else {}
    entries = Posting.objects.filter(right=right, amount__gt=0, year__in=trade.years(), entry__kind=VolumeEntry.RESERVE_PURCHASE,
                                     entry__reversed_by__isnull=True).values_list("entry_id", flat=True)
    out: dict = defaultdict(int)
    for p in Posting.objects.filter(entry_id__in=list(entries), amount__lt=0, year__in=trade.years()).select_related("right__region"):
        region = p.right.region
        if region is not None and region.kind in COUNTY_LEVEL:
            out[region] += -p.amount
    return dict(out)


@transaction.atomic
def distribute_snwd_revenue(trade, *, actor, note: str = "") -> FundEntry:
    """F2: allocate a trade's SNWD non-tax revenue: ``finance.snwd_county_reward_pct`` % to the
    counties that gave the city reserve its volume (in proportion to that volume), the rest to the
    earmarked uses by ``finance.snwd_earmark_shares``. Everything to the fen; the entry balances."""
    from shuiquan.trading.models import Trade

    _require_finance(actor)
    trade = Trade.objects.select_for_update(of=("self",)).get(pk=trade.pk)
    if not is_snwd_cross_region(trade):
        raise Conflict("not_snwd", "只有南水北调跨区域交易的收益纳入非税收入分配（F2）", "Only SNWD cross-region proceeds are distributed (F2)",
                       rule="F2")
    amount = snwd_revenue(trade)
    if amount <= 0:
        raise Conflict("nothing_to_distribute", "该交易没有待分配的非税收入", "No undistributed non-tax revenue for this trade", rule="F2")
    shares = earmark_shares()
    pct = Decimal(config.get("finance.snwd_county_reward_pct"))
    if not Decimal("0") <= pct <= Decimal("100"):
        raise ValidationFailed("bad_reward_pct", "县市区奖励比例须在0到100之间", "The county reward share must be 0–100 %")
    counties = contributing_counties(trade)
    reward = money(amount * pct / 100) if counties else ZERO
    lines = [L(platform(AccountKind.NON_TAX), -amount, "南水北调水量交易非税收入分配")]
    if reward:
        regions = sorted(counties, key=lambda r: (r.sort_order, r.code or ""))
        for region, part in zip(regions, split_money(reward, [counties[r] for r in regions]), strict=True):
            lines.append(L(county_reward_account(region), part, f"奖励（交由市级收储 {counties[region]:,} 立方米）"))
    rest = amount - reward
    for (key, _w), part in zip(shares, split_money(rest, [w for _k, w in shares]), strict=True):
        lines.append(L(earmark_account(key), part, str(Earmark(key).label)))
    return post(kind=EntryKind.SNWD_DISTRIBUTION, lines=lines, memo=f"南水北调水量交易收益分配 {trade.number}" + (f"：{note}" if note else ""),
                actor=actor, trade=trade, rule="F2", is_demo=trade.is_demo)


@transaction.atomic
def reverse(entry: FundEntry, *, actor, reason: str) -> FundEntry:
    """Correct an entry by posting its exact opposite (the original is kept)."""
    _require_finance(actor)
    if not (reason or "").strip():
        raise ValidationFailed("reason_required", "冲正须说明理由", "A reversal needs a reason")
    entry = FundEntry.objects.select_for_update().get(pk=entry.pk)
    if FundEntry.objects.filter(reverses=entry).exists():
        raise Conflict("already_reversed", f"凭证 {entry.number} 已被冲正", f"Entry {entry.number} has already been reversed")
    if entry.payment_id is not None:
        raise Conflict("mirrors_payment", "该凭证对应交易资金记录，须在交易中更正", "This entry mirrors a trading payment; correct it in trading")
    lines = [L(line.account, -line.amount, line.memo) for line in entry.lines.select_related("account")]
    return post(kind=EntryKind.REVERSAL, lines=lines, memo=f"冲正 {entry.number}：{reason}", actor=actor, trade=entry.trade,
                rule=entry.rule, reverses=entry, pledge=entry.pledge)


# ---------------------------------------------------------------------------------------------
# Reading: a trade's funds, reconciliation, the whole book
# ---------------------------------------------------------------------------------------------


@dataclass
class TradeFunds:
    trade: object
    price_paid: Decimal = ZERO
    buyer_fee: Decimal = ZERO
    seller_fee: Decimal = ZERO
    tax: Decimal = ZERO
    deposits_held: Decimal = ZERO
    settlement_balance: Decimal = ZERO
    recipients: dict = field(default_factory=dict)
    non_tax: Decimal = ZERO
    distributed: Decimal = ZERO
    rule: str = ""
    entries: list = field(default_factory=list)
    issues: list = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return sum(self.recipients.values(), ZERO)

    @property
    def balanced(self) -> bool:
        return not self.issues


def trade_funds(trade) -> TradeFunds:
    """A trade's money as the funds ledger has it: price and fees paid, tax withheld, what each
    recipient received, deposits still held, the settlement account's balance, and the issues
    found by ``reconcile``."""
    out = TradeFunds(trade)
    entries = list(FundEntry.objects.filter(trade=trade).prefetch_related("lines__account").order_by("pk"))
    out.entries = entries
    buyer_fee_on_trade = money(trade.buyer_fee or 0)
    for e in entries:
        for line in e.lines.all():
            kind, amount = line.account.kind, line.amount
            if e.kind == EntryKind.ORDERBOOK:
                # One entry for a fill: buyer −(price + buyer fee), fees, tax, recipients.
                if kind == AccountKind.PARTY and amount < 0:
                    out.price_paid += -amount - buyer_fee_on_trade
                    out.buyer_fee += buyer_fee_on_trade
                elif kind == AccountKind.FEES:
                    out.seller_fee += amount - buyer_fee_on_trade
                elif kind == AccountKind.TAX:
                    out.tax += amount
                elif amount > 0:
                    out.recipients[line.account.name] = out.recipients.get(line.account.name, ZERO) + amount
                continue
            if kind == AccountKind.SETTLEMENT:
                out.settlement_balance += amount
                if e.kind in (EntryKind.PRICE, EntryKind.DEPOSIT_APPLIED):
                    out.price_paid += amount
            elif kind == AccountKind.DEPOSITS:
                out.deposits_held += amount
            elif kind == AccountKind.FEES:
                if e.kind == EntryKind.BUYER_FEE:
                    out.buyer_fee += amount
                else:
                    out.seller_fee += amount
            elif kind == AccountKind.TAX:
                out.tax += amount
            elif kind == AccountKind.NON_TAX:
                if e.kind == EntryKind.SNWD_DISTRIBUTION:
                    out.distributed -= amount
                else:
                    out.non_tax += amount
                    out.recipients[line.account.name] = out.recipients.get(line.account.name, ZERO) + amount
            elif e.kind == EntryKind.SETTLEMENT and amount > 0:
                out.recipients[line.account.name] = out.recipients.get(line.account.name, ZERO) + amount
        if e.kind in (EntryKind.SETTLEMENT, EntryKind.ORDERBOOK) and e.rule:
            out.rule = e.rule
    out.issues = reconcile(trade, out)
    return out


def reconcile(trade, funds: TradeFunds | None = None) -> list[str]:
    """Differences between the funds ledger and trading's records for ``trade`` (empty: reconciled)."""
    from shuiquan.trading.choices import TradeMode, TradeStatus

    funds = funds or trade_funds(trade)
    issues = []
    missing = trade.payments.filter(fund_entry__isnull=True).exclude(amount=0).count()
    if missing:
        issues.append(f"{missing} 笔交易资金记录未入账")
    if trade.mode == TradeMode.ORDER_BOOK:
        if trade.status in (TradeStatus.REGISTERED, TradeStatus.EXPIRED) and not funds.entries:
            issues.append("委托撮合成交价款未记录")
    if trade.settled_at is not None or (trade.mode == TradeMode.ORDER_BOOK and funds.entries):
        total = money(trade.total_price or 0)
        if funds.price_paid != total:
            issues.append(f"受让方已付价款 {funds.price_paid} 元 ≠ 成交总价 {total} 元")
        if funds.seller_fee != money(trade.seller_fee or 0) or funds.buyer_fee != money(trade.buyer_fee or 0):
            issues.append(f"服务费 {funds.seller_fee}+{funds.buyer_fee} 元 ≠ 交易记录 {trade.seller_fee}+{trade.buyer_fee} 元")
        if trade.mode != TradeMode.ORDER_BOOK and funds.settlement_balance != 0:
            issues.append(f"结算账户余额 {funds.settlement_balance} 元（应为0）")
        if funds.net + funds.tax + funds.seller_fee != total:
            issues.append(f"划付 {funds.net} + 税费 {funds.tax} + 转让方服务费 {funds.seller_fee} ≠ 成交总价 {total} 元")
        if trade.proceeds is not None and trade.mode != TradeMode.ORDER_BOOK and funds.net != money(trade.proceeds):
            issues.append(f"划付 {funds.net} 元 ≠ 交易记录的转让方所得 {trade.proceeds} 元")
        if funds.tax != tax_for(trade):
            issues.append(f"代扣税费 {funds.tax} 元 ≠ 按税率计算 {tax_for(trade)} 元")
    if trade.status not in (TradeStatus.LISTED, TradeStatus.AUCTION) and funds.deposits_held != 0:
        issues.append(f"保证金未退还或未转价款 {funds.deposits_held} 元")
    return issues


def reconcile_all(limit: int = 5000) -> list[tuple[object, list[str]]]:
    """Trades whose funds do not reconcile (newest first)."""
    from shuiquan.trading.choices import TradeMode
    from shuiquan.trading.models import Trade

    qs = Trade.objects.filter(Q(payments__isnull=False) | Q(mode=TradeMode.ORDER_BOOK, total_price__isnull=False)).distinct()
    out = []
    for trade in qs.select_related("buyer_region", "seller_right").order_by("-pk")[:limit]:
        issues = reconcile(trade)
        if issues:
            out.append((trade, issues))
    return out


def verify_book() -> list[str]:
    """Whole-book checks: every entry balances to the fen; no line is zero."""
    problems = []
    for row in FundLine.objects.values("entry_id").annotate(s=Sum("amount")).exclude(s=0):
        problems.append(f"凭证 {row['entry_id']} 不平衡：{row['s']}")
    if FundLine.objects.filter(amount=0).exists():
        problems.append("存在金额为0的分录行")
    return problems


def balances() -> list[tuple[FundAccount, Decimal]]:
    sums = dict(FundLine.objects.values_list("account_id").annotate(s=Sum("amount")).values_list("account_id", "s"))
    return [(a, sums.get(a.pk, ZERO)) for a in FundAccount.objects.all()]


__all__ = [
    "tax_for", "tax_rate", "post", "post_payment", "backfill", "record_orderbook_payment", "distribute_snwd_revenue", "reverse",
    "trade_funds", "reconcile", "reconcile_all", "verify_book", "balances", "split_money", "L",
]
