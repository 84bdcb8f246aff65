"""The public portal: every page without login, supply-and-demand notices, policy documents,
anonymous complaints (rate-limited), the public API."""

import datetime as dt

import pytest
from django.utils import timezone

from shuiquan.core import config
from shuiquan.core.errors import Forbidden, ValidationFailed
from shuiquan.portal import services
from shuiquan.portal.choices import NoticeStatus
from shuiquan.portal.models import PolicyDocument, SupplyDemandNotice
from shuiquan.registry.models import Association
from shuiquan.supervision.models import Complaint

pytestmark = pytest.mark.django_db

PAGES = ["/public/", "/public/rights/", "/public/market/", "/public/verify/", "/public/supply-demand/", "/public/policies/",
         "/public/complaints/new/", "/public/complaints/status/"]


def test_every_portal_page_opens_without_login(page):
    client = page(None)
    for url in PAGES:
        r = client.get(url)
        assert r.status_code == 200, url
        assert "南阳" in r.content.decode()


def test_english_switch(page):
    client = page(None)
    client.post("/i18n/setlang/", {"language": "en", "next": "/public/"})
    r = client.get("/public/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Key figures" in body and "Latest deal notices" in body and "主要数据" not in body


def test_policy_documents_from_the_seed():
    keys = set(PolicyDocument.objects.values_list("key", flat=True))
    assert {"reform-plan", "water-use-rights-reform-2022", "nanyang-trade-funds", "nanyang-reserve-measures"} <= keys
    funds = PolicyDocument.objects.get(key="nanyang-trade-funds")
    assert funds.status == "planned" and funds.planned_year == 2024
    # The seed lists 《水权交易管理暂行办法》 twice; it is one document.
    assert PolicyDocument.objects.filter(title="水权交易管理暂行办法").count() == 1


def test_city_updates_a_measure_and_reloading_the_seed_keeps_it(users, page):
    from shuiquan.portal import seed

    doc = PolicyDocument.objects.get(key="nanyang-trading-measures")
    with pytest.raises(Forbidden):
        services.update_document(doc, actor=users["neixiang_officer"], status="issued")
    services.update_document(doc, actor=users["city_admin"], status="issued", doc_number="宛政〔2024〕1号（演示）", issued_text="2024年3月")
    seed.load()
    doc.refresh_from_db()
    assert doc.status == "issued" and doc.doc_number.startswith("宛政")
    r = page(None).get(f"/public/policies/{doc.key}/")
    assert "宛政〔2024〕1号" in r.content.decode()


def test_notice_is_published_only_after_review(users, page):
    rep = users["association_rep"]
    assoc = rep.association
    until = timezone.localdate() + dt.timedelta(days=30)
    n = services.post_notice(actor=rep, kind="offer", association=assoc, year=2026, volume_m3=12_345, valid_until=until,
                             contact_via="经协会联系")
    assert n.status == NoticeStatus.PENDING
    assert n.number not in page(None).get("/public/supply-demand/").content.decode()
    with pytest.raises(Forbidden):  # the association does not review its own notice
        services.review_notice(n, actor=rep, publish=True)
    services.review_notice(n, actor=users["damogang_manager"], publish=True)
    body = page(None).get("/public/supply-demand/").content.decode()
    assert n.number in body
    assert page(None).get(f"/public/supply-demand/{n.number}/").status_code == 200
    services.withdraw_notice(n, actor=rep)
    assert page(None).get(f"/public/supply-demand/{n.number}/").status_code == 404


def test_notice_refuses_personal_data_and_other_associations(users):
    rep = users["association_rep"]
    until = timezone.localdate() + dt.timedelta(days=30)
    before = SupplyDemandNotice.objects.count()
    with pytest.raises(ValidationFailed):
        services.post_notice(actor=rep, kind="offer", association=rep.association, year=2026, volume_m3=100, valid_until=until,
                             contact_via="联系王先生 13812345678")
    with pytest.raises(ValidationFailed):
        services.post_notice(actor=rep, kind="offer", association=rep.association, year=2026, volume_m3=0, valid_until=until,
                             contact_via="经协会联系")
    household = rep.association.households.exclude(name="").first()
    if household is not None:
        with pytest.raises(ValidationFailed):
            services.post_notice(actor=rep, kind="offer", association=rep.association, year=2026, volume_m3=100, valid_until=until,
                                 contact_via="经协会联系", description=f"{household.name}家节余水量")
    other = Association.objects.exclude(pk=rep.association_id).first()
    with pytest.raises(Forbidden):
        services.post_notice(actor=rep, kind="offer", association=other, year=2026, volume_m3=100, valid_until=until, contact_via="x")
    assert SupplyDemandNotice.objects.count() == before


def test_notice_pages_for_staff(users, page):
    client = page(users["association_rep"])
    until = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    r = client.post("/public/manage/notices/new/", {"kind": "want", "association": users["association_rep"].association_id, "year": 2026,
                                                    "volume_m3": 5000, "valid_until": until, "contact_via": "经协会联系"})
    assert r.status_code == 302
    n = SupplyDemandNotice.objects.order_by("-pk").first()
    r = page(users["damogang_manager"]).post(f"/public/manage/notices/{n.pk}/", {"action": "reject"})
    assert r.status_code == 400  # a reason is required
    r = page(users["damogang_manager"]).post(f"/public/manage/notices/{n.pk}/", {"action": "publish"})
    assert r.status_code == 302
    n.refresh_from_db()
    assert n.status == NoticeStatus.PUBLISHED
    assert page(users["damogang_manager"]).get("/workbench/").status_code == 200


def test_anonymous_complaint_receipt_status_and_rate_limit(page, users):
    client = page(None)
    data = {"kind": "complaint", "topic": "price", "subject": "价格异常", "content": "某成交价格明显偏离市场。", "complainant_name": "张三",
            "complainant_contact": "13900000000"}
    r = client.post("/public/complaints/new/", data)
    assert r.status_code == 200
    row = Complaint.objects.order_by("-pk").first()
    body = r.content.decode()
    assert row.number in body and row.receipt_code in body
    assert row.channel == "portal" and row.complainant_user is None and row.source_hash and "127.0.0.1" not in row.source_hash
    r = client.get("/public/complaints/status/", {"number": row.number, "code": row.receipt_code})
    assert r.status_code == 200 and "已提交" in r.content.decode()
    assert "张三" not in r.content.decode() and "13900000000" not in r.content.decode()
    r = client.get("/public/complaints/status/", {"number": row.number, "code": "WRONG000"})
    assert r.status_code == 404
    config.set_value("supervision.public_complaints_per_hour", 2, actor=users["city_admin"])
    assert client.post("/public/complaints/new/", data).status_code == 200
    count = Complaint.objects.count()
    r = client.post("/public/complaints/new/", data)
    assert r.status_code == 429
    assert Complaint.objects.count() == count
    r = client.post("/public/complaints/new/", {**data, "content": "x" * 5000})
    assert r.status_code == 400


def test_public_api(api, users):
    client = api(None)
    assert client.get("/api/v1/public/figures/").status_code == 200
    r = client.get("/api/v1/public/rights/")
    assert r.status_code == 200 and len(r.json()["counties"]) == 13
    assert client.get("/api/v1/public/policies/reform-plan/").json()["title"] == "南阳市水权改革方案"
    assert client.get("/api/v1/public/policies/nope/").json()["code"] == "not_found"
    r = client.post("/api/v1/public/complaints/", {"kind": "report", "topic": "funds", "subject": "资金", "content": "交易资金未按时划付"},
                    format="json")
    assert r.status_code == 201
    receipt = r.json()
    r = client.get("/api/v1/public/complaints/status/", {"number": receipt["number"], "code": receipt["receipt_code"]})
    assert r.status_code == 200 and r.json()["status_code"] == "submitted"
    assert client.get("/api/v1/public/complaints/status/").status_code == 400
    r = client.post("/api/v1/public/complaints/", {"kind": "bogus"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
