"""Demo banks (and their officers) for pledges; demo pledges where allocated rights exist."""

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
    return counts


__all__ = ["load", "dt"]
