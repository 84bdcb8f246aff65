"""The two-sided order book for small standard irrigation lots of the current year.

- A session (``OrderBookSession``) opens with an **opening window**: orders placed in it are
  queued. When the window ends, a random draw (seed recorded, ``random.Random(seed).shuffle`` of
  the queued order ids in id order — reproducible by anyone) fixes their time priority, and the
  queued orders are matched by price, then drawn position. Where capacity is scarce (an
  ``OutflowCap`` on the volume that may leave an association or county in a session), this
  decides who gets it — not arrival milliseconds.
- After the window, **continuous** matching: an incoming order matches resting orders of the
  other side by price-time priority (best price first, then earliest entry), with partial fills;
  the trade price is the resting order's price. Orders can be cancelled.
- An ask locks its remaining volume for the year; each fill consumes the lock, posts seller →
  buyer for the current year (one balanced entry), re-locks what remains, and records a ``Trade``
  (irrigation type, order-book mode, ≤ 1 year: no approval or filing — T9) with its amounts.
- At session close unfilled orders expire and their locks are released.

Every call locks the session row first, so matching in one book is serialized.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum

from shuiquan.core import audit, config
from shuiquan.core.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from shuiquan.core.roles import Role
from shuiquan.core.scoping import require_role
from shuiquan.core.units import money
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind, LockKind
from shuiquan.ledger.models import WaterRight
from shuiquan.registry.choices import WaterUse

from . import clock, rules
from .choices import LIVE_ORDER_STATES, Basis, OrderStatus, Side, Stage, TradeMode, TradeStatus, TradeType
from .models import Fill, Order, OrderBookSession, OutflowCap, Trade, TradeTransition
from .notifications import notify
from .parties import acts_for, buyer_right, parse_ref
from .services import _fill_side, _price, fee_rates

REF = "trading.trade"


def phase(session: OrderBookSession, now=None) -> str:
    now = now or clock.now()
    if session.closed_at is not None or now >= session.closes_at:
        return "closed"
    if now < session.opens_at:
        return "scheduled"
    if now < session.opening_ends_at:
        return "opening"
    return "continuous"


PHASE_LABELS = {"scheduled": "未开市", "opening": "集合委托时段", "continuous": "连续撮合", "closed": "已收市"}


def _lock_session(session) -> OrderBookSession:
    pk = getattr(session, "pk", session)
    try:
        return OrderBookSession.objects.select_for_update(of=("self",)).get(pk=pk)
    except (OrderBookSession.DoesNotExist, ValueError, TypeError):
        raise NotFound("交易时段不存在", "No such session") from None


@transaction.atomic
def open_session(*, actor, opens_at=None, district=None, opening_minutes=None, hours=None, is_demo: bool = False) -> OrderBookSession:
    """Open a trading session (city bureau, or the district's management unit for its district)."""
    require_role(actor, Role.DISTRICT_MANAGER, message="委托交易时段由市水利局或灌区管理单位设立",
                 message_en="Sessions are opened by the city bureau or a district unit")
    if actor.role == Role.DISTRICT_MANAGER:
        district = actor.irrigation_district
    opens_at = opens_at or clock.now()
    if opens_at.year != clock.this_year():
        raise ValidationFailed("current_year_only", "委托交易只交易本年度水量", "The order book trades the current year only")
    minutes = int(opening_minutes if opening_minutes not in (None, "") else config.get("trading.orderbook_opening_minutes"))
    length = int(hours if hours not in (None, "") else config.get("trading.orderbook_session_hours"))
    if minutes < 0 or length <= 0 or dt.timedelta(minutes=minutes) >= dt.timedelta(hours=length):
        raise ValidationFailed("invalid_session", "集合时段须短于交易时段", "The opening window must be shorter than the session")
    session = OrderBookSession.objects.create(
        year=opens_at.year, district=district, opens_at=opens_at, opening_ends_at=opens_at + dt.timedelta(minutes=minutes),
        closes_at=opens_at + dt.timedelta(hours=length), lot_m3=int(config.get("trading.lot_m3")), created_by=actor, is_demo=is_demo,
    )
    audit.record(actor=actor, action="orderbook_session", obj=session, after=audit.snapshot(session), region_code="")
    return session


def _party_right(party, year: int) -> WaterRight:
    if party.kind not in ("association", "household"):
        raise RuleViolation("T9", "t9_orderbook_parties", "委托交易只在农民用水者协会和灌溉用水户之间进行",
                            "The order book is for associations and irrigation households only")
    right = buyer_right(party, years=[year], seller_right=None, actor=None, create=False)
    if not right.covers_year(year):
        raise ValidationFailed("right_not_valid", f"{party.name} 的水权不含 {year} 年", f"{party.name}'s right does not cover {year}")
    return right


def _check_order(side: str, party, right: WaterRight, volume: int, year: int) -> None:
    if side == Side.ASK:
        check = rules.Check(trade_type=TradeType.IRRIGATION, stage=Stage.LISTING, seller=party, seller_right=right, volume_m3=volume,
                            years=[year], basis=Basis.IRRIGATION_RIGHT, use=WaterUse.AGRICULTURAL)
        rules.enforce(check)
        return
    check = rules.Check(trade_type=TradeType.IRRIGATION, stage=Stage.BID, seller=party, seller_right=right, volume_m3=volume, years=[year],
                        buyer=party, buyer_right=right, basis=Basis.IRRIGATION_RIGHT, use=WaterUse.AGRICULTURAL)
    refusals = [r for r in rules.evaluate(check) if r.side == "buyer"]
    if refusals:
        first = refusals[0]
        raise RuleViolation(first.rule, first.code, first.zh, first.en, detail={"stage": Stage.BID, "refusals": [r.as_dict() for r in refusals]})


@transaction.atomic
def place_order(*, actor, session, side: str, party: str, lots, limit_price) -> Order:
    session = _lock_session(session)
    now = clock.now()
    ph = phase(session, now)
    if ph in ("scheduled", "closed"):
        raise Conflict("session_not_open", f"交易时段{PHASE_LABELS[ph]}，不接受委托", f"The session is {ph}: no orders accepted")
    if ph == "continuous" and session.drawn_at is None:
        _run_draw(session, actor)
    if side not in Side.values:
        raise ValidationFailed("invalid_side", "委托方向无效", "Invalid side")
    p = parse_ref(party)
    if not acts_for(actor, p):
        raise Forbidden("您不能代表该用水户委托", "You may not place orders for this party", code="not_party")
    if session.district_id and (p.association is None or p.association.district_id != session.district_id):
        raise ValidationFailed("wrong_district", f"本时段只接受{session.district}的委托", f"This session is for {session.district} only")
    try:
        lots = int(lots)
    except (TypeError, ValueError):
        lots = 0
    max_lots = int(config.get("trading.orderbook_max_lots"))
    if not 1 <= lots <= max_lots:
        raise ValidationFailed("invalid_lots", f"委托手数须在 1 至 {max_lots} 之间", f"Lots must be between 1 and {max_lots}",
                               detail={"fields": {"lots": ["手数无效"]}})
    price = _price(limit_price, "limit_price")
    right = _party_right(p, session.year)
    volume = lots * session.lot_m3
    _check_order(side, p, right, volume, session.year)
    order = Order(session=session, side=side, right=right, party_name=p.name, association=p.association, household=p.household,
                  region=p.region, lots=lots, remaining_lots=lots, limit_price=price,
                  status=OrderStatus.QUEUED if ph == "opening" else OrderStatus.OPEN, placed_by=actor, is_demo=session.is_demo)
    order.save()
    if side == Side.ASK:
        order.lock = ledger.lock_volume(right, session.year, volume, actor=actor, kind=LockKind.ORDER, reference=("trading.order", order.pk),
                                        memo=f"委托卖出 #{order.pk}", rule="L1")
        order.save(update_fields=["lock"])
    audit.record(actor=actor, action="order_place", obj=order, after=audit.snapshot(order), region_code=p.region.code or "")
    if ph == "continuous":
        order.book_seq = _next_seq(session)
        order.save(update_fields=["book_seq"])
        _match(session, order, actor)
    return order


def _next_seq(session: OrderBookSession) -> int:
    seq = session.next_seq
    session.next_seq = seq + 1
    session.save(update_fields=["next_seq"])
    return seq


def _run_draw(session: OrderBookSession, actor) -> None:
    """Fix the time priority of the opening window's orders by a recorded random draw, then match them."""
    if session.drawn_at is not None:
        return
    queued = list(session.orders.filter(status=OrderStatus.QUEUED).order_by("pk"))
    seed = secrets.token_hex(16)
    ids = [o.pk for o in queued]
    drawn = list(ids)
    random.Random(seed).shuffle(drawn)
    session.draw_seed, session.draw_order, session.drawn_at = seed, drawn, clock.now()
    session.save(update_fields=["draw_seed", "draw_order", "drawn_at"])
    by_id = {o.pk: o for o in queued}
    for position, pk in enumerate(drawn, start=1):
        o = by_id[pk]
        o.draw_position = position
        o.book_seq = _next_seq(session)
        o.status = OrderStatus.OPEN
        o.save(update_fields=["draw_position", "book_seq", "status"])
    audit.record(actor=actor, action="orderbook_draw", obj=session,
                 after={"seed": seed, "order": drawn, "method": "random.Random(seed).shuffle(sorted queued order ids)"}, region_code="")
    # Match the window's bids in price, then drawn order.
    for bid in session.orders.filter(side=Side.BID, status__in=[OrderStatus.OPEN, OrderStatus.PARTIAL]).order_by("-limit_price", "book_seq"):
        bid.refresh_from_db()
        if bid.remaining_lots:
            _match(session, bid, actor)


def _used_capacity(session: OrderBookSession, cap: OutflowCap) -> int:
    fills = Fill.objects.filter(session=session, leaves_area=True)
    if cap.association_id:
        fills = fills.filter(ask__association_id=cap.association_id).exclude(bid__association_id=cap.association_id)
    else:
        fills = fills.filter(ask__region_id=cap.region_id).exclude(bid__region_id=cap.region_id)
    return fills.aggregate(s=Sum("volume_m3"))["s"] or 0


def _capacity_lots(session: OrderBookSession, bid: Order, ask: Order) -> int | None:
    """Lots still allowed to leave the seller's area (None: no cap applies)."""
    caps = []
    if bid.association_id != ask.association_id:
        caps += list(OutflowCap.objects.filter(association_id=ask.association_id, is_active=True))
    if bid.region_id != ask.region_id:
        caps += list(OutflowCap.objects.filter(region_id=ask.region_id, is_active=True))
    if not caps:
        return None
    return min(max(cap.cap_m3 - _used_capacity(session, cap), 0) for cap in caps) // session.lot_m3


def _pair_ok(session: OrderBookSession, bid: Order, ask: Order, volume: int) -> bool:
    seller, buyer = parse_ref(_ref(ask)), parse_ref(_ref(bid))
    check = rules.Check(trade_type=TradeType.IRRIGATION, stage=Stage.REGISTRATION, seller=seller, seller_right=ask.right, volume_m3=volume,
                        years=[session.year], buyer=buyer, buyer_right=bid.right, basis=Basis.IRRIGATION_RIGHT, use=WaterUse.AGRICULTURAL)
    return not rules.evaluate(check)


def _ref(order: Order) -> str:
    return f"household:{order.household_id}" if order.household_id else f"association:{order.association_id}"


def _match(session: OrderBookSession, order: Order, actor) -> None:
    if order.side == Side.BID:
        others = session.orders.filter(side=Side.ASK, limit_price__lte=order.limit_price).order_by("limit_price", "book_seq")
    else:
        others = session.orders.filter(side=Side.BID, limit_price__gte=order.limit_price).order_by("-limit_price", "book_seq")
    others = others.filter(status__in=[OrderStatus.OPEN, OrderStatus.PARTIAL], book_seq__isnull=False).exclude(right_id=order.right_id)
    for other in list(others):
        if order.remaining_lots == 0:
            break
        other.refresh_from_db()
        if other.remaining_lots == 0:
            continue
        bid, ask = (order, other) if order.side == Side.BID else (other, order)
        lots = min(order.remaining_lots, other.remaining_lots)
        allowed = _capacity_lots(session, bid, ask)
        if allowed is not None:
            lots = min(lots, allowed)
        if lots <= 0:
            continue
        if not _pair_ok(session, bid, ask, lots * session.lot_m3):
            continue
        resting = other
        _fill(session, bid, ask, lots, resting.limit_price, actor, leaves=allowed is not None)


def _fill(session: OrderBookSession, bid: Order, ask: Order, lots: int, price: Decimal, actor, *, leaves: bool) -> Fill:
    volume = lots * session.lot_m3
    year = session.year
    now = clock.now()
    seller, buyer = parse_ref(_ref(ask)), parse_ref(_ref(bid))
    trade = Trade(trade_type=TradeType.IRRIGATION, mode=TradeMode.ORDER_BOOK, basis=Basis.IRRIGATION_RIGHT, volume_m3=volume,
                  start_year=year, end_year=year, use=WaterUse.AGRICULTURAL, applicant=ask.placed_by, status=TradeStatus.REGISTERED,
                  is_demo=session.is_demo)
    _fill_side(trade, "seller", seller, ask.right)
    _fill_side(trade, "buyer", buyer, bid.right)
    trade.unit_price = price
    trade.total_price = money(price * volume)
    seller_rate, buyer_rate = fee_rates(trade)
    trade.seller_fee, trade.buyer_fee = money(trade.total_price * seller_rate), money(trade.total_price * buyer_rate)
    trade.proceeds = money(trade.total_price - trade.seller_fee)
    trade.proceeds_to = trade.seller_name
    trade.intake_location = str(buyer.association)
    trade.agreed_at = trade.completed_at = trade.registered_at = now
    trade.save()
    trade.number = f"JY{year}{trade.pk:06d}"
    trade.agreement_number = f"XY{year}{trade.pk:06d}"
    trade.save(update_fields=["number", "agreement_number"])
    # Ledger: consume the ask's lock, post the fill, lock what remains.
    ledger.consume_lock(ask.lock, actor=actor, reason=f"委托成交 {trade.number}")
    entry = ledger.transfer(actor=actor, kind=EntryKind.TRADE, memo=f"委托撮合 {trade.number}：{seller.name} → {buyer.name}",
                            source=ask.right, target=bid.right, years=[year], amount=volume, reference=(REF, trade.pk),
                            shortfall_rule="L1", is_demo=session.is_demo)
    trade.entry = entry
    trade.save(update_fields=["entry"])
    for o in (bid, ask):
        o.remaining_lots -= lots
        o.status = OrderStatus.FILLED if o.remaining_lots == 0 else OrderStatus.PARTIAL
        if o.remaining_lots == 0:
            o.closed_at = now
    if ask.remaining_lots:
        ask.lock = ledger.lock_volume(ask.right, year, ask.remaining_lots * session.lot_m3, actor=actor, kind=LockKind.ORDER,
                                      reference=("trading.order", ask.pk), memo=f"委托卖出 #{ask.pk}（剩余）", rule="L1")
    bid.save(update_fields=["remaining_lots", "status", "closed_at"])
    ask.save(update_fields=["remaining_lots", "status", "closed_at", "lock"])
    fill = Fill.objects.create(session=session, bid=bid, ask=ask, lots=lots, volume_m3=volume, unit_price=price, leaves_area=leaves,
                               trade=trade)
    TradeTransition.objects.create(trade=trade, name="match", label="委托撮合成交并登记", source="", target=TradeStatus.REGISTERED,
                                   actor=actor if getattr(actor, "pk", None) else None,
                                   actor_name=(getattr(actor, "username", None) or "system")[:150], actor_role=getattr(actor, "role", "") or "",
                                   note=f"买 #{bid.pk} × 卖 #{ask.pk}：{lots} 手 × {session.lot_m3} 立方米，{price} 元/立方米（一年以内，无需审批）")
    audit.record(actor=actor, action="orderbook_fill", obj=trade, after={"bid": bid.pk, "ask": ask.pk, "lots": lots, "volume_m3": volume,
                                                                        "unit_price": str(price), "entry": entry.number},
                 region_code=seller.region.code or "")
    notify("order_filled", f"{trade.number} 委托成交 {volume} 立方米")
    return fill


@transaction.atomic
def cancel_order(*, actor, order) -> Order:
    pk = getattr(order, "pk", order)
    session_id = Order.objects.filter(pk=pk).values_list("session_id", flat=True).first()
    if session_id is None:
        raise NotFound("委托不存在", "No such order")
    _lock_session(session_id)
    order = Order.objects.select_for_update(of=("self",)).get(pk=pk)
    if not acts_for(actor, parse_ref(_ref(order))):
        raise Forbidden("只能撤销本方委托", "You may cancel only your own orders", code="not_party")
    if order.status not in LIVE_ORDER_STATES:
        raise Conflict("order_closed", "该委托已成交或已撤销", "The order is already filled or cancelled")
    before = audit.snapshot(order)
    if order.lock_id and order.side == Side.ASK:
        ledger.release_lock(order.lock, actor=actor, reason=f"撤单 #{order.pk}")
    order.status = OrderStatus.CANCELLED
    order.closed_at = clock.now()
    order.save(update_fields=["status", "closed_at"])
    audit.record(actor=actor, action="order_cancel", obj=order, before=before, after=audit.snapshot(order), region_code=order.region.code or "")
    return order


@transaction.atomic
def run_draw(*, actor, session) -> OrderBookSession:
    """End the opening window: draw, then match (also done lazily by the next order)."""
    session = _lock_session(session)
    if phase(session) in ("scheduled", "opening"):
        raise Conflict("window_open", "集合委托时段尚未结束", "The opening window has not ended")
    _run_draw(session, actor)
    return session


@transaction.atomic
def close_session(*, actor, session) -> OrderBookSession:
    """收市: run the draw if it has not run, then expire unfilled orders and release their locks."""
    session = _lock_session(session)
    if session.closed_at is not None:
        raise Conflict("session_closed", "交易时段已收市", "The session is already closed")
    if clock.now() < session.closes_at and not (actor is not None and (actor.is_superuser or actor.role == Role.CITY_ADMIN)):
        raise Conflict("session_running", "交易时段尚未结束", "The session has not ended")
    if session.drawn_at is None and clock.now() >= session.opening_ends_at:
        _run_draw(session, actor)
    for order in session.orders.select_for_update(of=("self",)).filter(status__in=LIVE_ORDER_STATES).order_by("pk"):
        if order.lock_id and order.side == Side.ASK:
            ledger.release_lock(order.lock, actor=actor, reason=f"收市，委托 #{order.pk} 失效")
        order.status = OrderStatus.EXPIRED
        order.closed_at = clock.now()
        order.save(update_fields=["status", "closed_at"])
    session.closed_at = clock.now()
    session.save(update_fields=["closed_at"])
    audit.record(actor=actor, action="orderbook_close", obj=session, after={"closed_at": session.closed_at.isoformat()}, region_code="")
    return session


def tick(*, actor=None) -> dict:
    """Scheduler: run due draws and close ended sessions."""
    now = clock.now()
    out = {"drawn": [], "closed": []}
    for pk in OrderBookSession.objects.filter(drawn_at__isnull=True, opening_ends_at__lte=now, closed_at__isnull=True).values_list("pk", flat=True):
        run_draw(actor=actor, session=pk)
        out["drawn"].append(pk)
    for pk in OrderBookSession.objects.filter(closed_at__isnull=True, closes_at__lte=now).values_list("pk", flat=True):
        close_session(actor=actor, session=pk)
        out["closed"].append(pk)
    return out


def depth(session: OrderBookSession) -> dict:
    """Price levels of the live book (open orders; queued orders are not shown until the draw)."""
    live = session.orders.filter(status__in=[OrderStatus.OPEN, OrderStatus.PARTIAL])

    def levels(side, order):
        rows = live.filter(side=side).values("limit_price").annotate(lots=Sum("remaining_lots")).order_by(order)
        return [{"price": r["limit_price"], "lots": r["lots"], "volume_m3": r["lots"] * session.lot_m3} for r in rows]

    return {"bids": levels(Side.BID, "-limit_price"), "asks": levels(Side.ASK, "limit_price"),
            "queued": session.orders.filter(status=OrderStatus.QUEUED).count(), "phase": phase(session)}


def my_orders(user, session):
    from .parties import my_parties

    refs = [p for p in my_parties(user)]
    q = Q(pk__in=[])
    for p in refs:
        if p.kind == "association":
            q |= Q(association=p.obj, household__isnull=True)
        elif p.kind == "household":
            q |= Q(household=p.obj)
    if user.is_superuser or user.role == Role.CITY_ADMIN:
        q = Q()
    return session.orders.filter(q).order_by("-pk")
