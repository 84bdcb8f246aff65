"""Finance pages and API: funds (readers only), reports, pledges through the pages and the API,
fee-collection-right transfers; errors in the core JSON shape."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from shuiquan.finance import funds
from shuiquan.finance.models import Bank, FeeRightTransfer, FundEntry, Pledge, PledgeStatus
from shuiquan.trading.tests.builders import permit_of
from shuiquan.trading.tests.test_permit_trade import permit_trade

pytestmark = pytest.mark.django_db


def test_funds_pages_for_readers_only(page, users, rights):
    trade, _, _ = permit_trade(users, rights)
    entry = FundEntry.objects.filter(trade=trade).first()
    for name in ("finance_officer", "city_admin", "auditor"):
        client = page(users[name])
        for url in ("/finance/", "/finance/funds/entries/", f"/finance/funds/entries/{entry.pk}/", "/finance/funds/accounts/",
                    f"/finance/funds/accounts/{entry.lines.first().account_id}/", f"/finance/funds/trades/{trade.pk}/", "/finance/funds/reconcile/"):
            r = client.get(url)
            assert r.status_code == 200, (name, url)
    body = page(users["finance_officer"]).get(f"/finance/funds/trades/{trade.pk}/").content.decode()
    assert "已对平" in body and "1,791,000.00" in body
    for name in ("permit_holder", "neixiang_officer", "bank_officer"):
        assert page(users[name]).get(f"/finance/funds/trades/{trade.pk}/").status_code == 403
        assert page(users[name]).get("/finance/funds/report/").status_code == 403
    r = page(users["finance_officer"]).get("/finance/funds/report/")
    wb = load_workbook(io.BytesIO(r.content))
    assert "交易资金明细" in wb.sheetnames and "南水北调非税收入（F2）" in wb.sheetnames
    rows = {row[0]: row for row in wb["交易资金明细"].iter_rows(min_row=2, values_only=True)}
    assert rows[trade.number][13] == "已对平"
    accounts = page(users["finance_officer"]).get("/finance/funds/accounts/").content.decode()
    assert 'id="accounts-total">0.00<' in accounts.replace(" ", "")


def test_funds_api(api, users, rights):
    trade, _, _ = permit_trade(users, rights)
    client = api(users["finance_officer"])
    r = client.get(f"/api/v1/finance/funds/trades/{trade.pk}/")
    assert r.status_code == 200 and r.json()["issues"] == [] and r.json()["net"] == "1791000.00" and r.json()["rule"] == "F1"
    r = client.get("/api/v1/finance/funds/entries/?kind=settlement")
    assert r.status_code == 200 and all(sum(Decimal(x["amount"]) for x in e["lines"]) == 0 for e in r.json()["results"])
    r = client.get("/api/v1/finance/funds/accounts/?kind=fees")
    assert r.status_code == 200
    assert api(users["permit_holder"]).get(f"/api/v1/finance/funds/trades/{trade.pk}/").status_code == 403
    assert api(users["permit_holder"]).get("/api/v1/finance/funds/entries/").json()["results"] == []
    assert client.get("/api/v1/finance/funds/trades/999999/").json()["code"] == "not_found"
    r = client.post(f"/api/v1/finance/funds/trades/{trade.pk}/distribute/", {}, format="json")
    assert r.status_code == 409 and r.json()["rule"] == "F2"
    entry = FundEntry.objects.filter(trade=trade).first()
    r = client.post(f"/api/v1/finance/funds/entries/{entry.pk}/reverse/", {"reason": "x"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "mirrors_payment"
    assert client.get("/api/v1/finance/funds/reconcile/").status_code == 200
    assert client.post("/api/v1/finance/funds/reconcile/").json() == {"posted": 0}
    assert funds.verify_book() == []


def test_pledge_procedure_through_the_api(api, users, rights):
    bank = Bank.objects.get(name="南阳某商业银行（演示）")
    bank.staff.add(users["bank_officer"])
    right = rights["permits"][permit_of("permit_holder").pk]
    r = api(users["permit_holder"]).post("/api/v1/finance/pledges/", {"right": right.pk, "bank": bank.pk, "kind": "volume_pledge", "first_year": 2026,
                                                                       "last_year": 2026, "volume_m3": 10_000, "secured_amount": "50000.00",
                                                                       "loan_contract_no": "API-1"}, format="json")
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert api(users["permit_holder"]).post(f"/api/v1/finance/pledges/{pk}/confirm/", {"bank_reference": "X"}, format="json").status_code == 403
    assert api(users["bank_officer"]).post(f"/api/v1/finance/pledges/{pk}/confirm/", {}, format="json").status_code == 400
    assert api(users["bank_officer"]).post(f"/api/v1/finance/pledges/{pk}/confirm/", {"bank_reference": "BK-1"}, format="json").status_code == 200
    r = api(users["tanghe_officer"]).post(f"/api/v1/finance/pledges/{pk}/register/", format="json")
    assert r.status_code in (403, 404)
    r = api(users["neixiang_officer"]).post(f"/api/v1/finance/pledges/{pk}/register/", format="json")
    assert r.status_code == 200 and r.json()["status"] == "registered" and r.json()["number"].startswith("南阳水权质登")
    r = api(users["bank_officer"]).post(f"/api/v1/finance/pledges/{pk}/release/", {"note": "还清"}, format="json")
    assert r.json()["status"] == "released"
    r = api(users["bank_officer"]).post(f"/api/v1/finance/pledges/{pk}/release/", {}, format="json")
    assert r.status_code == 409
    r = api(users["permit_holder"]).post("/api/v1/finance/pledges/", {"right": right.pk}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"


def test_pledge_and_fee_right_pages(page, users, rights):
    bank = Bank.objects.get(name="南阳某商业银行（演示）")
    bank.staff.add(users["bank_officer"])
    right = rights["permits"][permit_of("permit_holder").pk]
    holder = page(users["permit_holder"])
    assert holder.get("/finance/pledges/new/").status_code == 200
    r = holder.post("/finance/pledges/new/", {"right": right.pk, "bank": bank.pk, "kind": "mortgage", "first_year": 2026, "last_year": 2026,
                                              "volume_m3": 5000, "secured_amount": "10000", "loan_contract_no": "P-1"})
    assert r.status_code == 302
    p = Pledge.objects.order_by("-pk").first()
    r = page(users["bank_officer"]).post(f"/finance/pledges/{p.pk}/", {"action": "confirm", "confirm-bank_reference": "BK-9"})
    assert r.status_code == 302
    r = page(users["neixiang_officer"]).post(f"/finance/pledges/{p.pk}/", {"action": "register", "register-note": ""})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.status == PledgeStatus.REGISTERED
    for name in ("permit_holder", "bank_officer", "neixiang_officer", "city_admin", "finance_officer"):
        assert page(users[name]).get(f"/finance/pledges/{p.pk}/").status_code == 200, name
        assert page(users[name]).get("/finance/pledges/").status_code == 200
    assert page(users["buyer_holder"]).get(f"/finance/pledges/{p.pk}/").status_code == 404
    # Fee-collection-right transfers: the county bureau registers, the bank sees it.
    grantor = users["neixiang_officer"].region.water_users.first()
    r = page(users["neixiang_officer"]).post("/finance/fee-rights/new/", {"grantor": grantor.pk, "project": "某水库供水工程", "transferee": "某银行",
                                                                         "amount": "1000000", "start_date": "2026-01-01", "end_date": "2030-12-31",
                                                                         "purpose": "融资"})
    assert r.status_code == 302
    row = FeeRightTransfer.objects.order_by("-pk").first()
    assert page(users["neixiang_officer"]).get(f"/finance/fee-rights/{row.pk}/").status_code == 200
    r = page(users["neixiang_officer"]).post("/finance/fee-rights/new/", {"grantor": grantor.pk, "project": "x", "transferee": "y", "amount": "1",
                                                                         "start_date": "2026-01-01", "end_date": "2025-12-31", "purpose": "z"})
    assert r.status_code == 400
    assert page(users["bank_officer"]).get("/workbench/").status_code == 200
    assert page(users["finance_officer"]).get("/workbench/").status_code == 200
