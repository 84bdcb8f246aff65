"""Ledger pages and API: a right's book by year (balance, locks, children), entries, the rights list
with filters and XLSX export, the read-only API with balances — all scoped."""

import io

import pytest
from openpyxl import load_workbook

from shuiquan.ledger import services as ledger
from shuiquan.ledger.choices import EntryKind, LockKind

pytestmark = pytest.mark.django_db


def test_right_page_shows_years_entries_locks_and_children(book, page):
    ledger.transfer(actor=book["actor"], kind=EntryKind.ALLOCATION, memo="分配给取水户", source=book["county"], target=book["permit"],
                    years=[2025, 2026], amount=400_000)
    ledger.lock_volume(book["permit"], 2026, 150_000, actor=book["actor"], kind=LockKind.PLEDGE, memo="质押给银行")
    html = page(book["actor"]).get(f"/ledger/rights/{book['permit'].pk}/").content.decode()
    assert "400,000" in html and "150,000" in html and "250,000" in html  # balance, locked, available in 2026
    assert "质押冻结" in html and "质押给银行" in html and "分配给取水户" in html
    html = page(book["actor"]).get(f"/ledger/rights/{book['county'].pk}/?year=2026").content.decode()
    assert book["permit"].number in html and "不超过本级核定水量" in html


def test_reversed_entries_link_both_ways(book, page):
    entry = ledger.transfer(actor=book["actor"], kind=EntryKind.ALLOCATION, memo="分配", source=book["county"], target=book["permit"],
                            years=[2025], amount=1_000)
    rev = ledger.reverse_entry(entry, actor=book["actor"], reason="录入错误")
    html = page(book["actor"]).get(f"/ledger/entries/{entry.pk}/").content.decode()
    assert rev.number in html and "已被冲正" in html
    html = page(book["actor"]).get(f"/ledger/entries/{rev.pk}/").content.decode()
    assert entry.number in html and "各年度过账之和为0" in html


def test_rights_list_filters_and_exports(page, city_admin, neixiang_officer):
    client = page(city_admin)
    html = client.get("/ledger/rights/", {"kind": "regional", "q": "内乡"}).content.decode()
    assert "内乡县区域用水权" in html and "唐河县区域用水权" not in html
    response = client.get("/ledger/rights/", {"kind": "regional", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert any(row and 2_809_400_000 in row for row in values)
    html = page(neixiang_officer).get("/ledger/rights/", {"kind": "regional"}).content.decode()
    assert "内乡县区域用水权" in html and "唐河县区域用水权" not in html  # scoped to the officer's county


def test_api_rights_with_balances_entries_and_locks(book, api, city_admin, tanghe_officer):
    ledger.lock_volume(book["county"], 2025, 10, actor=city_admin)
    client = api(city_admin)
    detail = client.get(f"/api/v1/ledger/rights/{book['county'].pk}/").json()
    assert detail["balances"][0] == {"year": 2025, "balance": 1_000_000, "locked": 10, "available": 999_990}
    assert detail["children"][0]["number"] == book["permit"].number
    listed = client.get("/api/v1/ledger/rights/", {"kind": "regional", "region": book["county"].region_id}).json()
    assert listed["count"] >= 2
    entries = client.get("/api/v1/ledger/entries/", {"right": book["county"].pk}).json()["results"]
    entry = client.get(f"/api/v1/ledger/entries/{entries[0]['id']}/").json()
    assert sum(p["amount"] for p in entry["postings"]) == 0
    locks = client.get("/api/v1/ledger/locks/", {"right": book["county"].pk}).json()["results"]
    assert locks[0]["amount"] == 10 and locks[0]["status"] == "active"
    assert api(tanghe_officer).get(f"/api/v1/ledger/rights/{book['county'].pk}/").status_code == 404
    assert api(city_admin).post("/api/v1/ledger/rights/", {}).status_code == 405


def test_out_of_range_year_filter_is_empty_not_an_error(api, city_admin):
    for year in ("-99999999999", "99999999", "0"):
        response = api(city_admin).get("/api/v1/ledger/rights/", {"year": year})
        assert response.status_code == 200 and response.json()["count"] == 0
