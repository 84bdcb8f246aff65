"""Demo supply-and-demand notices (演示数据), posted and reviewed through the services by the demo
accounts: two published (an offer and a wish in 打磨岗灌区), one waiting for review."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from shuiquan.core.models import User
from shuiquan.registry.models import Association

from . import services
from .choices import NoticeKind


def load(size: str = "full") -> dict:
    rep = User.objects.filter(username="association_rep").first()
    manager = User.objects.filter(username="damogang_manager").first()
    if not (rep and manager and rep.association_id):
        return {"notices": 0}
    own = rep.association
    other = Association.objects.filter(district=own.district).exclude(pk=own.pk).order_by("pk").first()
    year = timezone.localdate().year
    until = timezone.localdate() + dt.timedelta(days=120)
    offer = services.post_notice(actor=rep, kind=NoticeKind.OFFER, association=own, year=year, volume_m3=20_000, valid_until=until,
                                 price_yuan_per_m3=Decimal("0.12"), contact_via=f"经{own.district.name}管理局联系",
                                 description="节水改造后节余的灌溉用水（演示数据）", is_demo=True)
    services.review_notice(offer, actor=manager, publish=True, note="已核实协会节余水量（演示）")
    n = 1
    if other is not None:
        want = services.post_notice(actor=manager, kind=NoticeKind.WANT, association=other, year=year, volume_m3=15_000, valid_until=until,
                                    contact_via=f"经{other.name}联系", description="扩大蔬菜种植面积，求购灌溉用水（演示数据）", is_demo=True)
        services.review_notice(want, actor=manager, publish=True)
        n += 1
    services.post_notice(actor=rep, kind=NoticeKind.OFFER, association=own, year=year, volume_m3=8_000, valid_until=until,
                         contact_via=f"经{own.name}联系", description="待审核的出让信息（演示数据）", is_demo=True)
    return {"notices": n + 1}
