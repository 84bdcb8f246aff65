"""Who may take which step of a trade's procedure (the ``permission`` of each FSM transition).

| step | who |
|---|---|
| consult_snwd | the SNWD management unit |
| verify / reject | permit trade: the permit's original approving authority (its county bureau, or the city bureau); regional trade: the city bureau; T10 resale: the reserve's county bureau |
| file_record (备案) | the irrigation district's management unit or the seller's county bureau |
| accept / publish / agree / cancel | the seller (or the city bureau) |
| sign | each party for its own side |
| pay | the buyer |
| file_province / settle | the city bureau (the platform operator); settle also the finance bureau |
| register | the approving authority (permit), the city bureau (regional), the district unit or county bureau (irrigation) |
| close_notice / close_auction / expire | time-driven: the scheduler (system), the city bureau, or any party once due |
"""

from __future__ import annotations

from shuiquan.core.roles import Role
from shuiquan.registry.choices import AuthorityLevel

from .choices import TradeType
from .parties import acts_for, parse_ref, party_of_right

SYSTEM_ACTIONS = {"close_notice", "close_auction", "expire"}


def _is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role == Role.CITY_ADMIN))


def seller_party(trade):
    return party_of_right(trade.seller_right)


def buyer_party(trade):
    return parse_ref(trade.buyer_ref) if trade.buyer_ref else None


def is_approving_authority(trade, user) -> bool:
    """The original approving authority of the seller's permit (T5), or the city bureau."""
    if _is_admin(user):
        return True
    authority = trade.verifying_authority
    if authority is None or user.role != Role.COUNTY_OFFICER:
        return False
    return authority.level == AuthorityLevel.COUNTY and authority.region_id == user.region_id


def is_irrigation_officer(trade, user) -> bool:
    if _is_admin(user):
        return True
    if user.role == Role.COUNTY_OFFICER:
        return trade.seller_region_id == user.region_id
    if user.role == Role.DISTRICT_MANAGER and trade.seller_association_id:
        return trade.seller_association.district_id == user.irrigation_district_id
    return False


def can_take(trade, user, action: str) -> bool:
    if user is None:
        return action in SYSTEM_ACTIONS
    if not user.is_authenticated or not user.is_active:
        return False
    if action == "consult_snwd":
        return user.role == Role.SNWD_UNIT or _is_admin(user)
    if action in ("verify", "reject"):
        if trade.trade_type == TradeType.PERMIT:
            return is_approving_authority(trade, user)
        if trade.trade_type == TradeType.REGIONAL:
            return _is_admin(user)
        if trade.seller_reserve_id:
            return _is_admin(user) or (user.role == Role.COUNTY_OFFICER and trade.seller_reserve.region_id == user.region_id)
        return is_irrigation_officer(trade, user)
    if action == "file_record":
        return is_irrigation_officer(trade, user)
    if action in ("accept", "publish", "agree", "cancel"):
        return acts_for(user, seller_party(trade))
    if action == "sign":
        return acts_for(user, seller_party(trade)) or acts_for(user, buyer_party(trade))
    if action == "pay":
        return acts_for(user, buyer_party(trade))
    if action == "file_province":
        return _is_admin(user)
    if action == "settle":
        return _is_admin(user) or user.role == Role.FINANCE_OFFICER
    if action == "register":
        if trade.trade_type == TradeType.PERMIT:
            return is_approving_authority(trade, user)
        if trade.trade_type == TradeType.REGIONAL:
            return _is_admin(user)
        if trade.seller_reserve_id or trade.buyer_reserve_id:
            reserve = trade.seller_reserve or trade.buyer_reserve
            return _is_admin(user) or (user.role == Role.COUNTY_OFFICER and reserve.region_id == user.region_id)
        return is_irrigation_officer(trade, user)
    if action in SYSTEM_ACTIONS:
        if _is_admin(user):
            return True
        if action == "expire":
            return user.role == Role.COUNTY_OFFICER and trade.seller_region_id == user.region_id
        # Anyone with a stake may trigger a due close; the service checks that it is due.
        return acts_for(user, seller_party(trade)) or (user.role in (Role.PERMIT_HOLDER, Role.ASSOCIATION_REP, Role.COUNTY_OFFICER))
    return False
