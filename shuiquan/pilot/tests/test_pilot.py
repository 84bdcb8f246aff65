"""The pilot's own tracking: Table 9-1 and the task list, the 651万元 budget, live KPIs."""

import datetime as dt
from decimal import Decimal

import pytest

from shuiquan.core.errors import Conflict, Forbidden, ValidationFailed
from shuiquan.core.models import AuditEvent
from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind, RightKind
from shuiquan.pilot import kpis, services
from shuiquan.pilot.data import BUDGET_TOTAL
from shuiquan.pilot.models import BudgetItem, PilotTask, Spending, TaskSource, TaskStatus
from shuiquan.registry.models import Region, WaterUser

pytestmark = pytest.mark.django_db


def test_table_9_1_has_the_seeds_twelve_tasks_with_years_and_units():
    tasks = PilotTask.objects.filter(source=TaskSource.TABLE_9_1)
    assert tasks.count() == 12
    t10 = tasks.get(number=10)
    assert t10.years == "2024-2025" and t10.year_end == 2025
    assert t10.responsible == "市银监局、市水利局负责"
    assert PilotTask.objects.filter(source=TaskSource.TASK_LIST).values("number").distinct().count() == 12
    # Task list item 11 has eight sub-items, item 6 nine.
    assert PilotTask.objects.filter(source=TaskSource.TASK_LIST, number=11).count() == 8
    assert PilotTask.objects.filter(source=TaskSource.TASK_LIST, number=6).count() == 9


def test_budget_items_sum_to_651_wan_yuan():
    total = sum(BudgetItem.objects.values_list("amount", flat=True))
    assert total == BUDGET_TOTAL == Decimal("6510000.00")
    assert BudgetItem.objects.get(code="B2").amount == Decimal("1140000.00")


def test_spending_is_recorded_audited_and_cannot_exceed_the_item_budget(users):
    finance = users["finance_officer"]
    item = BudgetItem.objects.get(code="B3")  # 60万元, no demo spending
    row = services.record_spending(item, actor=finance, date=dt.date(2025, 11, 1), amount="450000.00", description="试点自评估")
    assert AuditEvent.objects.filter(object_type="pilot.spending", object_id=str(row.pk), action="create").exists()
    count = Spending.objects.count()
    with pytest.raises(Conflict) as exc:
        services.record_spending(item, actor=finance, date=dt.date(2025, 12, 1), amount="150000.01", description="验收")
    assert exc.value.code == "over_budget"
    assert Spending.objects.count() == count
    services.record_spending(item, actor=finance, date=dt.date(2025, 12, 1), amount="150000.00", description="验收")
    assert services.spent(item) == Decimal("600000.00")


def test_spending_corrections_are_new_rows_not_edits(users):
    finance = users["finance_officer"]
    item = BudgetItem.objects.get(code="B3")
    row = services.record_spending(item, actor=finance, date=dt.date(2025, 11, 1), amount="1000", description="x")
    fix = services.correct_spending(row, actor=finance, reason="重复录入")
    assert fix.amount == Decimal("-1000.00") and fix.corrects == row
    assert services.spent(item) == Decimal("0.00")
    with pytest.raises(Conflict):
        services.correct_spending(row, actor=finance, reason="again")


def test_bad_spending_input_is_refused(users):
    finance = users["finance_officer"]
    item = BudgetItem.objects.get(code="B3")
    for amount in ("0", "-5", "abc"):
        with pytest.raises(ValidationFailed):
            services.record_spending(item, actor=finance, date=dt.date(2025, 1, 1), amount=amount, description="x")
    with pytest.raises(Forbidden):
        services.record_spending(item, actor=users["neixiang_officer"], date=dt.date(2025, 1, 1), amount="1", description="x")


def test_task_progress_only_by_the_city_bureau(users):
    task = PilotTask.objects.get(source=TaskSource.TABLE_9_1, number=12)
    with pytest.raises(Forbidden):
        services.update_task(task, actor=users["auditor"], status=TaskStatus.DONE)
    done = services.update_task(task, actor=users["city_admin"], status=TaskStatus.DONE, note="通过省水利厅验收")
    assert done.progress == 100
    with pytest.raises(ValidationFailed):
        services.update_task(task, actor=users["city_admin"], status=TaskStatus.IN_PROGRESS, progress=101)


def test_kpis_count_trades_from_the_ledger(city_admin):
    """Permit trades are counted live: a withdrawal → withdrawal trade entry inside the pilot period."""
    before = {k.key: k for k in kpis.compute()}
    county = Region.objects.get(code="411325")
    a, b = WaterUser.objects.filter(region=county, kind="enterprise")[:2]
    src = ledger.open_right(actor=city_admin, kind=RightKind.ISSUANCE, name="测试", holder_name="测试",
                            valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2027, 12, 31))
    ra = ledger.open_right(actor=city_admin, kind=RightKind.WITHDRAWAL, name="A", holder=a, valid_from=dt.date(2025, 1, 1),
                           valid_to=dt.date(2027, 12, 31), annual_volume_m3=600_000)
    rb = ledger.open_right(actor=city_admin, kind=RightKind.WITHDRAWAL, name="B", holder=b, valid_from=dt.date(2025, 1, 1),
                           valid_to=dt.date(2027, 12, 31))
    ledger.transfer(actor=city_admin, kind=EntryKind.ALLOCATION, memo="x", source=src, target=ra, years=[2025], amount=600_000)
    entry = ledger.transfer(actor=city_admin, kind=EntryKind.TRADE, memo="取水权交易", source=ra, target=rb, years=[2025],
                            amount=500_000, reference=("trading.trade", "T-test"))

    after = {k.key: k for k in kpis.compute()}
    assert after["permit_trades"].to_date == before["permit_trades"].to_date + 1
    ledger.reverse_entry(entry, actor=city_admin, reason="撤销")
    assert {k.key: k for k in kpis.compute()}["permit_trades"].to_date == before["permit_trades"].to_date


def test_kpi_meters_count_upgraded_irrigation_meters():
    k = {k.key: k for k in kpis.compute()}
    assert k["meters_damogang"].target_low == 17 and k["meters_hushan"].target_low == 40
    # The small demo upgrades 3 at 打磨岗 and 4 at 虎山 (演示数据).
    assert k["meters_damogang"].to_date == 3
    assert k["meters_hushan"].to_date == 4


def test_pages_and_api(page, api, users):
    admin = users["city_admin"]
    r = page(admin).get("/pilot/")
    assert r.status_code == 200
    assert "6,510,000.00" in r.content.decode()
    assert page(admin).get("/pilot/tasks/?export=xlsx")["Content-Type"].startswith("application/vnd.openxml")
    data = api(admin).get("/api/v1/pilot/kpis/").json()
    assert {d["key"] for d in data} >= {"permit_trades", "irrigation_trades", "snwd_new_volume_m3"}
    r = api(users["finance_officer"]).post("/api/v1/pilot/spendings/", {"item": BudgetItem.objects.get(code="B3").pk,
                                                                         "date": "2025-10-01", "amount": "-1", "description": "x"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_amount"
    assert api(None).get("/api/v1/pilot/kpis/").status_code in (401, 403)


def test_a_budget_item_detail_answers_with_spent_and_remaining(api, users):
    """Found by the API fuzzer: GET /api/v1/pilot/budget/<id>/ was a 500 (the viewset looked the
    item up in a list instead of a queryset)."""
    item = BudgetItem.objects.get(code="B3")
    r = api(users["city_admin"]).get(f"/api/v1/pilot/budget/{item.pk}/")
    assert r.status_code == 200, r.content
    body = r.json()
    assert Decimal(body["spent"]) + Decimal(body["remaining"]) == item.amount
    assert api(users["city_admin"]).get("/api/v1/pilot/budget/999999/").json()["code"] == "not_found"
