"""Trading to-dos on each role's workbench: what waits for this user's step, with deadlines."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from shuiquan.core.nav import Panel, PanelItem
from shuiquan.core.roles import Role

from . import clock
from .choices import IntentStatus, ListingStatus, SavingStatus, TradeStatus, TradeType
from .models import Listing, SavingsVerification, Trade, TradingRestriction
from .parties import acts_for, my_parties, parse_ref, party_of_right
from .workdays import countdown


def _item(trade: Trade, text: str, level: str = "todo") -> PanelItem:
    return PanelItem(f"{trade.number} {text}", reverse("trading:trade_detail", args=[trade.pk]), level)


def panels(user) -> list[Panel]:
    items: list[PanelItem] = []
    now = clock.now()
    role = user.role
    admin = user.is_superuser or role == Role.CITY_ADMIN
    open_states = [TradeStatus.APPLIED, TradeStatus.CONSULTED]
    if role == Role.COUNTY_OFFICER or admin:
        qs = Trade.objects.filter(status__in=open_states).select_related("verifying_authority").order_by("verification_due")
        for t in qs[:50]:
            if any(x.name == "verify" for x in t.get_available_user_status_transitions(user)):
                cd = countdown(t.verification_due)
                left = (_("（剩余 %(n)s 个工作日）") % {"n": cd["left"]}) if cd and not cd["overdue"] else (_("（已超期）") if cd else "")
                items.append(_item(t, _("%(type)s待核定") % {"type": t.get_trade_type_display()} + left, cd["level"] if cd else "todo"))
        for s in SavingsVerification.objects.restrict(user).filter(status=SavingStatus.SUBMITTED)[:20]:
            from .services import _may_verify_permit

            if _may_verify_permit(user, s.permit):
                cd = countdown(s.due_on)
                items.append(PanelItem(_("%(number)s 节约水量待核定（剩余 %(n)s 个工作日）") % {"number": s.number, "n": cd["left"]},
                                       s.get_absolute_url(), cd["level"]))
    if role in (Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER) or admin:
        for t in Trade.objects.restrict(user).filter(status=TradeStatus.APPLIED, trade_type=TradeType.IRRIGATION)[:20]:
            if any(x.name == "file_record" for x in t.get_available_user_status_transitions(user)):
                items.append(_item(t, _("灌溉用水户交易待备案（超过一年）")))
    if role == Role.SNWD_UNIT or admin:
        for t in Trade.objects.filter(status=TradeStatus.APPLIED, is_snwd=True)[:20]:
            items.append(_item(t, _("南水北调水权交易待征求意见")))
    for t in Trade.objects.restrict(user).filter(status__in=[TradeStatus.SETTLED, TradeStatus.PAID, TradeStatus.CONTRACTED,
                                                             TradeStatus.PROVINCE_FILED])[:50]:
        names = {x.name for x in t.get_available_user_status_transitions(user)}
        for name, text in (("register", "已结算，待登记过户"), ("settle", "已付款，待结算"), ("file_province", "待报省备案"), ("pay", "待付款")):
            if name in names:
                items.append(_item(t, _(text)))
    for t in Trade.objects.restrict(user).filter(status=TradeStatus.AGREED)[:50]:
        sides = []
        if t.seller_signed_at is None and acts_for(user, party_of_right(t.seller_right)):
            sides.append(_("转让方"))
        if t.buyer_signed_at is None and t.buyer_ref and acts_for(user, parse_ref(t.buyer_ref)):
            sides.append(_("受让方"))
        if sides:
            items.append(_item(t, _("待签约（%(sides)s）") % {"sides": "、".join(sides)}))
    for t in Trade.objects.restrict(user).filter(status=TradeStatus.READY)[:20]:
        if acts_for(user, party_of_right(t.seller_right)):
            items.append(_item(t, _("已核定，可挂牌或协议成交")))
    if admin:
        due = Trade.objects.filter(Q(status=TradeStatus.LISTED, listing__notice_ends_at__lte=now)
                                   | Q(status=TradeStatus.AUCTION, listing__auction__ends_at__lte=now))
        for t in due[:20]:
            items.append(_item(t, _("公告期满/竞价结束，待处理"), "warning"))
        n = TradingRestriction.objects.filter(lifted_at__isnull=True).count()
        if n:
            items.append(PanelItem(_("有效的交易限制（S6）"), reverse("trading:restriction_list"), "info", n))
    refs = [p.ref for p in my_parties(user)]
    if refs:
        for listing in Listing.objects.filter(status=ListingStatus.AUCTION, intents__buyer_ref__in=refs,
                                              intents__status=IntentStatus.REGISTERED).distinct()[:10]:
            items.append(PanelItem(_("%(number)s 竞价进行中") % {"number": listing.number}, reverse("trading:auction", args=[listing.trade_id]),
                                   "warning"))
        open_listings = Listing.objects.filter(status=ListingStatus.OPEN).exclude(intents__buyer_ref__in=refs).count()
        if open_listings:
            items.append(PanelItem(_("正在公告的挂牌"), reverse("trading:home"), "info", open_listings))
    return [Panel(_("用水权交易"), items, url=reverse("trading:home"), empty_text=_("暂无交易待办"))]
