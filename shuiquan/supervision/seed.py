"""Figures the seed states that the assessment uses beyond the registry's tables (idempotent):
the city's 2020 GDP (§1: "2020年全市生产总值3925.86亿元"), so that 2020's intensity (use per 10⁴ yuan
of GDP) can be computed from Table 1-2's 2020 use. A row the city bureau has since corrected is
left as it is."""

from decimal import Decimal

from shuiquan.registry.models import Region

from .models import AssessmentFigures

SEED_BASIS = "种子文件§1（2020年全市生产总值）"
CITY_GDP = {2020: Decimal("3925.86")}


def load() -> dict[str, int]:
    city = Region.objects.get(code="411300")
    n = 0
    for year, gdp in CITY_GDP.items():
        row = AssessmentFigures.objects.filter(region=city, year=year).first()
        if row is None:
            AssessmentFigures.objects.create(region=city, year=year, gdp_100m_yuan=gdp, basis=SEED_BASIS)
            n += 1
        elif row.basis == SEED_BASIS and row.gdp_100m_yuan != gdp:
            row.gdp_100m_yuan = gdp
            row.save(update_fields=["gdp_100m_yuan", "updated_at"])
            n += 1
    return {"assessment_figures": n}
