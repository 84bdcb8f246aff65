"""After a ledger entry commits, re-evaluate the use alarms of the permits whose rights it moved.

A trade (a ledger transfer seller → buyer for some years) changes both parties' right balances and
so their alarm thresholds; this keeps their open alarms in step without the trading capability
having to know about metering. It runs after commit (``on_commit(robust=True)``): a failure here is
logged and never undoes or breaks the entry; the periodic ``metering_jobs`` evaluation catches up.
"""

from __future__ import annotations

import logging
import threading

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

log = logging.getLogger("shuiquan.metering")


_pending = threading.local()


def _after_entries() -> None:
    from shuiquan.ledger.choices import RightKind
    from shuiquan.ledger.models import Posting
    from shuiquan.registry.models import WithdrawalPermit

    from .services import evaluate_permit_alarms

    entry_ids = getattr(_pending, "ids", set())
    _pending.ids = set()
    if not entry_ids:
        return
    this_year = timezone.localdate().year
    rows = Posting.objects.filter(entry_id__in=entry_ids, right__kind=RightKind.WITHDRAWAL, right__permit__isnull=False,
                                  year__lte=this_year).values_list("right__permit_id", "year").distinct()
    by_year: dict[int, set[int]] = {}
    for permit_id, year in rows:
        by_year.setdefault(year, set()).add(permit_id)
    for year, ids in sorted(by_year.items()):
        evaluate_permit_alarms(WithdrawalPermit.objects.filter(pk__in=ids), year)


@receiver(post_save, sender="ledger.JournalEntry", dispatch_uid="metering_entry_alarms")
def entry_posted(sender, instance, created, **kwargs):
    """Collect the entries of the transaction; evaluate once, after it commits."""
    if not created or kwargs.get("raw"):
        return
    ids = getattr(_pending, "ids", None)
    if ids is None:
        ids = _pending.ids = set()
    ids.add(instance.pk)
    # The first callback to run drains the set; the others find it empty. Ids of entries whose
    # transaction rolled back are harmless (they have no postings, or belong to a later entry).
    transaction.on_commit(_after_entries, robust=True)
