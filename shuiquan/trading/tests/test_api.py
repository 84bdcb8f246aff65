"""The API: a whole trade by machine, the impact preview call, the error shape, public market
endpoints, the OpenAPI schema, and no 500 on bad input."""

import pytest

from shuiquan.trading.choices import TradeStatus

from .builders import permit_of

pytestmark = pytest.mark.django_db
BASE = "/api/v1/trading"


def _ok(resp, status=200):
    assert resp.status_code == status, resp.json() if resp.headers.get("Content-Type", "").startswith("application/json") else resp.content
    return resp.json() if resp.headers.get("Content-Type", "").startswith("application/json") else resp


def test_whole_permit_trade_via_the_api(users, rights, api):
    seller, officer, buyer, admin = (api(users[u]) for u in ("permit_holder", "neixiang_officer", "buyer_holder", "city_admin"))
    sp, bp = permit_of("permit_holder"), permit_of("buyer_holder")
    saving = _ok(seller.post(f"{BASE}/savings/", {"permit": sp.pk, "source_kind": "reclaimed", "description": "中水回用替代新水",
                                                  "claimed_m3": 200000, "first_year": 2026, "last_year": 2026, "evidence": "再生水计量",
                                                  "reclaimed_source": _reclaimed().pk, "reclaimed_m3": 250000}, format="json"), 201)
    preview = _ok(seller.post(f"{BASE}/impact-preview/", {"trade_type": "permit", "seller_right": rights["permits"][sp.pk].pk,
                                                          "volume_m3": 200000, "start_year": 2026, "end_year": 2026,
                                                          "buyer": f"permit:{bp.pk}", "savings": saving["id"]}, format="json"))
    assert preview["years"][0]["seller_after"]["balance_m3"] == preview["years"][0]["seller"]["balance_m3"] - 200000
    assert preview["cross_region"] is True and preview["refusals"] == []
    assert [r["code"] for r in preview["pending_steps"]] == ["t4_saving_not_verified"]  # the verification is still to come
    assert preview["no_permit_change_reason"]
    trade = _ok(seller.post(f"{BASE}/trades/apply/", {"trade_type": "permit", "seller_right": rights["permits"][sp.pk].pk,
                                                      "volume_m3": 200000, "start_year": 2026, "end_year": 2026, "buyer": f"permit:{bp.pk}",
                                                      "savings": saving["id"]}, format="json"), 201)
    tid = trade["id"]
    assert trade["verification_countdown"]["working_days_left"] == 20
    assert sorted(_ok(officer.get(f"{BASE}/trades/{tid}/"))["available_actions"]) == ["reject", "verify"]
    _ok(officer.post(f"{BASE}/trades/{tid}/verify/", {"works_manager_opinion": "同意", "note": "属实"}, format="json"))
    _ok(seller.post(f"{BASE}/trades/{tid}/agree/", {"unit_price": "0.95"}, format="json"))
    _ok(seller.post(f"{BASE}/trades/{tid}/sign/", {}, format="json"))
    _ok(buyer.post(f"{BASE}/trades/{tid}/sign/", {}, format="json"))
    _ok(buyer.post(f"{BASE}/trades/{tid}/pay/", {"reference": "BANK-2", "amount": "190950.00"}, format="json"))
    _ok(admin.post(f"{BASE}/trades/{tid}/settle/", {}, format="json"))
    result = _ok(officer.post(f"{BASE}/trades/{tid}/register/", {}, format="json"))
    assert result["status"] == TradeStatus.REGISTERED and result["total_price"] == "190000.00"
    detail = _ok(buyer.get(f"{BASE}/trades/{tid}/"))
    assert [h["name"] for h in detail["history"]] == ["apply", "verify", "agree", "sign", "sign", "pay", "settle", "register"]
    assert buyer.get(f"{BASE}/trades/{tid}/certificate/").content.startswith(b"%PDF")
    assert _ok(buyer.get(f"{BASE}/trades/{tid}/impact/"))["posted"] is True


def _reclaimed():
    from shuiquan.registry.models import WaterSource

    return WaterSource.objects.get(name="内乡县再生水")


def test_errors_use_the_core_shape_with_rule_ids(users, rights, api):
    seller = api(users["permit_holder"])
    sp = permit_of("permit_holder")
    body = _ok(seller.post(f"{BASE}/trades/apply/", {"trade_type": "permit", "seller_right": rights["permits"][sp.pk].pk, "volume_m3": 1000,
                                                     "start_year": 2026, "end_year": 2026, "buyer": f"permit:{permit_of('buyer_holder').pk}"},
                           format="json"), 422)
    assert body["rule"] == "T4" and body["code"] == "t4_no_saving" and body["message"] and body["message_en"]
    assert body["detail"]["refusals"][0]["rule"] == "T4"
    bad = _ok(seller.post(f"{BASE}/trades/apply/", {"trade_type": "permit", "seller_right": "x", "volume_m3": 1.5}, format="json"), 400)
    assert bad["code"] == "invalid" and "volume_m3" in bad["detail"]["fields"]
    forbidden = _ok(api(users["tanghe_officer"]).post(f"{BASE}/trades/apply/", {
        "trade_type": "permit", "seller_right": rights["permits"][sp.pk].pk, "volume_m3": 10, "start_year": 2026, "end_year": 2026},
        format="json"), 403)
    assert forbidden["code"] == "not_seller"
    assert _ok(seller.get(f"{BASE}/trades/999999/"), 404)["code"] == "not_found"
    assert _ok(seller.post(f"{BASE}/trades/999999/verify/", {}, format="json"), 404)["code"] == "not_found"
    assert _ok(api(None).get(f"{BASE}/trades/"), 403)["code"] in ("not_authenticated", "forbidden")
    unknown = _ok(seller.post(f"{BASE}/trades/apply/", {"trade_type": "permit", "seller_right": 99999999, "volume_m3": 10,
                                                        "start_year": 2026, "end_year": 2026}, format="json"), 400)
    assert unknown["code"] == "unknown_right"
    garbage = seller.post(f"{BASE}/impact-preview/", {"trade_type": "x", "buyer": "permit:abc"}, format="json")
    assert garbage.status_code == 400
    party = _ok(seller.post(f"{BASE}/impact-preview/", {"trade_type": "permit", "seller_right": rights["permits"][sp.pk].pk,
                                                        "volume_m3": 10, "start_year": 2026, "end_year": 2026, "buyer": "permit:abc"},
                            format="json"), 400)
    assert party["code"] == "bad_party"


def test_public_market_endpoints_need_no_login(api):
    anon = api(None)
    assert isinstance(_ok(anon.get(f"{BASE}/market/listings/")), list)
    assert isinstance(_ok(anon.get(f"{BASE}/market/deals/")), list)
    stats = _ok(anon.get(f"{BASE}/market/stats/"))
    assert set(stats["prices"]) == {"permit", "regional", "irrigation"}
    assert stats["prices"]["permit"]["min_trades"] == 5


def test_openapi_schema_lists_the_trading_api(api, users):
    import json

    resp = api(None).get("/api/openapi.json?format=json")
    assert resp.status_code == 200
    paths = json.loads(resp.content)["paths"]
    for p in ("/api/v1/trading/trades/", "/api/v1/trading/trades/apply/", "/api/v1/trading/trades/{id}/verify/",
              "/api/v1/trading/trades/{id}/register/", "/api/v1/trading/trades/{id}/bids/", "/api/v1/trading/impact-preview/",
              "/api/v1/trading/orderbook/sessions/{id}/orders/", "/api/v1/trading/restrictions/", "/api/v1/trading/market/stats/",
              "/api/v1/trading/config/sector-quotas/", "/api/v1/trading/rules/"):
        assert p in paths, p


def test_restrictions_and_config_lists_via_api(api, users, rights):
    admin, officer = api(users["city_admin"]), api(users["neixiang_officer"])
    body = {"kind": "cut", "ground": "groundwater_reduction", "reason": "压采未达标", "region": permit_of("permit_holder").region_id,
            "cut_pct": "30"}
    assert _ok(officer.post(f"{BASE}/restrictions/", body, format="json"), 403)["code"] == "role_required"
    r = _ok(admin.post(f"{BASE}/restrictions/", body, format="json"), 201)
    assert r["is_active"] and r["cut_pct"] == "30.00"
    _ok(admin.post(f"{BASE}/restrictions/{r['id']}/lift/", {"reason": "已达标"}, format="json"))
    q = _ok(admin.post(f"{BASE}/config/sector-quotas/", {"sector": permit_of("buyer_holder").sector_id, "product": "", "unit": "吨",
                                                          "quota_m3_per_unit": "12.5", "standard": "示例"}, format="json"), 201)
    assert q["quota_m3_per_unit"] == "12.5000"
    assert officer.post(f"{BASE}/config/sector-quotas/", {"sector": permit_of("permit_holder").sector_id, "unit": "吨",
                                                          "product": "原料药", "quota_m3_per_unit": "1", "standard": "x"}, format="json").status_code == 403
    rules = _ok(officer.get(f"{BASE}/rules/"))
    assert {"S4", "S5", "S6", "M2", "T4", "T9"} <= {r["rule"] for r in rules}


def test_reserves_outside_regions_and_source_flags_via_api(api, users):
    from shuiquan.registry.models import Region, WaterSource

    admin, officer = api(users["city_admin"]), api(users["neixiang_officer"])
    city = Region.objects.get(code="411300")
    body = {"region": city.pk, "name": "南阳市水权收储中心（API）", "operator": "南阳市水利局", "funder": "南阳市财政局"}
    assert _ok(officer.post(f"{BASE}/reserves/", body, format="json"), 403)["code"] == "role_required"
    r = _ok(admin.post(f"{BASE}/reserves/", body, format="json"), 201)
    assert r["funder"] == "南阳市财政局" and r["rights"] == []
    assert _ok(admin.post(f"{BASE}/reserves/", body, format="json"), 409)["code"] == "reserve_exists"
    z = _ok(admin.post(f"{BASE}/outside-regions/", {"name": "登封市", "name_en": "Dengfeng"}, format="json"), 201)
    assert Region.objects.get(pk=z["id"]).kind == "outside"
    gw = WaterSource.objects.get(name="内乡县浅层地下水")
    assert _ok(officer.patch(f"{BASE}/config/sources/{gw.pk}/", {"is_overdraft_area": True}, format="json"), 403)
    assert _ok(admin.patch(f"{BASE}/config/sources/{gw.pk}/", {"is_overdraft_area": True}, format="json"))["is_overdraft_area"] is True
    river = WaterSource.objects.filter(kind="river").first()
    assert admin.patch(f"{BASE}/config/sources/{river.pk}/", {"is_overdraft_area": True}, format="json").status_code == 400
