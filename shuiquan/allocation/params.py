"""Parameters of the allocation capability (edited by the city bureau at /settings/parameters/)."""

from decimal import Decimal

from shuiquan.core import config

REGIONAL_FIRST_YEAR = 2025  # the target year of Table 2-1 (§2.1): the first year regional rights are posted

REGIONAL_LAST_YEAR = config.define(
    "allocation.regional_last_year", 2030,
    "区域用水权登记的最后年度", "Last year for which regional rights are posted",
    "表2-1的2025年用水总量控制目标在下一轮规划下达前继续有效；区域、南水北调和地下水用水权按2025年至此年度逐年记账。"
    " The 2025 target stands until the next plan is issued: regional, SNWD and groundwater rights are posted for 2025 through this year.",
)
IRRIGATION_COEFFICIENT = config.define(
    "allocation.irrigation_coefficient_default", Decimal("0.615"),
    "灌溉水有效利用系数（默认）", "Irrigation-water effective-use coefficient (default)",
    "灌区未单独设定时采用；默认值为§2.1的2025年农田灌溉水有效利用系数目标0.615。"
    " Used where a district has no coefficient of its own; the default is the seed's 2025 target (§2.1).",
)
OVERDRAFT_REDUCTION_RATE = config.define(
    "allocation.overdraft_groundwater_reduction_rate", Decimal("0.10"),
    "超采区地下水核减比例（默认）", "Default groundwater reduction rate in overdraft areas",
    "取水权核定（A3）时，水源为地下水超采区的，按此比例核减（可逐案修改）；种子文件未给出比例，此为平台默认值。"
    " A3 verification: permits drawing on overdraft-area groundwater are reduced by this share by default (editable per case); not a seed figure.",
)
DEFAULT_SAVING_RATE = config.define(
    "allocation.default_saving_rate", Decimal("0.05"),
    "节水潜力核减比例（默认）", "Default saving-potential reduction rate",
    "取水权核定（A3）时按规模×定额计算后核减的节水潜力比例的默认值（可逐案修改）。"
    " A3 verification: default share of scale × quota deducted as saving potential (editable per case).",
)
PUBLIC_BASE_URL = config.define(
    "allocation.public_base_url", "",
    "凭证二维码的公开网址前缀", "Public base URL printed in certificate QR codes",
    "如 https://shuiquan.nanyang.gov.cn ；为空时使用当前访问的网址。 Empty: the address the certificate was downloaded from.",
    kind=str,
)
