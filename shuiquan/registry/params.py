"""Registry parameters (editable by the city bureau at /settings/parameters/, audited)."""

from shuiquan.core import config

PERMIT_VALIDITY_YEARS = config.define(
    "registry.permit_validity_years", 5, "取水许可有效期（年）", "Withdrawal permit validity (years)",
    "§7.1.2：取水权的有效期限一般为5年；新发许可证默认有效期",
)
RENEWAL_NOTICE_DAYS = config.define(
    "registry.renewal_notice_days", 45, "取水许可延续提前申请天数", "Days before expiry a permit renewal is due",
    "有效期届满前此天数内须申请延续（默认45日）",
)
