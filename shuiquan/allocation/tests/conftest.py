import datetime as dt

import pytest

from shuiquan.allocation import services
from shuiquan.allocation.models import AllocationRun, Certificate, RunTransition
from shuiquan.core.models import AuditEvent
from shuiquan.ledger.models import JournalEntry, Posting, RightBalance, VolumeLock, WaterRight
from shuiquan.registry import models as reg


def counts() -> dict:
    """Row counts of everything a refused service must not write."""
    return {
        "runs": AllocationRun.objects.count(), "transitions": RunTransition.objects.count(), "entries": JournalEntry.objects.count(),
        "postings": Posting.objects.count(), "rights": WaterRight.objects.count(), "balances": RightBalance.objects.count(),
        "locks": VolumeLock.objects.count(), "certificates": Certificate.objects.count(), "audit": AuditEvent.objects.count(),
    }


def allocated(right, year: int) -> int:
    """The net volume allocation posted to ``right`` for ``year`` (entries of allocation runs only:
    trades, pooling and other capabilities' entries — e.g. trading's demo — are left out)."""
    from django.db.models import Sum

    return Posting.objects.filter(right=right, year=year, entry__reference_type=services.REFERENCE).aggregate(s=Sum("amount"))["s"] or 0


@pytest.fixture
def snapshot():
    return counts


@pytest.fixture
def damogang():
    return reg.IrrigationDistrict.objects.get(name="打磨岗灌区")


@pytest.fixture
def free_association(damogang):
    """The 打磨岗 association the demo leaves unallocated (for the workflow walkthrough)."""
    taken = WaterRight.objects.filter(kind="irrigation").values("association_id")
    return damogang.associations.exclude(pk__in=taken).get()


@pytest.fixture
def users_by_name(users):
    return users


def through(run, *, preparer, approver, issuer=None):
    run = services.review_run(run, actor=preparer)
    run = services.approve_run(run, actor=approver)
    run = services.register_run(run, actor=approver)
    return services.issue_certificates(run, actor=issuer or approver)


@pytest.fixture
def new_permit():
    """``new_permit(region_code, volume, source=None)`` → a new (not yet registered) permit in that county."""
    serial = [9500]

    def make(code: str, volume: int, *, source=None, sector="26", years=(2026, 2030)):
        region = reg.Region.objects.get(code=code)
        holder = reg.WaterUser.objects.create(name=f"测试新增企业{serial[0]}", kind="individual", region=region,
                                              sector=reg.Sector.objects.get(code=sector), is_demo=True)
        authority = reg.Authority.objects.get(region=region)
        serial[0] += 1
        return reg.WithdrawalPermit.objects.create(
            number=f"{code}-2026-{serial[0]:04d}", holder=holder, region=region, approving_authority=authority,
            supervising_authority=authority, source=source or reg.WaterSource.objects.get(name="湍河地表水"),
            source_type="surface", withdrawal_method="pumping", use="industrial", sector=holder.sector, annual_volume_m3=volume,
            issued_on=dt.date(years[0], 1, 1), valid_from=dt.date(years[0], 1, 1), valid_to=dt.date(years[1], 12, 31), is_demo=True,
        )

    return make
