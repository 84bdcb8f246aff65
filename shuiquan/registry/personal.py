"""Personal data of irrigation households (names, identity numbers, phones).

Only the roles that manage households — the association, its irrigation district, the county
bureau and the city bureau — see them in full; everyone else (auditors, the finance bureau…)
sees them masked (王** / 411325********1234), and the public portal sees only the household code.
"""

from shuiquan.core.roles import Role

PERSONAL_ROLES = {Role.CITY_ADMIN, Role.COUNTY_OFFICER, Role.DISTRICT_MANAGER, Role.ASSOCIATION_REP}


def can_see_personal(user) -> bool:
    return bool(user is not None and user.is_authenticated and (user.is_superuser or user.role in PERSONAL_ROLES))


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) >= 8 else ("****" if phone else "")
