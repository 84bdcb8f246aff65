"""Demo finance records (演示数据), through the services: banks (and their officer), a registered
pledge where allocated rights exist, a fee-collection-right transfer, and the F2 distribution of
the demo SNWD sale's non-tax revenue (the trade funds themselves are posted as the trading demo
records its payments)."""

import datetime as dt
from decimal import Decimal

from shuiquan.core.models import User
from shuiquan.ledger.choices import RightKind
from shuiquan.ledger.models import WaterRight
from shuiquan.ledger.services import available

from . import services
from .models import Bank, PledgeKind


def load(size: str = "full") -> dict:
    bank, _ = Bank.objects.get_or_create(name="南阳某商业银行（演示）", defaults={"code": "DEMO-BANK-01", "is_demo": True})
    Bank.objects.get_or_create(name="南阳某农村商业银行（演示）", defaults={"code": "DEMO-BANK-02", "is_demo": True})
    officer = User.objects.filter(username="bank_officer").first()
    if officer:
        bank.staff.add(officer)
    counts = {"banks": Bank.objects.count(), "pledges": 0}
    holder = User.objects.filter(username="permit_holder").first()
    county = User.objects.filter(username="neixiang_officer").first()
    if not (holder and county and officer and holder.water_user_id):
        return counts
    right = WaterRight.objects.filter(water_user=holder.water_user, kind=RightKind.WITHDRAWAL, status="active").order_by("pk").first()
    if right is None or available(right, 2026) < 100_000:
        return counts
    volume = min(200_000, available(right, 2026) // 4)
    pledge = services.apply_pledge(actor=holder, right=right, bank=bank, kind=PledgeKind.VOLUME_PLEDGE, first_year=2026,
                                   last_year=2026, volume_m3=volume, secured_amount=Decimal("800000.00"),
                                   loan_contract_no="DEMO-LOAN-2026-001", purpose="节水技术改造贷款（演示数据）", is_demo=True)
    services.confirm_by_bank(pledge, actor=officer, bank_reference="DEMO-ZY-2026-0001")
    services.register_pledge(pledge, actor=county)
    counts["pledges"] = 1
    counts.update(_fee_right(county, bank))
    counts.update(_distribute_snwd())
    return counts


def _fee_right(county, bank) -> dict:
    """A reservoir management unit's water-supply fee-collection right transferred for financing (演示数据)."""
    from shuiquan.registry.models import Reservoir, WaterUser

    grantor = WaterUser.objects.filter(region=county.region, kind__in=["public_supply", "irrigation_unit"]).order_by("pk").first()
    if grantor is None:
        return {}
    reservoir = Reservoir.objects.filter(region=county.region).order_by("pk").first()
    services.register_fee_right_transfer(actor=county, grantor=grantor, project=f"{reservoir or grantor}供水工程", reservoir=reservoir,
                                         transferee="南阳某商业银行（演示）", bank=bank, amount=Decimal("5000000.00"),
                                         start_date=dt.date(2026, 1, 1), end_date=dt.date(2030, 12, 31),
                                         purpose="灌区节水改造融资（演示数据）", is_demo=True)
    return {"fee_right_transfers": 1}


def _distribute_snwd() -> dict:
    """F2: the finance bureau distributes the demo SNWD sale's non-tax revenue."""
    from . import funds
    from .models import FundLine

    officer = User.objects.filter(username="finance_officer").first()
    lines = FundLine.objects.filter(account__code="treasury:snwd_non_tax", amount__gt=0).select_related("entry__trade")
    done = 0
    for trade in {line.entry.trade for line in lines if line.entry.trade_id}:
        if officer and funds.snwd_revenue(trade) > 0:
            funds.distribute_snwd_revenue(trade, actor=officer, note="演示数据")
            done += 1
    return {"snwd_distributions": done}


__all__ = ["load"]
