"""Whole-book checks (Beancount's balance assertions, hordak's accounting equation).

``verify_ledger()`` recomputes from the raw rows and reports every violation of:

1. every entry's postings sum to zero for each year;
2. each ``RightBalance.balance`` equals the sum of that right's postings for the year, and every
   (right, year) with postings has a balance row;
3. each ``RightBalance.locked`` equals the sum of the right's active locks for the year;
4. available (balance − locked) ≥ 0 for every right and year, except issuance accounts;
5. children never exceed their parent: for every right with children and every year, the volume
   it has allocated to its children (net of reversals) is at most what it received from elsewhere
   (its own allocation, issuance and trades); and the children's nominal annual volumes sum to at
   most the parent's nominal annual volume;

An entry is reversed at most once: ``JournalEntry.reverses`` is a one-to-one field (a unique
constraint), so the database refuses a second reversal.

It is run by ``manage.py verify_ledger``, the nightly audit job, and the property-based tests.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q, Sum

from .choices import NEGATIVE_ALLOWED, LockStatus, RightStatus
from .models import Posting, RightBalance, VolumeLock, WaterRight


@dataclass
class Problem:
    check: str
    detail: str

    def __str__(self):
        return f"[{self.check}] {self.detail}"


def verify_ledger() -> list[Problem]:
    problems: list[Problem] = []

    for row in Posting.objects.values("entry_id", "year").annotate(s=Sum("amount")).exclude(s=0):
        problems.append(Problem("zero_sum", f"entry {row['entry_id']} year {row['year']} sums to {row['s']}"))

    posted = {
        (r["right_id"], r["year"]): r["s"]
        for r in Posting.objects.values("right_id", "year").annotate(s=Sum("amount"))
    }
    locked = {
        (r["right_id"], r["year"]): r["s"]
        for r in VolumeLock.objects.filter(status=LockStatus.ACTIVE).values("right_id", "year").annotate(s=Sum("amount"))
    }
    kinds = dict(WaterRight.objects.values_list("pk", "kind"))
    rows = {(b.right_id, b.year): b for b in RightBalance.objects.all()}
    for key, total in posted.items():
        row = rows.get(key)
        if row is None:
            problems.append(Problem("balance_row", f"right {key[0]} year {key[1]} has postings but no balance row"))
        elif row.balance != total:
            problems.append(Problem("balance_cache", f"right {key[0]} year {key[1]}: balance {row.balance} ≠ postings {total}"))
    for key, row in rows.items():
        if key not in posted and row.balance != 0:
            problems.append(Problem("balance_cache", f"right {key[0]} year {key[1]}: balance {row.balance} with no postings"))
        if row.locked != locked.get(key, 0):
            problems.append(Problem("lock_cache", f"right {key[0]} year {key[1]}: locked {row.locked} ≠ active locks {locked.get(key, 0)}"))
        if kinds.get(key[0]) not in NEGATIVE_ALLOWED:
            avail = posted.get(key, 0) - locked.get(key, 0)
            if avail < 0:
                problems.append(Problem("available", f"right {key[0]} year {key[1]}: available {avail} < 0"))
    for key in locked:
        if key not in rows:
            problems.append(Problem("lock_cache", f"right {key[0]} year {key[1]} has active locks but no balance row"))

    problems += _children_within_parent()
    return problems


def _children_within_parent() -> list[Problem]:
    problems: list[Problem] = []
    parent_of = dict(WaterRight.objects.filter(parent__isnull=False).values_list("pk", "parent_id"))
    if not parent_of:
        return problems
    parents = set(parent_of.values())
    # For each entry, which rights it touches: an allocation from P to child c is a posting of P
    # and postings of P's children in the same entry.
    to_children: dict[tuple[int, int], int] = defaultdict(int)  # (parent, year) → allocated to children
    received: dict[tuple[int, int], int] = defaultdict(int)  # (parent, year) → received otherwise
    postings = Posting.objects.filter(Q(right_id__in=parents) | Q(right_id__in=parent_of.keys())).values_list(
        "entry_id", "right_id", "year", "amount"
    ).order_by("entry_id")
    by_entry: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for entry_id, right_id, year, amount in postings.iterator(chunk_size=5000):
        by_entry[entry_id].append((right_id, year, amount))
    for lines in by_entry.values():
        rights_in_entry = {r for r, _y, _a in lines}
        for right_id, year, amount in lines:
            if right_id not in parents:
                continue
            child_flow = sum(a for r, y, a in lines if y == year and parent_of.get(r) == right_id)
            if child_flow and child_flow == -amount:
                to_children[(right_id, year)] += child_flow
            elif not any(parent_of.get(r) == right_id for r in rights_in_entry):
                received[(right_id, year)] += amount
            else:
                # Mixed entry (parent and children with other parties): count the child part only.
                to_children[(right_id, year)] += child_flow
                received[(right_id, year)] += amount + child_flow
    issuance = set(WaterRight.objects.filter(kind__in=NEGATIVE_ALLOWED).values_list("pk", flat=True))
    for key, allocated in to_children.items():
        if key[0] in issuance:
            continue  # where volume enters the book: it has no inflow by design
        if allocated > received.get(key, 0):
            problems.append(Problem(
                "children_exceed_parent",
                f"right {key[0]} year {key[1]}: allocated {allocated} to children but received {received.get(key, 0)}",
            ))
    nominal = defaultdict(int)
    for pid, vol in WaterRight.objects.filter(parent__isnull=False).exclude(
        status=RightStatus.CANCELLED
    ).values_list("parent_id", "annual_volume_m3"):
        nominal[pid] += vol
    parent_nominal = dict(WaterRight.objects.filter(pk__in=nominal.keys()).values_list("pk", "annual_volume_m3"))
    parent_kinds = dict(WaterRight.objects.filter(pk__in=nominal.keys()).values_list("pk", "kind"))
    for pid, total in nominal.items():
        if parent_kinds[pid] in NEGATIVE_ALLOWED:
            continue
        if total > parent_nominal[pid]:
            problems.append(Problem(
                "children_exceed_parent",
                f"right {pid}: children's annual volumes sum to {total} > parent's {parent_nominal[pid]}",
            ))
    return problems


__all__ = ["Problem", "verify_ledger"]
