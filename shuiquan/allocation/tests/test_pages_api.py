"""Pages and API: the allocation tables and map, a run's calculation and workflow buttons, the
county officer's compute-and-submit path through the forms, the OpenAPI schema and the API's
errors (code + rule, never 500)."""

import pytest

from shuiquan.allocation.choices import RunStatus
from shuiquan.allocation.models import AllocationRun
from shuiquan.ledger.models import JournalEntry, WaterRight
from shuiquan.registry import models as reg

from .conftest import counts

pytestmark = pytest.mark.django_db


def test_overview_shows_the_tables_totals_and_the_county_map(page, city_admin):
    html = page(city_admin).get("/allocation/").content.decode()
    assert "28.0940" in html and "2,809,400,000" in html and "49,140" in html
    assert 'id="map-data"' in html and "vendor/maps/" in html
    assert "0.255" in html  # 2023 non-conventional minimum, Table 2-1
    html = page(city_admin).get("/allocation/?metric=groundwater&year=2030").content.decode()
    assert "79,300,000,00" not in html and "超采区" in html


def test_run_page_shows_the_calculation_and_only_allowed_buttons(page, users, damogang, free_association):
    officer, admin = users["neixiang_officer"], users["city_admin"]
    response = page(officer).post("/allocation/runs/new/irrigation/", {
        "district": damogang.pk, "associations": [free_association.pk], "frequency": "75"})
    assert response.status_code == 302
    run = AllocationRun.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    html = page(officer).get(run.get_absolute_url()).content.decode()
    assert "综合毛灌溉定额" in html and 'id="action-review"' in html and 'id="action-approve"' not in html
    assert page(officer).post(f"/allocation/runs/{run.pk}/action/review/", {"reason": ""}).status_code == 302
    html = page(officer).get(run.get_absolute_url()).content.decode()
    assert 'id="action-approve"' not in html
    html = page(admin).get(run.get_absolute_url()).content.decode()
    assert 'id="action-approve"' in html and 'id="action-reject"' in html
    # A wrong step by URL is refused with a message, and changes nothing.
    page(officer).post(f"/allocation/runs/{run.pk}/action/approve/", {})
    assert AllocationRun.objects.get(pk=run.pk).status == RunStatus.REVIEWED


def test_form_refusal_A4_is_shown_on_the_form_and_writes_nothing(page, users, damogang, free_association):
    reg.Association.objects.filter(pk=free_association.pk).update(effective_area_mu=200000)
    client = page(users["neixiang_officer"])  # logging in is audited: count after it
    before = counts()
    response = client.post("/allocation/runs/new/irrigation/", {
        "district": damogang.pk, "associations": [free_association.pk], "frequency": "75"})
    assert response.status_code == 400
    assert "A4" in response.content.decode()
    assert counts() == before


def test_reference_table_edits_are_the_city_bureaus_and_audited(page, users):
    from shuiquan.allocation.models import WaterQuota
    from shuiquan.core.models import AuditEvent

    quota = WaterQuota.objects.get(product="合成氨")
    data = {"standard": quota.standard, "edition": quota.edition, "sector": quota.sector_id, "product": quota.product, "unit": quota.unit,
            "quota_m3": "9.5", "level": quota.level, "is_active": "on", "comments": ""}
    assert page(users["neixiang_officer"]).post(f"/allocation/quotas/{quota.pk}/edit/", data).status_code in (403, 404)
    assert page(users["city_admin"]).post(f"/allocation/quotas/{quota.pk}/edit/", data).status_code == 302
    quota.refresh_from_db()
    assert str(quota.quota_m3) == "9.5000"
    assert AuditEvent.objects.filter(object_type="allocation.waterquota", object_id=str(quota.pk), action="update").exists()


def test_ledger_pages_right_detail_entry_detail_and_xlsx(page, city_admin, users):
    right = WaterRight.objects.get(kind="regional", holder_region__code="411325")
    html = page(city_admin).get(f"/ledger/rights/{right.pk}/").content.decode()
    assert "140,110,000" in html and "逐年余额" in html and "下级用水权" in html and "2030" in html
    # An entry that touches 内乡县's right and no right of 唐河县 (so 唐河's officer must not see it).
    entry = JournalEntry.objects.filter(postings__right=right).exclude(postings__right__region__code="411328").first()
    html = page(city_admin).get(f"/ledger/entries/{entry.pk}/").content.decode()
    assert "各年度过账之和为0" in html
    assert page(users["neixiang_officer"]).get(f"/ledger/rights/{right.pk}/").status_code == 200
    assert page(users["tanghe_officer"]).get(f"/ledger/rights/{right.pk}/").status_code == 404
    assert page(users["tanghe_officer"]).get(f"/ledger/entries/{entry.pk}/").status_code == 404
    response = page(city_admin).get("/ledger/rights/?kind=regional&export=xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_openapi_schema_lists_the_allocation_and_ledger_endpoints(api, city_admin):
    import json

    schema = json.loads(api(city_admin).get("/api/openapi.json?format=json").content)
    paths = schema["paths"]
    for path in ("/api/v1/allocation/runs/", "/api/v1/allocation/runs/{id}/", "/api/v1/allocation/runs/{id}/approve/",
                 "/api/v1/allocation/runs/{id}/register/", "/api/v1/allocation/quotas/", "/api/v1/allocation/river-plans/",
                 "/api/v1/allocation/certificates/", "/api/v1/allocation/certificates/{id}/pdf/", "/api/v1/allocation/verify/{token}/",
                 "/api/v1/ledger/rights/", "/api/v1/ledger/rights/{id}/", "/api/v1/ledger/entries/", "/api/v1/ledger/locks/"):
        assert path in paths, path
    assert "post" in paths["/api/v1/allocation/runs/"] and "post" in paths["/api/v1/allocation/river-plans/"]


def test_api_workflow_and_errors(api, users, damogang, free_association):
    officer, admin = api(users["neixiang_officer"]), api(users["city_admin"])
    response = officer.post("/api/v1/allocation/runs/", {"engine": "irrigation", "parameters": {
        "district": damogang.pk, "associations": [free_association.pk], "frequency": "75"}}, format="json")
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["status"] == "computed" and set(run["available_actions"]) == {"review", "reject"} and run["formula"]
    wrong = officer.post(f"/api/v1/allocation/runs/{run['id']}/approve/", {}, format="json")
    assert wrong.status_code == 409  # not reviewed yet
    assert officer.post(f"/api/v1/allocation/runs/{run['id']}/review/", {}, format="json").status_code == 200
    wrong = officer.post(f"/api/v1/allocation/runs/{run['id']}/approve/", {}, format="json")
    assert wrong.status_code == 403 and wrong.json()["code"] == "step_not_allowed"
    assert admin.post(f"/api/v1/allocation/runs/{run['id']}/approve/", {"reason": "同意"}, format="json").status_code == 200
    done = admin.post(f"/api/v1/allocation/runs/{run['id']}/register/", {}, format="json").json()
    assert done["status"] == "registered" and all(line["right"] for line in done["lines"])
    right_id = done["lines"][0]["right_id"]
    detail = admin.get(f"/api/v1/ledger/rights/{right_id}/").json()
    assert detail["kind"] == "irrigation" and [b["year"] for b in detail["balances"]] == [2026, 2027, 2028]
    # refusals carry the rule; bad input is a 400; never a 500
    reg.Association.objects.filter(pk=free_association.pk).update(effective_area_mu=1)
    over = officer.post("/api/v1/allocation/runs/", {"engine": "irrigation", "parameters": {
        "district": damogang.pk, "associations": [free_association.pk]}}, format="json")
    assert over.status_code == 409 and over.json()["code"] == "already_allocated"
    for body in ({"engine": "nope", "parameters": {}}, {"engine": "permit", "parameters": []}, {"engine": "permit", "parameters": {"permit": "x"}},
                 {"engine": "river", "parameters": {"plan": 1, "year": "abc"}}, {"engine": "irrigation", "parameters": {"district": 99999}}):
        bad = officer.post("/api/v1/allocation/runs/", body, format="json")
        assert 400 <= bad.status_code < 500, (body, bad.content)
        assert "code" in bad.json()
    assert api(None).get("/api/v1/allocation/runs/").status_code in (401, 403)


def test_api_A4_refusal_is_422_with_rule(api, users, damogang, free_association):
    reg.Association.objects.filter(pk=free_association.pk).update(effective_area_mu=200000)
    response = api(users["neixiang_officer"]).post("/api/v1/allocation/runs/", {"engine": "irrigation", "parameters": {
        "district": damogang.pk, "associations": [free_association.pk]}}, format="json")
    assert response.status_code == 422 and response.json()["rule"] == "A4"


def test_api_river_plan_create_refuses_A2(api, city_admin):
    region = reg.Region.objects.get(code="411325")
    response = api(city_admin).post("/api/v1/allocation/river-plans/", {"river": reg.River.objects.get(name="湍河").pk, "name": "API测试方案",
                                    "points": [{"frequency": "75", "total_m3": 100, "ecological_m3": 10, "shares": {str(region.pk): 95}}]},
                                    format="json")
    assert response.status_code == 422 and response.json()["rule"] == "A2"


def test_permit_form_then_reject_edit_and_recompute(page, users, new_permit):
    from shuiquan.allocation.models import WaterQuota

    officer = page(users["neixiang_officer"])
    permit = new_permit("411325", 400_000)
    quota = WaterQuota.objects.get(product="合成氨")
    response = officer.post("/allocation/runs/new/permit/", {"permit": permit.pk, "quota_1": quota.pk, "scale_1": "40000", "saving_rate": "0.05"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    run = AllocationRun.objects.get(permit=permit)
    assert run.total_m3 == 380_000
    assert officer.post(f"/allocation/runs/{run.pk}/action/reject/", {"reason": ""}).status_code == 302
    assert AllocationRun.objects.get(pk=run.pk).status == RunStatus.COMPUTED  # a reason is required
    officer.post(f"/allocation/runs/{run.pk}/action/reject/", {"reason": "规模按2026年产能重报"})
    assert AllocationRun.objects.get(pk=run.pk).status == RunStatus.DRAFT
    assert "scale_1" in officer.get(f"/allocation/runs/{run.pk}/edit/").content.decode()
    response = officer.post(f"/allocation/runs/{run.pk}/edit/", {"permit": permit.pk, "quota_1": quota.pk, "scale_1": "38000", "saving_rate": "0"})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.COMPUTED and run.total_m3 == 380_000 and run.parameters["items"][0]["scale"] == "38000"


def test_river_plan_pages_create_and_approve(page, city_admin, users):
    from shuiquan.allocation.models import RiverPlan

    client = page(city_admin)
    river = reg.River.objects.get(name="西赵河")
    regions = {r.code: r for r in reg.Region.objects.filter(code__in=["411324", "411381"])}
    grid = {"river": river.pk, "name": "西赵河测试方案", "legal_basis": "", "comments": "",
            "p1_frequency": "50", "p1_total": "1000", "p1_ecological": "200", f"p1_r{regions['411324'].pk}": "300", f"p1_r{regions['411381'].pk}": "500",
            "p2_frequency": "90", "p2_total": "600", "p2_ecological": "150", f"p2_r{regions['411324'].pk}": "200", f"p2_r{regions['411381'].pk}": "250"}
    bad = dict(grid, p2_ecological="100")  # 200 + 250 + 100 < 600: not fully allocated
    assert client.post("/allocation/river-plans/new/", bad).status_code == 400
    response = client.post("/allocation/river-plans/new/", grid)
    assert response.status_code == 302
    plan = RiverPlan.objects.get(name="西赵河测试方案")
    assert plan.points.get(frequency=90).ecological_m3 == 1_500_000
    assert page(users["neixiang_officer"]).post(f"/allocation/river-plans/{plan.pk}/approve/", {}).status_code in (302, 404)
    plan.refresh_from_db()
    assert plan.status == "draft"
    client.post(f"/allocation/river-plans/{plan.pk}/approve/", {"legal_basis": "测试批复"})
    plan.refresh_from_db()
    assert plan.status == "approved" and plan.legal_basis == "测试批复"
    html = client.get(plan.get_absolute_url()).content.decode()
    assert "plan-data" in html and "线性插值" in html


def test_api_bodies_of_the_wrong_shape_are_400_not_500(api, city_admin):
    from shuiquan.allocation.models import RiverPlan

    client = api(city_admin)
    plan = RiverPlan.objects.first()
    run = AllocationRun.objects.first()
    for url in (f"/api/v1/allocation/river-plans/{plan.pk}/approve/", f"/api/v1/allocation/runs/{run.pk}/reject/",
                "/api/v1/allocation/runs/", "/api/v1/allocation/river-plans/"):
        response = client.post(url, [1, 2], format="json")
        assert response.status_code == 400, (url, response.status_code)
        assert response.json()["code"] == "invalid"


def test_workbench_lists_the_steps_waiting_for_each_role(page, users, damogang, free_association):
    from shuiquan.allocation import services

    run = services.prepare_and_compute(actor=users["neixiang_officer"], engine="irrigation", parameters={
        "district": damogang.pk, "associations": [free_association.pk]})
    assert "待审核提交" in page(users["neixiang_officer"]).get("/workbench/").content.decode()
    services.review_run(run, actor=users["neixiang_officer"])
    assert f"待批准：{run.number}" in page(users["city_admin"]).get("/workbench/").content.decode()
    services.register_run(services.approve_run(run, actor=users["city_admin"]), actor=users["city_admin"])
    html = page(users["damogang_manager"]).get("/workbench/").content.decode()
    assert f"待发放凭证：{run.number}" in html
    assert run.number not in page(users["hushan_manager"]).get("/workbench/").content.decode()
