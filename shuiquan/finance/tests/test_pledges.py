"""Water-right pledges (§7.2.5): registered with the bureau and the bank, volume locked, release only by the pledgee."""

import datetime as dt
from decimal import Decimal

import pytest

from shuiquan.core.errors import Conflict, Forbidden, InsufficientVolume, ValidationFailed
from shuiquan.finance import services
from shuiquan.finance.models import Bank, PledgeKind, PledgeStatus
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind, RightKind
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.ledger.models import JournalEntry, VolumeLock

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledged_setup(users):
    holder_user = users["permit_holder"]
    admin = users["city_admin"]
    src = ledger.open_right(actor=admin, kind=RightKind.ISSUANCE, name="测试来源", holder_name="测试",
                            valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2027, 12, 31))
    right = ledger.open_right(actor=admin, kind=RightKind.WITHDRAWAL, name="质押测试取水权", holder=holder_user.water_user,
                              valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2027, 12, 31), annual_volume_m3=1_000_000)
    buyer_right = ledger.open_right(actor=admin, kind=RightKind.WITHDRAWAL, name="受让方取水权", holder=users["buyer_holder"].water_user,
                                    valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2027, 12, 31))
    ledger.transfer(actor=admin, kind=EntryKind.ALLOCATION, memo="x", source=src, target=right, years=[2026, 2027], amount=1_000_000)
    bank = Bank.objects.get(name="南阳某商业银行（演示）")
    bank.staff.add(users["bank_officer"])
    return {"right": right, "buyer_right": buyer_right, "bank": bank, "holder": holder_user, "county": users["neixiang_officer"],
            "bank_officer": users["bank_officer"], "admin": admin}


def _registered(s, volume=600_000):
    p = services.apply_pledge(actor=s["holder"], right=s["right"], bank=s["bank"], kind=PledgeKind.VOLUME_PLEDGE, first_year=2026,
                              last_year=2027, volume_m3=volume, secured_amount="2000000", loan_contract_no="LOAN-1")
    services.confirm_by_bank(p, actor=s["bank_officer"], bank_reference="BANK-REF-9")
    return services.register_pledge(p, actor=s["county"])


def test_registered_pledge_locks_the_volume_for_each_year(pledged_setup):
    s = pledged_setup
    p = _registered(s)
    assert p.status == PledgeStatus.REGISTERED and p.number.startswith("南阳水权质登")
    assert p.bank_reference == "BANK-REF-9"
    for year in (2026, 2027):
        assert ledger.available(s["right"], year) == 400_000
        assert services.pledged_volume(s["right"], year) == 600_000
    assert verify_ledger() == []


def test_pledged_volume_cannot_be_sold_until_the_pledgee_releases_it(pledged_setup):
    s = pledged_setup
    p = _registered(s)
    entries = JournalEntry.objects.count()
    with pytest.raises(InsufficientVolume):
        ledger.transfer(actor=s["admin"], kind=EntryKind.TRADE, memo="出售", source=s["right"], target=s["buyer_right"],
                        years=[2026], amount=500_000)
    assert JournalEntry.objects.count() == entries
    # Neither the holder nor the county bureau can release it; only the bank.
    for who in (s["holder"], s["county"]):
        with pytest.raises(Forbidden):
            services.release_pledge(p, actor=who)
    services.release_pledge(p, actor=s["bank_officer"], note="贷款已还清")
    assert ledger.available(s["right"], 2026) == 1_000_000
    ledger.transfer(actor=s["admin"], kind=EntryKind.TRADE, memo="出售", source=s["right"], target=s["buyer_right"],
                    years=[2026], amount=500_000)
    assert verify_ledger() == []


def test_pledge_larger_than_available_is_refused_and_nothing_is_locked(pledged_setup):
    s = pledged_setup
    locks = VolumeLock.objects.count()
    with pytest.raises(InsufficientVolume) as exc:
        services.apply_pledge(actor=s["holder"], right=s["right"], bank=s["bank"], kind=PledgeKind.MORTGAGE, first_year=2026,
                              last_year=2026, volume_m3=1_000_001, secured_amount="1", loan_contract_no="L")
    assert exc.value.code == "pledge_insufficient_volume"
    assert VolumeLock.objects.count() == locks


def test_only_the_pledgee_confirms_and_only_the_bureau_registers(pledged_setup, users):
    s = pledged_setup
    p = services.apply_pledge(actor=s["holder"], right=s["right"], bank=s["bank"], kind=PledgeKind.VOLUME_PLEDGE, first_year=2026,
                              last_year=2026, volume_m3=100, secured_amount="1000", loan_contract_no="L")
    with pytest.raises(Forbidden):
        services.confirm_by_bank(p, actor=s["holder"], bank_reference="X")
    with pytest.raises(Conflict):
        services.register_pledge(p, actor=s["county"])  # not yet confirmed by the bank
    services.confirm_by_bank(p, actor=s["bank_officer"], bank_reference="X")
    with pytest.raises(Forbidden):
        services.register_pledge(p, actor=users["tanghe_officer"])  # another county's bureau
    services.register_pledge(p, actor=s["county"])


def test_income_pledge_locks_nothing_and_names_the_pledgee(pledged_setup):
    s = pledged_setup
    p = services.apply_pledge(actor=s["holder"], right=s["right"], bank=s["bank"], kind=PledgeKind.INCOME_PLEDGE, first_year=2026,
                              last_year=2027, volume_m3=0, secured_amount=Decimal("500000"), loan_contract_no="L2")
    services.confirm_by_bank(p, actor=s["bank_officer"], bank_reference="R2")
    services.register_pledge(p, actor=s["county"])
    assert ledger.available(s["right"], 2026) == 1_000_000
    assert services.income_pledgee(s["right"]) == p


def test_bad_pledge_input_is_refused(pledged_setup):
    s = pledged_setup
    bad = [dict(volume_m3=-1), dict(secured_amount="0"), dict(first_year=2028, last_year=2028), dict(loan_contract_no=" ")]
    for override in bad:
        kwargs = dict(actor=s["holder"], right=s["right"], bank=s["bank"], kind=PledgeKind.VOLUME_PLEDGE, first_year=2026,
                      last_year=2026, volume_m3=100, secured_amount="1000", loan_contract_no="L")
        kwargs.update(override)
        with pytest.raises(ValidationFailed):
            services.apply_pledge(**kwargs)
