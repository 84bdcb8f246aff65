"""Corrections: a registered allocation is never edited; it is revoked by reversing entries (the
originals stay), its rights and certificates are cancelled, and it can then be registered anew.
A revocation is refused while rights allocated from its rights still hold volume."""

import pytest

from shuiquan.allocation import services
from shuiquan.allocation.choices import Engine, RunStatus
from shuiquan.allocation.models import WaterQuota
from shuiquan.core.errors import Conflict, Forbidden
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.ledger.models import JournalEntry

from .conftest import through

pytestmark = pytest.mark.django_db


def test_revoking_a_permit_right_reverses_its_entry_and_it_can_be_registered_again(new_permit, neixiang_officer, city_admin):
    permit = new_permit("411325", 300_000)
    params = {"permit": permit.pk, "items": [{"quota": WaterQuota.objects.get(product="合成氨").pk, "scale": "30000"}]}
    run = through(services.prepare_and_compute(actor=neixiang_officer, engine=Engine.PERMIT, parameters=params),
                  preparer=neixiang_officer, approver=neixiang_officer)
    right = run.lines.get(role="right").right
    entry = JournalEntry.objects.get(reference_type="allocation.allocationrun", reference_id=str(run.pk))
    with pytest.raises(Forbidden):
        services.revoke_run(run, actor=neixiang_officer, reason="更正")
    run = services.revoke_run(run, actor=city_admin, reason="规模填报有误")
    assert run.status == RunStatus.REVOKED
    right.refresh_from_db()
    assert right.status == "cancelled" and ledger.balance(right, 2027) == 0
    assert JournalEntry.objects.get(reverses=entry).kind == EntryKind.REVERSAL
    assert run.certificates.get().status == "revoked"
    again = through(services.prepare_and_compute(actor=neixiang_officer, engine=Engine.PERMIT, parameters=params),
                    preparer=neixiang_officer, approver=neixiang_officer)
    assert again.status == RunStatus.ISSUED and ledger.right_for_permit(permit) != right
    assert verify_ledger() == []


def test_revoking_the_regional_allocation_is_refused_while_permits_hold_volume(city_admin, snapshot):
    run = services.latest_run(Engine.REGIONAL)
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        services.revoke_run(run, actor=city_admin, reason="测试")
    assert exc.value.code == "children_hold_volume"
    assert snapshot() == before
