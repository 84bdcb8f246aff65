"""Demo supervision records (演示数据), through the services: two complaints (one resolved, one
waiting for the leading office) and the city's 2024 assessment figures."""

from decimal import Decimal

from shuiquan.core.models import User
from shuiquan.registry.models import Region

from . import services


def load(size: str = "full") -> dict:
    admin = User.objects.filter(username="city_admin").first()
    holder = User.objects.filter(username="buyer_holder").first()
    rep = User.objects.filter(username="association_rep").first()
    if not (admin and holder and rep):
        return {}
    city = Region.objects.get(code="411300")
    services.record_figures(actor=admin, region=city, year=2024, irrigation_coefficient=Decimal("0.608"),
                            nonconventional_use_m3=31_000_000, basis="演示数据（非统计数据）", is_demo=True)
    done = services.submit_complaint(actor=holder, kind="complaint", topic="procedure", subject="挂牌公告期是否足额（演示数据）",
                                     content="某挂牌交易公告期少于规定天数，请核查。", region=Region.objects.get(name="唐河县"), is_demo=True)
    services.act_on_complaint(done, "accept", actor=admin, note="受理")
    services.act_on_complaint(done, "resolve", actor=admin, resolution="经核查，公告期按自然日计算为10日，符合规定。",
                              public_reply="经核查，该挂牌公告期符合规定。")
    services.submit_complaint(actor=rep, kind="dispute", topic="third_party", subject="上下游协会用水争议（演示数据）",
                              content="支渠下游协会反映上游协会超量取水，影响灌溉。", region=Region.objects.get(name="内乡县"), is_demo=True)
    return {"complaints": 2, "assessment_figures": 1}
