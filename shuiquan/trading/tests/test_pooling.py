"""归集 (T9, T10): allocation posts an association's whole right down to its households (A4), so
before the association sells, its households pool volume into its right — pro rata to their rights
or only among those who consented — in one balanced ledger entry, all or nothing; what it does not
sell can be given back to the same households."""

from fractions import Fraction

import pytest
from django.urls import reverse

from shuiquan.core.errors import Conflict, Forbidden, InsufficientVolume, RuleViolation, ValidationFailed
from shuiquan.core.models import AuditEvent
from shuiquan.core.units import split_by_weights
from shuiquan.ledger import services as ledger
from shuiquan.ledger.invariants import verify_ledger
from shuiquan.ledger.models import WaterRight
from shuiquan.trading import services
from shuiquan.trading.choices import TradeStatus
from shuiquan.trading.models import Pooling, PoolingReturn, PoolingShare

from .builders import fresh_associations, rep_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def assoc(rights):
    """An 打磨岗 association no demo trade has touched, its representative, its right and its households' rights."""
    a = fresh_associations("打磨岗灌区")[0]
    right = services.association_right_for(a, [2026])
    return a, rep_of(a), right, services.member_rights(right, [2026])


def _counts():
    return Pooling.objects.count(), PoolingShare.objects.count(), PoolingReturn.objects.count()


def test_T9_pooling_takes_each_household_pro_rata_to_its_right_in_one_balanced_entry(assoc):
    a, rep, right, members = assoc
    assert len(members) >= 2 and ledger.available(right, 2026) == 0  # A4 gave everything to the households
    before = {r.pk: ledger.balance(r, 2026) for r in members}
    nominal = {r.pk: r.annual_volume_m3 for r in members}
    total = sum(nominal.values())
    pooling = services.pool_household_volume(actor=rep, association=a, volume_m3=1_000, first_year=2026, reason="协会统一转让节余水量")
    shares = {s.household_right_id: s.volume_m3 for s in pooling.shares.all()}
    # pro rata to the rights' nominal volumes (planted areas), largest remainder: exact sum, each
    # share the floor or the ceiling of its exact part
    assert sum(shares.values()) == 1_000
    for r in members:
        exact = Fraction(1_000 * nominal[r.pk], total)
        assert int(exact) <= shares.get(r.pk, 0) <= int(exact) + 1
    assert shares == {r.pk: v for r, v in zip(members, split_by_weights(1_000, [nominal[r.pk] for r in members]), strict=True) if v}
    assert {s.household_right_id: s.weight_m3 for s in pooling.shares.all()} == {pk: nominal[pk] for pk in shares}
    # one balanced entry: the association +1,000, each household − its share
    entry = pooling.entry
    assert entry.kind == "pooling" and (entry.reference_type, entry.reference_id) == ("trading.pooling", str(pooling.pk))
    assert sorted(entry.postings.values_list("right_id", "year", "amount")) == sorted(
        [(right.pk, 2026, 1_000)] + [(pk, 2026, -v) for pk, v in shares.items()])
    assert ledger.balance(right, 2026) == 1_000 and ledger.available(right, 2026) == 1_000
    for r in members:
        assert ledger.balance(r, 2026) == before[r.pk] - shares.get(r.pk, 0)
        assert WaterRight.objects.get(pk=r.pk).annual_volume_m3 == nominal[r.pk]  # nominal volumes untouched
    assert ledger.balance(right, 2027) == 0  # only the years pooled
    event = AuditEvent.objects.filter(action="pooling", object_id=str(pooling.pk)).get()
    assert event.after["volume_m3"] == 1_000 and len(event.after["shares"]) == len(shares)
    assert pooling.number.startswith("GJ2026")
    assert verify_ledger() == []


def test_T9_pooling_only_among_consenting_households_and_for_several_years(assoc):
    a, rep, right, members = assoc
    consenting = [members[0].household, members[1].household]
    pooling = services.pool_household_volume(actor=rep, association=a, volume_m3=301, first_year=2026, last_year=2027,
                                             households=consenting, reason="两户自愿归集")
    assert pooling.consent_only and pooling.years() == [2026, 2027]
    shares = {s.household_id: s.volume_m3 for s in pooling.shares.all()}
    assert set(shares) == {h.pk for h in consenting}
    assert list(shares.values()) == split_by_weights(301, [members[0].annual_volume_m3, members[1].annual_volume_m3])
    for year in (2026, 2027):
        assert ledger.balance(right, year) == 301
    assert ledger.balance(members[2], 2026) == members[2].annual_volume_m3  # the others give nothing
    assert verify_ledger() == []


def test_L1_pooling_is_all_or_nothing_when_a_household_lacks_its_share(assoc, ledger_snapshot, city_admin):
    a, rep, right, members = assoc
    short = members[0]
    ledger.lock_volume(short, 2026, ledger.available(short, 2026), actor=city_admin, memo="测试：该户水量已冻结")
    snap, counts, events = ledger_snapshot(), _counts(), AuditEvent.objects.count()
    with pytest.raises(InsufficientVolume) as exc:
        services.pool_household_volume(actor=rep, association=a, volume_m3=1_000, first_year=2026, reason="归集")
    assert exc.value.rule == "L1" and exc.value.code == "pooling_shortfall"
    assert exc.value.detail["shortfalls"][0]["right_id"] == short.pk and short.number in exc.value.message
    assert ledger_snapshot() == snap and _counts() == counts and AuditEvent.objects.count() == events
    # without that household (the others consent) it goes through
    services.pool_household_volume(actor=rep, association=a, volume_m3=1_000, first_year=2026,
                                   households=[r.household for r in members[1:]], reason="其余用水户自愿归集")
    assert ledger.balance(right, 2026) == 1_000
    assert verify_ledger() == []


def test_pooling_refusals_write_nothing(assoc, rights, ledger_snapshot, users):
    a, rep, right, members = assoc
    other = fresh_associations("打磨岗灌区")[1]
    unallocated = next(x for x in a.district.associations.all() if x.pk not in rights["associations"])
    snap, counts = ledger_snapshot(), _counts()
    with pytest.raises(Forbidden):  # another association's representative
        services.pool_household_volume(actor=rep_of(other), association=a, volume_m3=100, first_year=2026, reason="x")
    with pytest.raises(Forbidden):  # the county bureau does not act for the households
        services.pool_household_volume(actor=users["neixiang_officer"], association=a, volume_m3=100, first_year=2026, reason="x")
    with pytest.raises(ValidationFailed) as exc:  # a household of another association
        services.pool_household_volume(actor=rep, association=a, volume_m3=100, first_year=2026, households=[other.households.first()],
                                       reason="x")
    assert exc.value.code == "not_member"
    with pytest.raises(ValidationFailed) as exc:
        services.pool_household_volume(actor=rep, association=a, volume_m3=100, first_year=2025, reason="x")
    assert exc.value.code == "past_year"
    with pytest.raises(ValidationFailed) as exc:
        services.pool_household_volume(actor=rep, association=a, volume_m3=100, first_year=2026, reason=" ")
    assert exc.value.code == "reason_required"
    with pytest.raises(ValidationFailed) as exc:
        services.pool_household_volume(actor=rep, association=a, volume_m3=0, first_year=2026, reason="x")
    assert exc.value.code == "invalid"
    with pytest.raises(ValidationFailed) as exc:  # the association the demo left unallocated
        services.pool_household_volume(actor=users["city_admin"], association=unallocated, volume_m3=100, first_year=2026, reason="x")
    assert exc.value.code == "no_association_right"
    assert ledger_snapshot() == snap and _counts() == counts


def test_L1_an_association_cannot_sell_what_its_households_have_not_pooled(assoc, rights, ledger_snapshot):
    a, rep, right, _members = assoc
    buyer = fresh_associations("打磨岗灌区")[1]
    snap = ledger_snapshot()
    with pytest.raises(RuleViolation) as exc:
        services.apply_trade(actor=rep, trade_type="irrigation", seller_right=right, volume_m3=500, start_year=2026, end_year=2026,
                             buyer=f"association:{buyer.pk}")
    assert exc.value.rule == "L1" and exc.value.code == "insufficient_volume"
    assert ledger_snapshot() == snap


def test_T9_pooled_volume_sold_in_part_and_the_rest_returned_pro_rata(assoc, rights, users, ledger_snapshot):
    a, rep, right, members = assoc
    buyer = fresh_associations("打磨岗灌区")[1]
    pooling = services.pool_household_volume(actor=rep, association=a, volume_m3=1_000, first_year=2026, reason="协会统一转让")
    given = {s.household_right_id: s.volume_m3 for s in pooling.shares.all()}
    trade = services.apply_trade(actor=rep, trade_type="irrigation", seller_right=right, volume_m3=600, start_year=2026, end_year=2026,
                                 buyer=f"association:{buyer.pk}")
    services.agree(actor=rep, trade=trade, unit_price="0.25")
    services.sign(actor=rep, trade=trade)
    services.sign(actor=rep_of(buyer), trade=trade)
    services.pay(actor=rep_of(buyer), trade=trade, reference="农信社-9")
    services.settle(actor=users["city_admin"], trade=trade)
    trade.refresh_from_db()
    assert trade.status == TradeStatus.REGISTERED and ledger.balance(right, 2026) == 400
    before = {r.pk: ledger.balance(r, 2026) for r in members}
    # more than the association still has: refused by the ledger, nothing written
    snap, counts = ledger_snapshot(), _counts()
    with pytest.raises(InsufficientVolume):
        services.return_pooled_volume(actor=rep, pooling=pooling, volume_m3=1_000, reason="退回")
    with pytest.raises(ValidationFailed):
        services.return_pooled_volume(actor=rep, pooling=pooling, volume_m3=1_001, reason="退回")
    with pytest.raises(Forbidden):
        services.return_pooled_volume(actor=rep_of(buyer), pooling=pooling, volume_m3=400, reason="退回")
    assert ledger_snapshot() == snap and _counts() == counts
    back = services.return_pooled_volume(actor=rep, pooling=pooling, volume_m3=400, reason="未转让部分退回用水户")
    expected = split_by_weights(400, [given.get(r.pk, 0) for r in members])
    for r, part in zip(members, expected, strict=True):
        assert ledger.balance(r, 2026) == before[r.pk] + part
    assert back.entry.kind == "pooling_return" and sum(back.shares.values()) == 400
    assert ledger.balance(right, 2026) == 0
    pooling.refresh_from_db()
    assert pooling.returned_m3 == 400 and pooling.outstanding_m3 == 600
    # the 600 sold stay sold: nothing more can be returned from an empty right
    with pytest.raises(InsufficientVolume):
        services.return_pooled_volume(actor=rep, pooling=pooling, reason="再退回")
    assert verify_ledger() == []


def test_return_of_everything_then_nothing_left(assoc):
    a, rep, right, members = assoc
    before = {r.pk: ledger.balance(r, 2026) for r in members}
    pooling = services.pool_household_volume(actor=rep, association=a, volume_m3=500, first_year=2026, reason="归集")
    services.return_pooled_volume(actor=rep, pooling=pooling, reason="交易未成，全部退回")
    assert {r.pk: ledger.balance(r, 2026) for r in members} == before and ledger.balance(right, 2026) == 0
    with pytest.raises(Conflict) as exc:
        services.return_pooled_volume(actor=rep, pooling=pooling, reason="again")
    assert exc.value.code == "nothing_to_return"
    assert verify_ledger() == []


def test_pooling_api_create_list_return_and_scope(assoc, api, users):
    a, rep, right, members = assoc
    other_rep = rep_of(fresh_associations("打磨岗灌区")[1])
    base = "/api/v1/trading/poolings/"
    r = api(rep).post(base, {"association": a.pk, "volume_m3": 700, "first_year": 2026, "reason": "协会统一转让"}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["volume_m3"] == 700 and sum(s["volume_m3"] for s in body["shares"]) == 700 and body["entry_number"]
    assert body["id"] in [p["id"] for p in api(rep).get(base).json()["results"]]
    assert body["id"] not in [p["id"] for p in api(other_rep).get(base).json()["results"]]
    assert api(other_rep).get(f"{base}{body['id']}/").status_code == 404
    assert body["id"] in [p["id"] for p in api(users["neixiang_officer"]).get(base).json()["results"]]
    assert body["id"] not in [p["id"] for p in api(users["tanghe_officer"]).get(base).json()["results"]]
    # a county officer sees the association but does not act for its households
    r = api(users["neixiang_officer"]).post(base, {"association": a.pk, "volume_m3": 100, "first_year": 2026, "reason": "x"}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "not_association_rep"
    r = api(rep).post(base, {"association": a.pk, "volume_m3": 10**9, "first_year": 2026, "reason": "x"}, format="json")
    assert r.status_code == 422 and r.json()["rule"] == "L1" and r.json()["code"] == "pooling_shortfall"
    r = api(rep).post(f"{base}{body['id']}/return/", {"volume_m3": 200, "reason": "退回"}, format="json")
    assert r.status_code == 200 and r.json()["returned_m3"] == 200 and r.json()["outstanding_m3"] == 500
    assert ledger.balance(right, 2026) == 500


def test_pooling_pages(assoc, page, users):
    a, rep, right, members = assoc
    client = page(rep)
    html = client.get(reverse("trading:pooling_new")).content.decode()
    assert a.name in html and members[0].household.code in html
    resp = client.post(reverse("trading:pooling_new"), {"association": a.pk, "volume_m3": 500, "first_year": 2026, "reason": "协会统一转让"})
    assert resp.status_code == 302
    pooling = Pooling.objects.get(association=a)
    html = client.get(resp["Location"]).content.decode()
    assert pooling.number in html and pooling.entry.number in html and members[0].household.code in html
    assert pooling.number in client.get(reverse("trading:pooling_list")).content.decode()
    # a refusal comes back on the form and writes nothing
    resp = client.post(reverse("trading:pooling_new"), {"association": a.pk, "volume_m3": 10**9, "first_year": 2026, "reason": "x"})
    assert resp.status_code == 422 and "L1" in resp.content.decode() and Pooling.objects.filter(association=a).count() == 1
    resp = client.post(reverse("trading:pooling_detail", args=[pooling.pk]), {"volume_m3": 100, "reason": "退回"})
    assert resp.status_code == 302 and ledger.balance(right, 2026) == 400
    assert page(users["tanghe_officer"]).get(reverse("trading:pooling_detail", args=[pooling.pk])).status_code == 404
    assert page(users["permit_holder"]).get(reverse("trading:pooling_new")).status_code == 403
